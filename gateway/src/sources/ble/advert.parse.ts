/**
 * Pure BLE advertising-data parser. Input: the AdvData / scan-response bytes (not the PDU header):
 * a sequence of AD structures (Bluetooth Core 5.4, Vol 3, Part C, §11: Length octet, then Length
 * octets of AD type + AD data). Never throws; every length is checked against what remains.
 * @example parseAdvert(hexToBytes('0201061aff4c000215…')) // { ok: true, value: { ibeacon: {...} } }
 */
import { parseEddystone, type EddystoneFrame } from './eddystone.parse.js';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface IBeaconFrame {
  uuid: string; // 8-4-4-4-12 lowercase
  major: number;
  minor: number;
  /** Calibrated RSSI at 1 m (Apple Proximity Beacon Spec R1, "Measured Power"). */
  measuredPowerDbm: number;
}

export interface AltBeaconFrame {
  /** 20 bytes: 16-byte organisational id + 4 bytes (AltBeacon spec: "Beacon ID"). */
  beaconIdHex: string;
  companyId: number;
  referenceRssiDbm: number;
  mfgReserved: number;
}

export interface Advert {
  flags?: number;
  localName?: string;
  localNameComplete?: boolean;
  txPowerDbm?: number;
  serviceUuids16: number[];
  manufacturerData: { companyId: number; dataHex: string }[];
  serviceData16: { uuid16: number; dataHex: string }[];
  ibeacon?: IBeaconFrame;
  altbeacon?: AltBeaconFrame;
  eddystone?: EddystoneFrame;
  /**
   * Bytes after the last complete AD structure that do not form one (set only when present).
   * Many HCI dumps append the RSSI octet to the advertising data (HCI LE Advertising Report,
   * Core 5.4 Vol 4 Part E §7.7.65.2: Data is followed by RSSI), and beacontools' own TLM test
   * vector carries it: such an advert is decoded, and the tail is flagged instead of failing it.
   */
  trailingBytes?: number;
}

/**
 * Extended advertising: the host may hand the controller up to 1650 octets of advertising data,
 * fragmented over chained PDUs (Core 5.4 Vol 4 Part E §7.8.54, HCI LE Set Extended Advertising Data);
 * anything longer cannot be one advert.
 */
export const MAX_ADV_DATA_BYTES = 1650;

export const APPLE_COMPANY_ID = 0x004c;
export const EDDYSTONE_UUID16 = 0xfeaa;

const AD_FLAGS = 0x01;
const AD_UUID16_INCOMPLETE = 0x02;
const AD_UUID16_COMPLETE = 0x03;
const AD_NAME_SHORT = 0x08;
const AD_NAME_COMPLETE = 0x09;
const AD_TX_POWER = 0x0a;
const AD_SERVICE_DATA16 = 0x16;
const AD_MANUFACTURER = 0xff;

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** '02 01 06' / '020106' / '02:01:06' -> bytes; undefined when not an even-length hex string. */
export function hexToBytes(text: string): Uint8Array | undefined {
  const clean = text.replace(/^0x/i, '').replace(/[\s:-]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return undefined;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function int8(b: number): number {
  return b > 127 ? b - 256 : b;
}

function uuidString(b: Uint8Array): string {
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function parseAdvert(bytes: Uint8Array): ParseResult<Advert> {
  if (!(bytes instanceof Uint8Array)) return { ok: false, reason: 'input is not bytes' };
  if (bytes.length === 0) return { ok: false, reason: 'empty advertising data' };
  if (bytes.length > MAX_ADV_DATA_BYTES) return { ok: false, reason: `advertising data too long: ${bytes.length} bytes` };
  const advert: Advert = { serviceUuids16: [], manufacturerData: [], serviceData16: [] };
  let i = 0;
  let structures = 0;
  while (i < bytes.length) {
    const len = bytes[i]!;
    // Core Vol 3 Part C §11: "If the Length field is set to zero, then the Data field has zero
    // octets" — used as padding to the end of the PDU; the rest must be zeros to be significant-free.
    if (len === 0) {
      if (bytes.subarray(i).some((b) => b !== 0)) return { ok: false, reason: `zero-length AD structure at ${i} followed by non-zero bytes` };
      break;
    }
    if (i + 1 + len > bytes.length) {
      // Lenient on a tail that cannot be a structure, once at least one complete structure came
      // before it; strict everywhere inside structures (applyStructure checks every length).
      if (structures === 0) return { ok: false, reason: `AD structure at ${i} declares ${len} bytes, ${bytes.length - i - 1} remain` };
      advert.trailingBytes = bytes.length - i;
      break;
    }
    const type = bytes[i + 1]!;
    const data = bytes.subarray(i + 2, i + 1 + len);
    const err = applyStructure(advert, type, data);
    if (err) return { ok: false, reason: `AD type 0x${type.toString(16).padStart(2, '0')} at ${i}: ${err}` };
    structures++;
    i += 1 + len;
  }
  if (structures === 0) return { ok: false, reason: 'no AD structures' };
  return { ok: true, value: advert };
}

function applyStructure(a: Advert, type: number, data: Uint8Array): string | undefined {
  switch (type) {
    case AD_FLAGS:
      // CSS v11 Part A §1.3: flags are 1 octet (longer is allowed for future bits; use octet 0).
      if (data.length < 1) return 'flags need 1 byte';
      a.flags = data[0]!;
      return undefined;
    case AD_UUID16_INCOMPLETE:
    case AD_UUID16_COMPLETE:
      if (data.length % 2 !== 0) return `16-bit UUID list of odd length ${data.length}`;
      for (let k = 0; k < data.length; k += 2) a.serviceUuids16.push(data[k]! | (data[k + 1]! << 8));
      return undefined;
    case AD_NAME_SHORT:
    case AD_NAME_COMPLETE: {
      // CSS Part A §1.2: UTF-8. A fatal decoder rejects invalid sequences instead of guessing.
      try {
        a.localName = new TextDecoder('utf-8', { fatal: true }).decode(data);
      } catch {
        return 'local name is not valid UTF-8';
      }
      a.localNameComplete = type === AD_NAME_COMPLETE;
      return undefined;
    }
    case AD_TX_POWER:
      // CSS Part A §1.5: one signed octet, -127..+127 dBm.
      if (data.length !== 1) return `TX power level needs 1 byte, got ${data.length}`;
      a.txPowerDbm = int8(data[0]!);
      return undefined;
    case AD_SERVICE_DATA16: {
      if (data.length < 2) return 'service data needs a 16-bit UUID';
      const uuid16 = data[0]! | (data[1]! << 8);
      const body = data.subarray(2);
      a.serviceData16.push({ uuid16, dataHex: toHex(body) });
      if (uuid16 === EDDYSTONE_UUID16) {
        const ed = parseEddystone(body);
        if (!ed.ok) return `Eddystone: ${ed.reason}`;
        a.eddystone = ed.value;
      }
      return undefined;
    }
    case AD_MANUFACTURER: {
      // CSS Part A §1.4: first 2 octets = company identifier, little-endian.
      if (data.length < 2) return 'manufacturer data needs a company id';
      const companyId = data[0]! | (data[1]! << 8);
      const body = data.subarray(2);
      a.manufacturerData.push({ companyId, dataHex: toHex(body) });
      if (companyId === APPLE_COMPANY_ID && body[0] === 0x02) {
        const ib = parseIBeaconBody(body);
        if (typeof ib === 'string') return ib;
        a.ibeacon = ib;
      } else if (body[0] === 0xbe && body[1] === 0xac) {
        const alt = parseAltBeaconBody(companyId, body);
        if (typeof alt === 'string') return alt;
        a.altbeacon = alt;
      }
      return undefined;
    }
    default:
      return undefined; // other AD types are legal and ignored
  }
}

/** Apple Proximity Beacon Spec R1: 0x02 (type) 0x15 (21 bytes) UUID[16] major[2 BE] minor[2 BE] power[1]. */
function parseIBeaconBody(body: Uint8Array): IBeaconFrame | string {
  if (body.length < 2 || body[1] !== 0x15) return 'Apple type 0x02 is iBeacon only with length 0x15';
  if (body.length !== 23) return `iBeacon body must be 23 bytes after the company id, got ${body.length}`;
  return {
    uuid: uuidString(body.subarray(2, 18)),
    major: (body[18]! << 8) | body[19]!,
    minor: (body[20]! << 8) | body[21]!,
    measuredPowerDbm: int8(body[22]!),
  };
}

/** AltBeacon spec 1.0: code 0xBEAC, beacon id[20], reference RSSI[1 signed], mfg reserved[1]; 24 bytes after the company id. */
function parseAltBeaconBody(companyId: number, body: Uint8Array): AltBeaconFrame | string {
  if (body.length !== 24) return `AltBeacon body must be 24 bytes after the company id, got ${body.length}`;
  return {
    companyId,
    beaconIdHex: toHex(body.subarray(2, 22)),
    referenceRssiDbm: int8(body[22]!),
    mfgReserved: body[23]!,
  };
}
