import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleSitePath, loadSiteFile, type Site } from '@storesense/firmware-config';
import { codecs, topics, type MemberKeys } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/fixtures.js';
import { connectClient, startTestCloud } from '../testing/harness.js';
import { isValidId } from '@storesense/protocol';
import { cardDeviceId, cardOfDeviceId, combineLegacyCards, legacyCardsFromCsv, legacyCardsFromProfiles } from './legacy-cards.js';

const KEY_A = '0123456789abcdef0123456789abcdef';
const KEY_B = 'fedcba9876543210fedcba9876543210';
const KEY_C = '00112233445566778899aabbccddeeff';
const UUID = 'b9407f30-f5f8-466e-aff9-25556b57fe6d';
const CSV = [
  'memberId,name,tier,tags,consent,tokenKey,legacyBeacon',
  `M1,Li Na,platinum,,yes,${KEY_A},${UUID.toUpperCase()}:1:2`,
  `M2,Wang Fang,gold,,no,${KEY_B},${UUID}:1:3`, // no consent: never sent
  `M3,Zhang Wei,silver,,yes,${KEY_C},`,
].join('\n');

function site(name: 'espresense-shop' | 'boutique'): Site {
  const r = loadSiteFile(exampleSitePath(name));
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

async function keysOf(mqttUrl: string, siteId: string, gatewayId: string): Promise<MemberKeys> {
  const gw = await connectClient(mqttUrl, `${siteId}.${gatewayId}`, 'a-long-password');
  try {
    const received = new Promise<MemberKeys>((resolve) => {
      gw.on('message', (topic, payload) => {
        const d = codecs.memberKeys.decode(payload);
        if (topic === topics.memberKeys(siteId, gatewayId) && d.ok) resolve(d.value);
      });
    });
    await gw.subscribeAsync(topics.memberKeys(siteId, gatewayId), { qos: 1 });
    return await received;
  } finally {
    await gw.endAsync();
  }
}

describe('legacy member cards in members/keys', () => {
  it('are sent only to sites in legacy mode, only for consenting members, and never logged', async () => {
    const d = tempDir();
    const csv = join(d.dir, 'members.csv');
    writeFileSync(csv, CSV);
    const shop = site('espresense-shop');
    const boutique = site('boutique');
    expect(shop.memberTokens.legacyCards).toBe(true);
    expect(boutique.memberTokens.legacyCards).toBeUndefined();
    const t = await startTestCloud({ membersCsvPath: csv, sites: [shop, boutique] });
    try {
      await t.cloud.provisionGateway({ siteId: shop.id, gatewayId: 'gw-shop-1', password: 'a-long-password' });
      await t.cloud.provisionGateway({ siteId: boutique.id, gatewayId: 'gw-boutique-1', password: 'a-long-password' });
      const atShop = await keysOf(t.endpoints.mqttUrl, shop.id, 'gw-shop-1');
      expect(atShop.members.map((m) => m.memberId)).toEqual(['M1', 'M3']);
      expect(atShop.legacyCards).toEqual([{ memberId: 'M1', uuid: UUID, major: 1, minor: 2 }]);
      const atBoutique = await keysOf(t.endpoints.mqttUrl, boutique.id, 'gw-boutique-1');
      expect(atBoutique.members.map((m) => m.memberId)).toEqual(['M1', 'M3']);
      expect(atBoutique.legacyCards).toBeUndefined();
      expect(t.logs.text).not.toContain(UUID);
      expect(t.logs.find('member keys published').some((l) => l.legacyCards === 1)).toBe(true);
      // A card registered on M3's profile (app/API path) joins on the next publish.
      await t.cloud.store!.putMember(
        {
          memberId: 'M3',
          name: 'Zhang Wei',
          tier: 'silver',
          tags: [],
          consent: true,
          devices: [{ deviceId: cardDeviceId({ uuid: UUID, major: 9, minor: 9 }), platform: 'card' }],
        },
        Date.now(),
      );
      await t.cloud.provisionGateway({ siteId: shop.id, gatewayId: 'gw-shop-1', password: 'a-long-password' });
      const again = await keysOf(t.endpoints.mqttUrl, shop.id, 'gw-shop-1');
      expect(again.legacyCards).toEqual([
        { memberId: 'M3', uuid: UUID, major: 9, minor: 9 },
        { memberId: 'M1', uuid: UUID, major: 1, minor: 2 },
      ]);
    } finally {
      await t.stop();
      d.cleanup();
    }
  });
});

describe('legacy card sources', () => {
  it('card device ids: ibeacon-<uuid>-<major>-<minor> is a valid device id and round-trips', () => {
    const card = { uuid: UUID, major: 65535, minor: 0 };
    expect(isValidId(cardDeviceId(card))).toBe(true);
    expect(cardOfDeviceId(cardDeviceId(card))).toEqual(card);
    expect(cardOfDeviceId(`iBeacon:${UUID.toUpperCase()}:1:2`)).toEqual({ uuid: UUID, major: 1, minor: 2 });
    for (const bad of ['ibeacon-', `ibeacon-${UUID}-70000-1`, 'phone-1', `ibeacon-${UUID}-1`]) expect(cardOfDeviceId(bad), bad).toBeUndefined();
  });

  it('profiles: card devices named ibeacon-<uuid>-<major>-<minor>; other devices and malformed ids ignored', async () => {
    const profiles = [
      {
        memberId: 'M1',
        devices: [
          { deviceId: `ibeacon-${UUID}-7-8`, platform: 'card' },
          { deviceId: 'phone-1', platform: 'ios' },
        ],
      },
      {
        memberId: 'M2',
        devices: [
          { deviceId: 'ibeacon:nope', platform: 'card' },
          { deviceId: `ibeacon:${UUID}:9:9`, platform: 'android' },
        ],
      },
      { memberId: 'M3' },
    ];
    const store = { listMembers: async ({ limit, offset = 0 }: { limit: number; offset?: number }) => profiles.slice(offset, offset + limit) as never };
    expect(await legacyCardsFromProfiles(store, 2).list()).toEqual([{ memberId: 'M1', uuid: UUID, major: 7, minor: 8 }]);
  });

  it('combine: the first source wins for one beacon; the CSV source skips rows without a card', async () => {
    const d = tempDir();
    const csv = join(d.dir, 'members.csv');
    writeFileSync(csv, CSV);
    const fixed = { list: async () => [{ memberId: 'M9', uuid: UUID, major: 1, minor: 2 }] };
    expect(await combineLegacyCards(fixed, legacyCardsFromCsv(csv)).list()).toEqual([
      { memberId: 'M9', uuid: UUID, major: 1, minor: 2 },
      { memberId: 'M2', uuid: UUID, major: 1, minor: 3 },
    ]);
    d.cleanup();
  });
});
