import { z } from 'zod';
import type { Point, Site } from '@storesense/firmware-config';
import type { Observation } from '@storesense/protocol';
import { expectedDbm, fitReceivers, spaceAt, PHONE_HEIGHT_M, RECEIVER_HEIGHT_M } from './radio-fit.js';

/**
 * An installer's reference walk (docs/sources.md, "Calibrating receivers"): where the reference
 * phone was and when. Consecutive points are joined by a straight walk; a point with `dwellS`
 * means the installer stood there that long before walking on. `t` is seconds from the trace's
 * start; `at` (ISO time or epoch ms) pins a point to the clock instead.
 */
export const walkPointSchema = z
  .object({
    t: z.number().nonnegative().optional(),
    at: z.union([z.number().int().nonnegative(), z.string().min(1)]).optional(),
    x: z.number().finite(),
    y: z.number().finite(),
    floor: z.number().int().default(0),
    dwellS: z.number().nonnegative().default(0),
  })
  .refine((p) => (p.t === undefined) !== (p.at === undefined), {
    message: 'each point needs exactly one of t (seconds from the trace start) or at (ISO time or epoch ms)',
  });
export const walkSchema = z.array(walkPointSchema).min(2, 'a walk needs at least two points');
export type WalkPointInput = z.input<typeof walkPointSchema>;

/** A resolved walk point: the phone is at (x, y, floor) from `fromMs` to `toMs`. */
export interface WalkStop {
  fromMs: number;
  toMs: number;
  floor: number;
  position: Point;
}

/** Parses a walk file: JSON (an array, or `{points: [...]}`) or CSV with a header naming t|at, x, y[, floor][, dwell_s]. */
export function parseWalk(text: string, traceStartMs: number): { ok: true; stops: WalkStop[] } | { ok: false; error: string } {
  let raw: unknown;
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    try {
      raw = JSON.parse(trimmed);
    } catch (err) {
      return { ok: false, error: `walk is not valid JSON: ${(err as Error).message}` };
    }
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'points' in raw) raw = (raw as { points: unknown }).points;
  } else {
    const csv = parseCsv(trimmed);
    if (!csv.ok) return csv;
    raw = csv.rows;
  }
  const parsed = walkSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: `walk: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` };
  const stops: WalkStop[] = [];
  for (const [i, p] of parsed.data.entries()) {
    const at = p.t !== undefined ? traceStartMs + p.t * 1000 : typeof p.at === 'number' ? p.at : Date.parse(p.at!);
    if (!Number.isFinite(at)) return { ok: false, error: `walk: ${i}.at: not a time: ${String(p.at)}` };
    const prev = stops[stops.length - 1];
    if (prev && at < prev.toMs) return { ok: false, error: `walk: ${i}: points must be in time order (this one starts before the previous one ends)` };
    stops.push({ fromMs: at, toMs: at + p.dwellS * 1000, floor: p.floor, position: { x: p.x, y: p.y } });
  }
  return { ok: true, stops };
}

function parseCsv(text: string): { ok: true; rows: Record<string, number | string>[] } | { ok: false; error: string } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const header = (lines.shift() ?? '').split(',').map((h) => h.trim().toLowerCase());
  const names: Record<string, string> = { t: 't', t_s: 't', at: 'at', x: 'x', y: 'y', floor: 'floor', dwell_s: 'dwellS', dwells: 'dwellS', dwell: 'dwellS' };
  const keys = header.map((h) => names[h]);
  const unknown = header.filter((_, i) => keys[i] === undefined);
  if (unknown.length > 0) return { ok: false, error: `walk CSV: unknown column(s) ${unknown.join(', ')} (expected t or at, x, y, floor, dwell_s)` };
  const rows = lines.map((l) => {
    const row: Record<string, number | string> = {};
    l.split(',').forEach((cell, i) => {
      const k = keys[i];
      if (k === undefined || cell.trim() === '') return;
      const n = Number(cell.trim());
      row[k] = k === 'at' && !Number.isFinite(n) ? cell.trim() : n;
    });
    return row;
  });
  return { ok: true, rows };
}

/** Where the phone was at `atMs`: on a stop, or on the straight line between two; undefined outside the walk. */
export function positionAt(stops: readonly WalkStop[], atMs: number): { floor: number; position: Point } | undefined {
  for (let i = 0; i < stops.length; i++) {
    const s = stops[i]!;
    if (atMs >= s.fromMs && atMs <= s.toMs) return s;
    const next = stops[i + 1];
    if (next && atMs > s.toMs && atMs < next.fromMs) {
      if (next.floor !== s.floor) return undefined; // on stairs or a lift: no floor to model
      const f = (atMs - s.toMs) / (next.fromMs - s.toMs);
      return { floor: s.floor, position: { x: s.position.x + f * (next.position.x - s.position.x), y: s.position.y + f * (next.position.y - s.position.y) } };
    }
  }
  return undefined;
}

export interface WalkCalibrationOptions {
  /** The reference phone's level at 1 m above the receivers' refRssiAt1mDbm (0: it is the reference). */
  phoneOffsetDb?: number;
  /** Loss of a storefront wall between phone and receiver, dB (default: the store's declared wallAttenuationDb, else 3). */
  wallDb?: number;
  /** Also fit each receiver's path-loss exponent where distances span enough (≥ 3:1). */
  fitPathLoss?: boolean;
  /** Readings weaker than this are left out: near sensitivity only the loud adverts arrive. */
  minLevelDbm?: number;
  minReadings?: number;
}

export interface ReceiverWalkResult {
  receiverId: string;
  readings: number;
  /** Declared offset in the site file, and the one the walk measured (median residual). */
  declaredOffsetDb: number;
  offsetDb: number | undefined;
  /** Robust spread of the estimate: 1.4826 · MAD / √n. */
  uncertaintyDb: number | undefined;
  declaredExponent: number;
  exponent: number | undefined;
  note: string;
}

/**
 * Per receiver: the reference phone's readings against the model at its known position (3-D
 * distance, the storefront wall when the path crosses it) give the receiver's reporting bias as
 * their median residual. The absolute level is identifiable here, unlike from traffic, because the
 * reference phone is the phone whose 1-m level the site's refRssiAt1mDbm describes (or
 * `phoneOffsetDb` says how far it is from it). With `fitPathLoss`, a least-squares line of level
 * against 10·log10(distance) gives the exponent (kept within 1.5-4.5), and the offset is then its
 * intercept less refRssiAt1mDbm: refRssiAt1m and the offset cannot be told apart (both constant),
 * so refRssiAt1m stays the nominal reference-phone level and the offset carries the difference.
 */
export function calibrateFromWalk(
  site: Site,
  observations: readonly Observation[],
  stops: readonly WalkStop[],
  opts: WalkCalibrationOptions = {},
): ReceiverWalkResult[] {
  const minLevel = opts.minLevelDbm ?? -85;
  const minReadings = opts.minReadings ?? 20;
  const phoneOffset = opts.phoneOffsetDb ?? 0;
  const receivers = fitReceivers({ receivers: site.receivers, stores: site.stores });
  const byId = new Map(site.receivers.map((r) => [r.id, r]));
  const samples = new Map<string, { res: number; logD: number; dbm: number }[]>();
  for (const o of observations) {
    if (o.rssiDbm === undefined || o.source === 'terminal' || o.rssiDbm < minLevel) continue;
    const rx = receivers.find((r) => r.id === o.receiverId);
    const where = positionAt(stops, o.at);
    if (!rx || !where || where.floor !== rx.floor) continue;
    const h = Math.hypot(where.position.x - rx.position.x, where.position.y - rx.position.y);
    const store = spaceAt(site, rx.floor, where.position);
    const wall = store !== rx.space ? (opts.wallDb ?? declaredWallDb(site, store >= 0 ? store : rx.space)) : 0;
    const dbm = o.rssiDbm - phoneOffset + wall;
    const list = samples.get(rx.id) ?? [];
    list.push({ res: dbm - expectedDbm(rx, h), logD: Math.log10(Math.hypot(h, RECEIVER_HEIGHT_M - PHONE_HEIGHT_M)), dbm });
    samples.set(rx.id, list);
  }
  return site.receivers.map((r) => {
    const list = samples.get(r.id) ?? [];
    const base = { receiverId: r.id, readings: list.length, declaredOffsetDb: r.calibration.rssiOffsetDb, declaredExponent: r.calibration.pathLossExponent };
    if (list.length < minReadings)
      return {
        ...base,
        offsetDb: undefined,
        uncertaintyDb: undefined,
        exponent: undefined,
        note: `only ${list.length} readings ≥ ${minLevel} dBm (need ${minReadings}): walk nearer it`,
      };
    const med = median(list.map((s) => s.res));
    const mad = median(list.map((s) => Math.abs(s.res - med)));
    let offset = med;
    let exponent: number | undefined;
    let note = 'offset from the median residual';
    if (opts.fitPathLoss) {
      const fit = lineFit(
        list.map((s) => s.logD),
        list.map((s) => s.dbm),
      );
      const spread = Math.max(...list.map((s) => s.logD)) - Math.min(...list.map((s) => s.logD));
      if (fit && spread >= Math.log10(3)) {
        exponent = Math.min(4.5, Math.max(1.5, -fit.slope / 10));
        // Intercept at the exponent kept, through the readings' centre of mass.
        const meanLog = list.reduce((a, s) => a + s.logD, 0) / list.length;
        const meanDbm = list.reduce((a, s) => a + s.dbm, 0) / list.length;
        offset = meanDbm + 10 * exponent * meanLog - byId.get(r.id)!.calibration.refRssiAt1mDbm;
        note = 'offset and exponent from a line fit';
      } else note = 'distances span < 3:1: exponent kept, offset from the median residual';
    }
    return {
      ...base,
      offsetDb: round1(offset),
      uncertaintyDb: round1((1.4826 * mad) / Math.sqrt(list.length)),
      exponent: exponent === undefined ? undefined : Math.round(exponent * 100) / 100,
      note,
    };
  });
}

function declaredWallDb(site: Site, store: number): number {
  const w = site.stores[store]?.wallAttenuationDb;
  if (w === undefined) return 3;
  return Array.isArray(w) ? w.reduce((a, x) => a + x, 0) / Math.max(1, w.length) : w;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function lineFit(x: number[], y: number[]): { slope: number; intercept: number } | undefined {
  const n = x.length;
  const mx = x.reduce((a, v) => a + v, 0) / n;
  const my = y.reduce((a, v) => a + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - mx) ** 2;
    sxy += (x[i]! - mx) * (y[i]! - my);
  }
  if (sxx <= 1e-9) return undefined;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
