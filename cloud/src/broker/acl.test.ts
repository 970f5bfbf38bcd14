import { describe, expect, it } from 'vitest';
import { canPublish, canSubscribe } from './acl.js';
import { topicMatches } from './broker-link.js';
import { hashPassword, parseGatewayUsername, verifyPassword } from './credentials.js';

const who = { siteId: 'mall', gatewayId: 'gw1' };

describe('canPublish', () => {
  it.each([
    ['storesense/v1/mall/gw1/event/arrival', true],
    ['storesense/v1/mall/gw1/state/conn', true],
    ['storesense/v1/mall/gw1/state/health', true],
    ['storesense/v1/mall/gw1/response/reboot', true],
    ['storesense/v1/mall/gw1/gap', true],
    ['storesense/v1/mall/other/gap', false],
    ['storesense/v1/mall/gw1/obs', true],
    ['storesense/v1/mall/gw2/event/arrival', false],
    ['storesense/v1/other/gw1/event/arrival', false],
    ['storesense/v1/mall/gw1/ack', false],
    ['storesense/v1/mall/gw1/members/keys', false],
    ['storesense/v1/mall/gw1/config', false],
    ['storesense/v1/mall/gw1/command/reboot', false],
    ['storesense/v1/mall/gw1/event/teleport', false],
    ['$SYS/broker/x', false],
    ['anything', false],
  ])('%s -> %s', (topic, allow) => {
    expect(canPublish(who, topic).allow).toBe(allow);
  });
});

describe('canSubscribe', () => {
  it.each([
    ['storesense/v1/mall/gw1/#', true],
    ['storesense/v1/mall/gw1/command/+', true],
    ['storesense/v1/mall/gw1/members/keys', true],
    ['storesense/v1/mall/+/#', false],
    ['storesense/v1/mall/gw10/#', false],
    ['storesense/v1/mall/gw1', false],
    ['#', false],
  ])('%s -> %s', (filter, allow) => {
    expect(canSubscribe(who, filter).allow).toBe(allow);
  });
});

describe('topicMatches', () => {
  it.each([
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/d', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['storesense/v1/+/+/event/+', 'storesense/v1/s/g/event/arrival', true],
    ['storesense/v1/+/+/event/+', 'storesense/v1/s/g/state/conn', false],
    ['a/b', 'a/b/c', false],
    // Shared subscriptions match what their inner filter matches (ingest behind $share must not drop messages).
    ['$share/ingest/storesense/v1/+/+/event/+', 'storesense/v1/s/g/event/arrival', true],
    ['$share/ingest/storesense/v1/+/+/event/+', 'storesense/v1/s/g/state/conn', false],
    ['$share/g/a/#', 'a', true],
    ['$share/ingest', 'ingest', false],
    ['$share//a/b', 'a/b', false],
    ['$share/+/a/b', 'a/b', false],
    ['$share/g/', '', false],
  ])('%s ~ %s -> %s', (f, t, m) => {
    expect(topicMatches(f, t)).toBe(m);
  });
});

describe('credentials', () => {
  it('verifies the right password only', async () => {
    const stored = await hashPassword('correct horse');
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('correct hors', stored)).toBe(false);
    expect(await verifyPassword('x', { passwordHash: 'zz', salt: '00' })).toBe(false);
  });
  it('parses the site.gateway username convention', () => {
    expect(parseGatewayUsername('mall-bj-01.gw-boutique-1')).toEqual({ siteId: 'mall-bj-01', gatewayId: 'gw-boutique-1' });
    expect(parseGatewayUsername('a.b.c')).toBeUndefined();
    expect(parseGatewayUsername('nodot')).toBeUndefined();
  });
});
