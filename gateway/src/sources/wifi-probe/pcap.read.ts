/**
 * Classic libpcap file reader (draft-ietf-opsawg-pcap §4 file header, §5 packet record). Pure:
 * bytes in, records out; never throws. Both byte orders (the magic number tells, §4 "Magic
 * Number") and both timestamp resolutions (0xA1B2C3D4 µs, 0xA1B23C4D ns).
 */
import type { ParseResult } from '../ble/advert.parse.js';

export interface PcapRecord {
  /** Capture time in ms since epoch (fractional part kept). */
  atMs: number;
  /** Length on the wire (may exceed data.length when the snaplen cut it). */
  origLen: number;
  data: Uint8Array;
}

export interface PcapFile {
  linktype: number;
  snaplen: number;
  nanoResolution: boolean;
  littleEndian: boolean;
  records: PcapRecord[];
  /** Set when the file ends inside a record: the records before it are still returned. */
  truncated?: string;
}

export const LINKTYPE_IEEE802_11_RADIOTAP = 127;
const GLOBAL_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
/** A record larger than this is corruption, not a frame (libpcap's own MAXIMUM_SNAPLEN is 262144). */
const MAX_RECORD_BYTES = 262_144;

export function readPcap(bytes: Uint8Array): ParseResult<PcapFile> {
  if (!(bytes instanceof Uint8Array)) return { ok: false, reason: 'input is not bytes' };
  if (bytes.length < GLOBAL_HEADER_BYTES) return { ok: false, reason: `file shorter than the ${GLOBAL_HEADER_BYTES}-byte pcap header` };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLe = dv.getUint32(0, true);
  let littleEndian: boolean;
  let nano: boolean;
  if (magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d) {
    littleEndian = true;
    nano = magicLe === 0xa1b23c4d;
  } else {
    const magicBe = dv.getUint32(0, false);
    if (magicBe !== 0xa1b2c3d4 && magicBe !== 0xa1b23c4d) {
      return { ok: false, reason: `not a pcap file (magic 0x${magicLe.toString(16)}; pcapng is not supported)` };
    }
    littleEndian = false;
    nano = magicBe === 0xa1b23c4d;
  }
  const major = dv.getUint16(4, littleEndian);
  if (major !== 2) return { ok: false, reason: `unsupported pcap major version ${major}` };
  const snaplen = dv.getUint32(16, littleEndian);
  // §4: LinkType is the low 28 bits of the last header word (the top bits carry FCS info).
  const linktype = dv.getUint32(20, littleEndian) & 0x0fffffff;
  const file: PcapFile = { linktype, snaplen, nanoResolution: nano, littleEndian, records: [] };
  let off = GLOBAL_HEADER_BYTES;
  while (off < bytes.length) {
    if (off + RECORD_HEADER_BYTES > bytes.length) {
      file.truncated = `record header at byte ${off} cut short`;
      break;
    }
    const sec = dv.getUint32(off, littleEndian);
    const frac = dv.getUint32(off + 4, littleEndian);
    const inclLen = dv.getUint32(off + 8, littleEndian);
    const origLen = dv.getUint32(off + 12, littleEndian);
    if (inclLen > MAX_RECORD_BYTES || (snaplen > 0 && inclLen > Math.max(snaplen, 65_535))) {
      file.truncated = `record at byte ${off} claims ${inclLen} bytes (snaplen ${snaplen})`;
      break;
    }
    if (off + RECORD_HEADER_BYTES + inclLen > bytes.length) {
      file.truncated = `record at byte ${off} needs ${inclLen} bytes, ${bytes.length - off - RECORD_HEADER_BYTES} remain`;
      break;
    }
    const atMs = sec * 1000 + (nano ? frac / 1e6 : frac / 1e3);
    file.records.push({ atMs, origLen, data: bytes.subarray(off + RECORD_HEADER_BYTES, off + RECORD_HEADER_BYTES + inclLen) });
    off += RECORD_HEADER_BYTES + inclLen;
  }
  return { ok: true, value: file };
}
