import { parsePcapHeader, PCAP_GLOBAL_HEADER_BYTES, readPcapRecordAt, type PcapGlobalHeader, type PcapRecord } from './pcap.read.js';

/** What one `push` produced: the records completed by this chunk, or the reason the stream is unusable. */
export interface PcapStreamOutput {
  records: PcapRecord[];
  /** Set once the stream cannot be read on (bad magic, a corrupt record length); later pushes return it again. */
  error?: string;
}

/**
 * Incremental classic-pcap reader for a capture tool's stdout (`tcpdump -w -`): chunks arrive cut
 * anywhere (pipe buffers know nothing of records), so an incomplete header or record is kept until
 * the bytes that complete it arrive. Pure state machine, no I/O; never throws. A corrupt length
 * cannot be resynchronised (pcap has no record marker), so it ends the stream with an error and
 * the caller restarts the tool.
 * @example const r = new PcapStreamReader(); child.stdout.on('data', (c) => r.push(c).records.forEach(handle));
 */
export class PcapStreamReader {
  private buf: Uint8Array = new Uint8Array(0);
  private headerValue: PcapGlobalHeader | undefined;
  private failed: string | undefined;
  /** Bytes still needed before anything can be parsed (saves re-parsing on many tiny chunks). */
  private need = PCAP_GLOBAL_HEADER_BYTES;

  /** The global header, once its 24 bytes have arrived. */
  get header(): PcapGlobalHeader | undefined {
    return this.headerValue;
  }

  /** Bytes held back, waiting for the rest of a record. */
  get pendingBytes(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): PcapStreamOutput {
    if (this.failed) return { records: [], error: this.failed };
    if (chunk.length === 0) return { records: [] };
    this.buf = this.buf.length === 0 ? chunk : concat(this.buf, chunk);
    if (this.buf.length < this.need) return { records: [] };
    let off = 0;
    if (!this.headerValue) {
      const h = parsePcapHeader(this.buf);
      if (!h.ok) return this.fail(h.reason);
      this.headerValue = h.value;
      off = PCAP_GLOBAL_HEADER_BYTES;
    }
    const records: PcapRecord[] = [];
    for (;;) {
      const r = readPcapRecordAt(this.buf, off, this.headerValue);
      if ('record' in r) {
        records.push(r.record);
        off = r.next;
        continue;
      }
      if ('corrupt' in r) return { ...this.fail(r.corrupt), records };
      this.need = this.buf.length - off + r.need;
      break;
    }
    // Records are views into the current buffer; the remainder is copied out, so they stay valid.
    this.buf = off === 0 ? this.buf : this.buf.slice(off);
    return { records };
  }

  private fail(reason: string): PcapStreamOutput {
    this.failed = reason;
    this.buf = new Uint8Array(0);
    return { records: [], error: reason };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
