import { isValidId, observationSchema, safeParseWith, type Observation } from '@storesense/protocol';
import { pseudonymizeDeviceId, type SitePepper } from '../../identity/mac-pseudonym.js';
import type { ParseResult } from '../ble/advert.parse.js';
import type { CardBeacon } from '../../identity/member-resolver.js';
import type { StaffBadges } from '../../identity/staff-badges.js';
import { iBeaconOfEspresenseId, type EspresenseReport } from './espresense.parse.js';

export interface EspresenseObservationOptions {
  pepper: SitePepper;
  /** ESPresense room -> site receiver id; by default the room itself when it is a valid id. */
  receiverForRoom?: (room: string) => string | undefined;
  /** Legacy member cards (the MemberResolver): a registered card's iBeacon -> its holder's current token. */
  legacyCards?: { tokenFor(beacon: CardBeacon, atMs: number): string | undefined };
  /** Registered staff badges: an ESPresense iBeacon id that is one becomes a `staff_` pseudonym. */
  staffBadges?: StaffBadges;
}

/**
 * Pure: report -> Observation. The subject is the pseudonym of the ESPresense id (which may be the
 * bare MAC); randomised = the reported MAC is locally administered and the id is that MAC. An
 * iBeacon id that is a registered legacy member card adds the holder's current rotating token.
 */
export function espresenseToObservation(r: EspresenseReport, atMs: number, opts: EspresenseObservationOptions): ParseResult<Observation> {
  const receiverId = opts.receiverForRoom ? opts.receiverForRoom(r.room) : isValidId(r.room) ? r.room : undefined;
  if (receiverId === undefined) return { ok: false, reason: 'room maps to no receiver' };
  const beacon = opts.legacyCards || opts.staffBadges ? iBeaconOfEspresenseId(r.deviceId) : undefined;
  const staff = beacon ? opts.staffBadges?.subjectFor(beacon, atMs) : undefined;
  const pseudo = staff !== undefined ? { subject: staff, randomized: false } : pseudonymizeDeviceId(r.deviceId, atMs, opts.pepper);
  if (!pseudo) return { ok: false, reason: 'no device id' };
  const token = beacon && staff === undefined ? opts.legacyCards?.tokenFor(beacon, atMs) : undefined;
  const res = safeParseWith(observationSchema, {
    v: 1,
    at: Math.round(atMs),
    source: 'espresense',
    receiverId,
    subject: pseudo.subject,
    rssiDbm: r.rssiDbm,
    ...(pseudo.randomized ? { randomized: true } : {}),
    ...(token !== undefined ? { token } : {}),
  });
  return res.ok ? { ok: true, value: res.value } : { ok: false, reason: res.error };
}
