import { pbkdf2Sync } from 'node:crypto';
import { topics } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { canPublish, canSubscribe } from './acl.js';
import { shareFilter, topicMatches } from './broker-link.js';
import { gatewayAcls, hashDynsecPassword, ingestAcls, renderDynsecFile, renderMosquittoConf, type DynsecAcl } from './dynsec.js';

const allows = (acls: DynsecAcl[], type: DynsecAcl['acltype'], topic: string) =>
  acls.some((a) => a.acltype === type && a.allow && topicMatches(a.topic, topic));

// Every topic of the contract for two gateways of one site and one of another.
const contractTopics = (['gw1', 'gw2'] as const).flatMap((gw) =>
  (['mall', 'other'] as const).flatMap((site) => [
    topics.event(site, gw, 'arrival'),
    topics.ack(site, gw),
    topics.stateConn(site, gw),
    topics.stateHealth(site, gw),
    topics.occupancy(site, gw),
    topics.gap(site, gw),
    topics.config(site, gw),
    topics.memberKeys(site, gw),
    topics.observations(site, gw),
    topics.terminalObservations(site, gw, 't1'),
    topics.command(site, gw, 'reboot'),
    topics.response(site, gw, 'reboot'),
  ]),
);

describe('dynamic-security ACLs', () => {
  it("give a gateway exactly the embedded broker's publish and subscribe rights (acl.ts)", () => {
    const who = { siteId: 'mall', gatewayId: 'gw1' };
    const acls = gatewayAcls('mall', 'gw1');
    for (const t of contractTopics) {
      expect({ t, send: allows(acls, 'publishClientSend', t) }).toEqual({ t, send: canPublish(who, t).allow });
      expect({ t, sub: allows(acls, 'subscribePattern', t) }).toEqual({ t, sub: canSubscribe(who, t).allow });
    }
  });

  it('let ingest read every gateway (also through $share) and write only down-direction topics', () => {
    const acls = ingestAcls();
    const down = new Set(['ack', 'config', 'keys', 'reboot']);
    for (const t of contractTopics) {
      expect(allows(acls, 'publishClientReceive', t)).toBe(true);
      const last = t.split('/').at(-1)!;
      const isDown = down.has(last) && !t.includes('/response/');
      expect({ t, send: allows(acls, 'publishClientSend', t) }).toEqual({ t, send: isDown });
    }
    // Mosquitto 2.0 checks the whole shared filter against subscribePattern ACLs.
    expect(acls.some((a) => a.acltype === 'subscribePattern' && a.topic === '$share/+/storesense/v1/#')).toBe(true);
    expect(shareFilter('ingest', 'storesense/v1/+/+/event/+')).toBe('$share/ingest/storesense/v1/+/+/event/+');
    expect(() => shareFilter('a/b', 'x')).toThrow(/share group/);
  });
});

describe('broker-config rendering', () => {
  it('hashes passwords as the plugin checks them (PBKDF2-SHA512, 12-byte salt), never storing the password', () => {
    const h = hashDynsecPassword('s3cret-password');
    expect(pbkdf2Sync('s3cret-password', Buffer.from(h.salt, 'base64'), h.iterations, 64, 'sha512').toString('base64')).toBe(h.password);
    expect(Buffer.from(h.salt, 'base64')).toHaveLength(12);
    const file = renderDynsecFile({
      admin: { username: 'admin', password: 'admin-password' },
      ingest: { username: 'ingest', password: 'ingest-password' },
      gateways: [{ siteId: 'mall', gatewayId: 'gw1', username: 'mall.gw1', password: 'gateway-password' }],
    });
    const text = JSON.stringify(file);
    for (const secret of ['admin-password', 'ingest-password', 'gateway-password']) expect(text).not.toContain(secret);
    expect(file.defaultACLAccess).toEqual({ publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: false });
    expect(file.clients.find((c) => c.username === 'mall.gw1')).toMatchObject({ clientid: 'mall.gw1', roles: [{ rolename: 'gateway.mall.gw1' }] });
    const conf = renderMosquittoConf({ port: 1884, host: '0.0.0.0', pluginPath: '/p.so', dynsecFile: '/d.json' });
    expect(conf).toMatch(/^allow_anonymous false$/m);
    expect(conf).toMatch(/^listener 1884 0\.0\.0\.0$/m);
    expect(conf).toMatch(/^plugin_opt_config_file \/d\.json$/m);
  });
});
