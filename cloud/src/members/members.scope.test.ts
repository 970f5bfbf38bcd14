import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { Metrics } from '../metrics.js';
import { openSqliteStore } from '../store/store.sqlite.js';
import { makeEvent, tempDir } from '../testing/fixtures.js';
import { MembersService } from './members.service.js';

// Decision 68: what a site's readers learn of a member comes from that site's events only.
describe('members seen through one site', () => {
  const t = tempDir();
  afterEach(() => t.cleanup());

  it("an alert at one site, and a site-scoped detail, count only that site's visits and spend", async () => {
    const store = openSqliteStore({ path: join(t.dir, 'cloud.db'), masterKey: Buffer.alloc(32, 1) });
    const members = new MembersService({
      store,
      sites: new Map(),
      clock: { now: () => 10_000 },
      logger: createLogger({ level: 'silent' }),
      metrics: new Metrics(),
    });
    await store.putMember({ memberId: 'M1', name: 'Li Na', tier: 'gold', tags: [], consent: true }, 1);
    const ev = (siteId: string, type: 'arrival' | 'purchase', at: number, visitId: string, extra = {}) =>
      makeEvent({ siteId, type, at, visitId, subject: { id: 's_m1', memberId: 'M1', signals: ['ble'] }, ...extra });
    const here = ev('site-a', 'arrival', 5_000, 'va2');
    for (const e of [
      ev('site-a', 'arrival', 1_000, 'va1'),
      ev('site-b', 'arrival', 2_000, 'vb1'),
      ev('site-b', 'purchase', 3_000, 'vb1', { amount: 500, currency: 'CNY' }),
      here,
    ]) {
      await store.insertEvent(e, 1);
    }
    const profile = (await store.getMember('M1'))!;
    const { member } = await members.forAlert(here, profile, undefined);
    expect(member).toMatchObject({ visits: 2, lastSeenAt: 1_000, totalSpend: 0 });
    const atB = await members.detail('M1', 'site-b');
    expect(atB?.member).toMatchObject({ visits: 1, totalSpend: 500, lastSeenAt: 3_000 });
    expect(atB?.purchases).toHaveLength(1);
    expect((await members.detail('M1', 'site-a'))?.purchases).toEqual([]);
    expect(await members.detail('M1', 'site-c')).toBeUndefined();
    expect((await members.detail('M1'))?.member).toMatchObject({ visits: 3, totalSpend: 500 });
    await store.close();
  });
});
