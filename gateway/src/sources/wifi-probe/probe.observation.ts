import { observationSchema, safeParseWith, type Observation } from '@storesense/protocol';
import { pseudonymizeFingerprint, pseudonymizeMac, type SitePepper } from '../../identity/mac-pseudonym.js';
import type { ParseResult } from '../ble/advert.parse.js';

/** What a capture tells about one probe request; `sequenceNumber` and `ieFingerprint` come from a parsed frame (tshark lines lack them). */
export interface ProbeInput {
  atMs: number;
  sourceMac: string;
  signalDbm?: number;
  sequenceNumber?: number;
  ieFingerprint?: string;
}

/**
 * Pure: a probe request heard by `receiverId` -> Observation; the MAC is pseudonymised here and
 * nowhere else. The sequence number and a keyed hash of the IE fingerprint ride along (they let
 * the occupancy estimator merge one phone's rotating MACs); neither is an address.
 */
export function probeToObservation(p: ProbeInput, opts: { receiverId: string; pepper: SitePepper }): ParseResult<Observation> {
  const pseudo = pseudonymizeMac(p.sourceMac, p.atMs, opts.pepper);
  if (!pseudo) return { ok: false, reason: 'source address is not a MAC' };
  const ieFp = p.ieFingerprint === undefined ? undefined : pseudonymizeFingerprint(p.ieFingerprint, p.atMs, opts.pepper);
  const r = safeParseWith(observationSchema, {
    v: 1,
    at: Math.round(p.atMs),
    source: 'wifi',
    receiverId: opts.receiverId,
    subject: pseudo.subject,
    ...(p.signalDbm !== undefined ? { rssiDbm: p.signalDbm } : {}),
    ...(pseudo.randomized ? { randomized: true } : {}),
    ...(p.sequenceNumber !== undefined ? { seq: p.sequenceNumber } : {}),
    ...(ieFp !== undefined ? { ieFp } : {}),
  });
  return r.ok ? { ok: true, value: r.value } : { ok: false, reason: r.error };
}

/** A decoded radiotap frame -> the probe input of `probeToObservation`. */
export function sightingToProbeInput(f: {
  atMs: number;
  signalDbm?: number;
  probe: { sourceMac: string; sequenceNumber: number; ieFingerprint: string };
}): ProbeInput {
  return {
    atMs: f.atMs,
    sourceMac: f.probe.sourceMac,
    sequenceNumber: f.probe.sequenceNumber,
    ieFingerprint: f.probe.ieFingerprint,
    ...(f.signalDbm !== undefined ? { signalDbm: f.signalDbm } : {}),
  };
}
