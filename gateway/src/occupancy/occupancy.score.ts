/**
 * Scoring the estimator on a labelled capture: a pcap (run through the gateway's own pcap,
 * radiotap and probe parsers, then ingest's pseudonymisation) against the head count of its
 * decoded CSV (`occupancy` column; rows name their pcap frame by `idx`, so no time-zone guessing).
 * Pure apart from the bytes handed in.
 */
import type { Observation } from '@storesense/protocol';
import type { ParseResult } from '../sources/ble/advert.parse.js';
import { decodeProbeCapture } from '../sources/wifi-probe/probe-capture.decode.js';
import { probeToObservation, sightingToProbeInput } from '../sources/wifi-probe/probe.observation.js';
import { OccupancyEstimator, type OccupancyMinute } from './occupancy.estimator.js';
import type { OccupancySettingsInput } from './occupancy.settings.js';

export const BIN_MS = 5 * 60_000;
const MINUTE_MS = 60_000;

/** One labelled frame: its pcap index and the true head count when it was heard. */
export interface TruthRow {
  idx: number;
  occupancy: number;
}

/** The CSV's `idx` and `occupancy` columns (`;`-separated, header named). */
export function parseTruthCsv(text: string): ParseResult<TruthRow[]> {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0]?.split(';') ?? [];
  const idxCol = header.indexOf('idx');
  const occCol = header.indexOf('occupancy');
  if (idxCol < 0 || occCol < 0) return { ok: false, reason: 'CSV header has no idx and occupancy columns' };
  const rows: TruthRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i]!.split(';');
    // The ssid column is free text and could hold ';': count the trailing column from the end.
    const occ = Number(c[c.length - (header.length - occCol)]);
    const idx = Number(c[idxCol]);
    if (!Number.isInteger(idx) || !Number.isFinite(occ)) return { ok: false, reason: `CSV line ${i + 1}: idx or occupancy is not a number` };
    rows.push({ idx, occupancy: occ });
  }
  return { ok: true, value: rows };
}

/** pcap bytes -> WiFi observations exactly as the gateway's wifi_probe source makes them (unrebased). */
export function captureObservations(pcap: Uint8Array, pepper: string): ParseResult<{ observations: Observation[]; frameAtMs: number[]; rejected: number }> {
  const decoded = decodeProbeCapture(pcap);
  if (!decoded.ok) return decoded;
  const observations: Observation[] = [];
  const frameAtMs: number[] = [];
  let rejected = 0;
  for (const f of decoded.value.frames) {
    if ('rejected' in f) {
      frameAtMs.push(Number.NaN);
      rejected += 1;
      continue;
    }
    frameAtMs.push(f.atMs);
    const o = probeToObservation(sightingToProbeInput(f), { receiverId: 'rx-score', pepper });
    if (o.ok) observations.push(o.value);
    else rejected += 1;
  }
  return { ok: true, value: { observations, frameAtMs, rejected } };
}

/** Runs the estimator over observations in time order and returns every closed minute. */
export function estimateMinutes(observations: readonly Observation[], settings: OccupancySettingsInput): OccupancyMinute[] {
  const est = new OccupancyEstimator(settings);
  const minutes: OccupancyMinute[] = [];
  const take = (ps: ReturnType<OccupancyEstimator['observe']>) => {
    for (const p of ps) if (p.kind === 'minute') minutes.push(p);
  };
  for (const o of observations) {
    take(
      est.observe({
        atMs: o.at,
        subject: o.subject,
        randomized: o.randomized === true,
        ...(o.rssiDbm !== undefined ? { rssiDbm: o.rssiDbm } : {}),
        ...(o.seq !== undefined ? { seq: o.seq } : {}),
        ...(o.ieFp !== undefined ? { ieFp: o.ieFp } : {}),
      }),
    );
  }
  const last = observations.at(-1);
  if (last) take(est.advanceTo(Math.ceil((last.at + 1) / MINUTE_MS) * MINUTE_MS));
  return minutes;
}

/** True head count per minute: the label of the last frame heard by the minute's end (a step function). */
export function truthPerMinute(rows: readonly TruthRow[], frameAtMs: readonly number[]): Map<number, number> {
  const timed = rows
    .map((r) => ({ atMs: frameAtMs[r.idx], occupancy: r.occupancy }))
    .filter((r): r is { atMs: number; occupancy: number } => r.atMs !== undefined && Number.isFinite(r.atMs))
    .sort((a, b) => a.atMs - b.atMs);
  const out = new Map<number, number>();
  if (timed.length === 0) return out;
  let i = 0;
  let current = timed[0]!.occupancy;
  const first = Math.ceil(timed[0]!.atMs / MINUTE_MS) * MINUTE_MS;
  const last = Math.floor(timed.at(-1)!.atMs / MINUTE_MS) * MINUTE_MS;
  for (let m = first; m < last; m += MINUTE_MS) {
    while (i < timed.length && timed[i]!.atMs < m + MINUTE_MS) current = timed[i++]!.occupancy;
    out.set(m, current);
  }
  return out;
}

export interface BinScore {
  bins: number;
  maePersons: number;
  pearsonR: number;
  /** Estimated peak minus true peak, 5-minute bins. */
  peakErrorPersons: number;
  truePeak: number;
  estimatedPeak: number;
  meanTrue: number;
  meanEstimated: number;
}

/** Means per 5-minute bin over the minutes both sides cover; a bin needs all five minutes. */
export function binPairs(estimate: ReadonlyMap<number, number>, truth: ReadonlyMap<number, number>): { startMs: number; estimated: number; truth: number }[] {
  const bins = new Map<number, { e: number; t: number; n: number }>();
  for (const [m, t] of truth) {
    const e = estimate.get(m);
    if (e === undefined) continue;
    const b = Math.floor(m / BIN_MS) * BIN_MS;
    const acc = bins.get(b) ?? { e: 0, t: 0, n: 0 };
    acc.e += e;
    acc.t += t;
    acc.n += 1;
    bins.set(b, acc);
  }
  const per = BIN_MS / MINUTE_MS;
  return [...bins]
    .filter(([, a]) => a.n === per)
    .sort((a, b) => a[0] - b[0])
    .map(([startMs, a]) => ({ startMs, estimated: a.e / per, truth: a.t / per }));
}

export function scoreBins(pairs: readonly { estimated: number; truth: number }[]): BinScore {
  const n = pairs.length;
  const e = pairs.map((p) => p.estimated);
  const t = pairs.map((p) => p.truth);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(xs.length, 1);
  const me = mean(e);
  const mt = mean(t);
  let cov = 0;
  let ve = 0;
  let vt = 0;
  for (let i = 0; i < n; i++) {
    cov += (e[i]! - me) * (t[i]! - mt);
    ve += (e[i]! - me) ** 2;
    vt += (t[i]! - mt) ** 2;
  }
  const truePeak = n ? Math.max(...t) : 0;
  const estimatedPeak = n ? Math.max(...e) : 0;
  return {
    bins: n,
    maePersons: mean(pairs.map((p) => Math.abs(p.estimated - p.truth))),
    // Undefined correlation (a flat side) is reported as 0, never as a pass.
    pearsonR: ve > 0 && vt > 0 ? cov / Math.sqrt(ve * vt) : 0,
    peakErrorPersons: estimatedPeak - truePeak,
    truePeak,
    estimatedPeak,
    meanTrue: mt,
    meanEstimated: me,
  };
}

export interface CaptureScore extends BinScore {
  frames: number;
  rejected: number;
  gateDbm: number;
  pairs: { startMs: number; estimated: number; truth: number }[];
}

/** The whole scoring path for one labelled day. */
export function scoreCapture(pcap: Uint8Array, csvText: string, settings: OccupancySettingsInput = {}): ParseResult<CaptureScore> {
  const cap = captureObservations(pcap, 'occupancy-score');
  if (!cap.ok) return { ok: false, reason: `pcap: ${cap.reason}` };
  const truth = parseTruthCsv(csvText);
  if (!truth.ok) return { ok: false, reason: truth.reason };
  const minutes = estimateMinutes(cap.value.observations, settings);
  const estimate = new Map(minutes.map((m) => [m.startMs, m.occupancy]));
  const pairs = binPairs(estimate, truthPerMinute(truth.value, cap.value.frameAtMs));
  const gateDbm = new OccupancyEstimator(settings).gateDbm;
  return { ok: true, value: { ...scoreBins(pairs), frames: cap.value.frameAtMs.length, rejected: cap.value.rejected, gateDbm, pairs } };
}
