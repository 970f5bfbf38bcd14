import { RECEIVER_ROLES, type ReceiverRole } from '@storesense/firmware-config';
import type { SubjectTrack } from '../tracking/tracker.js';
import type { SiteContext } from './site-context.js';
import { HISTORY_FEATURE_COUNT, HISTORY_FEATURE_NAMES, recordAndSummarizeInto } from './feature-history.js';

/** Stand-in for "not heard": below any real RSSI, so max() ignores it and models see a constant. */
export const MISSING_DBM = -110;
/** A receiver's smoothed value counts only if it heard the subject this recently. */
export const FRESH_MS = 4_000;

/**
 * The fixed-order numeric feature vector (the ONNX model's input row). Site-relative: per receiver
 * ROLE, never per receiver id, so one model serves sites it was not trained on. Changing this list
 * changes the model input: bump FEATURES_VERSION and retrain.
 */
export const FEATURE_NAMES = [
  ...RECEIVER_ROLES.map((r) => `${r}MaxDbm`),
  'storeSideMaxDbm',
  'outsideSideMaxDbm',
  'storeMinusOutsideDb',
  'storefrontTrendDb',
  'entranceTrendDb',
  'storeSideTrendDb',
  'sinceFirstSeenS',
  'sinceLastSeenS',
  'receiversHeard',
  'bestFloorMarginDb',
  'doorMarginDb',
  'approachMarginDb',
  // v2: site-calibrated presence, steadier (slow EWMA) contrasts, deep-vs-door and time context.
  'storeSideOverPresenceDb',
  'storeSideSlowMinusOutsideSlowDb',
  'deepMinusEntranceDb',
  'entranceMinusStorefrontDb',
  'entranceSlowMinusStorefrontSlowDb',
  'storeSideHeard',
  'sinceDeepFirstHeardS',
  'sinceStoreSideFirstHeardS',
  // v3: the last 5-30 s of this subject's own evidence (feature-history.ts): door peak, inside share.
  ...HISTORY_FEATURE_NAMES,
] as const;
export const FEATURES_VERSION = '3';
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
  let i = 0;
  for (const role of RECEIVER_ROLES) values[i++] = roleMax[role];
  values[i++] = storeSide;
  values[i++] = outsideSide;
  values[i++] = storeSide - outsideSide;
  values[i++] = roleTrend.storefront;
  values[i++] = roleTrend.entrance;
  values[i++] = storeSideTrend;
  values[i++] = Math.min(sinceFirstSeenMs, 3_600_000) / 1000;
  values[i++] = Math.min(sinceLastSeenMs, 600_000) / 1000;
  values[i++] = heard;
  values[i++] = bestFloorMargin;
  values[i++] = Number.isFinite(doorMargin) ? Math.max(-40, doorMargin) : -40;
  values[i++] = Number.isFinite(approachMargin) ? Math.max(-40, approachMargin) : -40;
  values[i++] = Math.max(-40, storeSide - ctx.approachRssiDbm);
  values[i++] = storeSideSlow - outsideSlow;
  values[i++] = deep - roleMax.entrance;
  values[i++] = roleMax.entrance - roleMax.storefront;
  values[i++] = roleSlow.entrance - roleSlow.storefront;
  values[i++] = storeSideHeard;
  values[i++] = Number.isFinite(deepFirstAt) ? Math.min(120_000, Math.max(0, now - deepFirstAt)) / 1000 : -1;
  values[i++] = Number.isFinite(storeSideFirstAt) ? Math.min(120_000, Math.max(0, now - storeSideFirstAt)) / 1000 : -1;
  recordAndSummarizeInto(track, {
    at: now,
    doorMarginDb: Number.isFinite(doorMargin) ? Math.max(-40, doorMargin) : -40,
    storeMinusOutsideDb: Math.max(-40, Math.min(40, storeSide - outsideSide)),
    deepOverPresenceDb: Math.max(-40, deep - ctx.approachRssiDbm),
    nearDoor: approachMargin > 0 ? 1 : 0,
  }, values, i);
  i += HISTORY_FEATURE_COUNT;
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
