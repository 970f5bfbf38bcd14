import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFleetArgs } from './cli.fleet.js';
import { percentile } from './fleet.js';
import { tempDir } from './testing/fixtures.js';

const base = ['--gateways', '3', '--events-per-second', '100', '--to', 'mqtt://127.0.0.1:1883'];

describe('fleet arguments', () => {
  it('defaults: 30 s, 10 s drain, MQTT 3.1.1, gateways gw-0001… of site fleet without passwords', () => {
    const a = parseFleetArgs(base);
    expect(a).toMatchObject({ url: 'mqtt://127.0.0.1:1883', eventsPerSecond: 100, durationMs: 30_000, drainMs: 10_000, protocolVersion: 4, count: undefined });
    expect(a.gateways).toEqual([
      { siteId: 'fleet', gatewayId: 'gw-0001' },
      { siteId: 'fleet', gatewayId: 'gw-0002' },
      { siteId: 'fleet', gatewayId: 'gw-0003' },
    ]);
  });

  it('takes the first N accounts of a credentials file and refuses too few', () => {
    const dir = tempDir();
    try {
      const file = join(dir, 'c.json');
      const gateways = [1, 2, 3, 4].map((i) => ({ siteId: 'm', gatewayId: `g${i}`, username: `m.g${i}`, password: `p${i}-password` }));
      writeFileSync(file, JSON.stringify({ v: 1, url: 'x', gateways }));
      expect(parseFleetArgs([...base, '--credentials', file]).gateways).toEqual(gateways.slice(0, 3));
      writeFileSync(file, JSON.stringify({ gateways: gateways.slice(0, 2) }));
      expect(() => parseFleetArgs([...base, '--credentials', file])).toThrow(/has 2 gateways, fewer than --gateways 3/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['--gateways', '3', '--to', 'mqtt://h:1'], /--events-per-second/],
    [[...base, '--duration', '30'], /--duration/],
    [[...base, '--count', '0'], /--count/],
    [[...base, '--mqtt-version', '4.0'], /--mqtt-version/],
    [['--gateways', '3', '--events-per-second', '1', '--to', 'http://h:1'], /not an MQTT URL/],
    [['--gateways', '3', '--events-per-second', '1', '--to', 'mqtt://u:p@h:1'], /--credentials/],
    [['--gateways', '3', '--events-per-second', '1000000', '--to', 'mqtt://h:1', '--duration', '1h'], /limited to/],
  ])('refuses %j', (args, message) => {
    expect(() => parseFleetArgs(args)).toThrow(message);
  });

  it('percentile is nearest-rank', () => {
    const sorted = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(percentile(sorted, 50)).toBe(5);
    expect(percentile(sorted, 99)).toBe(10);
    expect(percentile(new Float64Array(0), 50)).toBeNull();
  });
});
