import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleSitePath, loadSiteFile } from '@storesense/firmware-config';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/fixtures.js';
import { LoginThrottle } from './login-throttle.js';
import { checkStaffAgainstSites, loadStaffFile } from './staff.seed.js';

describe('loadStaffFile', () => {
  it('lists every problem with its path and never echoes a password', () => {
    const t = tempDir();
    const path = join(t.dir, 'staff.json');
    writeFileSync(
      path,
      JSON.stringify([
        { username: 'ok', password: 'long-enough', displayName: 'Ok', siteId: 'mall-bj-01', storeIds: ['boutique'] },
        { username: 'bad name', password: 'tiny', displayName: 'X', siteId: 'mall-bj-01', storeIds: ['boutique'] },
        { username: 'nostore', password: 'long-enough', displayName: 'N', role: 'staff', siteId: 'mall-bj-01' },
      ]),
    );
    const r = loadStaffFile(path);
    expect(r.ok).toBe(false);
    const issues = r.ok ? [] : r.issues;
    expect(issues.map((i) => i.split(':')[0]).sort()).toEqual(['[1].password', '[1].username', '[2].storeIds']);
    expect(issues.join('\n')).not.toContain('tiny');
    writeFileSync(
      path,
      JSON.stringify([
        { username: 'a', password: 'long-enough', displayName: 'A', siteId: 'mall-bj-01', storeIds: ['boutique'] },
        { username: 'a', password: 'long-enough', displayName: 'A', role: 'operator' },
      ]),
    );
    expect(loadStaffFile(path)).toEqual({ ok: false, issues: ['username a appears twice'] });
    t.cleanup();
  });

  it('checks sites and stores against the loaded site files', () => {
    const site = loadSiteFile(exampleSitePath('boutique'));
    if (!site.ok) throw new Error(site.error);
    const staff = [
      { username: 'a', password: 'x'.repeat(8), displayName: 'A', role: 'staff' as const, siteId: 'mall-bj-01', storeIds: ['boutique', 'nope'] },
      { username: 'b', password: 'x'.repeat(8), displayName: 'B', role: 'staff' as const, siteId: 'elsewhere', storeIds: ['x'] },
    ];
    expect(checkStaffAgainstSites(staff, [site.value])).toEqual(['staff a: site mall-bj-01 has no store nope']);
  });
});

describe('LoginThrottle', () => {
  it('pauses a username after maxFailures in the window, an address after five times as many', () => {
    let now = 0;
    const th = new LoginThrottle({ now: () => now }, { maxFailures: 2, windowMs: 1000 });
    th.fail('alice', 'ip1');
    expect(th.retryAfterMs('alice', 'ip1')).toBe(0);
    th.fail('Alice', 'ip1');
    expect(th.retryAfterMs('alice', 'ip2')).toBe(1000);
    now = 600;
    expect(th.retryAfterMs('alice', 'ip1')).toBe(400);
    expect(th.retryAfterMs('bob', 'ip1')).toBe(0);
    now = 1001;
    expect(th.retryAfterMs('alice', 'ip1')).toBe(0);
    for (let i = 0; i < 10; i++) th.fail(`user${i}`, 'ip3');
    expect(th.retryAfterMs('fresh', 'ip3')).toBeGreaterThan(0);
    th.succeed('user9');
    expect(th.retryAfterMs('fresh', 'ip3')).toBeGreaterThan(0); // a success does not clear the address
  });
});
