import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainingDomainJson, trainingDomainSchema, type GatewayConfig } from '@storesense/firmware-config';
import { MAX_MODEL_BYTES, modelShadowArgsSchema, formatIssues, type ClassifierHealth, type RolloutHealth } from '@storesense/protocol';
import type { ClassProbs, Classifier } from '../classify/classifier.js';
import type { FeatureWindow } from '../classify/features.js';
import { domainSidecarPath } from '../classify/classifier-selection.js';

/**
 * Model rollout on the gateway (decision 133): models the cloud sends are verified (sha256, size,
 * training domain) and kept in `dataDir/models/`; one runs in shadow beside the active classifier;
 * promotion makes it active and keeps the one before to roll back to. `rollout.json` records which
 * model is active and which is kept, so a restart runs the promoted model.
 */
export interface ModelRef {
  version: string;
  sha256: string;
  path: string;
}
/** The configured classifier (what ran before any promotion), as a rollback target. */
export const CONFIG_MODEL = 'config';
export interface RolloutState {
  active?: ModelRef;
  previous?: ModelRef | typeof CONFIG_MODEL;
}

const ROLLOUT_FILE = 'rollout.json';
const modelsDir = (dataDir: string) => join(dataDir, 'models');

export function readRollout(dataDir: string): RolloutState {
  const file = join(modelsDir(dataDir), ROLLOUT_FILE);
  if (!existsSync(file)) return {};
  const state = JSON.parse(readFileSync(file, 'utf8')) as RolloutState;
  // A model file that went missing is no longer a target.
  if (state.active && !existsSync(state.active.path)) delete state.active;
  if (state.previous && state.previous !== CONFIG_MODEL && !existsSync(state.previous.path)) delete state.previous;
  return state;
}

export function writeRollout(dataDir: string, state: RolloutState): void {
  mkdirSync(modelsDir(dataDir), { recursive: true });
  const file = join(modelsDir(dataDir), ROLLOUT_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** The config with the promoted model as its classifier (nothing promoted: unchanged). */
export function withRolloutModel(config: GatewayConfig, state: RolloutState = safeRead(config.dataDir)): GatewayConfig {
  return state.active ? withModel(config, state.active.path) : config;
}

export function withModel(config: GatewayConfig, path: string): GatewayConfig {
  return { ...config, classifier: { ...config.classifier, kind: 'onnx', modelPath: path } };
}

function safeRead(dataDir: string): RolloutState {
  try {
    return readRollout(dataDir);
  } catch {
    return {};
  }
}

/**
 * Checks a `model-shadow` command's model (digest, size, domain shape) and writes it with its
 * training-domain sidecar into `dataDir/models/`. Throws with the reason on any mismatch.
 */
export function receiveModel(dataDir: string, args: unknown): ModelRef {
  const parsed = modelShadowArgsSchema.safeParse(args);
  if (!parsed.success) throw new Error(`model refused: ${formatIssues(parsed.error.issues).slice(0, 5).join('; ')}`);
  const { version, sha256, onnx, domain } = parsed.data;
  const bytes = Buffer.from(onnx, 'base64');
  if (bytes.length === 0 || bytes.length > MAX_MODEL_BYTES) throw new Error(`model refused: ${bytes.length} bytes (1..${MAX_MODEL_BYTES})`);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256) throw new Error(`model refused: sha256 ${actual.slice(0, 12)}… does not match the stated ${sha256.slice(0, 12)}…`);
  const domainText = domain === undefined ? undefined : domainJson(domain);
  mkdirSync(modelsDir(dataDir), { recursive: true });
  const path = join(modelsDir(dataDir), `${version}-${sha256.slice(0, 12)}.onnx`);
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
  if (domainText !== undefined) writeFileSync(domainSidecarPath(path), domainText);
  return { version, sha256, path };
}

function domainJson(domain: unknown): string {
  const d = trainingDomainSchema.safeParse(domain);
  if (!d.success) throw new Error(`model refused: training domain ${formatIssues(d.error.issues).slice(0, 3).join('; ')}`);
  return trainingDomainJson(d.data);
}

const best = (p: ClassProbs) => (p.inside >= p.outsideNear && p.inside >= p.absent ? 'inside' : p.outsideNear >= p.absent ? 'outside_near' : 'absent');

/**
 * The active classifier with a candidate beside it: the active one's answer is used, the candidate
 * sees the same windows and each subject-tick where both choose the same location class counts as
 * agreement. A candidate that throws is counted, never felt by the pipeline.
 */
export class ShadowClassifier implements Classifier {
  compared = 0;
  agreed = 0;
  errors = 0;
  /** Why the candidate was selected (health's classifier block once it is promoted). */
  candidateStatus: ClassifierHealth | undefined;

  constructor(
    readonly primary: Classifier,
    readonly candidate: Classifier,
    readonly ref: ModelRef,
    readonly since: number,
  ) {}

  get name(): string {
    return this.primary.name;
  }
  get version(): string {
    return this.primary.version;
  }
  get decision() {
    return this.primary.decision;
  }

  classify(windows: readonly FeatureWindow[], at: number): ClassProbs[] {
    const out = this.primary.classify(windows, at);
    try {
      const shadow = this.candidate.classify(windows, at);
      for (let i = 0; i < out.length && i < shadow.length; i++) {
        this.compared += 1;
        if (best(out[i]!) === best(shadow[i]!)) this.agreed += 1;
      }
    } catch {
      this.errors += 1;
    }
    return out;
  }

  health(): NonNullable<RolloutHealth['shadow']> {
    return {
      version: this.ref.version,
      sha256: this.ref.sha256,
      since: this.since,
      compared: this.compared,
      agreed: this.agreed,
      ...(this.compared > 0 ? { agreement: this.agreed / this.compared } : {}),
      errors: this.errors,
    };
  }
}
