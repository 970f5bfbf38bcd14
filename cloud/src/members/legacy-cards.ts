import { loadMembersCsv } from '@storesense/firmware-config';
import { parseLegacyBeacon, type LegacyCard } from '@storesense/protocol';
import type { CloudStore } from '../store/cloud-store.js';

/**
 * Where the cloud finds legacy member cards (static iBeacons). Consent and per-site opt-in are
 * applied by the MemberKeysPublisher, not here: a source lists every card it knows.
 * @example new MemberKeysPublisher({ ..., legacyCards: combineLegacyCards(legacyCardsFromProfiles(store), legacyCardsFromCsv(path)) })
 */
export interface LegacyCardSource {
  list(): Promise<LegacyCard[]>;
}

/**
 * Device id convention for a card registered on a member profile: `ibeacon-<uuid>-<major>-<minor>`
 * (fits the id rules of `devices[].deviceId`; e.g. `ibeacon-b9407f30-f5f8-466e-aff9-25556b57fe6d-12345-54321`).
 * `ibeacon:<uuid>:<major>:<minor>` is read too.
 */
export function cardOfDeviceId(deviceId: string): Omit<LegacyCard, 'memberId'> | undefined {
  const lower = deviceId.toLowerCase();
  if (lower.startsWith('ibeacon:')) return parseLegacyBeacon(deviceId.slice('ibeacon:'.length));
  const m = /^ibeacon-([0-9a-f-]{32,36})-(\d{1,5})-(\d{1,5})$/.exec(lower);
  return m ? parseLegacyBeacon(`${m[1]}:${m[2]}:${m[3]}`) : undefined;
}

/** The device id to register a card under (see `cardOfDeviceId`). */
export function cardDeviceId(card: Omit<LegacyCard, 'memberId'>): string {
  return `ibeacon-${card.uuid}-${card.major}-${card.minor}`;
}

/**
 * Cards registered as devices on member profiles (`devices[]` with `platform: 'card'` and a
 * `deviceId` of `ibeacon-<uuid>-<major>-<minor>`). Profiles without devices contribute nothing.
 */
export function legacyCardsFromProfiles(store: Pick<CloudStore, 'listMembers'>, pageSize = 1000): LegacyCardSource {
  return {
    async list() {
      const out: LegacyCard[] = [];
      for (let offset = 0; ; offset += pageSize) {
        const page = await store.listMembers({ limit: pageSize, offset });
        for (const p of page) {
          // Read defensively: `devices` is an optional part of a profile.
          const devices = (p as { devices?: unknown }).devices;
          if (!Array.isArray(devices)) continue;
          for (const d of devices as { platform?: unknown; deviceId?: unknown }[]) {
            if (d?.platform !== 'card' || typeof d.deviceId !== 'string') continue;
            const beacon = cardOfDeviceId(d.deviceId);
            if (beacon) out.push({ memberId: p.memberId, ...beacon });
          }
        }
        if (page.length < pageSize) return out;
      }
    },
  };
}

/**
 * Cards from the members CSV's optional `legacyBeacon` column, read when listed (the file the cloud
 * imports members from); rows the parser rejects contribute nothing.
 */
export function legacyCardsFromCsv(path: string): LegacyCardSource {
  return {
    async list() {
      return loadMembersCsv(path).members.flatMap((m) => (m.legacyBeacon ? [{ memberId: m.memberId, ...m.legacyBeacon }] : []));
    },
  };
}

/** All sources' cards; on two entries for one beacon the first source wins (profiles before the CSV). */
export function combineLegacyCards(...sources: LegacyCardSource[]): LegacyCardSource {
  return {
    async list() {
      const seen = new Set<string>();
      const out: LegacyCard[] = [];
      for (const s of sources) {
        for (const c of await s.list()) {
          const k = `${c.uuid}/${c.major}/${c.minor}`;
          if (seen.has(k)) continue;
          seen.add(k);
          out.push(c);
        }
      }
      return out;
    },
  };
}
