import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertHub } from '../alerts/alert-hub.js';
import { AlertService } from '../alerts/alert.service.js';
import type { Principal } from '../auth/principal.js';
import { systemClock } from '../clock.js';
import { createLogger } from '../log.js';
import { Metrics } from '../metrics.js';
import { OfferDeliveryWorker } from '../offers/offer-delivery.js';
import { VisitFollower } from '../alerts/visit-follower.js';
import { makeEvent } from '../testing/fixtures.js';
import { dropSchema, freshSchemaName, POSTGRES_TEST_URL, postgresUnavailable } from '../testing/postgres.fixture.js';
import type { CloudStore, NewAlert } from './cloud-store.js';
import { openPostgresStore } from './store.postgres.js';

// Two cloud nodes = two stores (two pools, separate connections) on one schema: what the database
// arbitrates between nodes, not what one process serialises (decision 100).
const unreachable = await postgresUnavailable();

const base: Omit<NewAlert, 'id'> = {
  at: 10,
  eventAt: 5,
  eventId: 'ev1',
  eventType: 'arrival',
  siteId: 'site1',
  storeId: 'st1',
  memberId: 'm1',
  memberName: 'Ann',
  tags: [],
  message: 'hi',
  status: 'open',
};

describe.skipIf(unreachable !== undefined)('PostgreSQL store shared by two nodes', () => {
  let schema: string;
  let nodes: CloudStore[];
  beforeEach(async () => {
    schema = freshSchemaName();
    const masterKey = randomBytes(32);
    nodes = [];
    for (let i = 0; i < 2; i++) nodes.push(await openPostgresStore({ url: POSTGRES_TEST_URL, schema, masterKey, maxConnections: 6 }));
  });
  afterEach(async () => {
    for (const n of nodes) await n.close();
    await dropSchema(schema);
  });

  it('follows a visit on the node its later events reach: the alert raised on the other node is updated and announced (decision 171)', async () => {
    const raised = await nodes[0]!.raiseAlert({ ...base, id: 'v-a1', eventAt: 1000, visitId: 'v9' }, 'member-arrival-alert');
    const hub = new AlertHub();
    const updates: string[] = [];
    hub.subscribe((change) => updates.push(`${change.type}:${change.alert.id}:${change.alert.visit?.stage}`));
    const follower = new VisitFollower({ store: nodes[1]!, hub, logger: createLogger({ level: 'silent' }), metrics: new Metrics(), index: 'store' });
    const subject = { id: 's_v9', memberId: 'm1', signals: ['ble' as const] };
    await follower.onEvent(
      makeEvent({ type: 'dwell', at: 2000, siteId: 'site1', storeId: 'st1', visitId: 'v9', zoneId: 'z1', phase: 'update', dwellMs: 60_000, subject } as never),
    );
    await follower.onEvent(
      makeEvent({ type: 'dwell', at: 2500, siteId: 'site1', storeId: 'st1', visitId: 'other', phase: 'end', dwellMs: 1, subject } as never),
    ); // another visit: nothing
    // A till's purchase has its own visit id: matched to the member's latest visit at the store.
    await follower.onEvent(
      makeEvent({ type: 'purchase', at: 3000, siteId: 'site1', storeId: 'st1', visitId: 'till-1', amount: 88, currency: 'CNY', subject } as never),
    );
    expect((await nodes[0]!.getAlert(raised.alert.id))?.visit).toMatchObject({ stage: 'purchase', zoneId: 'z1', amount: 88 });
    await new Promise((r) => setTimeout(r, 50)); // the hub delivers on a later tick
    expect(updates).toEqual(['alert_update:v-a1:dwell', 'alert_update:v-a1:purchase']);
  });

  it('stores one alert when both nodes raise the same event and rule at once', async () => {
    const raises = Array.from({ length: 24 }, (_, i) => nodes[i % 2]!.raiseAlert({ ...base, id: `a${i}` }, 'member-arrival-alert'));
    const results = await Promise.all(raises);
    expect(results.filter((r) => r.inserted)).toHaveLength(1);
    expect(new Set(results.map((r) => `${r.alert.id}:${r.alert.seq}`)).size).toBe(1);
    expect((await nodes[0]!.counts()).alerts).toBe(1);
  });

  it('alerts once for one shopper when both nodes raise for different events inside the cooldown', async () => {
    const raises = Array.from({ length: 12 }, (_, i) =>
      nodes[i % 2]!.raiseAlert({ ...base, id: `c${i}`, eventId: `ev-c${i}`, eventAt: 1_000_000 + i * 1000 }, 'member-arrival-alert', 600_000),
    );
    const results = await Promise.all(raises);
    expect(results.filter((r) => r.inserted)).toHaveLength(1);
    expect(results.filter((r) => r.cooldown)).toHaveLength(11);
    expect((await nodes[0]!.counts()).alerts).toBe(1);
  });

  it('grants a claim to exactly one of many staff racing on both nodes', async () => {
    const { alert } = await nodes[0]!.raiseAlert({ ...base, id: 'claimed' }, 'member-arrival-alert');
    const services = nodes.map(
      (store) => new AlertService({ store, hub: new AlertHub(), clock: systemClock, logger: createLogger({ level: 'silent' }), metrics: new Metrics() }),
    );
    const staff = (i: number): Principal => ({
      kind: 'session',
      username: `staff${i}`,
      displayName: `Staff ${i}`,
      role: 'staff',
      siteId: 'site1',
      storeIds: ['st1'],
    });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => services[i % 2]!.act(alert.id, 'claim', staff(i))));
    const winners = answers.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(9);
    const handling = await nodes[1]!.getAlertHandling(alert.id);
    expect(handling?.status).toBe('claimed');
    expect(winners[0]).toMatchObject({ alert: { status: 'claimed', claimedBy: `Staff ${handling!.handledBy!.slice(5)}` } });
  });

  it('never leases one delivery to both nodes (FOR UPDATE SKIP LOCKED)', async () => {
    for (let i = 0; i < 60; i++) await nodes[0]!.enqueueDelivery(`o${String(i).padStart(2, '0')}`, i);
    const takes = Array.from({ length: 12 }, (_, i) => nodes[i % 2]!.leaseDeliveries({ now: 1000, limit: 7, owner: `node${i % 2}-${i}`, leaseMs: 60_000 }));
    const leased = (await Promise.all(takes)).flat().map((d) => d.offerId);
    expect(leased).toHaveLength(60);
    expect(new Set(leased).size).toBe(60);
  });

  it('delivers each queued offer once with a worker on each node; a crashed holder’s offers wait for its lease to run out', async () => {
    const pushes: string[] = [];
    const server = createServer((req, res) => {
      pushes.push(String(req.headers['idempotency-key']));
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      let now = Date.UTC(2026, 10, 23, 10);
      const clock = { now: () => now };
      const offer = (id: string) => ({
        id,
        kind: 'attract',
        memberId: null,
        subject: `s_${id}`,
        siteId: 'site1',
        day: '2026-11-23',
        issuedAt: now,
        expiresAt: now + 3_600_000,
        status: 'issued' as const,
        eventId: `e_${id}`,
      });
      for (let i = 0; i < 30; i++) {
        await nodes[0]!.insertOffer(offer(`o${i}`));
        await nodes[0]!.enqueueDelivery(`o${i}`, now);
      }
      // A node that leased two and died before sending them.
      expect((await nodes[1]!.leaseDeliveries({ now, limit: 2, owner: 'dead-node', leaseMs: 60_000 })).map((d) => d.offerId)).toHaveLength(2);
      const config = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`, leaseMs: 60_000 };
      const workers = nodes.map(
        (store) => new OfferDeliveryWorker({ store, clock, logger: createLogger({ level: 'silent' }), metrics: new Metrics(), config }),
      );
      const passes = async () => (await Promise.all([workers[0]!.pass(), workers[1]!.pass(), workers[0]!.pass(), workers[1]!.pass()])).reduce((a, b) => a + b);
      while ((await passes()) > 0);
      expect(pushes).toHaveLength(28);
      expect(new Set(pushes).size).toBe(28);
      now += 60_000; // the dead node's lease has run out
      while ((await passes()) > 0);
      expect(new Set(pushes).size).toBe(30);
      expect(pushes).toHaveLength(30);
      expect((await nodes[0]!.listOffers({ limit: 100, status: 'delivered' })).length).toBe(30);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('commits alert seqs in order: a reader following its last seq misses none while both nodes raise', async () => {
    const total = 120;
    let done = false;
    const seen: number[] = [];
    const reader = (async () => {
      let cursor = 0;
      // What a socket resuming on any node does: everything after the last seq it got.
      while (!done || seen.length < total) {
        const page = await nodes[1]!.listAlerts({ sinceSeq: cursor, limit: 500 });
        for (const a of page) seen.push(a.seq);
        cursor = page.at(-1)?.seq ?? cursor;
        if (done && page.length === 0) break;
      }
    })();
    await Promise.all(Array.from({ length: total }, (_, i) => nodes[i % 2]!.raiseAlert({ ...base, eventId: `ev-${i}`, id: `s${i}` }, 'member-arrival-alert')));
    done = true;
    await reader;
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });
});
