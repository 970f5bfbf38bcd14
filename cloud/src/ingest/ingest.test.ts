import { join } from 'node:path';
import { codecs, filters, topics } from '@storesense/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { Metrics } from '../metrics.js';
import type { CloudStore } from '../store/cloud-store.js';
import { openSqliteStore } from '../store/store.sqlite.js';
import { makeEvent, tempDir } from '../testing/fixtures.js';
import { MemoryLink } from '../testing/memory.link.js';
import { forSite, Ingest } from './ingest.js';

describe('Ingest (memory link)', () => {
  let store: CloudStore;
  let cleanup: () => void;
  let link: MemoryLink;
  let metrics: Metrics;
  let ingest: Ingest;
  const clock = { now: () => 1_700_000_100_000 };

  beforeEach(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    store = openSqliteStore({ path: join(t.dir, 'cloud.db') });
    link = new MemoryLink();
    metrics = new Metrics();
    ingest = new Ingest({ link, store, clock, logger: createLogger({ level: 'silent' }), metrics, ackDelayMs: 5 });
    await ingest.start();
  });
  afterEach(async () => {
    await ingest.stop();
    await store.close();
    cleanup();
  });

  it.each([
    ['a gateway mismatch', topics.event('site1', 'other', 'arrival'), makeEvent(), /gatewayId/],
    ['a type mismatch', topics.event('site1', 'gw1', 'exit'), makeEvent({ type: 'arrival' }), /type/],
    ['a non-contract topic', 'storesense/v1/site1/gw1/event/arrival/extra', makeEvent(), /not an event topic/],
  ])('rejects %s', async (_name, topic, event, reason) => {
    const outcome = await ingest.handleEventMessage(topic, codecs.event.encode(event));
    expect(outcome.status).toBe('rejected');
    expect(outcome.status === 'rejected' && outcome.reason).toMatch(reason);
    expect(await store.counts()).toMatchObject({ events: 0 });
  });

  it('rejects and counts a MAC-shaped subject id (a gateway leaking addresses), stores nothing, acks nothing', async () => {
    const leaked = makeEvent();
    const payload = Buffer.from(JSON.stringify({ ...leaked, subject: { ...leaked.subject, id: 'aa:bb:cc:dd:ee:ff' } }));
    const outcome = await ingest.handleEventMessage(topics.event('site1', 'gw1', leaked.type), payload);
    expect(outcome).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/looks like a MAC address/) });
    expect(await ingest.ingestEvent({ ...leaked, subject: { ...leaked.subject, id: 'AABBCCDDEEFF' } })).toMatchObject({ status: 'rejected' });
    expect(metrics.get('ingest.rejected.privacy')).toBe(2);
    expect(await store.counts()).toMatchObject({ events: 0 });
    await ingest.stop();
    expect(link.published).toHaveLength(0);
  });

  it('rejects events outside the time window with the reason in the ack, counted, while the rest of the burst is stored', async () => {
    const future = { ...makeEvent(), at: 9e15 };
    const ahead = makeEvent({ at: 1_700_000_100_000 + 10 * 60_000 });
    const ancient = makeEvent({ at: Date.UTC(2019, 5, 1) });
    const good = makeEvent({ at: 1_700_000_099_000 });
    for (const e of [future, ahead, good, ancient]) await link.inject(topics.event('site1', 'gw1', e.type), codecs.event.encode(e));
    await ingest.stop();
    const ack = JSON.parse(link.published[0]!.payload.toString()) as { ids: string[]; rejected: { id: string; reason: string }[] };
    expect(ack.ids).toEqual([good.id]);
    expect(ack.rejected.map((r) => r.id)).toEqual([future.id, ahead.id, ancient.id]);
    expect(ack.rejected[0]!.reason).toMatch(/ahead of the cloud clock/);
    expect(ack.rejected[2]!.reason).toMatch(/before 2020/);
    expect(metrics.get('ingest.rejected.time')).toBe(3);
    expect(await store.counts()).toMatchObject({ events: 1 });
  });

  it('refuses an event id another gateway already stored (never acked as a duplicate), and still acks true re-sends', async () => {
    const first = makeEvent({ gatewayId: 'gw1' });
    await link.inject(topics.event('site1', 'gw1', first.type), codecs.event.encode(first));
    const reused = { ...first, gatewayId: 'gw2', seq: 99 };
    await link.inject(topics.event('site1', 'gw2', first.type), codecs.event.encode(reused));
    await link.inject(topics.event('site1', 'gw1', first.type), codecs.event.encode(first)); // a re-send
    await ingest.stop();
    const byGw = Object.fromEntries(
      link.published.map((p) => [p.topic, JSON.parse(p.payload.toString()) as { ids: string[]; rejected?: { id: string; reason: string }[] }]),
    );
    expect(byGw[topics.ack('site1', 'gw1')]).toMatchObject({ ids: [first.id] });
    expect(byGw[topics.ack('site1', 'gw2')]).toMatchObject({ ids: [], rejected: [{ id: first.id, reason: 'event id already used by another gateway' }] });
    expect(metrics.get('ingest.rejected.id_reuse')).toBe(1);
  });

  it('acks stored and duplicate ids in one batch with the clock time', async () => {
    const a = makeEvent();
    const b = makeEvent();
    await link.inject(topics.event('site1', 'gw1', 'arrival'), codecs.event.encode(a));
    await link.inject(topics.event('site1', 'gw1', 'arrival'), codecs.event.encode(b));
    await link.inject(topics.event('site1', 'gw1', 'arrival'), codecs.event.encode(a));
    await ingest.stop(); // flushes
    expect(link.published).toHaveLength(1);
    const ack = link.published[0]!;
    expect(ack.topic).toBe(topics.ack('site1', 'gw1'));
    expect(ack.options).toEqual({ qos: 1, retain: false });
    expect(JSON.parse(ack.payload.toString())).toEqual({ v: 1, at: 1_700_000_100_000, ids: [a.id, b.id] });
    expect(metrics.snapshot()).toMatchObject({ 'ingest.stored': 2, 'ingest.duplicate': 1 });
  });

  it("stores occupancy reports under the topic's site and counts a report carrying an identifier as rejected", async () => {
    const report = { v: 1, at: 1, storeId: 'lab', minutes: [{ start: 60_000, occupancy: 4, addresses: 9, fixed: 2 }], hours: [] };
    await link.inject(topics.occupancy('site1', 'gw1'), codecs.occupancy.encode(report));
    await link.inject(topics.occupancy('site1', 'gw1'), Buffer.from(JSON.stringify({ ...report, minutes: [{ ...report.minutes[0], subject: 's_1' }] })));
    expect(await store.occupancySeries({ siteId: 'site1', storeId: 'lab', from: 0, to: 1e6 })).toEqual({ minutes: report.minutes, hours: [] });
    expect(metrics.snapshot()).toMatchObject({ 'ingest.occupancy_reports': 1, 'ingest.occupancy_rejected': 1 });
  });

  it('rejects a malformed state message and ignores a cleared retained one', async () => {
    await link.inject(topics.stateConn('site1', 'gw1'), Buffer.from('{"v":1}'));
    await link.inject(topics.stateConn('site1', 'gw1'), Buffer.alloc(0));
    expect(metrics.get('ingest.state_rejected')).toBe(1);
    expect(await store.listGateways()).toEqual([]);
  });
});

describe('forSite', () => {
  it('narrows the protocol filters to one site', () => {
    expect(forSite(filters.allEvents, 'mall-1')).toBe('storesense/v1/mall-1/+/event/+');
    expect(forSite(filters.allConnStates, 'mall-1')).toBe('storesense/v1/mall-1/+/state/conn');
    expect(() => forSite(filters.allEvents, 'bad/site')).toThrow(/valid id/);
  });

  it('makes ingest subscribe per site when scoped', async () => {
    const link = new MemoryLink();
    const t = tempDir();
    const store = openSqliteStore({ path: join(t.dir, 'c.db') });
    const ingest = new Ingest({ link, store, clock: { now: () => 0 }, logger: createLogger({ level: 'silent' }), metrics: new Metrics(), siteIds: ['a', 'b'] });
    await ingest.start();
    expect(link.filters).toEqual([
      'storesense/v1/a/+/event/+',
      'storesense/v1/b/+/event/+',
      'storesense/v1/a/+/state/conn',
      'storesense/v1/b/+/state/conn',
      'storesense/v1/a/+/state/health',
      'storesense/v1/b/+/state/health',
      'storesense/v1/a/+/gap',
      'storesense/v1/b/+/gap',
      'storesense/v1/a/+/occupancy',
      'storesense/v1/b/+/occupancy',
    ]);
    await store.close();
    t.cleanup();
  });
});
