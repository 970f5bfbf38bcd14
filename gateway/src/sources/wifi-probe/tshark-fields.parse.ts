/**
 * One line of `tshark -l -I -i mon0 -Y wlan.fc.type_subtype==4 -T fields -e frame.time_epoch
 * -e wlan.sa -e radiotap.dbm_antsignal -e wlan_radio.frequency -e wlan.ssid` (the live capture
 * path). tshark separates fields with a tab (-E separator default) and repeated values of one
 * field with a comma (-E aggregator default), e.g. one antsignal per antenna. Pure; never throws.
 */
import { normalizeMac } from '../../identity/mac-pseudonym.js';
import type { ParseResult } from '../ble/advert.parse.js';

export interface TsharkProbe {
  atMs: number;
  /** Normalized 12 hex; pseudonymise before it leaves the source. */
  sourceMac: string;
  signalDbm?: number;
  channelFrequencyMhz?: number;
  hasSsid: boolean;
}

export function parseTsharkProbeLine(line: string): ParseResult<TsharkProbe> {
  if (typeof line !== 'string') return { ok: false, reason: 'not a string' };
  const f = line.replace(/\r?\n$/, '').split('\t');
  if (f.length < 4) return { ok: false, reason: `expected 5 tab-separated fields, got ${f.length}` };
  const [epoch, sa, signal, freq, ssid] = f as [string, string, string, string, string | undefined];
  const seconds = Number(epoch);
  if (epoch.trim() === '' || !Number.isFinite(seconds) || seconds < 0) return { ok: false, reason: 'frame.time_epoch is not a number' };
  const mac = normalizeMac(sa);
  if (mac === undefined) return { ok: false, reason: 'wlan.sa is not a MAC' };
  // The first antsignal is the combined one (radiotap field 5 in the first namespace).
  const first = signal.split(',')[0]?.trim() ?? '';
  const dbm = first === '' ? undefined : Number(first);
  if (dbm !== undefined && (!Number.isInteger(dbm) || dbm < -127 || dbm > 20)) return { ok: false, reason: 'radiotap.dbm_antsignal out of range' };
  const mhz = freq.trim() === '' ? undefined : Number(freq.split(',')[0]);
  if (mhz !== undefined && (!Number.isInteger(mhz) || mhz < 2_000 || mhz > 7_200)) return { ok: false, reason: 'wlan_radio.frequency out of range' };
  const ssidText = (ssid ?? '').trim();
  return {
    ok: true,
    value: {
      atMs: Math.round(seconds * 1000),
      sourceMac: mac,
      ...(dbm !== undefined ? { signalDbm: dbm } : {}),
      ...(mhz !== undefined ? { channelFrequencyMhz: mhz } : {}),
      // tshark prints a wildcard SSID as empty, or as "<MISSING>" / "Wildcard (Broadcast)" in some versions.
      hasSsid: ssidText !== '' && ssidText !== '<MISSING>' && !/^Wildcard/.test(ssidText),
    },
  };
}
