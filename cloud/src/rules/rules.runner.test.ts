import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/fixtures.js';
import { startTestCloud, waitFor, type TestCloud } from '../testing/harness.js';
import type { Rule } from './rules.js';

const AT = Date.UTC(2026, 10, 23, 10);
const base = { enabled: true, cooldownMs: 0, audience: 'member' } as const;

describe('RulesRunner with rules from the store', () => {
  let t: TestCloud;
  let server: Server;
  let hooks: unknown[];
  let hookUrl: string;

  beforeEach(async () => {
    hooks = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    t = await startTestCloud();
    await t.cloud.store!.upsertMembers(
      ['M1', 'M2'].map((memberId) => ({ memberId, name: memberId, tier: 'gold', tags: [], consent: true, tokenKey: 'c'.repeat(32) })),
      1,
    );
  });
  afterEach(async () => {
    await t?.stop();
    await new Promise((r) => server.close(r));
  });

  const put = async (rule: Rule) => t.cloud.store!.putRule(rule, 1);

  it('a store budget stops offers once the store has issued that many today', async () => {
    await put({
      ...base,
      id: 'dwell-offer',
      name: 'dwell offer',
      eventTypes: ['dwell'],
      actions: [{ kind: 'offer', offerKind: 'coffee', validForMs: 60_000, dailyBudgetPerStore: 1 }],
    });
    for (const [i, memberId] of ['M1', 'M2'].entries()) {
      await t.cloud.ingestEvent(
        makeEvent({ at: AT + i, type: 'dwell', phase: 'start', dwellMs: 60_000, zoneId: 'z1', subject: { id: `s${i}`, memberId, signals: ['ble'] } }),
      );
    }
    expect((await t.cloud.store!.listOffers({ limit: 10 })).filter((o) => o.kind === 'coffee').map((o) => o.memberId)).toEqual(['M1']);
  });

  it('a webhook rule posts anonymous approaches; an invalid stored rule is skipped, not fatal', async () => {
    await put({ ...base, id: 'hook', name: 'hook', audience: 'any', eventTypes: ['approach'], actions: [{ kind: 'webhook', url: hookUrl }] });
    await put({ ...base, id: 'broken', name: 'broken', eventTypes: ['approach'], actions: [] } as unknown as Rule);
    const event = makeEvent({ at: AT, type: 'approach', subject: { id: 'anon', signals: ['ble'] } });
    expect((await t.cloud.ingestEvent(event)).status).toBe('stored');
    await waitFor(() => hooks.length === 1, 5000, 'webhook call');
    expect(hooks[0]).toMatchObject({ ruleId: 'hook', event: { id: event.id } });
    expect(t.logs.find('stored rule is invalid; skipped')).toHaveLength(1);
  });
});
