import { observationSchema, safeParseWith, type Observation } from '@storesense/protocol';
import { pseudonymizeMac, type SitePepper } from '../../identity/mac-pseudonym.js';
import type { StaffBadges } from '../../identity/staff-badges.js';
import type { Advert, IBeaconFrame, ParseResult } from './advert.parse.js';

/** One advert as heard by one receiver (what a BLE adapter hands over). `addressMac` stays in here. */
export interface BleSighting {
  atMs: number;
  receiverId: string;
  /** The advertiser address as reported by the radio stack, any common MAC format. */
  addressMac: string;
  rssiDbm: number;
  advert: Advert;
}

/**
 * Legacy member cards: a static iBeacon (uuid/major/minor) per card, from site config. Returns a
 * stable subject for the card (e.g. 'card_M001'), or undefined when the beacon is not a card.
 * A Map-backed implementation: `legacyCardTable([{uuid, major, minor, subject}])`.
 */
export interface LegacyCardTable {
  subjectFor?(beacon: IBeaconFrame): string | undefined;
  /**
   * A registered card -> its holder's current rotating token (the gateway's MemberResolver), so the
   * card resolves to the member through the same path as the app's token.
   */
  tokenFor?(beacon: IBeaconFrame, atMs: number): string | undefined;
}

export function legacyCardTable(cards: readonly { uuid: string; major: number; minor: number; subject: string }[]): LegacyCardTable {
  const key = (u: string, ma: number, mi: number) => `${u.toLowerCase()}/${ma}/${mi}`;
  const byKey = new Map(cards.map((c) => [key(c.uuid, c.major, c.minor), c.subject]));
  return { subjectFor: (b) => byKey.get(key(b.uuid, b.major, b.minor)) };
}

export interface BleObservationOptions {
  pepper: SitePepper;
  legacyCards?: LegacyCardTable;
  /** Registered staff badges: their iBeacon becomes a `staff_` pseudonym. */
  staffBadges?: StaffBadges;
}

/**
 * The member app carries the rotating memberToken (protocol `memberToken`, 8 bytes) as the 8-byte
 * ephemeral id of an Eddystone-EID frame (eddystone-eid: frame 0x30, tx power, EID[8]). Any EID is
 * passed on as a token; the gateway's MemberResolver decides whether it belongs to a member.
 */
export function memberTokenOf(advert: Advert): string | undefined {
  return advert.eddystone?.frame === 'eid' ? advert.eddystone.eidHex : undefined;
}

/** Pure: sighting -> Observation. The address is pseudonymised here and nowhere else. */
export function bleSightingToObservation(s: BleSighting, opts: BleObservationOptions): ParseResult<Observation> {
  const staff = s.advert.ibeacon ? opts.staffBadges?.subjectFor(s.advert.ibeacon, s.atMs) : undefined;
  if (staff !== undefined) {
    const r = safeParseWith(observationSchema, { v: 1, at: Math.round(s.atMs), source: 'ble', receiverId: s.receiverId, subject: staff, rssiDbm: s.rssiDbm });
    return r.ok ? { ok: true, value: r.value } : { ok: false, reason: r.error };
  }
  const card = s.advert.ibeacon ? opts.legacyCards?.subjectFor?.(s.advert.ibeacon) : undefined;
  const pseudo = pseudonymizeMac(s.addressMac, s.atMs, opts.pepper);
  if (card === undefined && pseudo === undefined) return { ok: false, reason: 'advertiser address is not a MAC' };
  const token = memberTokenOf(s.advert) ?? (s.advert.ibeacon ? opts.legacyCards?.tokenFor?.(s.advert.ibeacon, s.atMs) : undefined);
  const candidate = {
    v: 1,
    at: Math.round(s.atMs),
    source: 'ble',
    receiverId: s.receiverId,
    subject: card ?? pseudo!.subject,
    rssiDbm: s.rssiDbm,
    ...(card === undefined && pseudo!.randomized ? { randomized: true } : {}),
    ...(token !== undefined ? { token } : {}),
  };
  const r = safeParseWith(observationSchema, candidate);
  return r.ok ? { ok: true, value: r.value } : { ok: false, reason: r.error };
}
