/**
 * 802.11 probe request parser (IEEE 802.11-2020 §9.2.4 MAC header fields, §9.3.3.9 Probe Request
 * frame format, §9.4.2 elements). Pure; never throws. Input: the 802.11 frame (after radiotap).
 */
import { createHash } from 'node:crypto';
import { isLocallyAdministered, macFromBytes } from '../../identity/mac-pseudonym.js';
import type { ParseResult } from '../ble/advert.parse.js';

export interface ProbeRequest {
  /** Transmitter (Address 2 = SA); normalized 12 hex. Pseudonymise before it leaves the source. */
  sourceMac: string;
  destinationMac: string;
  /** IEEE 802-2014 §8.2.2 U/L bit: locally administered, i.e. a randomised address. */
  randomized: boolean;
  /** Sequence Control bits 4..15 (§9.2.4.4). */
  sequenceNumber: number;
  /** SSID element (id 0) with length > 0: a directed probe; absent or wildcard otherwise. */
  hasSsid: boolean;
  /** Element ids in frame order (incl. SSID), for comparison with decoders. */
  elementIds: number[];
  /** sha256 of the ordered "id:len" list excluding SSID (id 0), first 16 hex: a device-model fingerprint. */
  ieFingerprint: string;
}

const MGMT_HEADER_BYTES = 24;
const FCS_BYTES = 4;

export function parseProbeRequest(frame: Uint8Array, opts: { hasFcs?: boolean } = {}): ParseResult<ProbeRequest> {
  let b = frame;
  if (opts.hasFcs) {
    if (b.length < MGMT_HEADER_BYTES + FCS_BYTES) return { ok: false, reason: 'frame too short for a header and an FCS' };
    b = b.subarray(0, b.length - FCS_BYTES);
  }
  if (b.length < MGMT_HEADER_BYTES) return { ok: false, reason: `frame of ${b.length} bytes is shorter than a management header` };
  const fc0 = b[0]!;
  const fc1 = b[1]!;
  // §9.2.4.1.1: Protocol Version b0-b1 (0), Type b2-b3 (0 = management), Subtype b4-b7 (4 = Probe Request).
  if ((fc0 & 0x03) !== 0) return { ok: false, reason: `protocol version ${fc0 & 0x03}` };
  const type = (fc0 >> 2) & 0x03;
  const subtype = fc0 >> 4;
  if (type !== 0 || subtype !== 4) return { ok: false, reason: `not a probe request (type ${type}, subtype ${subtype})` };
  // §9.3.3.2: a management frame with the +HTC/Order bit (b15) set carries a 4-byte HT Control field.
  const headerBytes = fc1 & 0x80 ? MGMT_HEADER_BYTES + 4 : MGMT_HEADER_BYTES;
  if (b.length < headerBytes) return { ok: false, reason: 'frame shorter than its +HTC header' };
  const destinationMac = macFromBytes(b, 4);
  const sourceMac = macFromBytes(b, 10);
  const seqCtrl = b[22]! | (b[23]! << 8);
  const elementIds: number[] = [];
  const fpParts: string[] = [];
  let hasSsid = false;
  let off = headerBytes;
  while (off < b.length) {
    // §9.4.2.1: Element ID (1), Length (1), information (Length).
    if (off + 2 > b.length) return { ok: false, reason: `element header at ${off} cut short` };
    const id = b[off]!;
    const len = b[off + 1]!;
    if (off + 2 + len > b.length) return { ok: false, reason: `element ${id} at ${off} declares ${len} bytes, ${b.length - off - 2} remain` };
    elementIds.push(id);
    if (id === 0) {
      if (len > 32) return { ok: false, reason: `SSID element of ${len} bytes (max 32, §9.4.2.2)` };
      hasSsid ||= len > 0;
    } else {
      // Extension elements (255) and vendor elements (221) are told apart by their first bytes.
      const sub = id === 255 && len >= 1 ? `.${b[off + 2]}` : id === 221 && len >= 4 ? `.${macFromBytes(b, off + 2).slice(0, 8)}` : '';
      fpParts.push(`${id}${sub}:${len}`);
    }
    off += 2 + len;
  }
  return {
    ok: true,
    value: {
      sourceMac,
      destinationMac,
      randomized: isLocallyAdministered(sourceMac),
      sequenceNumber: seqCtrl >> 4,
      hasSsid,
      elementIds,
      ieFingerprint: createHash('sha256').update(fpParts.join(',')).digest('hex').slice(0, 16),
    },
  };
}
