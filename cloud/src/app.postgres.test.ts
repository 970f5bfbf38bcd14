import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { makeEvent } from './testing/fixtures.js';
import { startTestCloud, waitFor } from './testing/harness.js';
import { dropSchema, freshSchemaName, pgQuery, postgresUnavailable, urlWithSchema } from './testing/postgres.fixture.js';

const unavailable = await postgresUnavailable();

describe.skipIf(unavailable !== undefined)('createCloud on PostgreSQL (databaseUrl)', () => {
  it('stores in PostgreSQL, not cloud.db, and raises one alert and one offer for concurrent arrivals', async () => {
    const schema = freshSchemaName();
    await pgQuery(`CREATE SCHEMA ${schema}`);
    const t = await startTestCloud({ databaseUrl: urlWithSchema(schema), masterKey: randomBytes(32) });
    try {
      await t.cloud.store!.upsertMembers([{ memberId: 'M1', name: 'Ann', tier: 'gold', tags: [], consent: true, tokenKey: 'c'.repeat(32) }], 1);
      const at = Date.UTC(2026, 10, 23, 10);
      const events = [0, 1, 2].map((i) => makeEvent({ at: at + i * 1000, type: 'arrival', subject: { id: 's', memberId: 'M1', signals: ['ble'] } }));
      const outcomes = await Promise.all(events.map((e) => t.cloud.ingestEvent(e)));
      expect(outcomes.map((o) => o.status)).toEqual(['stored', 'stored', 'stored']);
      expect((await t.cloud.ingestEvent(events[0])).status).not.toBe('stored'); // a re-sent event is not stored twice
      expect((await t.cloud.store!.listAlerts({ limit: 10 })).length).toBe(1);
      expect((await t.cloud.store!.listOffers({ limit: 10 })).length).toBe(1);
      const stored = await pgQuery(`SELECT count(*)::int AS n FROM ${schema}.events`);
      expect(stored.rows[0].n).toBe(3);
      expect(existsSync(join(t.dataDir, 'cloud.db'))).toBe(false);
    } finally {
      await t.stop();
      await dropSchema(schema);
    }
  });

  it('hands concurrently raised alerts to a socket once each, in seq order (no Redis: the ordered hub in process)', async () => {
    const schema = freshSchemaName();
    await pgQuery(`CREATE SCHEMA ${schema}`);
    const t = await startTestCloud({ databaseUrl: urlWithSchema(schema), masterKey: randomBytes(32) });
    try {
      const ids = Array.from({ length: 8 }, (_, i) => `M${i}`);
      await t.cloud.store!.upsertMembers(
        ids.map((memberId) => ({ memberId, name: memberId, tier: 'gold', tags: [], consent: true, tokenKey: 'c'.repeat(32) })),
        1,
      );
      const ws = new WebSocket(`${t.endpoints.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws`);
      const seqs: number[] = [];
      let hello = false;
      ws.on('message', (d) => {
        const f = JSON.parse(String(d)) as { type: string; alert?: { seq: number } };
        if (f.type === 'hello') hello = true;
        if (f.type === 'alert') seqs.push(f.alert!.seq);
      });
      await waitFor(() => hello, 5000, 'hello');
      const at = Date.UTC(2026, 10, 23, 10);
      await Promise.all(
        ids.map((memberId, i) => t.cloud.ingestEvent(makeEvent({ at: at + i, type: 'arrival', subject: { id: `s${i}`, memberId, signals: ['ble'] } }))),
      );
      await waitFor(() => seqs.length === 8, 5000, 'eight alerts');
      expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      ws.close();
    } finally {
      await t.stop();
      await dropSchema(schema);
    }
  });
});
