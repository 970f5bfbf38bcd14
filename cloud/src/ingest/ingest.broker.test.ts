import { codecs, filters, topics, type Ack } from '@storesense/protocol';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/fixtures.js';
import { connectClient, startTestCloud, waitFor, type TestCloud } from '../testing/harness.js';

const SITE = 'site1';
const GW = 'gw1';
const PASSWORD = 'gw1-secret-password';

describe('embedded broker + ingest over real sockets', () => {
  let t: TestCloud;
  let gw: MqttClient;
  const acks: Ack[] = [];

  beforeAll(async () => {
    t = await startTestCloud();
    await t.cloud.provisionGateway({ siteId: SITE, gatewayId: GW, password: PASSWORD });
    await t.cloud.provisionGateway({ siteId: SITE, gatewayId: 'gw2', password: 'gw2-secret-password' });
    gw = await connectClient(t.endpoints.mqttUrl, `${SITE}.${GW}`, PASSWORD);
    gw.on('message', (topic, payload) => {
      if (topic === topics.ack(SITE, GW)) {
        const decoded = codecs.ack.decode(payload);
        if (decoded.ok) acks.push(decoded.value);
      }
    });
    await gw.subscribeAsync(topics.ack(SITE, GW), { qos: 1 });
  });
  afterAll(async () => {
    await gw?.endAsync();
    await t?.stop();
  });

  const ackedIds = () => acks.flatMap((a) => a.ids);
  const stored = async (id: string) => (await t.cloud.store!.listEvents({ limit: 1000 })).filter((e) => e.event.id === id).length;

  it('stores a valid event once even when published twice, and acks it both times', async () => {
    const e = makeEvent({ siteId: SITE, gatewayId: GW, type: 'approach' });
    const body = codecs.event.encode(e);
    await gw.publishAsync(topics.event(SITE, GW, 'approach'), body, { qos: 1 });
    await waitFor(() => ackedIds().includes(e.id), 5000, 'first ack');
    // The gateway missed the ack (say) and republishes: stored once, acked again.
    await gw.publishAsync(topics.event(SITE, GW, 'approach'), body, { qos: 1 });
    await waitFor(() => ackedIds().filter((id) => id === e.id).length >= 2, 5000, 'second ack');
    expect(await stored(e.id)).toBe(1);
    expect(t.cloud.metrics.get('ingest.duplicate')).toBeGreaterThanOrEqual(1);
    const ack = acks.find((a) => a.ids.includes(e.id))!;
    expect(ack.v).toBe(1);
    expect(ack.at).toBeGreaterThan(0);
  });

  it('batches the ids of a burst into few acks', async () => {
    const events = Array.from({ length: 20 }, () => makeEvent({ siteId: SITE, gatewayId: GW, type: 'arrival' }));
    const before = acks.length;
    await Promise.all(events.map((e) => gw.publishAsync(topics.event(SITE, GW, 'arrival'), codecs.event.encode(e), { qos: 1 })));
    await waitFor(() => events.every((e) => ackedIds().includes(e.id)), 5000, 'acks for the burst');
    expect(acks.length - before).toBeLessThan(20);
  });

  it('rejects malformed JSON, schema-invalid payloads and siteId mismatches, then still takes valid events', async () => {
    const rejectedBefore = t.cloud.metrics.get('ingest.rejected');
    const topic = topics.event(SITE, GW, 'arrival');
    const invalid = { ...makeEvent({ siteId: SITE, gatewayId: GW }), confidence: 7 };
    const otherSite = makeEvent({ siteId: 'elsewhere', gatewayId: GW });
    await gw.publishAsync(topic, Buffer.from('{"v":1, not json'), { qos: 1 });
    await gw.publishAsync(topic, Buffer.from(JSON.stringify(invalid)), { qos: 1 });
    await gw.publishAsync(topic, Buffer.from(JSON.stringify(otherSite)), { qos: 1 });
    const good = makeEvent({ siteId: SITE, gatewayId: GW });
    await gw.publishAsync(topic, codecs.event.encode(good), { qos: 1 });
    await waitFor(() => ackedIds().includes(good.id), 5000, 'ack of the valid event');

    expect(t.cloud.metrics.get('ingest.rejected') - rejectedBefore).toBe(3);
    expect(t.cloud.metrics.get('ingest.rejected.malformed')).toBe(1);
    expect(t.cloud.metrics.get('ingest.rejected.schema')).toBe(1);
    expect(t.cloud.metrics.get('ingest.rejected.mismatch')).toBe(1);
    const logged = t.logs.find('event rejected');
    expect(logged.map((l) => l.kind)).toEqual(['malformed', 'schema', 'mismatch']);
    expect(logged.every((l) => l.topic === topic)).toBe(true);
    expect(String(logged[1]!.reason)).toContain('confidence');
    expect(String(logged[2]!.reason)).toContain('siteId');
    expect(await stored(invalid.id)).toBe(0);
    expect(await stored(otherSite.id)).toBe(0);
    expect(ackedIds()).not.toContain(invalid.id);
  });

  it('disconnects a gateway that publishes outside its prefix and stores nothing; it can reconnect and publish', async () => {
    // gw2, with its own credentials (and so its own client id), forging gw1's events.
    const rogue = await connectClient(t.endpoints.mqttUrl, `${SITE}.gw2`, 'gw2-secret-password');
    const closed = new Promise<void>((resolve) => rogue.once('close', () => resolve()));
    const forged = makeEvent({ siteId: SITE, gatewayId: GW });
    rogue.publish(topics.event(SITE, GW, 'arrival'), codecs.event.encode(forged), { qos: 0 });
    await closed;
    rogue.end(true);
    expect(t.cloud.metrics.get('broker.publish_refused')).toBe(1);
    expect(t.logs.find('publish refused')[0]).toMatchObject({ topic: topics.event(SITE, GW, 'arrival'), reason: 'outside the gateway prefix' });
    expect(await stored(forged.id)).toBe(0);

    // A forged ack on its own prefix is refused too (down-direction topic).
    const rogue2 = await connectClient(t.endpoints.mqttUrl, `${SITE}.gw2`, 'gw2-secret-password');
    const closed2 = new Promise<void>((resolve) => rogue2.once('close', () => resolve()));
    rogue2.publish(topics.ack(SITE, 'gw2'), Buffer.from('{}'), { qos: 0 });
    await closed2;
    rogue2.end(true);
    expect(t.cloud.metrics.get('broker.publish_refused')).toBe(2);

    const again = await connectClient(t.endpoints.mqttUrl, `${SITE}.gw2`, 'gw2-secret-password');
    const good = makeEvent({ siteId: SITE, gatewayId: 'gw2' });
    await again.publishAsync(topics.event(SITE, 'gw2', 'arrival'), codecs.event.encode(good), { qos: 1 });
    await waitFor(async () => (await stored(good.id)) === 1, 5000, 'event stored after reconnect');
    await again.endAsync();
    expect(gw.connected).toBe(true);
  });

  it("binds the client id to the credential: gw2's password with gw1's client id is refused (CONNACK 2) and gw1 stays connected", async () => {
    for (let i = 0; i < 3; i += 1) {
      await expect(connectClient(t.endpoints.mqttUrl, `${SITE}.gw2`, 'gw2-secret-password', `${SITE}.${GW}`)).rejects.toMatchObject({ code: 2 });
    }
    expect(gw.connected).toBe(true);
    expect(t.logs.find('mqtt connection refused').some((l) => String(l.reason).startsWith('client id must be'))).toBe(true);
  });

  it('refuses retained publishes outside the state topics (a bounded retained footprint per gateway)', async () => {
    const c = await connectClient(t.endpoints.mqttUrl, `${SITE}.gw2`, 'gw2-secret-password');
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.publish(topics.event(SITE, 'gw2', 'arrival'), codecs.event.encode(makeEvent({ siteId: SITE, gatewayId: 'gw2' })), { qos: 0, retain: true });
    await closed;
    c.end(true);
    expect(t.logs.find('publish refused').some((l) => String(l.reason).includes('retained'))).toBe(true);
  });

  it('closes a connection whose packet is over the size limit while it streams, before buffering it', async () => {
    const { connect } = await import('node:net');
    const socket = connect(t.endpoints.mqttPort, '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    // A PUBLISH header announcing 100 MB (remaining length 100_000_000 as a variable byte integer).
    let n = 100_000_000;
    const len: number[] = [];
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) b |= 0x80;
      len.push(b);
    } while (n > 0);
    socket.write(Buffer.from([0x30, ...len]));
    socket.write(Buffer.alloc(64 * 1024, 0x61));
    await closed;
    expect(t.cloud.metrics.get('broker.packet_too_large')).toBeGreaterThanOrEqual(1);
    expect(gw.connected).toBe(true);
  });

  it('negates subscriptions outside the gateway prefix', async () => {
    // mqtt.js turns a SUBACK 0x80 into a rejected promise; the connection stays up.
    for (const filter of [filters.allEvents, topics.memberKeys(SITE, 'gw2'), '#']) {
      await expect(gw.subscribeAsync(filter, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    }
    expect(t.cloud.metrics.get('broker.subscribe_refused')).toBe(3);
    expect(t.logs.find('subscription refused').map((l) => l.filter)).toEqual([filters.allEvents, topics.memberKeys(SITE, 'gw2'), '#']);
    expect(gw.connected).toBe(true);
    const own = await gw.subscribeAsync(filters.gatewayCommands(SITE, GW), { qos: 1 });
    expect(own[0]!.qos).toBe(1);
  });

  it('refuses a wrong password or an unknown user with CONNACK 4 and never logs the password', async () => {
    await expect(connectClient(t.endpoints.mqttUrl, `${SITE}.${GW}`, 'not-the-password')).rejects.toMatchObject({ code: 4 });
    await expect(connectClient(t.endpoints.mqttUrl, 'nobody.gw', 'whatever-password')).rejects.toMatchObject({ code: 4 });
    await expect(connectClient(t.endpoints.mqttUrl)).rejects.toMatchObject({ code: 4 });
    const refusals = t.logs.find('mqtt connection refused').map((l) => l.reason);
    expect(refusals.slice(-3)).toEqual(['wrong password', 'unknown username', 'missing username or password']);
    expect(t.logs.text).not.toContain('not-the-password');
    expect(t.logs.text).not.toContain(PASSWORD);
  });

  it('a repeated CONNECT skips the scrypt, but never past a changed password or a revocation', async () => {
    const site = 'cache';
    await t.cloud.provisionGateway({ siteId: site, gatewayId: 'gw1', password: 'first-password-1' });
    const cachedBefore = t.cloud.metrics.get('broker.auth_cached');
    await (await connectClient(t.endpoints.mqttUrl, `${site}.gw1`, 'first-password-1')).endAsync();
    await (await connectClient(t.endpoints.mqttUrl, `${site}.gw1`, 'first-password-1')).endAsync();
    expect(t.cloud.metrics.get('broker.auth_cached') - cachedBefore).toBe(1);
    // A wrong password is never taken from the cache (and does not evict the good login).
    await expect(connectClient(t.endpoints.mqttUrl, `${site}.gw1`, 'first-password-2')).rejects.toMatchObject({ code: 4 });
    // New credentials: the old password, remembered a moment ago, is refused; the new one works.
    await t.cloud.provisionGateway({ siteId: site, gatewayId: 'gw1', password: 'second-password' });
    await expect(connectClient(t.endpoints.mqttUrl, `${site}.gw1`, 'first-password-1')).rejects.toMatchObject({ code: 4 });
    await (await connectClient(t.endpoints.mqttUrl, `${site}.gw1`, 'second-password')).endAsync();
    await (await connectClient(t.endpoints.mqttUrl, `${site}.gw1`, 'second-password')).endAsync();
    // Revoked straight in the store (no hook called): the remembered login is refused all the same.
    await t.cloud.store!.registerGateway(site, 'gw1', Date.now());
    expect(await t.cloud.store!.revokeGateway(site, 'gw1', Date.now())).toBe(true);
    await expect(connectClient(t.endpoints.mqttUrl, `${site}.gw1`, 'second-password')).rejects.toMatchObject({ code: 4 });
    expect(t.cloud.metrics.get('broker.auth_cached') - cachedBefore).toBe(2);
  });

  it('tracks retained state/conn and state/health per gateway', async () => {
    await gw.publishAsync(topics.stateConn(SITE, GW), codecs.connState.encode({ v: 1, state: 'online', at: 5, version: '0.1.0' }), { qos: 1, retain: true });
    await gw.publishAsync(
      topics.stateHealth(SITE, GW),
      codecs.health.encode({
        v: 1,
        at: 6,
        version: '0.1.0',
        sources: {},
        outbox: { depth: 3, dropped: 0 },
        model: { name: 'rules', version: '1' },
        subjects: 2,
      }),
      { qos: 0, retain: true },
    );
    const status = await waitFor(
      async () => {
        const g = (await t.cloud.store!.listGateways()).find((x) => x.gatewayId === GW);
        return g?.conn && g.health ? g : undefined;
      },
      5000,
      'gateway status',
    );
    expect(status.conn?.state).toBe('online');
    expect(status.health?.value.outbox.depth).toBe(3);
    expect(status.provisioned).toBe(true);
  });
});
