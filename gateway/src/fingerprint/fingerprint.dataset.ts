import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * Labelled Wi-Fi/BLE fingerprints: one scan of a reference device at a known place, as
 * `receiverId -> rssiDbm` plus its labels. Two on-disk formats:
 * - UJIIndoorLoc CSV (Torres-Sospedra et al., IPIN 2014): WAP001..WAP520 in dBm, 100 = not
 *   detected, then LONGITUDE, LATITUDE, FLOOR, BUILDINGID, SPACEID, ...
 * - our calibration-walk JSON lines: `{"receivers": {"<id>": rssiDbm}, "floor": 1, "zoneId"?: "z",
 *   "building"?: "b"}` — what an operator's labelled reference device records while walking a site.
 * Both are read line by line (readline), so a file is never held as one string.
 */

export interface Fingerprint {
  /** Only receivers actually heard; "not detected" is absence, never a sentinel value. */
  receivers: Map<string, number>;
  floor: number;
  building: string;
  zoneId?: string;
}

/** UJIIndoorLoc marks "not detected" with +100 dBm. */
export const UJI_NOT_DETECTED = 100;

export class FingerprintParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Parses the UJIIndoorLoc header; returns the WAP columns and the label column indices. */
export function parseUjiHeader(header: string): { waps: { col: number; id: string }[]; floorCol: number; buildingCol: number; spaceCol: number } {
  const cols = header
    .trim()
    .split(',')
    .map((c) => c.replace(/^"|"$/g, ''));
  const waps: { col: number; id: string }[] = [];
  cols.forEach((c, col) => {
    if (/^WAP\d+$/.test(c)) waps.push({ col, id: c });
  });
  const floorCol = cols.indexOf('FLOOR');
  const buildingCol = cols.indexOf('BUILDINGID');
  if (waps.length === 0 || floorCol < 0 || buildingCol < 0) throw new FingerprintParseError(1, 'not a UJIIndoorLoc header (need WAPxxx, FLOOR, BUILDINGID)');
  return { waps, floorCol, buildingCol, spaceCol: cols.indexOf('SPACEID') };
}

/** Parses one UJIIndoorLoc data row against a parsed header. */
export function parseUjiRow(row: string, header: ReturnType<typeof parseUjiHeader>, line: number): Fingerprint {
  const cells = row.trim().split(',');
  const receivers = new Map<string, number>();
  for (const { col, id } of header.waps) {
    const v = Number(cells[col]);
    if (!Number.isFinite(v)) throw new FingerprintParseError(line, `${id}: not a number`);
    if (v !== UJI_NOT_DETECTED) receivers.set(id, v);
  }
  const floor = Number(cells[header.floorCol]);
  const building = cells[header.buildingCol];
  if (!Number.isInteger(floor) || building === undefined || building === '') throw new FingerprintParseError(line, 'missing FLOOR/BUILDINGID');
  const fp: Fingerprint = { receivers, floor, building };
  const space = header.spaceCol >= 0 ? cells[header.spaceCol] : undefined;
  // SPACEID is 0 throughout the validation file: only keep it as a zone when it means something.
  if (space !== undefined && space !== '' && space !== '0') fp.zoneId = space;
  return fp;
}

/** Parses one calibration-walk JSON line. Building defaults to '0' (single-building site). */
export function parseJsonlRow(text: string, line: number): Fingerprint {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new FingerprintParseError(line, 'invalid JSON');
  }
  if (typeof raw !== 'object' || raw === null) throw new FingerprintParseError(line, 'expected an object');
  const o = raw as Record<string, unknown>;
  if (typeof o.receivers !== 'object' || o.receivers === null) throw new FingerprintParseError(line, 'receivers: expected an object');
  if (typeof o.floor !== 'number' || !Number.isInteger(o.floor)) throw new FingerprintParseError(line, 'floor: expected an integer');
  const receivers = new Map<string, number>();
  for (const [id, v] of Object.entries(o.receivers as Record<string, unknown>)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v > 0) throw new FingerprintParseError(line, `receivers.${id}: expected rssiDbm <= 0`);
    receivers.set(id, v);
  }
  const fp: Fingerprint = { receivers, floor: o.floor, building: o.building === undefined ? '0' : String(o.building) };
  if (o.zoneId !== undefined) {
    if (typeof o.zoneId !== 'string') throw new FingerprintParseError(line, 'zoneId: expected a string');
    fp.zoneId = o.zoneId;
  }
  return fp;
}

/**
 * Yields a fingerprint file's rows one at a time (format chosen by extension: .csv = UJIIndoorLoc,
 * else JSON lines). A bad row throws FingerprintParseError unless `onBadRow` is given, in which case
 * it is reported there and skipped (a calibration walk with one garbled line stays usable).
 */
export async function* streamFingerprints(path: string, onBadRow?: (e: FingerprintParseError) => void): AsyncGenerator<Fingerprint> {
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  const csv = path.toLowerCase().endsWith('.csv');
  let header: ReturnType<typeof parseUjiHeader> | undefined;
  let line = 0;
  for await (const text of rl) {
    line++;
    if (text.trim() === '') continue;
    if (csv && header === undefined) {
      header = parseUjiHeader(text); // a bad header is never skippable
      continue;
    }
    try {
      yield header === undefined ? parseJsonlRow(text, line) : parseUjiRow(text, header, line);
    } catch (e) {
      if (!(e instanceof FingerprintParseError) || onBadRow === undefined) throw e;
      onBadRow(e);
    }
  }
}

/** Loads a whole fingerprint file (see streamFingerprints). */
export async function loadFingerprints(path: string, onBadRow?: (e: FingerprintParseError) => void): Promise<Fingerprint[]> {
  const out: Fingerprint[] = [];
  for await (const fp of streamFingerprints(path, onBadRow)) out.push(fp);
  return out;
}

/** Representation of one RSSI reading as a non-negative feature (0 = not detected). */
export type Representation = 'positive' | 'powed' | 'exponential';

export interface Preprocessing {
  representation: Representation;
  /**
   * The weakest RSSI the representation maps above zero; not-detected and anything weaker map to
   * 0, i.e. "not detected" is the floor value (UJIIndoorLoc readings go down to -104 dBm).
   */
  minRssiDbm: number;
  /** Exponent of the powed representation (beta = e in the paper). */
  beta: number;
  /** Scale of the exponential representation (alpha = 24 in the paper). */
  alpha: number;
}

export const defaultPreprocessing: Preprocessing = { representation: 'powed', minRssiDbm: -105, beta: Math.E, alpha: 24 };

/**
 * Maps rssiDbm to a non-negative feature. The representations are those of Torres-Sospedra,
 * Montoliu, Trilles, Belmonte, Huerta, "Comprehensive analysis of distance and similarity measures
 * for Wi-Fi fingerprinting indoor positioning systems", Expert Systems with Applications 42(23),
 * 2015, 9263-9278 (doi 10.1016/j.eswa.2015.08.013):
 *   positive    = rssi - min
 *   exponential = exp(positive / alpha) / exp(-min / alpha)
 *   powed       = positive^beta / (-min)^beta
 * Powed and exponential compress weak (noisy, far) readings and stretch strong ones, which is why
 * they beat raw dBm with the usual distances.
 */
export function representRssi(rssiDbm: number, p: Preprocessing): number {
  const positive = Math.max(0, rssiDbm - p.minRssiDbm);
  if (positive === 0) return 0;
  switch (p.representation) {
    case 'positive':
      return positive;
    case 'exponential':
      return Math.exp(positive / p.alpha) / Math.exp(-p.minRssiDbm / p.alpha);
    case 'powed':
      return Math.pow(positive, p.beta) / Math.pow(-p.minRssiDbm, p.beta);
  }
}

/** Sparse encoded fingerprints over a fixed receiver vocabulary. */
export interface EncodedSet {
  receiverIds: string[];
  /** Per row: indices into receiverIds (ascending) and the represented values. */
  idx: Int32Array[];
  val: Float64Array[];
  floor: Int32Array;
  building: string[];
}

/**
 * Vocabulary = receivers heard at least `minRows` times in the training set; never-seen (or
 * too-rare) receivers carry no information for a classifier and only cost memory and time.
 */
export function receiverVocabulary(train: readonly Fingerprint[], minRows = 1): string[] {
  const counts = new Map<string, number>();
  for (const fp of train) for (const id of fp.receivers.keys()) counts.set(id, (counts.get(id) ?? 0) + 1);
  return [...counts.entries()]
    .filter(([, n]) => n >= minRows)
    .map(([id]) => id)
    .sort();
}

/** Encodes fingerprints over a vocabulary; receivers outside it are dropped. */
export function encodeFingerprints(fps: readonly Fingerprint[], vocabulary: readonly string[], p: Preprocessing): EncodedSet {
  const index = new Map(vocabulary.map((id, i) => [id, i]));
  const idx: Int32Array[] = [];
  const val: Float64Array[] = [];
  for (const fp of fps) {
    const pairs: [number, number][] = [];
    for (const [id, rssi] of fp.receivers) {
      const i = index.get(id);
      if (i === undefined) continue;
      const v = representRssi(rssi, p);
      if (v > 0) pairs.push([i, v]);
    }
    pairs.sort((a, b) => a[0] - b[0]);
    idx.push(Int32Array.from(pairs, (q) => q[0]));
    val.push(Float64Array.from(pairs, (q) => q[1]));
  }
  return { receiverIds: [...vocabulary], idx, val, floor: Int32Array.from(fps, (f) => f.floor), building: fps.map((f) => f.building) };
}
