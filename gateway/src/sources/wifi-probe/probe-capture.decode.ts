/** pcap (linktype 127) -> radiotap -> probe requests. Pure; each record is decoded or rejected with a reason. */
import type { ParseResult } from '../ble/advert.parse.js';
import { LINKTYPE_IEEE802_11_RADIOTAP, readPcap } from './pcap.read.js';
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

export function decodeProbeCapture(bytes: Uint8Array): ParseResult<DecodedCapture> {
  const file = readPcap(bytes);
  if (!file.ok) return file;
  if (file.value.linktype !== LINKTYPE_IEEE802_11_RADIOTAP) {
    return { ok: false, reason: `linktype ${file.value.linktype}; only 127 (IEEE802_11_RADIOTAP) is supported` };
  }
  const frames = file.value.records.map((r) => {
    const d = decodeRadiotapFrame(r.atMs, r.data);
    return d.ok ? d.value : { rejected: d.reason };
  });
  return { ok: true, value: { frames, ...(file.value.truncated ? { truncated: file.value.truncated } : {}) } };
}
