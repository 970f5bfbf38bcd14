import { createHmac } from 'node:crypto';
import { STAFF_SUBJECT_PREFIX } from '../tracking/device-roles.js';
import { utcDay, type SitePepper } from './mac-pseudonym.js';

/** An iBeacon id (proximity UUID, major, minor), as parsed from an advert or an ESPresense id. */
export interface BeaconId {
  uuid: string;
  major: number;
  minor: number;
}

/**
 * Registered staff badges (gateway config `devices.staffBeacons`): a badge's iBeacon id becomes a
 * `staff_` pseudonym at ingest, so the pipeline knows the subject is staff from its first sighting
 * (device-roles `registered`) and the badge id itself never leaves the ingest code. The pseudonym
 * is keyed by the site pepper and salted by the UTC day like MAC pseudonyms, so two days of one
 * badge cannot be linked downstream either. An iBeacon badge (rather than a phone's MAC) because
 * phones rotate their address, and a MAC would have to sit raw in the config.
 * @example staffBadgeTable([{ uuid: 'f7826da6-…', major: 1, minor: 7 }], pepper).subjectFor(advert.ibeacon, at)
 */
export interface StaffBadges {
  subjectFor(beacon: BeaconId, atMs: number): string | undefined;
  readonly size: number;
}

const keyOf = (b: BeaconId) => `${b.uuid.replace(/-/g, '').toLowerCase()}/${b.major}/${b.minor}`;

export function staffBadgeTable(beacons: readonly BeaconId[], pepper: SitePepper): StaffBadges {
  const keys = new Set(beacons.map(keyOf));
  return {
    size: keys.size,
    subjectFor(beacon, atMs) {
      if (keys.size === 0 || !Number.isFinite(atMs)) return undefined;
      const key = keyOf(beacon);
      if (!keys.has(key)) return undefined;
      const digest = createHmac('sha256', pepper)
        .update(`staff|${key}|${utcDay(atMs)}`)
        .digest('hex');
      return `${STAFF_SUBJECT_PREFIX}${digest.slice(0, 16)}`;
    },
  };
}
