import { fileURLToPath } from 'node:url';
import type { GatewayConfig } from '@storesense/firmware-config';
import type { Classifier } from './classifier.js';
import { OnnxClassifier } from './onnx.classifier.js';
import { RulesClassifier } from './rules.classifier.js';
import { siteContext } from './site-context.js';

export class ClassifierUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClassifierUnavailableError';
  }
}

/** The model trained by `node gateway/dist/model/train.js` (gateway/model/journey-mlp.onnx), from src/ or dist/. */
export const DEFAULT_MODEL_PATH = fileURLToPath(new URL('../../model/journey-mlp.onnx', import.meta.url));

/**
 * Builds the configured classifier. `onnx` loads `classifier.modelPath` (default: the packaged
 * gateway/model/journey-mlp.onnx) and checks it against this build's feature contract; a missing
 * or mismatched model fails clearly (ClassifierUnavailableError) instead of silently running rules,
 * so nobody benchmarks the baseline believing it is the model. Rules remain the run-time fallback
 * (the composition root passes them to the pipeline).
 */
export function createClassifier(config: GatewayConfig, kind: 'rules' | 'onnx' = config.classifier.kind): Classifier {
  if (kind === 'onnx') {
    const modelPath = config.classifier.modelPath ?? DEFAULT_MODEL_PATH;
    try {
      return OnnxClassifier.load({ model: modelPath, site: siteContext(config) });
    } catch (err) {
      throw new ClassifierUnavailableError(`the onnx classifier cannot start (modelPath ${modelPath}): ${(err as Error).message}; use --classifier rules`, {
        cause: err,
      });
    }
  }
  return new RulesClassifier({ approachRssiDbm: config.journey.approachRssiDbm, site: siteContext(config) });
}
