/**
 * Classic libpcap file reader (draft-ietf-opsawg-pcap §4 file header, §5 packet record). Pure:
 * bytes in, records out; never throws. Both byte orders (the magic number tells, §4 "Magic
 * Number") and both timestamp resolutions (0xA1B2C3D4 µs, 0xA1B23C4D ns). The header and record
 * readers are shared with the streaming reader (pcap.stream.ts) used on `tcpdump -w -`.
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
export const PCAP_GLOBAL_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
/** A record larger than this is corruption, not a frame (libpcap's own MAXIMUM_SNAPLEN is 262144). */
const MAX_RECORD_BYTES = 262_144;

/** The global header's facts (draft-ietf-opsawg-pcap §4), shared by the file and stream readers. */
export type PcapGlobalHeader = Omit<PcapFile, 'records' | 'truncated'>;

/** Parses the 24-byte global header; `bytes` may be longer. */
export function parsePcapHeader(bytes: Uint8Array): ParseResult<PcapGlobalHeader> {
  if (bytes.length < PCAP_GLOBAL_HEADER_BYTES) return { ok: false, reason: `file shorter than the ${PCAP_GLOBAL_HEADER_BYTES}-byte pcap header` };
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
  return { ok: true, value: { linktype, snaplen, nanoResolution: nano, littleEndian } };
}

/**
 * Reads the record at `off` (§5), if complete: `need` = bytes still missing, `corrupt` = a length
 * no real record has (the stream cannot be resynchronised after it).
 */
export function readPcapRecordAt(
  bytes: Uint8Array,
  off: number,
  h: PcapGlobalHeader,
): { record: PcapRecord; next: number } | { need: number; at: string } | { corrupt: string } {
  if (off + RECORD_HEADER_BYTES > bytes.length) return { need: off + RECORD_HEADER_BYTES - bytes.length, at: `record header at byte ${off} cut short` };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = h.littleEndian;
  const sec = dv.getUint32(off, le);
  const frac = dv.getUint32(off + 4, le);
  const inclLen = dv.getUint32(off + 8, le);
  const origLen = dv.getUint32(off + 12, le);
  if (inclLen > MAX_RECORD_BYTES || (h.snaplen > 0 && inclLen > Math.max(h.snaplen, 65_535))) {
    return { corrupt: `record at byte ${off} claims ${inclLen} bytes (snaplen ${h.snaplen})` };
  }
  const end = off + RECORD_HEADER_BYTES + inclLen;
  if (end > bytes.length)
    return { need: end - bytes.length, at: `record at byte ${off} needs ${inclLen} bytes, ${bytes.length - off - RECORD_HEADER_BYTES} remain` };
  const atMs = sec * 1000 + (h.nanoResolution ? frac / 1e6 : frac / 1e3);
  return { record: { atMs, origLen, data: bytes.subarray(off + RECORD_HEADER_BYTES, end) }, next: end };
}

export function readPcap(bytes: Uint8Array): ParseResult<PcapFile> {
  if (!(bytes instanceof Uint8Array)) return { ok: false, reason: 'input is not bytes' };
  const h = parsePcapHeader(bytes);
  if (!h.ok) return h;
  const file: PcapFile = { ...h.value, records: [] };
  let off = PCAP_GLOBAL_HEADER_BYTES;
  while (off < bytes.length) {
    const r = readPcapRecordAt(bytes, off, h.value);
    if ('record' in r) {
      file.records.push(r.record);
      off = r.next;
      continue;
    }
    file.truncated = 'corrupt' in r ? r.corrupt : r.at;
    break;
  }
  return { ok: true, value: file };
}
