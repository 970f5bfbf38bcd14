/**
 * Cisco Meraki Scanning API bodies, v2.0 ("DevicesSeen" / "BluetoothDevicesSeen") and v3.0
 * ("WiFi" / "BLE" / "Bluetooth"), shapes as in the shared fixtures README (fixtures/meraki). Lenient about
 * numbers sent as strings; the shared secret is checked in constant time before anything else is
 * trusted. One bad observation is rejected on its own; the rest of the body is kept. Pure; never throws.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { normalizeMac } from '../../identity/mac-pseudonym.js';
import type { ParseResult } from '../ble/advert.parse.js';

/**
 * v2 `rssi` is positive, an SNR-like value (dB above the AP's noise floor) rather than dBm. We
 * estimate dBm = rssi + this floor and flag the estimate (`rssiEstimated`); the raw value is kept.
 */
export const MERAKI_V2_NOISE_FLOOR_DBM = -95;

export interface MerakiSighting {
  atMs: number;
  /** As sent (any MAC format); pseudonymise before it leaves the source. */
  clientMac: string;
  /** Normalized 12 hex (infrastructure, not personal). */
  apMac: string;
  rssiDbm: number;
  rssiRaw: number;
  rssiEstimated: boolean;
}

export interface MerakiBody {
  version: '2.0' | '3.0';
  radio: 'wifi' | 'ble';
  networkId?: string;
  /** False when no expected secret was given (decode tool); the live receiver always checks. */
  secretChecked: boolean;
  sightings: MerakiSighting[];
  rejected: { at: string; reason: string }[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}
function timeMs(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

/** Constant-time comparison of digests, so neither length nor content leaks through timing. */
export function secretMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function parseMerakiBody(input: unknown, opts: { secret?: string } = {}): ParseResult<MerakiBody> {
  let body = input;
  if (typeof input === 'string') {
    try {
      body = JSON.parse(input);
    } catch {
      return { ok: false, reason: 'body is not JSON' };
    }
  }
  if (!isObj(body)) return { ok: false, reason: 'body is not a JSON object' };
  if (opts.secret !== undefined && !secretMatches(body.secret, opts.secret)) return { ok: false, reason: 'secret mismatch' };
  if (!isObj(body.data)) return { ok: false, reason: 'data is not an object' };
  const observations = body.data.observations;
  if (!Array.isArray(observations)) return { ok: false, reason: 'data.observations is not an array' };
  const version = String(body.version);
  const base = { secretChecked: opts.secret !== undefined, sightings: [] as MerakiSighting[], rejected: [] as { at: string; reason: string }[] };
  if (version === '2.0' || version === '2') {
    const radio = body.type === 'DevicesSeen' ? 'wifi' : body.type === 'BluetoothDevicesSeen' ? 'ble' : undefined;
    if (!radio) return { ok: false, reason: 'v2 type must be DevicesSeen or BluetoothDevicesSeen' };
    const apMac = typeof body.data.apMac === 'string' ? normalizeMac(body.data.apMac) : undefined;
    if (!apMac) return { ok: false, reason: 'v2 data.apMac is not a MAC' };
    const out: MerakiBody = { version: '2.0', radio, ...base };
    observations.forEach((o, i) => v2Observation(o, apMac, `observations[${i}]`, out));
    return { ok: true, value: out };
  }
  if (version === '3.0' || version === '3') {
    const radio = body.type === 'WiFi' ? 'wifi' : body.type === 'BLE' || body.type === 'Bluetooth' ? 'ble' : undefined;
    if (!radio) return { ok: false, reason: 'v3 type must be WiFi, BLE or Bluetooth' };
    const out: MerakiBody = { version: '3.0', radio, ...base, ...(typeof body.data.networkId === 'string' ? { networkId: body.data.networkId } : {}) };
    observations.forEach((o, i) => v3Observation(o, `observations[${i}]`, out));
    return { ok: true, value: out };
  }
  return { ok: false, reason: 'version must be 2.0 or 3.0' };
}

function clientMacOf(o: Obj): string | undefined {
  return typeof o.clientMac === 'string' && normalizeMac(o.clientMac) !== undefined ? o.clientMac : undefined;
}

/** Positive values are the SNR-like v2 scale (also seen from some v3 senders); negative ones are dBm. */
function rssiOf(raw: number | undefined): { rssiDbm: number; rssiRaw: number; rssiEstimated: boolean } | undefined {
  if (raw === undefined) return undefined;
  const estimated = raw > 0;
  const dbm = estimated ? raw + MERAKI_V2_NOISE_FLOOR_DBM : raw;
  if (dbm < -127 || dbm > 20) return undefined;
  return { rssiDbm: dbm, rssiRaw: raw, rssiEstimated: estimated };
}

function v2Observation(o: unknown, apMac: string, at: string, out: MerakiBody): void {
  if (!isObj(o)) return void out.rejected.push({ at, reason: 'not an object' });
  const clientMac = clientMacOf(o);
  if (!clientMac) return void out.rejected.push({ at, reason: 'clientMac is not a MAC' });
  const epochS = num(o.seenEpoch);
  const atMs = epochS !== undefined ? epochS * 1000 : timeMs(o.seenTime);
  if (atMs === undefined) return void out.rejected.push({ at, reason: 'no seenEpoch/seenTime' });
  const rssi = rssiOf(num(o.rssi));
  if (!rssi) return void out.rejected.push({ at, reason: 'rssi missing or out of range' });
  out.sightings.push({ atMs, clientMac, apMac, ...rssi });
}

function v3Observation(o: unknown, at: string, out: MerakiBody): void {
  if (!isObj(o)) return void out.rejected.push({ at, reason: 'not an object' });
  const clientMac = clientMacOf(o);
  if (!clientMac) return void out.rejected.push({ at, reason: 'clientMac is not a MAC' });
  const before = out.sightings.length;
  // Per-AP records from each location estimate are the richest signal (one per AP that heard it).
  const locations = Array.isArray(o.locations) ? o.locations : [];
  locations.forEach((loc, li) => {
    if (!isObj(loc) || !Array.isArray(loc.rssiRecords)) return;
    const atMs = timeMs(loc.time);
    loc.rssiRecords.forEach((rec, ri) => {
      const where = `${at}.locations[${li}].rssiRecords[${ri}]`;
      const apMac = isObj(rec) && typeof rec.apMac === 'string' ? normalizeMac(rec.apMac) : undefined;
      const rssi = isObj(rec) ? rssiOf(num(rec.rssi)) : undefined;
      if (atMs === undefined || !apMac || !rssi) return void out.rejected.push({ at: where, reason: 'bad time, apMac or rssi' });
      out.sightings.push({ atMs, clientMac, apMac, ...rssi });
    });
  });
  if (out.sightings.length > before) return;
  // Otherwise the latest record: the nearest AP only.
  const lr = o.latestRecord;
  const atMs = isObj(lr) ? timeMs(lr.time) : undefined;
  const apMac = isObj(lr) && typeof lr.nearestApMac === 'string' ? normalizeMac(lr.nearestApMac) : undefined;
  const rssi = isObj(lr) ? rssiOf(num(lr.nearestApRssi)) : undefined;
  if (atMs === undefined || !apMac || !rssi) return void out.rejected.push({ at, reason: 'no usable rssiRecords or latestRecord' });
  out.sightings.push({ atMs, clientMac, apMac, ...rssi });
}
