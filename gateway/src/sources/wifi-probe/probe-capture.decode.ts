/** pcap or pcapng (linktype 127) -> radiotap -> probe requests. Pure; each record is decoded or rejected with a reason. */
import type { ParseResult } from '../ble/advert.parse.js';
import { LINKTYPE_IEEE802_11_RADIOTAP, readPcap, type PcapFile } from './pcap.read.js';
import { isPcapng, readPcapng, type PcapngFile } from './pcapng.read.js';
import { parseProbeRequest, type ProbeRequest } from './probe-request.parse.js';
import { parseRadiotap } from './radiotap.parse.js';

export interface ProbeSighting {
  atMs: number;
  signalDbm?: number;
  channelFrequencyMhz?: number;
  probe: ProbeRequest;
}

export interface DecodedCapture {
  /** One entry per pcap record, in file order (index = pcap frame index). */
  frames: (ProbeSighting | { rejected: string })[];
  truncated?: string;
}

/** Decodes one radiotap-framed record. */
export function decodeRadiotapFrame(atMs: number, data: Uint8Array): ParseResult<ProbeSighting> {
  const rt = parseRadiotap(data);
  if (!rt.ok) return rt;
  const probe = parseProbeRequest(data.subarray(rt.value.lengthBytes), { hasFcs: rt.value.hasFcs });
  if (!probe.ok) return probe;
  return {
    ok: true,
    value: {
      atMs,
      ...(rt.value.antennaSignalDbm !== undefined ? { signalDbm: rt.value.antennaSignalDbm } : {}),
      ...(rt.value.channelFrequencyMhz !== undefined ? { channelFrequencyMhz: rt.value.channelFrequencyMhz } : {}),
      probe: probe.value,
    },
  };
}

/** A classic pcap or a pcapng file (Wireshark's default), told apart by the first four bytes. */
export function readCaptureFile(bytes: Uint8Array): ParseResult<PcapFile | PcapngFile> {
  return bytes instanceof Uint8Array && isPcapng(bytes) ? readPcapng(bytes) : readPcap(bytes);
}

export function decodeProbeCapture(bytes: Uint8Array): ParseResult<DecodedCapture> {
  const file = readCaptureFile(bytes);
  if (!file.ok) return file;
  // pcapng: each interface has its own link type; a file with a radiotap interface among others
  // keeps that interface's frames and rejects the rest one by one.
  const records = file.value.records.map((r) => ({
    ...r,
    linktype: 'linktype' in r ? r.linktype : file.value.linktype,
    interfaceId: 'interfaceId' in r ? r.interfaceId : 0,
  }));
  const linktypes = new Set(records.map((r) => r.linktype));
  if (file.value.linktype !== LINKTYPE_IEEE802_11_RADIOTAP && !linktypes.has(LINKTYPE_IEEE802_11_RADIOTAP)) {
    return { ok: false, reason: `linktype ${file.value.linktype}; only 127 (IEEE802_11_RADIOTAP) is supported` };
  }
  const frames = records.map((r) => {
    if (r.linktype !== LINKTYPE_IEEE802_11_RADIOTAP) return { rejected: `interface ${r.interfaceId} has linktype ${r.linktype}, not 127 (radiotap)` };
    const d = decodeRadiotapFrame(r.atMs, r.data);
    return d.ok ? d.value : { rejected: d.reason };
  });
  return { ok: true, value: { frames, ...(file.value.truncated ? { truncated: file.value.truncated } : {}) } };
}
