import type { SubjectTrack } from './tracker.js';

/** Receiver id -> level (dBm, calibration-corrected, smoothed): where a device is, as the receivers hear it. */
export type Signature = Map<string, number>;

/**
 * Levels below this are treated as "not heard": a receiver near sensitivity hears only the lucky
 * adverts, so its level says little (BLE 1M receivers list -93 to -97 dBm).
 */
export const SIGNATURE_FLOOR_DBM = -95;
/** A receiver heard by one side only differs by at most this much (it was near the floor anyway or missed). */
const MISSING_PENALTY_DB = 10;
/**
 * A receiver heard on one side only costs its level above this, not above the floor. Near
 * sensitivity a receiver catches only the lucky adverts (loss rises steeply in the last ~10 dB), so
 * a parked phone's -88 dBm receiver is in one minute's mean and missing from the next: counted
 * against the floor, that flicker alone cost ~7 dB on one of four receivers (3.5 dB RMS, the whole
 * stillness tolerance) and broke the still run of a phone parked by the door every few minutes
 * (decision 90). A receiver at -75 dBm that goes missing still costs 10 dB: that is movement.
 */
export const RELIABLE_DBM = -86;
/** Distances use the strongest few receivers: far ones barely move when a device moves and would dilute the distance. */
const TOP_RECEIVERS = 4;

/** The subject's slow-EWMA level at every receiver that heard it since `sinceAt` (default: its last 5 s). */
export function signatureOf(t: SubjectTrack, sinceAt = (t.lastRadioAt ?? 0) - 5_000): Signature {
  const out: Signature = new Map();
  for (const [rx, r] of t.receivers) if (r.lastSeenAt >= sinceAt) out.set(rx, r.slowDbm);
  return out;
}

/** Mean per receiver of accumulated levels, keeping receivers with at least `minN` samples. */
export function meanVector(sum: ReadonlyMap<string, { sum: number; n: number }>, minN: number): Signature {
  const out: Signature = new Map();
  for (const [rx, c] of sum) if (c.n >= minN) out.set(rx, c.sum / c.n);
  return out;
}

/**
 * RMS level difference over the strongest TOP_RECEIVERS receivers of either signature; a receiver
 * missing on one side costs its level above RELIABLE_DBM, capped at MISSING_PENALTY_DB.
 * Infinity when neither side has a receiver.
 */
export function vectorDistanceDb(a: Signature, b: Signature): number {
  const strength = new Map<string, number>();
  for (const [rx, v] of a) strength.set(rx, v);
  for (const [rx, v] of b) strength.set(rx, Math.max(v, strength.get(rx) ?? Number.NEGATIVE_INFINITY));
  const top = [...strength].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, TOP_RECEIVERS);
  if (top.length === 0) return Number.POSITIVE_INFINITY;
  let sq = 0;
  for (const [rx] of top) {
    const va = a.get(rx);
    const vb = b.get(rx);
    const d = va !== undefined && vb !== undefined ? va - vb : Math.min(MISSING_PENALTY_DB, Math.max(0, (va ?? vb)! - RELIABLE_DBM));
    sq += d * d;
  }
  return Math.sqrt(sq / top.length);
}

/** Distance between a newcomer and a donor's last levels (the same measure). */
export function handoffDistanceDb(newcomer: Signature, donor: Signature): number {
  return vectorDistanceDb(newcomer, donor);
}
