import { createHmac } from 'node:crypto';

/**
 * Raw MAC -> pseudonymous subject, inside the ingest function; the MAC never leaves it (architecture §3.2:
 * identity). `subject = 's_' + first 16 hex of HMAC-SHA256(pepper, "mac|" + normalizedMac + "|" +
 * utcDay)`. The UTC day is part of the message, so the same device gets a new subject every day
 * and no subject links across days; locally administered (randomised) MACs are additionally put in
 * their own domain ("rmac|") and flagged, so the tracker can treat them as short-lived.
 * @example pseudonymizeMac('AA:BB:CC:DD:EE:FF', 1700000000000, pepper) // { subject: 's_…', randomized: true }
 */
export interface MacPseudonym {
  subject: string;
  /** IEEE 802-2014 §8.2.2: bit 1 (U/L) of the first octet set = locally administered. */
  randomized: boolean;
}

/** Site pepper: secret bytes from the gateway config/env; never logged. */
export type SitePepper = string | Uint8Array;

const MAC_SEPARATED = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/;
const MAC_BARE = /^[0-9a-fA-F]{12}$/;
const MAC_CISCO = /^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$/;

/** 'AA:BB:CC:DD:EE:FF' | 'aa-bb-…' | 'aabbccddeeff' | 'aabb.ccdd.eeff' -> 'aabbccddeeff'; undefined otherwise. */
export function normalizeMac(raw: string): string | undefined {
  const s = raw.trim();
  if (MAC_SEPARATED.test(s) || MAC_BARE.test(s) || MAC_CISCO.test(s)) return s.replace(/[:.-]/g, '').toLowerCase();
  return undefined;
}

/** Six bytes -> normalized MAC (12 lowercase hex). */
export function macFromBytes(bytes: Uint8Array, offset = 0): string {
  let out = '';
  for (let i = 0; i < 6; i++) out += (bytes[offset + i] ?? 0).toString(16).padStart(2, '0');
  return out;
}

/** IEEE 802-2014 §8.2.2: the U/L bit (0x02 of the first octet) marks a locally administered address. */
export function isLocallyAdministered(normalizedMac: string): boolean {
  return (Number.parseInt(normalizedMac.slice(0, 2), 16) & 0x02) !== 0;
}

/** 'YYYY-MM-DD' in UTC: the salt period. */
export function utcDay(atMs: number): string {
  return new Date(atMs).toISOString().slice(0, 10);
}

/** The identity function of every MAC-bearing source; undefined when `rawMac` is not a MAC. */
export function pseudonymizeMac(rawMac: string, atMs: number, pepper: SitePepper): MacPseudonym | undefined {
  const mac = normalizeMac(rawMac);
  if (mac === undefined || !Number.isFinite(atMs)) return undefined;
  const randomized = isLocallyAdministered(mac);
  const digest = createHmac('sha256', pepper)
    .update(`${randomized ? 'rmac' : 'mac'}|${mac}|${utcDay(atMs)}`)
    .digest('hex');
  return { subject: `s_${digest.slice(0, 16)}`, randomized };
}

/**
 * A probe's information-element layout fingerprint (`ieFingerprint`, unkeyed: equal for every phone
 * of one model and OS) -> a keyed hash in its own domain ("ie|"), per UTC day like subjects, so the
 * value that leaves ingest cannot be looked up in a public table of device fingerprints nor linked
 * across days. Equal inputs on one day give equal outputs: the occupancy estimator merges on it.
 */
export function pseudonymizeFingerprint(ieFingerprint: string, atMs: number, pepper: SitePepper): string | undefined {
  if (ieFingerprint === '' || !Number.isFinite(atMs)) return undefined;
  return createHmac('sha256', pepper)
    .update(`ie|${ieFingerprint}|${utcDay(atMs)}`)
    .digest('hex')
    .slice(0, 16);
}

/** Display helper for installers: the MAC itself with `--show-mac`, else the pseudonym. */
export function displayMac(rawMac: string, atMs: number, pepper: SitePepper, showMac: boolean): string {
  if (showMac) return normalizeMac(rawMac) ?? rawMac;
  return pseudonymizeMac(rawMac, atMs, pepper)?.subject ?? 'invalid-mac';
}

/**
 * For sources that name a device by an id that may embed a MAC (ESPresense `id` is the bare MAC for
 * unidentified devices, or e.g. `iBeacon:…`, `irk:…`): a MAC-shaped id goes through
 * `pseudonymizeMac`; any other id is hashed the same way in its own domain ("id|"), per UTC day.
 */
export function pseudonymizeDeviceId(deviceId: string, atMs: number, pepper: SitePepper): MacPseudonym | undefined {
  if (normalizeMac(deviceId) !== undefined) return pseudonymizeMac(deviceId, atMs, pepper);
  if (deviceId === '' || !Number.isFinite(atMs)) return undefined;
  const digest = createHmac('sha256', pepper)
    .update(`id|${deviceId}|${utcDay(atMs)}`)
    .digest('hex');
  return { subject: `s_${digest.slice(0, 16)}`, randomized: false };
}
