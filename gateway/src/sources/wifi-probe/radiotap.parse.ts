/**
 * Radiotap header parser (radiotap.org: "Radiotap header", "Defined fields", "Extended presence
 * masks", "Vendor namespace"). Pure; never throws. Only the fields we use are decoded, but every
 * known field is walked so that later fields land at the right, aligned offset.
 */
import type { ParseResult } from '../ble/advert.parse.js';

export interface Radiotap {
  /** it_len: the 802.11 frame starts here. */
  lengthBytes: number;
  flags?: number;
  /** Flags bit 0x10: "frame includes FCS" (4 bytes at the end of the 802.11 frame). */
  hasFcs: boolean;
  channelFrequencyMhz?: number;
  channelFlags?: number;
  /** First dBm antenna signal (radiotap: "Antenna signal", field 5), the combined signal. */
  antennaSignalDbm?: number;
  antennaNoiseDbm?: number;
  antenna?: number;
  tsftUs?: bigint;
}

/**
 * [alignment, size] in bytes of radiotap-namespace fields 0..27 ("Defined fields"; alignment is
 * relative to the start of the header, the spec's "Alignment in radiotap fields").
 */
const FIELD_LAYOUT: readonly (readonly [number, number])[] = [
  [8, 8], // 0 TSFT
  [1, 1], // 1 Flags
  [1, 1], // 2 Rate
  [2, 4], // 3 Channel: u16 freq MHz, u16 flags
  [2, 2], // 4 FHSS
  [1, 1], // 5 dBm antenna signal (s8)
  [1, 1], // 6 dBm antenna noise (s8)
  [2, 2], // 7 Lock quality
  [2, 2], // 8 TX attenuation
  [2, 2], // 9 dB TX attenuation
  [1, 1], // 10 dBm TX power
  [1, 1], // 11 Antenna
  [1, 1], // 12 dB antenna signal
  [1, 1], // 13 dB antenna noise
  [2, 2], // 14 RX flags
  [2, 2], // 15 TX flags
  [1, 1], // 16 RTS retries
  [1, 1], // 17 data retries
  [4, 8], // 18 XChannel
  [1, 3], // 19 MCS
  [4, 8], // 20 A-MPDU status
  [2, 12], // 21 VHT
  [8, 12], // 22 timestamp
  [2, 12], // 23 HE
  [2, 12], // 24 HE-MU
  [2, 6], // 25 HE-MU-other-user
  [1, 1], // 26 0-length PSDU
  [2, 4], // 27 L-SIG
];

const BIT_RADIOTAP_NS = 29;
const BIT_VENDOR_NS = 30;
const BIT_EXT = 31;

export function parseRadiotap(b: Uint8Array): ParseResult<Radiotap> {
  if (b.length < 8) return { ok: false, reason: 'radiotap header shorter than 8 bytes' };
  if (b[0] !== 0) return { ok: false, reason: `radiotap version ${b[0]} (only 0 is defined)` };
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const len = dv.getUint16(2, true); // all radiotap fields are little-endian
  if (len < 8 || len > b.length) return { ok: false, reason: `radiotap length ${len} outside 8..${b.length}` };
  // "Extended presence masks": bit 31 set means another u32 present word follows.
  const words: number[] = [];
  let off = 4;
  for (;;) {
    if (off + 4 > len) return { ok: false, reason: 'presence bitmaps run past the radiotap length' };
    const w = dv.getUint32(off, true);
    words.push(w);
    off += 4;
    if (((w >>> BIT_EXT) & 1) === 0) break;
  }
  const out: Radiotap = { lengthBytes: len, hasFcs: false };
  let ns: 'radiotap' | 'vendor' = 'radiotap';
  let nsBitBase = 0;
  for (const w of words) {
    if (ns === 'vendor') {
      // A vendor namespace starts with OUI[3], sub_ns[1], skip_length[2] (2-aligned), then data;
      // skip_length covers the data of all its presence words, so it is skipped once, at its start.
      if (nsBitBase === 0) {
        off = align(off, 2);
        if (off + 6 > len) return { ok: false, reason: 'vendor namespace header past the radiotap length' };
        const skip = dv.getUint16(off + 4, true);
        off += 6 + skip;
        if (off > len) return { ok: false, reason: 'vendor namespace data past the radiotap length' };
      }
    } else {
      for (let bit = 0; bit < 29; bit++) {
        if (((w >>> bit) & 1) === 0) continue;
        const layout = nsBitBase === 0 ? FIELD_LAYOUT[bit] : undefined;
        // An unknown field has an unknown size: nothing after it can be located, so stop here;
        // the 802.11 frame still starts at it_len.
        if (!layout) return { ok: true, value: out };
        const [alignment, size] = layout;
        off = align(off, alignment);
        if (off + size > len) return { ok: false, reason: `radiotap field ${bit} runs past the header` };
        if (nsBitBase === 0) decodeField(out, bit, dv, off);
        off += size;
      }
    }
    // The namespace for the NEXT presence word (radiotap.org "Extended presence masks").
    if ((w >>> BIT_RADIOTAP_NS) & 1) {
      ns = 'radiotap';
      nsBitBase = 0;
    } else if ((w >>> BIT_VENDOR_NS) & 1) {
      ns = 'vendor';
      nsBitBase = 0;
    } else {
      nsBitBase += 32;
    }
  }
  return { ok: true, value: out };
}

function align(off: number, a: number): number {
  return Math.ceil(off / a) * a;
}

/** Keeps only the first occurrence of a field: later radiotap namespaces repeat per-antenna values. */
function decodeField(out: Radiotap, bit: number, dv: DataView, off: number): void {
  switch (bit) {
    case 0:
      out.tsftUs ??= dv.getBigUint64(off, true);
      break;
    case 1:
      if (out.flags !== undefined) break;
      out.flags = dv.getUint8(off);
      out.hasFcs = (out.flags & 0x10) !== 0;
      break;
    case 3:
      if (out.channelFrequencyMhz !== undefined) break;
      out.channelFrequencyMhz = dv.getUint16(off, true);
      out.channelFlags = dv.getUint16(off + 2, true);
      break;
    case 5:
      out.antennaSignalDbm ??= dv.getInt8(off);
      break;
    case 6:
      out.antennaNoiseDbm ??= dv.getInt8(off);
      break;
    case 11:
      out.antenna ??= dv.getUint8(off);
      break;
    default:
  }
}
