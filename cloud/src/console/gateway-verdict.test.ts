import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BROWSER_BUILD_DIR } from './console.assets.js';

type Row = Record<string, unknown>;
type Verdict = { level: string; label: string; reasons: string[] };
const NOW = Date.UTC(2026, 10, 23, 8, 0, 0);
// The module exactly as the browser gets it: the compiled cloud/browser/gateway-verdict.ts.
const { gatewayVerdict, STALE_MS } = (await import(pathToFileURL(`${BROWSER_BUILD_DIR}gateway-verdict.js`).href)) as {
  gatewayVerdict: (g: Row, now: number) => Verdict;
  STALE_MS: number;
};

const health = (receivedAt: number, over: { sources?: Row; dropped?: number } = {}): Row => ({
  receivedAt,
  value: {
    v: 1,
    at: receivedAt,
    version: '0.1.0',
    subjects: 0,
    model: { name: 'rules', version: '1' },
    sources: over.sources ?? { ble: { state: 'ok', observations: 10, rejected: 0 } },
    outbox: { depth: 0, dropped: over.dropped ?? 0 },
  },
});
const conn = (state: 'online' | 'offline', at = NOW - 5_000): Row => ({ state, at, version: '0.1.0', receivedAt: at });
const gw = (over: Row): Row => ({ siteId: 'mall', gatewayId: 'gw1', provisioned: true, ...over });

describe('gatewayVerdict (console gateway health)', () => {
  it.each<[string, Row, string, string, RegExp?]>([
    ['fresh health, all sources ok', gw({ conn: conn('online'), health: health(NOW - 10_000) }), 'ok', 'online'],
    ['health exactly STALE_MS old is still fresh', gw({ conn: conn('online'), health: health(NOW - STALE_MS) }), 'ok', 'online'],
    ['health older than STALE_MS', gw({ conn: conn('online'), health: health(NOW - STALE_MS - 1) }), 'warn', 'stale', /^health \d+ s ago$/],
    ['connected, no health report yet', gw({ conn: conn('online') }), 'warn', 'stale', /^no health report$/],
    [
      'a source degraded',
      gw({
        conn: conn('online'),
        health: health(NOW, { sources: { ble: { state: 'degraded', detail: 'no adverts in 2 min', observations: 0, rejected: 0 } } }),
      }),
      'warn',
      'degraded',
      /^ble degraded: no adverts in 2 min$/,
    ],
    ['outbox dropped events', gw({ conn: conn('online'), health: health(NOW, { dropped: 12 }) }), 'warn', 'degraded', /^12 events dropped$/],
    [
      'a gap record today: an alarm',
      gw({ conn: conn('online'), health: health(NOW), gaps: { records: 1, dropped: 40, lastAt: NOW - 3_600_000 } }),
      'bad',
      'events lost',
      /^40 events lost undelivered \(last drop /,
    ],
    [
      'a gap record days ago: still said, no alarm',
      gw({ conn: conn('online'), health: health(NOW), gaps: { records: 1, dropped: 40, lastAt: NOW - 3 * 86_400_000 } }),
      'warn',
      'degraded',
      /^40 events lost undelivered/,
    ],
    ['last will: offline, even with fresh health', gw({ conn: conn('offline'), health: health(NOW) }), 'bad', 'offline', /^offline since /],
    ['provisioned, never connected', gw({}), 'idle', 'never connected'],
    ['not provisioned, nothing heard', gw({ provisioned: false }), 'idle', 'unknown'],
  ])('%s', (_name, row, level, label, reason) => {
    const v = gatewayVerdict(row, NOW);
    expect({ level: v.level, label: v.label }).toEqual({ level, label });
    if (reason) expect(v.reasons[0]).toMatch(reason);
    else expect(v.reasons).toEqual([]);
  });
});
