import type { GatewayConfig } from '@storesense/firmware-config';
import type { Classifier } from './classifier.js';
import { RulesClassifier } from './rules.classifier.js';
import { siteContext } from './site-context.js';

export class ClassifierUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClassifierUnavailableError';
  }
}

/**
 * Builds the configured classifier. `onnx` is not implemented yet: it fails clearly instead of
 * silently running rules, so nobody benchmarks the baseline believing it is the model.
 * The ONNX classifier will live in `classify/onnx.classifier.ts` (the only onnxruntime import),
 * load `classifier.modelPath`, check input [N, FEATURE_COUNT] / output [N, 3] at load, and run one
 * batch per tick through the same `Classifier` interface.
 */
export function createClassifier(config: GatewayConfig, kind: 'rules' | 'onnx' = config.classifier.kind): Classifier {
  if (kind === 'onnx') {
    const where = config.classifier.modelPath ? ` (modelPath ${config.classifier.modelPath})` : '';
    throw new ClassifierUnavailableError(`the onnx classifier is not available yet in this gateway build${where}; use --classifier rules`);
  }
  return new RulesClassifier({ approachRssiDbm: config.journey.approachRssiDbm, site: siteContext(config) });
}
