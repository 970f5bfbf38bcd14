import { existsSync, readFileSync } from 'node:fs';
import { checkDomain, describeLayout, parseTrainingDomain, type DomainFinding, type GatewayConfig, type TrainingDomain } from '@storesense/firmware-config';
import type { ClassifierHealth } from '@storesense/protocol';
import type { Logger } from '../log.js';
import type { Classifier } from './classifier.js';
import { createClassifier, DEFAULT_MODEL_PATH } from './create-classifier.js';
import { OnnxClassifier } from './onnx.classifier.js';

/*
 * Which classifier actually runs (decision 62). The configured kind is a request: an onnx model
 * runs only where its training domain covers this gateway's layout; outside it the rules baseline,
 * which has no training domain, runs instead, unless the operator forces the model. Either way the
 * gateway says which runs and why, in the log (one line per finding) and in health.
 */

/** Environment variable that overrides `classifier.outsideDomain` (rules | onnx). */
export const OUTSIDE_DOMAIN_ENV = 'STORESENSE_OUTSIDE_DOMAIN';

/** Where a model's domain came from. */
export type DomainSource = 'metadata' | 'sidecar';

/** `gateway/model/journey-mlp.onnx` -> `gateway/model/journey-mlp.domain.json`. */
export function domainSidecarPath(modelPath: string): string {
  return `${modelPath.replace(/\.onnx$/i, '')}.domain.json`;
}

/**
 * The model's training domain: its metadata, else the `.domain.json` written beside it (a model
 * trained before domains were embedded), else undefined. An unreadable or invalid sidecar throws:
 * a domain that cannot be read must not silently become "unknown".
 */
export function modelTrainingDomain(
  classifier: OnnxClassifier,
  modelPath: string,
): { domain: TrainingDomain; source: DomainSource; path?: string } | undefined {
  if (classifier.trainingDomain !== undefined) return { domain: classifier.trainingDomain, source: 'metadata' };
  const sidecar = domainSidecarPath(modelPath);
  if (!existsSync(sidecar)) return undefined;
  return { domain: parseTrainingDomain(readFileSync(sidecar, 'utf8'), sidecar), source: 'sidecar', path: sidecar };
}

export interface SelectClassifierOptions {
  /** The requested kind (default config.classifier.kind). */
  kind?: 'rules' | 'onnx';
  /** What runs outside the domain; default env[OUTSIDE_DOMAIN_ENV], else config.classifier.outsideDomain, else rules. */
  outsideDomain?: 'rules' | 'onnx';
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

export interface ClassifierSelection {
  classifier: Classifier;
  status: ClassifierHealth;
}

/**
 * Builds the classifier the gateway should run here and says why. A missing or mismatched model
 * still fails (ClassifierUnavailableError), as createClassifier does; only a valid model whose
 * domain does not cover the site is swapped for the rules.
 * @example const { classifier, status } = selectClassifier(config, { logger }); // status.active === 'rules' at a kiosk
 */
export function selectClassifier(config: GatewayConfig, opts: SelectClassifierOptions = {}): ClassifierSelection {
  const requested = opts.kind ?? config.classifier.kind;
  const log = opts.logger?.child({ module: 'classifier' });
  if (requested === 'rules') {
    return {
      classifier: createClassifier(config, 'rules'),
      status: { requested, active: 'rules', reason: 'rules requested', domain: 'not_checked', outsideDomain: [] },
    };
  }
  const outsideChoice = outsideDomainChoice(config, opts);
  const onnx = createClassifier(config, 'onnx') as OnnxClassifier;
  const modelPath = config.classifier.modelPath ?? DEFAULT_MODEL_PATH;
  let found: ReturnType<typeof modelTrainingDomain>;
  try {
    found = modelTrainingDomain(onnx, modelPath);
  } catch (err) {
    onnx.close();
    throw err;
  }
  if (found === undefined) {
    log?.warn(
      { modelPath },
      `the model states no training domain (metadata "storesense.trainingDomain" or ${domainSidecarPath(modelPath)}): domain unknown, running onnx unchecked`,
    );
    return {
      classifier: onnx,
      status: {
        requested,
        active: 'onnx',
        reason: 'the model states no training domain: domain unknown, onnx runs unchecked',
        domain: 'unknown',
        outsideDomain: [],
      },
    };
  }
  const findings = checkDomain(describeLayout(config), found.domain);
  const from = found.source === 'metadata' ? 'model metadata' : found.path!;
  if (findings.length === 0) {
    log?.info({ domainSource: from, trainingSites: found.domain.siteCount }, 'site inside the model training domain; onnx runs');
    return {
      classifier: onnx,
      status: { requested, active: 'onnx', reason: `site inside the model's training domain (${from})`, domain: 'inside', outsideDomain: [] },
    };
  }
  for (const f of findings)
    log?.warn({ field: f.field, value: f.value, domain: f.domain, domainSource: from }, `outside the model training domain: ${f.message}`);
  if (outsideChoice === 'onnx') {
    log?.warn({ findings: findings.length }, `site outside the model training domain; onnx forced (classifier.outsideDomain / ${OUTSIDE_DOMAIN_ENV}=onnx)`);
    return {
      classifier: onnx,
      status: {
        requested,
        active: 'onnx',
        reason: `site outside the model's training domain (${findings.length} finding(s)); onnx forced by classifier.outsideDomain=onnx or ${OUTSIDE_DOMAIN_ENV}=onnx`,
        domain: 'outside',
        outsideDomain: toHealth(findings),
      },
    };
  }
  onnx.close();
  log?.warn(
    { findings: findings.length },
    'site outside the model training domain; running the rules baseline instead (set classifier.outsideDomain or STORESENSE_OUTSIDE_DOMAIN to onnx to force the model)',
  );
  return {
    classifier: createClassifier(config, 'rules'),
    status: {
      requested,
      active: 'rules',
      reason: `site outside the model's training domain (${findings.length} finding(s)): the rules baseline runs instead`,
      domain: 'outside',
      outsideDomain: toHealth(findings),
    },
  };
}

function outsideDomainChoice(config: GatewayConfig, opts: SelectClassifierOptions): 'rules' | 'onnx' {
  if (opts.outsideDomain !== undefined) return opts.outsideDomain;
  const fromEnv = (opts.env ?? process.env)[OUTSIDE_DOMAIN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv !== 'rules' && fromEnv !== 'onnx') throw new Error(`${OUTSIDE_DOMAIN_ENV} must be rules or onnx, got "${fromEnv}"`);
    return fromEnv;
  }
  return config.classifier.outsideDomain ?? 'rules';
}

/** Health carries at most this many findings (the log has them all). */
const MAX_HEALTH_FINDINGS = 20;

function toHealth(findings: readonly DomainFinding[]): ClassifierHealth['outsideDomain'] {
  return findings
    .slice(0, MAX_HEALTH_FINDINGS)
    .map((f) => ({ field: f.field, value: f.value.slice(0, 200), domain: f.domain.slice(0, 200), message: f.message.slice(0, 300) }));
}

/** The status of a classifier handed in by an embedder or test: not selected here, so not checked. */
export function injectedClassifierStatus(classifier: Classifier): ClassifierHealth {
  return { requested: classifier.name, active: classifier.name, reason: 'classifier supplied by the embedder', domain: 'not_checked', outsideDomain: [] };
}
