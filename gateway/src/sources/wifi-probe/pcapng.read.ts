/**
 * pcapng file reader (draft-ietf-opsawg-pcapng, Wireshark's default format): Section Header
 * (§4.1), Interface Description (§4.2), Enhanced Packet (§4.3) and Simple Packet (§4.4) blocks;
 * every other block is skipped by its length. Pure: bytes in, records out; never throws. Each
 * section states its own byte order (the SHB's byte-order magic), so a file may mix both; each
 * interface its own link type, snap length and timestamp resolution (`if_tsresol`, `if_tsoffset`).
 * Records come out in the classic reader's shape (pcap.read.ts), with the interface's link type.
 */
import type { ParseResult } from '../ble/advert.parse.js';
import type { PcapFile, PcapRecord } from './pcap.read.js';

export const PCAPNG_SHB_TYPE = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const IDB = 1;
const SPB = 3;
const EPB = 6;
/** A block larger than this is corruption (16 MiB; libpcap refuses blocks over its own bound too). */
const MAX_BLOCK_BYTES = 16 * 1024 * 1024;

export interface PcapngRecord extends PcapRecord {
  /** The link type of the interface that captured it (IDB). */
  linktype: number;
  interfaceId: number;
}

export interface PcapngFile extends Omit<PcapFile, 'records'> {
  /** Records in file order (all sections, all interfaces). */
  records: PcapngRecord[];
  /** Interfaces of every section, in order: link type and snaplen. */
  interfaces: { linktype: number; snaplen: number }[];
  /** Blocks read past without meaning here (name resolution, statistics, custom, obsolete packet blocks). */
  skippedBlocks: number;
}

interface Interface {
  linktype: number;
  snaplen: number;
  /** Timestamp units per second (if_tsresol; default 10^6). */
  unitsPerSecond: bigint;
  /** if_tsoffset: seconds added to every timestamp. */
  offsetSeconds: bigint;
}

/** True when the bytes start with a pcapng Section Header Block. */
export function isPcapng(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true) === PCAPNG_SHB_TYPE;
}

export function readPcapng(bytes: Uint8Array): ParseResult<PcapngFile> {
  if (!(bytes instanceof Uint8Array)) return { ok: false, reason: 'input is not bytes' };
  if (!isPcapng(bytes)) return { ok: false, reason: 'not a pcapng file (no Section Header Block)' };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const file: PcapngFile = { linktype: -1, snaplen: 0, nanoResolution: false, littleEndian: true, records: [], interfaces: [], skippedBlocks: 0 };
  let le = true;
  let interfaces: Interface[] = [];
  let lastAtMs = 0;
  let off = 0;
  while (off < bytes.length) {
    if (off + 12 > bytes.length) {
      file.truncated = `block header at byte ${off} cut short`;
      break;
    }
    const type = dv.getUint32(off, le);
    if (type === PCAPNG_SHB_TYPE) {
      // A new section: its byte-order magic decides how everything in it (its own length too) is read.
      const magicLe = dv.getUint32(off + 8, true);
      if (magicLe === BYTE_ORDER_MAGIC) le = true;
      else if (dv.getUint32(off + 8, false) === BYTE_ORDER_MAGIC) le = false;
      else return fail(file, `section header at byte ${off}: byte-order magic 0x${magicLe.toString(16)} is not 0x1a2b3c4d`);
      if (file.records.length === 0 && file.interfaces.length === 0) file.littleEndian = le;
      if (off + 14 <= bytes.length) {
        const major = dv.getUint16(off + 12, le);
        if (major !== 1) return fail(file, `section header at byte ${off}: unsupported pcapng major version ${major}`);
      }
      interfaces = [];
    }
    const len = dv.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK_BYTES) {
      file.truncated = `block at byte ${off} claims ${len} bytes`;
      break;
    }
    if (off + len > bytes.length) {
      file.truncated = `block at byte ${off} needs ${len} bytes, ${bytes.length - off} remain`;
      break;
    }
    if (dv.getUint32(off + len - 4, le) !== len) {
      file.truncated = `block at byte ${off}: trailing length differs from ${len}`;
      break;
    }
    const body = off + 8;
    const bodyEnd = off + len - 4;
    if (type === IDB) {
      if (bodyEnd - body < 8) {
        file.truncated = `interface block at byte ${off} too short`;
        break;
      }
      const itf: Interface = { linktype: dv.getUint16(body, le), snaplen: dv.getUint32(body + 4, le), unitsPerSecond: 1_000_000n, offsetSeconds: 0n };
      readOptions(dv, body + 8, bodyEnd, le, (code, at, length) => {
        if (code === 9 && length >= 1) {
          // if_tsresol: MSB clear -> 10^-v seconds, set -> 2^-v (§4.2).
          const v = dv.getUint8(at);
          itf.unitsPerSecond = v & 0x80 ? 2n ** BigInt(v & 0x7f) : 10n ** BigInt(v);
        } else if (code === 14 && length >= 8) {
          itf.offsetSeconds = dv.getBigInt64(at, le);
        }
      });
      if (itf.unitsPerSecond === 0n) itf.unitsPerSecond = 1_000_000n;
      interfaces.push(itf);
      file.interfaces.push({ linktype: itf.linktype, snaplen: itf.snaplen });
      if (file.linktype === -1) {
        file.linktype = itf.linktype;
        file.snaplen = itf.snaplen;
        file.nanoResolution = itf.unitsPerSecond >= 1_000_000_000n;
      }
    } else if (type === EPB) {
      if (bodyEnd - body < 20) {
        file.truncated = `packet block at byte ${off} too short`;
        break;
      }
      const id = dv.getUint32(body, le);
      const itf = interfaces[id];
      if (!itf) return fail(file, `packet block at byte ${off} names interface ${id}, but the section describes ${interfaces.length}`);
      const ts = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le));
      const capLen = dv.getUint32(body + 12, le);
      const origLen = dv.getUint32(body + 16, le);
      if (body + 20 + capLen > bodyEnd) {
        file.truncated = `packet block at byte ${off} claims ${capLen} captured bytes in a ${len}-byte block`;
        break;
      }
      lastAtMs = toMs(ts, itf);
      file.records.push({ atMs: lastAtMs, origLen, data: bytes.subarray(body + 20, body + 20 + capLen), linktype: itf.linktype, interfaceId: id });
    } else if (type === SPB) {
      // §4.4: interface 0, no timestamp (the record takes the last timestamp seen), captured length
      // = min(original length, snaplen, what the block holds).
      const itf = interfaces[0];
      if (!itf) return fail(file, `simple packet block at byte ${off} before any interface description`);
      if (bodyEnd - body < 4) {
        file.truncated = `simple packet block at byte ${off} too short`;
        break;
      }
      const origLen = dv.getUint32(body, le);
      let capLen = Math.min(origLen, bodyEnd - body - 4);
      if (itf.snaplen > 0) capLen = Math.min(capLen, itf.snaplen);
      file.records.push({ atMs: lastAtMs, origLen, data: bytes.subarray(body + 4, body + 4 + capLen), linktype: itf.linktype, interfaceId: 0 });
    } else if (type !== PCAPNG_SHB_TYPE) {
      file.skippedBlocks += 1;
    }
    off += len;
  }
  if (file.linktype === -1) file.linktype = 0;
  return { ok: true, value: file };
}

/** A structural error after some records: keep what was read and say why it stopped. */
function fail(file: PcapngFile, reason: string): ParseResult<PcapngFile> {
  if (file.records.length === 0) return { ok: false, reason };
  return { ok: true, value: { ...file, linktype: file.linktype === -1 ? 0 : file.linktype, truncated: reason } };
}

/** Walks the options of a block body (§3.5): code, length, value padded to 4 bytes, until opt_endofopt. */
function readOptions(dv: DataView, from: number, to: number, le: boolean, each: (code: number, at: number, length: number) => void): void {
  let o = from;
  while (o + 4 <= to) {
    const code = dv.getUint16(o, le);
    const length = dv.getUint16(o + 2, le);
    if (code === 0 || o + 4 + length > to) return;
    each(code, o + 4, length);
    o += 4 + Math.ceil(length / 4) * 4;
  }
}

function toMs(ts: bigint, itf: Interface): number {
  const sec = ts / itf.unitsPerSecond + itf.offsetSeconds;
  const frac = ts % itf.unitsPerSecond;
  return Number(sec) * 1000 + (Number(frac) * 1000) / Number(itf.unitsPerSecond);
}
