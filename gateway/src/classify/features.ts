import { RECEIVER_ROLES, type ReceiverRole } from '@storesense/firmware-config';
import type { SubjectTrack } from '../tracking/tracker.js';
import type { SiteContext } from './site-context.js';
import { fitPlacePair, NO_FIT, type PlaceFit } from './place-fit.js';
import { FAR_M, MAX_DEPTH_M } from './place-geometry.js';
import { PLACE_HISTORY_FEATURE_NAMES, recordPlaceSample } from './place-history.js';
import { DOOR_RADIUS_M } from './site-context.js';

/** Stand-in for "not heard": below any real RSSI, so max() ignores it and models see a constant. */
export const MISSING_DBM = -110;
/** A receiver's smoothed value counts only if it heard the subject this recently. */
export const FRESH_MS = 4_000;

/**
 * The fixed-order numeric feature vector (the ONNX model's input row). Role-free (features v4):
 * receivers enter by where they are (inside the footprint or not, near a door: place-geometry.ts)
 * and by their calibrated distance (RSSI through each receiver's own 1-m level and exponent), never
 * by role or raw dBm, and a position fit over all receivers (place-fit.ts) says where the subject
 * is relative to the footprint. So a site with no `inside` receiver, a hot door receiver or two
 * doors means the same to the model as the sites it trained on (issue 10). Changing this list
 * changes the model input: bump FEATURES_VERSION and retrain.
 */
export const FEATURE_NAMES = [
  'sinceFirstSeenS',
  'sinceLastSeenS',
  'receiversHeard',
  'nearestLogDist',
  'nearestRxDepthM',
  'nearestRxDoorM',
  'inRxLogDist',
  'outRxLogDist',
  'outMinusInLogDist',
  'outMinusInSlowLogDist',
  'inRxHeard',
  'outRxHeard',
  'inRxTrendDb',
  'outRxTrendDb',
  'doorMarginDb',
  'fitInsideMass',
  'fitInOutMarginDb',
  'fitDepthM',
  'fitBestDepthM',
  'fitBestDoorM',
  'fitDoorM',
  'fitRmsDb',
  'fitUsed',
  'slowFitInsideMass',
  'slowFitInOutMarginDb',
  'slowFitDepthM',
  // The last 5-30 s of the same quantities (place-history.ts): door passage, inside runs.
  ...PLACE_HISTORY_FEATURE_NAMES,
] as const;
export const FEATURES_VERSION = '4';
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** One subject's features at one tick: the vector for models plus the structure rules need. */
export interface FeatureWindow {
  subject: string;
  at: number;
  values: Float32Array;
  roleMaxDbm: Record<ReceiverRole, number>;
  storeSideMaxDbm: number;
  outsideSideMaxDbm: number;
  /** Strongest store-side smoothed RSSI per floor (floor evidence). */
  floorDbm: Map<number, number>;
  /**
   * Fresh store-side receivers with their slow-EWMA RSSI (τ 6 s), for position estimation: a
   * steadier position keeps one stay in one zone (dwell), at the cost of ~2.5 s of lag.
   */
  storeSideDbm: Map<string, number>;
  /** The same fresh store-side receivers with their fast EWMA (τ 1.5 s): the learned zone model sees both. */
  storeSideFastDbm: Map<string, number>;
  /** Strongest smoothed RSSI per store zone (store-side receivers with a zoneId), with its floor. */
  zoneDbm: Map<string, { dbm: number; floor: number }>;
  sinceFirstSeenMs: number;
  /** Since the last radio sighting; Infinity for terminal-only subjects. */
  sinceLastSeenMs: number;
  receiversHeard: number;
  /**
   * > 0: at a door: strongest entrance receiver − its door-radius level. -Infinity without an
   * entrance receiver hearing the subject. (A relative test, "entrance within 3 dB of the strongest
   * other receiver", was tried for weak phones and tripled false arrivals/exits in simulation.)
   */
  doorMarginDb: number;
  /**
   * How far above "within ~8 m of an entrance" the subject is: the best of storefront/entrance
   * receivers against their calibrated approach level. -Infinity when none of them hears it.
   */
  approachMarginDb: number;
}

/**
 * Computes one subject's window at tick `now`. Deterministic: the same track, `now` and sequence
 * of earlier calls give the same numbers (training uses this very function on generated traces).
 * Call it once per tick per subject, ticks in order: it records that tick's evidence for the
 * history features (feature-history.ts).
 */
export function computeFeatures(track: SubjectTrack, now: number, ctx: SiteContext): FeatureWindow {
  const roleMax = Object.fromEntries(RECEIVER_ROLES.map((r) => [r, MISSING_DBM])) as Record<ReceiverRole, number>;
  const roleTrend = Object.fromEntries(RECEIVER_ROLES.map((r) => [r, 0])) as Record<ReceiverRole, number>;
  const roleSlow = Object.fromEntries(RECEIVER_ROLES.map((r) => [r, MISSING_DBM])) as Record<ReceiverRole, number>;
  let storeSideSlow = MISSING_DBM;
  let outsideSlow = MISSING_DBM;
  let deep = MISSING_DBM;
  let storeSideHeard = 0;
  let deepFirstAt = Number.POSITIVE_INFINITY;
  let storeSideFirstAt = Number.POSITIVE_INFINITY;
  let storeSide = MISSING_DBM;
  let storeSideTrend = 0;
  let outsideSide = MISSING_DBM;
  let heard = 0;
  let doorMargin = Number.NEGATIVE_INFINITY;
  let approachMargin = Number.NEGATIVE_INFINITY;
  const floorDbm = new Map<number, number>();
  const zoneDbm = new Map<string, { dbm: number; floor: number }>();
  const storeSideDbm = new Map<string, number>();
  const storeSideFastDbm = new Map<string, number>();
  for (const [rxId, r] of track.receivers) {
    const info = ctx.receivers.get(rxId);
    if (!info || now - r.lastSeenAt > FRESH_MS) continue;
    heard += 1;
    const dbm = r.fastDbm;
    const trend = r.fastDbm - r.slowDbm;
    const doorLevel = ctx.doorNearDbm.get(rxId);
    if (doorLevel !== undefined) doorMargin = Math.max(doorMargin, dbm - doorLevel);
    const approachLevel = ctx.approachLevelDbm.get(rxId);
    if (approachLevel !== undefined) approachMargin = Math.max(approachMargin, dbm - approachLevel);
    if (dbm > roleMax[info.role]) {
      roleMax[info.role] = dbm;
      roleTrend[info.role] = trend;
    }
    roleSlow[info.role] = Math.max(roleSlow[info.role], r.slowDbm);
    if (info.storeSide) {
      storeSideHeard += 1;
      storeSideSlow = Math.max(storeSideSlow, r.slowDbm);
      storeSideFirstAt = Math.min(storeSideFirstAt, r.firstSeenAt);
      // "Deep": store-side receivers away from the door, which a window shopper rarely reaches.
      if (info.role !== 'entrance') {
        deep = Math.max(deep, dbm);
        deepFirstAt = Math.min(deepFirstAt, r.firstSeenAt);
      }
      storeSideDbm.set(rxId, r.slowDbm);
      storeSideFastDbm.set(rxId, dbm);
      if (dbm > storeSide) {
        storeSide = dbm;
        storeSideTrend = trend;
      }
      floorDbm.set(info.floor, Math.max(floorDbm.get(info.floor) ?? MISSING_DBM, dbm));
    } else {
      outsideSide = Math.max(outsideSide, dbm);
      outsideSlow = Math.max(outsideSlow, r.slowDbm);
    }
    // Zones are the store's own (dwell is reported inside the store); mall areas are context only.
    if (info.storeSide && info.zoneId !== undefined) {
      const prev = zoneDbm.get(info.zoneId);
      if (!prev || dbm > prev.dbm) zoneDbm.set(info.zoneId, { dbm, floor: info.floor });
    }
  }
  const floors = [...floorDbm.values()].sort((a, b) => b - a);
  const bestFloorMargin = floors.length === 0 ? 0 : floors.length === 1 ? 20 : floors[0]! - floors[1]!;
  const sinceFirstSeenMs = Math.max(0, now - track.firstSeenAt);
  const sinceLastSeenMs = track.lastRadioAt === undefined ? Number.POSITIVE_INFINITY : Math.max(0, now - track.lastRadioAt);
  const values = new Float32Array(FEATURE_COUNT);
  roleFreeFeatures(track, now, ctx, values, sinceFirstSeenMs, sinceLastSeenMs);
  return {
    subject: track.id,
    at: now,
    values,
    roleMaxDbm: roleMax,
    storeSideMaxDbm: storeSide,
    outsideSideMaxDbm: outsideSide,
    floorDbm,
    storeSideDbm,
    storeSideFastDbm,
    zoneDbm,
    sinceFirstSeenMs,
    sinceLastSeenMs,
    receiversHeard: heard,
    doorMarginDb: doorMargin,
    approachMarginDb: approachMargin,
  };
}

/** Calibrated log10 distance (m) of a level at a receiver: its own 1-m level and exponent, clamped to 0.5-60 m. */
function logDist(dbm: number, ref: number, n: number): number {
  return Math.max(-0.3, Math.min(LOG_FAR, (ref - dbm) / (10 * n)));
}
const LOG_FAR = Math.log10(60);
/** A receiver this close to an entrance is a door receiver, whatever its role. */
const DOOR_RX_M = 4;

// Scratch for the fits (the tick is synchronous, one subject at a time).
const MAX_RX = 256;
const fitIdx = new Int32Array(MAX_RX);
const fitFast = new Float64Array(MAX_RX);
const fitSlow = new Float64Array(MAX_RX);
const fastFit: PlaceFit = { ...NO_FIT };
const slowFit: PlaceFit = { ...NO_FIT };

/** Writes the role-free features (FEATURE_NAMES order) into `values`; records the history sample. */
function roleFreeFeatures(track: SubjectTrack, now: number, ctx: SiteContext, values: Float32Array, sinceFirstSeenMs: number, sinceLastSeenMs: number): void {
  let heard = 0;
  let nearest = LOG_FAR;
  let nearestDepth = -FAR_M;
  let nearestDoor = FAR_M;
  let nearestFloor: number | undefined;
  let inD = LOG_FAR;
  let outD = LOG_FAR;
  let inSlow = LOG_FAR;
  let outSlow = LOG_FAR;
  let inHeard = 0;
  let outHeard = 0;
  let inTrend = 0;
  let outTrend = 0;
  let doorMargin = -40;
  for (const [rxId, r] of track.receivers) {
    const info = ctx.receivers.get(rxId);
    if (!info || now - r.lastSeenAt > FRESH_MS) continue;
    heard += 1;
    const g = info.geometry;
    const d = logDist(r.fastDbm, info.refRssiAt1mDbm, info.pathLossExponent);
    const ds = logDist(r.slowDbm, info.refRssiAt1mDbm, info.pathLossExponent);
    if (d < nearest) {
      nearest = d;
      nearestDepth = g.depthM;
      nearestDoor = g.doorM;
      nearestFloor = info.floor;
    }
    if (g.inStore) {
      inHeard += 1;
      if (d < inD) {
        inD = d;
        inTrend = r.fastDbm - r.slowDbm;
      }
      inSlow = Math.min(inSlow, ds);
    } else {
      outHeard += 1;
      if (d < outD) {
        outD = d;
        outTrend = r.fastDbm - r.slowDbm;
      }
      outSlow = Math.min(outSlow, ds);
    }
    if (g.doorM <= DOOR_RX_M) {
      const level = info.refRssiAt1mDbm - 10 * info.pathLossExponent * Math.log10(Math.max(DOOR_RADIUS_M, g.doorM + 2));
      doorMargin = Math.max(doorMargin, Math.max(-40, r.fastDbm - level));
    }
  }
  // The fit's floor: that of the nearest receiver when the store occupies it, else the entrance floor.
  const floor = nearestFloor !== undefined && ctx.placeGrids.has(nearestFloor) ? nearestFloor : ctx.entranceFloor;
  const grid = floor === undefined ? undefined : ctx.placeGrids.get(floor);
  let n = 0;
  if (grid) {
    for (const [rxId, r] of track.receivers) {
      if (now - r.lastSeenAt > FRESH_MS || n >= MAX_RX) continue;
      const k = grid.receiverIndex.get(rxId);
      if (k === undefined) continue;
      fitIdx[n] = k;
      fitFast[n] = r.fastDbm;
      fitSlow[n] = r.slowDbm;
      n += 1;
    }
  }
  // Both fits at once, reused while the subject's levels are unchanged (fitPlacePair).
  if (grid && n > 0) fitPlacePair(track, grid, fitIdx, fitFast, fitSlow, n, fastFit, slowFit);
  else {
    Object.assign(fastFit, NO_FIT);
    Object.assign(slowFit, NO_FIT);
  }
  const fast = fastFit;
  const fastMass = fast.insideMass;
  const fastDepth = fast.depthM;
  const fastDoor = fast.doorM;
  values[F.fitInsideMass] = fastMass;
  values[F.fitInOutMarginDb] = fast.inOutMarginDb;
  values[F.fitDepthM] = clamp(fastDepth, -FAR_M, FAR_M);
  values[F.fitBestDepthM] = clamp(fast.bestDepthM, -FAR_M, FAR_M);
  values[F.fitBestDoorM] = fast.bestDoorM;
  values[F.fitDoorM] = fastDoor;
  values[F.fitRmsDb] = Math.min(20, fast.rmsDb);
  values[F.fitUsed] = fast.used;
  const slow = slowFit;
  values[F.slowFitInsideMass] = slow.insideMass;
  values[F.slowFitInOutMarginDb] = slow.inOutMarginDb;
  values[F.slowFitDepthM] = clamp(slow.depthM, -FAR_M, FAR_M);
  values[F.sinceFirstSeenS] = Math.min(sinceFirstSeenMs, 3_600_000) / 1000;
  values[F.sinceLastSeenS] = Math.min(sinceLastSeenMs, 600_000) / 1000;
  values[F.receiversHeard] = heard;
  values[F.nearestLogDist] = nearest;
  values[F.nearestRxDepthM] = clamp(nearestDepth, -FAR_M, MAX_DEPTH_M);
  values[F.nearestRxDoorM] = nearestDoor;
  values[F.inRxLogDist] = inD;
  values[F.outRxLogDist] = outD;
  values[F.outMinusInLogDist] = outD - inD;
  values[F.outMinusInSlowLogDist] = outSlow - inSlow;
  values[F.inRxHeard] = inHeard;
  values[F.outRxHeard] = outHeard;
  values[F.inRxTrendDb] = inTrend;
  values[F.outRxTrendDb] = outTrend;
  values[F.doorMarginDb] = doorMargin;
  recordPlaceSample(
    track,
    { at: now, insideMass: fastMass, depthM: clamp(fastDepth, -FAR_M, FAR_M), doorM: fastDoor, doorMarginDb: doorMargin },
    values,
    HISTORY_OFFSET,
  );
}

/** Feature name -> column. */
const F = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])) as Record<(typeof FEATURE_NAMES)[number], number>;
/** Where the history features start in FEATURE_NAMES. */
const HISTORY_OFFSET = FEATURE_NAMES.indexOf(PLACE_HISTORY_FEATURE_NAMES[0]);
const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
