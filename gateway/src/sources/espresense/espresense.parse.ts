/**
 * ESPresense MQTT reports: topic `espresense/devices/{id}/{room}`, JSON payload (ESPresense docs,
 * "MQTT topics": fields mac?, id, name?, idType?, rssi@1m, rssi, raw?, distance, int?; newer
 * firmware adds rxAdj, rssiVar, var and drops raw/idType). Lenient about shape (numbers as strings,
 * missing optional fields) and strict where the pipeline relies on a value: `id` and `rssi`.
 * Pure; never throws.
 */
import type { ParseResult } from '../ble/advert.parse.js';

export interface EspresenseReport {
  /** ESPresense device id (may be a bare MAC; pseudonymise before it leaves the source). */
  deviceId: string;
  /** The node's room (last topic level). */
  room: string;
  rssiDbm: number;
  mac?: string;
  name?: string;
  idType?: number;
  rssiAt1mDbm?: number;
  rawDistanceM?: number;
  distanceM?: number;
  /** `int`: the advertising interval the node measured. */
  intervalMs?: number;
  rxAdjDb?: number;
  rssiVariance?: number;
  distanceVariance?: number;
}

const MAX_ID_CHARS = 128;

/** '-71' | -71 -> -71; '' | null | 'abc' | NaN -> undefined. */
function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function parseEspresenseTopic(topic: string, baseTopic = 'espresense'): ParseResult<{ deviceId: string; room: string }> {
  if (typeof topic !== 'string') return { ok: false, reason: 'topic is not a string' };
  const levels = topic.split('/');
  const base = baseTopic.split('/');
  // base/devices/{id}/{room}: exactly two levels after "devices"; ids never contain "/".
  if (levels.length !== base.length + 3 || base.some((b, i) => levels[i] !== b) || levels[base.length] !== 'devices') {
    return { ok: false, reason: `topic is not ${baseTopic}/devices/{id}/{room}` };
  }
  const deviceId = levels[base.length + 1]!;
  const room = levels[base.length + 2]!;
  if (deviceId === '' || deviceId.length > MAX_ID_CHARS) return { ok: false, reason: 'empty or overlong device id in topic' };
  if (room === '') return { ok: false, reason: 'empty room in topic' };
  return { ok: true, value: { deviceId, room } };
}

/** `payload`: the MQTT payload as text/bytes, or an already decoded JSON value. */
export function parseEspresenseMessage(topic: string, payload: unknown, baseTopic = 'espresense'): ParseResult<EspresenseReport> {
  const t = parseEspresenseTopic(topic, baseTopic);
  if (!t.ok) return t;
  let body: unknown = payload;
  if (payload instanceof Uint8Array) body = new TextDecoder().decode(payload);
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return { ok: false, reason: 'payload is not JSON' }; // no snippet: it may hold a MAC
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, reason: 'payload is not a JSON object' };
  const p = body as Record<string, unknown>;
  const rssi = num(p.rssi);
  // Strict: the tracker and classifier use rssi directly; a missing or absurd value is dropped.
  if (rssi === undefined) return { ok: false, reason: 'rssi missing or not a number' };
  if (rssi < -127 || rssi > 20) return { ok: false, reason: `rssi ${rssi} outside -127..20 dBm` };
  // The payload id is authoritative for the device, but must agree with the topic's (same message).
  const payloadId = typeof p.id === 'string' ? p.id : undefined;
  if (payloadId !== undefined && payloadId !== t.value.deviceId) return { ok: false, reason: 'payload id differs from the topic id' };
  const r: EspresenseReport = { deviceId: t.value.deviceId, room: t.value.room, rssiDbm: rssi };
  if (typeof p.mac === 'string' && p.mac !== '') r.mac = p.mac;
  if (typeof p.name === 'string') r.name = p.name;
  const fields: [keyof EspresenseReport, unknown, (n: number) => boolean][] = [
    ['idType', p.idType, Number.isInteger],
    ['rssiAt1mDbm', p['rssi@1m'], (n) => n >= -127 && n <= 20],
    ['rawDistanceM', p.raw, (n) => n >= 0],
    ['distanceM', p.distance, (n) => n >= 0],
    ['intervalMs', p.int, (n) => n >= 0],
    ['rxAdjDb', p.rxAdj, () => true],
    ['rssiVariance', p.rssiVar, (n) => n >= 0],
    ['distanceVariance', p.var, (n) => n >= 0],
  ];
  // Optional fields are lenient: a present but invalid value (e.g. a negative distance from a
  // broken node calibration) is dropped and the report kept, since rssi alone is usable.
  for (const [key, raw, valid] of fields) {
    const n = num(raw);
    if (n !== undefined && valid(n)) (r as unknown as Record<string, number>)[key] = n;
  }
  return { ok: true, value: r };
}

/**
 * ESPresense names an iBeacon `iBeacon:<uuid>-<major>-<minor>` (its device-id scheme; e.g.
 * `iBeacon:e5ca1ade-f007-ba11-0000-000000000000-100-1`). Returns the beacon, or undefined for any
 * other id. Lenient about case and about `:` instead of `-` before major/minor.
 */
export function iBeaconOfEspresenseId(deviceId: string): { uuid: string; major: number; minor: number } | undefined {
  const m = /^ibeacon:([0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12})[-:](\d{1,5})[-:](\d{1,5})$/i.exec(deviceId);
  if (!m) return undefined;
  const hex = m[1]!.replace(/-/g, '').toLowerCase();
  const major = Number(m[2]);
  const minor = Number(m[3]);
  if (major > 0xffff || minor > 0xffff) return undefined;
  return { uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`, major, minor };
}
