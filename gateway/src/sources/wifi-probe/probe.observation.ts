import { observationSchema, safeParseWith, type Observation } from '@storesense/protocol';
import { pseudonymizeMac, type SitePepper } from '../../identity/mac-pseudonym.js';
import type { ParseResult } from '../ble/advert.parse.js';

/** Pure: a probe request heard by `receiverId` -> Observation; the MAC is pseudonymised here and nowhere else. */
export function probeToObservation(
  p: { atMs: number; sourceMac: string; signalDbm?: number },
  opts: { receiverId: string; pepper: SitePepper },
): ParseResult<Observation> {
  const pseudo = pseudonymizeMac(p.sourceMac, p.atMs, opts.pepper);
  if (!pseudo) return { ok: false, reason: 'source address is not a MAC' };
  const r = safeParseWith(observationSchema, {
    v: 1,
    at: Math.round(p.atMs),
    source: 'wifi',
    receiverId: opts.receiverId,
    subject: pseudo.subject,
    ...(p.signalDbm !== undefined ? { rssiDbm: p.signalDbm } : {}),
    ...(pseudo.randomized ? { randomized: true } : {}),
  });
  return r.ok ? { ok: true, value: r.value } : { ok: false, reason: r.error };
}
