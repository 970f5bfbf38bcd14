import { observationSchema, safeParseWith, type Observation } from '@storesense/protocol';
import { pseudonymizeMac, type SitePepper } from '../../identity/mac-pseudonym.js';
import type { ParseResult } from '../ble/advert.parse.js';
import type { MerakiSighting } from './meraki.parse.js';

export interface MerakiObservationOptions {
  pepper: SitePepper;
  /** Normalized AP MAC (12 hex) -> site receiver id; default `ap-<12 hex>`. */
  receiverForAp?: (apMac: string) => string | undefined;
}

/** Pure: one Meraki sighting -> Observation; the client MAC is pseudonymised here and nowhere else. */
export function merakiToObservation(s: MerakiSighting, opts: MerakiObservationOptions): ParseResult<Observation> {
  const receiverId = opts.receiverForAp ? opts.receiverForAp(s.apMac) : `ap-${s.apMac}`;
  if (receiverId === undefined) return { ok: false, reason: 'AP maps to no receiver' };
  const pseudo = pseudonymizeMac(s.clientMac, s.atMs, opts.pepper);
  if (!pseudo) return { ok: false, reason: 'clientMac is not a MAC' };
  const r = safeParseWith(observationSchema, {
    v: 1,
    at: Math.round(s.atMs),
    source: 'meraki',
    receiverId,
    subject: pseudo.subject,
    rssiDbm: s.rssiDbm,
    ...(pseudo.randomized ? { randomized: true } : {}),
  });
  return r.ok ? { ok: true, value: r.value } : { ok: false, reason: r.error };
}
