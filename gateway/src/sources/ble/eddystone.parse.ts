/**
 * Eddystone frames (google/eddystone protocol-specification.md and per-frame specs), the bytes
 * after the 0xFEAA service-data UUID. Pure; never throws.
 */
import type { ParseResult } from './advert.parse.js';

export type EddystoneFrame =
  | { frame: 'uid'; txPowerAt0mDbm: number; namespaceHex: string; instanceHex: string }
  | { frame: 'url'; txPowerAt0mDbm: number; url: string }
  | { frame: 'tlm'; version: 0; batteryMv?: number; temperatureC?: number; advCount: number; uptimeDs: number }
  | { frame: 'etlm'; version: 1 }
  | { frame: 'eid'; txPowerAt0mDbm: number; eidHex: string };

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const i8 = (b: number) => (b > 127 ? b - 256 : b);

/** eddystone-url: URL Scheme Prefix table. */
const URL_SCHEMES = ['http://www.', 'https://www.', 'http://', 'https://'];
/** eddystone-url: HTTP URL encoding table, codes 0x00..0x0D. */
const URL_EXPANSIONS = ['.com/', '.org/', '.edu/', '.net/', '.info/', '.biz/', '.gov/', '.com', '.org', '.edu', '.net', '.info', '.biz', '.gov'];

function be16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
function be32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

export function parseEddystone(b: Uint8Array): ParseResult<EddystoneFrame> {
  if (b.length < 1) return { ok: false, reason: 'empty Eddystone frame' };
  const type = b[0]!;
  switch (type) {
    case 0x00: {
      // eddystone-uid: 20 bytes incl. 2 RFU; the RFU bytes are commonly omitted on air, so 18 is accepted.
      if (b.length !== 18 && b.length !== 20) return { ok: false, reason: `UID frame must be 18 or 20 bytes, got ${b.length}` };
      return { ok: true, value: { frame: 'uid', txPowerAt0mDbm: i8(b[1]!), namespaceHex: hex(b.subarray(2, 12)), instanceHex: hex(b.subarray(12, 18)) } };
    }
    case 0x10: {
      // eddystone-url: frame type, tx power, scheme, 0..17 bytes of encoded URL.
      if (b.length < 3 || b.length > 20) return { ok: false, reason: `URL frame must be 3..20 bytes, got ${b.length}` };
      const scheme = URL_SCHEMES[b[2]!];
      if (scheme === undefined) return { ok: false, reason: `unknown URL scheme prefix 0x${b[2]!.toString(16)}` };
      let url = scheme;
      for (const c of b.subarray(3)) {
        const exp = URL_EXPANSIONS[c];
        if (exp !== undefined) url += exp;
        // 0x0E..0x20 and 0x7F..0xFF are reserved for future use: reject rather than print garbage.
        else if (c > 0x20 && c < 0x7f) url += String.fromCharCode(c);
        else return { ok: false, reason: `reserved URL byte 0x${c.toString(16)}` };
      }
      return { ok: true, value: { frame: 'url', txPowerAt0mDbm: i8(b[1]!), url } };
    }
    case 0x20: {
      const version = b[1];
      if (version === 0x01) return { ok: true, value: { frame: 'etlm', version: 1 } }; // encrypted: needs the EIK
      if (version !== 0x00) return { ok: false, reason: `unknown TLM version ${String(version)}` };
      // eddystone-tlm (unencrypted): 14 bytes: type, version, VBATT[2], TEMP[2], ADV_CNT[4], SEC_CNT[4], big-endian.
      if (b.length !== 14) return { ok: false, reason: `TLM frame must be 14 bytes, got ${b.length}` };
      const mv = be16(b, 2);
      const tempRaw = be16(b, 4);
      return {
        ok: true,
        value: {
          frame: 'tlm',
          version: 0,
          // "If not supported the battery voltage field is 0" / temperature "0x8000" (-128 °C).
          ...(mv !== 0 ? { batteryMv: mv } : {}),
          ...(tempRaw !== 0x8000 ? { temperatureC: (tempRaw > 0x7fff ? tempRaw - 0x10000 : tempRaw) / 256 } : {}),
          advCount: be32(b, 6),
          uptimeDs: be32(b, 10), // 0.1 s resolution
        },
      };
    }
    case 0x30: {
      // eddystone-eid: type, tx power, 8-byte ephemeral id.
      if (b.length !== 10) return { ok: false, reason: `EID frame must be 10 bytes, got ${b.length}` };
      return { ok: true, value: { frame: 'eid', txPowerAt0mDbm: i8(b[1]!), eidHex: hex(b.subarray(2, 10)) } };
    }
    default:
      return { ok: false, reason: `unknown Eddystone frame type 0x${type.toString(16)}` };
  }
}
