import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InferenceSession, Tensor } from 'onnxruntime-node';
// The public InferenceSession.run() is `setImmediate(() => nativeSession.run(...))` wrapped in a
// Promise: the work is synchronous on the event loop either way. The pipeline's tick (and
// runOffline, which must stay deterministic) is synchronous, so we call the same native session
// directly. classify.onnx.test.ts checks it against the public async API on every test run, so an
// onnxruntime upgrade that changes this internal surface fails loudly.
import { binding, initOrt } from 'onnxruntime-node/dist/binding.js';
import {
  MODEL_INPUT_NAME,
  MODEL_INPUT_WIDTH,
  MODEL_OUTPUT_NAME,
  MODEL_OUTPUT_WIDTH,
  ZONE_INPUT_NAME,
  ZONE_INPUT_WIDTH,
  ZONE_OUTPUT_NAME,
  ZONE_OUTPUT_WIDTH,
} from '../model/contract.js';
import { onnxMetadata } from '../model/onnx-export.js';
import { parseTrainingDomain, TRAINING_DOMAIN_METADATA_KEY, type TrainingDomain } from '@storesense/firmware-config';
import type { Classifier, ClassProbs, DecisionSettings } from './classifier.js';
import { FEATURE_COUNT, FEATURES_VERSION, MISSING_DBM, type FeatureWindow } from './features.js';
import { estimateFloor } from './rules.classifier.js';
import type { SiteContext } from './site-context.js';
import { estimateZone } from './zone-estimate.js';
import { ZONE_FEATURE_COUNT, zoneCandidates, type ZoneCandidates } from './zone-features.js';

/**
 * The same model through onnxruntime's public, asynchronous API. The reference the synchronous
 * path is checked against (tests, training verification); not used per tick.
 */
export async function runWithPublicApi(model: Uint8Array, x: Float32Array, rows: number): Promise<Float32Array> {
  const session = await InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const out = await session.run({ [MODEL_INPUT_NAME]: new Tensor('float32', x, [rows, FEATURE_COUNT]) });
    const t = out[MODEL_OUTPUT_NAME];
    if (!t) throw new Error(`model has no output ${MODEL_OUTPUT_NAME}`);
    return t.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** The model file does not match what this gateway's feature module produces. */
export class ModelRejectedError extends Error {
  override name = 'ModelRejectedError';
}

export interface OnnxClassifierOptions {
  /** A .onnx file path, or its bytes. */
  model: string | Uint8Array;
  /** Site geometry for floor and zone estimation (the model gives place probabilities only). */
  site: SiteContext;
  /** Softness of the floor confidence, dB (as the rules classifier). */
  zoneScaleDb?: number;
}

/** Below this P(inside) no zone is estimated (as the rules classifier). */
const MIN_INSIDE_FOR_ZONE = 0.2;
const ORT_FLOAT = 1;
/** Metadata key of the decision settings chosen on validation seeds (JSON). */
export const DECISION_METADATA_KEY = 'decision';

/** Plausible ranges: a model file whose settings fall outside them is refused, not half-applied. */
const DECISION_RANGES: Record<keyof DecisionSettings, [number, number]> = {
  minProb: [0.34, 0.99],
  approachHoldMs: [0, 30_000],
  enterHoldMs: [0, 30_000],
  leaveHoldMs: [0, 30_000],
  zoneHoldMs: [0, 30_000],
};

/** Parses the model's `decision` metadata (absent = the journey machine's defaults). */
export function parseDecision(text: string | undefined): DecisionSettings | undefined {
  if (text === undefined || text === '') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ModelRejectedError(`model metadata "${DECISION_METADATA_KEY}" is not JSON: ${text.slice(0, 80)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ModelRejectedError(`model metadata "${DECISION_METADATA_KEY}" is not an object`);
  const out: DecisionSettings = {};
  for (const [key, value] of Object.entries(raw)) {
    const range = DECISION_RANGES[key as keyof DecisionSettings] as [number, number] | undefined;
    if (!range) throw new ModelRejectedError(`model metadata "${DECISION_METADATA_KEY}" has an unknown setting "${key}"`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < range[0] || value > range[1]) {
      throw new ModelRejectedError(`model decision setting ${key}=${String(value)} is outside [${range[0]}, ${range[1]}]`);
    }
    out[key as keyof DecisionSettings] = value;
  }
  return out;
}

interface ValueMetadata {
  name: string;
  isTensor: boolean;
  shape: number[];
  symbolicDimensions: string[];
  type: number;
}

function describe(m: ValueMetadata): string {
  const dims = m.shape.map((d, i) => (d === -1 ? m.symbolicDimensions[i] || '?' : String(d)));
  return `${m.name} ${m.isTensor ? `type ${m.type}` : 'non-tensor'} [${dims.join(', ')}]`;
}

/** Exactly one float32 tensor named `name` of rank 2: dynamic batch, `width` columns. */
function check(kind: 'input' | 'output', list: readonly ValueMetadata[], name: string, width: number): void {
  const want = `${kind} ${name} float32 [N, ${width}]`;
  if (list.length !== 1) throw new ModelRejectedError(`model has ${list.length} ${kind}s (${list.map(describe).join('; ')}); expected one: ${want}`);
  const m = list[0]!;
  const problems: string[] = [];
  if (m.name !== name) problems.push(`name "${m.name}"`);
  if (!m.isTensor || m.type !== ORT_FLOAT) problems.push(`element type ${m.type} (not float32)`);
  if (m.shape.length !== 2) problems.push(`rank ${m.shape.length}`);
  else {
    if (m.shape[0] !== -1) problems.push(`fixed batch dimension ${m.shape[0]}`);
    if (m.shape[1] !== width) problems.push(`width ${m.shape[1]}`);
  }
  if (problems.length > 0) throw new ModelRejectedError(`model ${kind} does not match features v${FEATURES_VERSION}: ${problems.join(', ')}; expected ${want}`);
}

/**
 * A two-head model (place + zone): exactly two tensors of `kind`, each found by name and checked
 * like a single one.
 */
function checkHeads(kind: 'input' | 'output', list: readonly ValueMetadata[], want: readonly [string, number][]): void {
  const names = want.map(([n, w]) => `${n} float32 [N, ${w}]`).join(' and ');
  if (list.length !== want.length) throw new ModelRejectedError(`model has ${list.length} ${kind}s (${list.map(describe).join('; ')}); expected ${names}`);
  for (const [name, width] of want) {
    const m = list.find((x) => x.name === name);
    if (!m)
      throw new ModelRejectedError(
        `model ${kind}s (${list.map(describe).join('; ')}) do not match features v${FEATURES_VERSION}: no ${name}; expected ${names}`,
      );
    check(kind, [m], name, width);
  }
}

/** Zone candidates are fitted only for subjects whose store-side evidence is within this of the outside (cost). */
const ZONE_SIDE_MARGIN_DB = 8;
/** The one row a head gets when only the other head's output is wanted. */
const DUMMY_ZONE_ROW = new Float32Array(ZONE_FEATURE_COUNT);
const DUMMY_PLACE_ROW = new Float32Array(FEATURE_COUNT);

/**
 * A subject's last zone candidates and the evidence they came from: both maps' keys (the same
 * receivers in the same order, as computeFeatures builds them) and values, slow then fast, in one
 * packed array of doubles.
 */
interface ZoneCacheEntry {
  floor: number | undefined;
  keys: string[];
  values: number[];
  candidates: ZoneCandidates | undefined;
  tick: number;
}

/** The maps hold exactly `e`'s keys, in its order, and its values bit for bit. */
function sameEvidence(e: ZoneCacheEntry, slow: ReadonlyMap<string, number>, fast: ReadonlyMap<string, number>): boolean {
  const n = e.keys.length;
  if (slow.size !== n || fast.size !== n) return false;
  let i = 0;
  for (const [k, v] of slow) {
    if (k !== e.keys[i] || !Object.is(v, e.values[i])) return false;
    i += 1;
  }
  for (const [k, v] of fast) {
    if (k !== e.keys[i - n] || !Object.is(v, e.values[i])) return false;
    i += 1;
  }
  return true;
}

/** Makes `e` describe the maps; false when their keys differ (such evidence is not cached). */
function storeEvidence(e: ZoneCacheEntry, slow: ReadonlyMap<string, number>, fast: ReadonlyMap<string, number>): boolean {
  e.keys.length = 0;
  e.values.length = 0;
  for (const [k, v] of slow) {
    e.keys.push(k);
    e.values.push(v);
  }
  let i = 0;
  for (const [k, v] of fast) {
    if (k !== e.keys[i++]) return false;
    e.values.push(v);
  }
  return i === e.keys.length;
}

/**
 * The ONNX classifier: one native session per process, created at load; one `run` per tick over
 * every subject's feature row ([N, FEATURE_COUNT] float32 -> [N, 3] probabilities over
 * LOCATION_CLASSES). Floor and zone come from the same evidence as the rules classifier (the model
 * only decides absent / outside-near / inside). A model whose input/output names, element types or
 * shapes differ from this build's feature contract is refused at load (ModelRejectedError).
 * At run time it throws on anything odd (non-finite output); the pipeline then uses its rules
 * fallback for that tick.
 * @example const c = OnnxClassifier.load({ model: 'gateway/model/journey-mlp.onnx', site: siteContext(config) });
 */
export class OnnxClassifier implements Classifier {
  readonly name = 'onnx';
  readonly version: string;
  readonly decision: DecisionSettings | undefined;
  /** The training domain from the model's metadata (`storesense.trainingDomain`); undefined when the model has none. */
  readonly trainingDomain: TrainingDomain | undefined;
  private closed = false;
  private placeBuf = new Float32Array(0);
  private zoneBuf = new Float32Array(0);
  /** Per subject: the last zone candidates and the inputs they came from (see candidates()). */
  private readonly zoneCache = new Map<string, ZoneCacheEntry>();
  private tick = 0;

  private constructor(
    private readonly session: InstanceType<typeof binding.InferenceSession>,
    private readonly ctx: SiteContext,
    private readonly zoneScale: number,
    digest: string,
    decision: DecisionSettings | undefined,
    /** The model has the zone head (zone-features.ts); without it zones come from estimateZone. */
    readonly hasZoneHead: boolean,
    trainingDomain: TrainingDomain | undefined,
  ) {
    this.version = `f${FEATURES_VERSION}-${digest}`;
    this.decision = decision;
    this.trainingDomain = trainingDomain;
  }

  static load(opts: OnnxClassifierOptions): OnnxClassifier {
    let bytes: Uint8Array;
    try {
      bytes = typeof opts.model === 'string' ? readFileSync(opts.model) : opts.model;
    } catch (err) {
      throw new ModelRejectedError(`cannot read model ${String(opts.model)}: ${(err as Error).message}`);
    }
    initOrt();
    const session = new binding.InferenceSession();
    try {
      const copy = new Uint8Array(bytes); // its own ArrayBuffer (a Buffer may share a pooled one)
      session.loadModel(copy.buffer, 0, copy.byteLength, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
    } catch (err) {
      throw new ModelRejectedError(`onnxruntime cannot load the model: ${(err as Error).message}`);
    }
    let decision: DecisionSettings | undefined;
    let trainingDomain: TrainingDomain | undefined;
    const inputs = session.inputMetadata as ValueMetadata[];
    const outputs = session.outputMetadata as ValueMetadata[];
    const hasZoneHead = inputs.length === 2 || outputs.length === 2;
    try {
      if (hasZoneHead) {
        checkHeads('input', inputs, [
          [MODEL_INPUT_NAME, MODEL_INPUT_WIDTH],
          [ZONE_INPUT_NAME, ZONE_INPUT_WIDTH],
        ]);
        checkHeads('output', outputs, [
          [MODEL_OUTPUT_NAME, MODEL_OUTPUT_WIDTH],
          [ZONE_OUTPUT_NAME, ZONE_OUTPUT_WIDTH],
        ]);
      } else {
        check('input', inputs, MODEL_INPUT_NAME, MODEL_INPUT_WIDTH);
        check('output', outputs, MODEL_OUTPUT_NAME, MODEL_OUTPUT_WIDTH);
      }
      // onnxruntime accepted the bytes, so they decode as a ModelProto; only the settings can be bad.
      const meta = onnxMetadata(bytes);
      decision = parseDecision(meta[DECISION_METADATA_KEY]);
      // A domain that does not parse is refused like bad decision settings: never half-applied.
      const domainText = meta[TRAINING_DOMAIN_METADATA_KEY];
      if (domainText !== undefined && domainText !== '') {
        try {
          trainingDomain = parseTrainingDomain(domainText, `model metadata "${TRAINING_DOMAIN_METADATA_KEY}"`);
        } catch (err) {
          throw new ModelRejectedError((err as Error).message);
        }
      }
    } catch (err) {
      session.dispose();
      throw err;
    }
    const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
    return new OnnxClassifier(session, opts.site, opts.zoneScaleDb ?? 3, digest, decision, hasZoneHead, trainingDomain);
  }

  /** Raw model output for a row-major [rows, FEATURE_COUNT] batch (training verification uses it). */
  runRaw(x: Float32Array, rows: number): Float32Array {
    return this.runHeads(x, rows, DUMMY_ZONE_ROW, 1, 'place').place;
  }

  /**
   * One native run over both heads: place rows [rows, FEATURE_COUNT] and zone candidate rows
   * [zoneRows, ZONE_FEATURE_COUNT] (ignored by a place-only model; at least one row, since a
   * zero-row batch is not worth the risk in every onnxruntime build).
   */
  runHeads(x: Float32Array, rows: number, zx: Float32Array, zoneRows: number): { place: Float32Array; zone: Float32Array | undefined };
  /** One head's output only (the other input gets its one dummy row): what classify runs. */
  runHeads(x: Float32Array, rows: number, zx: Float32Array, zoneRows: number, only: 'place'): { place: Float32Array; zone: undefined };
  runHeads(x: Float32Array, rows: number, zx: Float32Array, zoneRows: number, only: 'zone'): { place: undefined; zone: Float32Array };
  runHeads(
    x: Float32Array,
    rows: number,
    zx: Float32Array,
    zoneRows: number,
    only?: 'place' | 'zone',
  ): { place: Float32Array | undefined; zone: Float32Array | undefined } {
    if (this.closed) throw new Error('onnx classifier is closed');
    const feeds: Record<string, Tensor> = { [MODEL_INPUT_NAME]: new Tensor('float32', x, [rows, FEATURE_COUNT]) };
    const fetches: Record<string, null> = {};
    if (only !== 'zone') fetches[MODEL_OUTPUT_NAME] = null;
    if (this.hasZoneHead) {
      feeds[ZONE_INPUT_NAME] = new Tensor('float32', zx, [zoneRows, ZONE_FEATURE_COUNT]);
      if (only !== 'place') fetches[ZONE_OUTPUT_NAME] = null;
    }
    const out = this.session.run(feeds, fetches, {}) as Record<string, Tensor | undefined>;
    let place: Float32Array | undefined;
    if (only !== 'zone') {
      const t = out[MODEL_OUTPUT_NAME];
      if (t?.type !== 'float32' || t.data.length !== rows * MODEL_OUTPUT_WIDTH)
        throw new Error(`model returned ${t ? `${t.type} x${t.data.length}` : 'nothing'} for ${rows} rows`);
      place = t.data as Float32Array;
    }
    if (!this.hasZoneHead || only === 'place') return { place, zone: undefined };
    const zone = out[ZONE_OUTPUT_NAME];
    if (zone?.type !== 'float32' || zone.data.length !== zoneRows * ZONE_OUTPUT_WIDTH)
      throw new Error(`zone head returned ${zone ? `${zone.type} x${zone.data.length}` : 'nothing'} for ${zoneRows} rows`);
    return { place, zone: zone.data as Float32Array };
  }

  /**
   * Two native runs when the model has a zone head (decision 52): the place head for every subject,
   * then the zone head only for the subjects whose zone is reported (P(inside) ≥ 0.2, store-side
   * evidence within ZONE_SIDE_MARGIN_DB of the outside). Each head scores its rows independently
   * of the others in the batch, so the outputs are those of one run over every candidate (checked
   * by onnx.classifier.reference.test.ts); most subjects are outside or far from the store, and
   * their candidate rows were built and scored for nothing.
   */
  classify(windows: readonly FeatureWindow[]): ClassProbs[] {
    if (windows.length === 0) return [];
    const rows = windows.length;
    const x = this.placeInput(rows);
    for (let i = 0; i < rows; i++) x.set(windows[i]!.values, i * FEATURE_COUNT);
    const floors = windows.map((w) => estimateFloor(w, this.zoneScale));
    if (!this.hasZoneHead) {
      const { place } = this.runHeads(x, rows, DUMMY_ZONE_ROW, 1);
      return windows.map((w, i) => this.result(w, i, place, floors[i]!, undefined, 0, undefined));
    }
    const p = this.runHeads(x, rows, DUMMY_ZONE_ROW, 1, 'place').place;
    for (let i = 0; i < rows; i++) {
      if (!Number.isFinite(p[i * 3]! + p[i * 3 + 1]! + p[i * 3 + 2]!)) throw new Error(`non-finite model output for row ${i}`);
    }
    // Zone candidates for every subject whose zone is reported, from the cache when its evidence is unchanged.
    this.tick += 1;
    const candOf: (ZoneCandidates | undefined)[] = new Array<ZoneCandidates | undefined>(rows);
    const firstRow = new Int32Array(rows);
    let zoneRows = 0;
    for (let i = 0; i < rows; i++) {
      const w = windows[i]!;
      if (p[i * 3 + 2]! < MIN_INSIDE_FOR_ZONE) continue;
      if (w.storeSideMaxDbm <= MISSING_DBM || w.storeSideMaxDbm < w.outsideSideMaxDbm - ZONE_SIDE_MARGIN_DB) continue;
      const c = this.candidates(w, floors[i]!.floor);
      if (!c) continue;
      candOf[i] = c;
      firstRow[i] = zoneRows;
      zoneRows += c.zoneIds.length;
    }
    for (const [subject, e] of this.zoneCache) if (e.tick !== this.tick) this.zoneCache.delete(subject);
    let zp: Float32Array | undefined;
    if (zoneRows > 0) {
      const zx = this.zoneInput(zoneRows);
      for (let i = 0; i < rows; i++) if (candOf[i]) zx.set(candOf[i]!.values, firstRow[i]! * ZONE_FEATURE_COUNT);
      zp = this.runHeads(DUMMY_PLACE_ROW, 1, zx, zoneRows, 'zone').zone;
    }
    const out = new Array<ClassProbs>(rows);
    for (let i = 0; i < rows; i++) out[i] = this.result(windows[i]!, i, p, floors[i]!, candOf[i], firstRow[i]!, zp);
    return out;
  }

  private result(
    w: FeatureWindow,
    i: number,
    p: Float32Array,
    f: { floor: number | undefined; floorConfidence: number },
    c: ZoneCandidates | undefined,
    first: number,
    zp: Float32Array | undefined,
  ): ClassProbs {
    const absent = p[i * 3]!;
    const outsideNear = p[i * 3 + 1]!;
    const inside = p[i * 3 + 2]!;
    if (!Number.isFinite(absent + outsideNear + inside)) throw new Error(`non-finite model output for row ${i}`);
    const { floor, floorConfidence } = f;
    let zoneId: string | undefined;
    let zoneConfidence = 0;
    if (inside < MIN_INSIDE_FOR_ZONE) {
      // no zone
    } else if (c && zp) {
      // The zone head scores each candidate on its own; normalised over the subject's candidates.
      let best = 0;
      let sum = 0;
      for (let k = 0; k < c.zoneIds.length; k++) {
        const s = zp[(first + k) * 2 + 1]!;
        if (!Number.isFinite(s)) throw new Error(`non-finite zone output for row ${i}`);
        sum += s;
        if (s > zp[(first + best) * 2 + 1]!) best = k;
      }
      zoneId = c.zoneIds[best];
      zoneConfidence = sum > 0 ? zp[(first + best) * 2 + 1]! / sum : 0;
    } else {
      const zone = estimateZone(w, floor, this.ctx);
      zoneId = zone.zoneId;
      zoneConfidence = zone.confidence;
    }
    return { subject: w.subject, absent, outsideNear, inside, floor, floorConfidence, zoneId, zoneConfidence };
  }

  /**
   * zoneCandidates for `w`, reused from the subject's previous tick when its inputs are the same:
   * the floor and both evidence maps, key for key in the same order, value for value (a subject
   * heard by no store-side receiver since the last tick, about half of them at 250 ms ticks).
   * Entries of subjects not asked for in a tick are dropped at its end.
   */
  private candidates(w: FeatureWindow, floor: number | undefined): ZoneCandidates | undefined {
    let e = this.zoneCache.get(w.subject);
    if (e && e.floor === floor && sameEvidence(e, w.storeSideDbm, w.storeSideFastDbm)) {
      e.tick = this.tick;
      return e.candidates;
    }
    const candidates = zoneCandidates(w, floor, this.ctx);
    if (!e) this.zoneCache.set(w.subject, (e = { floor, keys: [], values: [], candidates, tick: this.tick }));
    e.floor = floor;
    e.candidates = candidates;
    e.tick = this.tick;
    if (!storeEvidence(e, w.storeSideDbm, w.storeSideFastDbm)) this.zoneCache.delete(w.subject);
    return candidates;
  }

  /** A [rows, FEATURE_COUNT] view of a buffer kept across ticks (the native run reads it synchronously). */
  private placeInput(rows: number): Float32Array {
    if (this.placeBuf.length < rows * FEATURE_COUNT)
      this.placeBuf = new Float32Array(Math.max(rows, (2 * this.placeBuf.length) / FEATURE_COUNT) * FEATURE_COUNT);
    return this.placeBuf.subarray(0, rows * FEATURE_COUNT);
  }

  private zoneInput(rows: number): Float32Array {
    if (this.zoneBuf.length < rows * ZONE_FEATURE_COUNT)
      this.zoneBuf = new Float32Array(Math.max(rows, (2 * this.zoneBuf.length) / ZONE_FEATURE_COUNT) * ZONE_FEATURE_COUNT);
    return this.zoneBuf.subarray(0, rows * ZONE_FEATURE_COUNT);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.session.dispose();
  }
}
