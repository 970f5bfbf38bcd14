import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Observation, PresenceEvent } from '@storesense/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClassifier } from '../classify/create-classifier.js';
import { ManualClock } from '../clock.js';
import { silentLogger } from '../log.js';
import { Pipeline } from '../pipeline.js';
import { SqliteOutbox } from '../store/outbox.sqlite.js';
import { adverts, boutiqueConfig } from '../testing/fixtures.js';
import { parseJourney, serializeJourney } from './journey-journal.js';
import { initialJourneyState } from './journey.types.js';

const T0 = 1_700_000_000_000;
const TICK_MS = 250;
const FLUSH_MS = 5_000;

/**
 * A gateway process as far as journeys go: a pipeline and its outbox file, ticked as app.ts does
 * (events and changed journeys in one append; every open journey every 5 s). `crash()` drops the
 * process without a stop: only what was committed survives, as after kill -9.
 */
function gatewayProcess(path: string, clock: ManualClock) {
  const config = boutiqueConfig({ journey: { dwellThresholdMs: 30_000, dwellUpdateMs: 60_000, exitAbsenceMs: 12_000, approachRssiDbm: -85 } });
  const pipeline = new Pipeline({ config, classifier: createClassifier(config, 'rules'), logger: silentLogger() });
  const outbox = new SqliteOutbox({ path, maxRows: 10_000, maxAgeMs: 86_400_000, clock, logger: silentLogger() });
  pipeline.restoreJourneys(outbox.loadJourneys());
  const events: PresenceEvent[] = [];
  let lastFlush = Number.NEGATIVE_INFINITY;
  return {
    events,
    /** Feeds the observations due and ticks until `until`. */
    run(obs: readonly Observation[], until: number) {
      let i = 0;
      const sorted = [...obs].sort((a, b) => a.at - b.at);
      while (clock.now() < until) {
        clock.advance(TICK_MS);
        while (i < sorted.length && sorted[i]!.at <= clock.now()) pipeline.ingest(sorted[i++]!);
        const drafts = pipeline.tick(clock.now());
        const all = clock.now() - lastFlush >= FLUSH_MS;
        if (all) lastFlush = clock.now();
        events.push(...outbox.append(drafts, pipeline.journeyChanges(all)));
      }
    },
    crash() {
      outbox.close(); // the process is gone; SQLite keeps what was committed
    },
  };
}

const kinds = (events: readonly PresenceEvent[], subject: string) => events.filter((e) => e.subject.id === subject && e.type !== 'dwell').map((e) => e.type);

describe('journeys survive a gateway crash (real SQLite file)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'journey-restart-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // Walks up, goes in, browses; the gateway dies while the shopper is inside.
  const before = (s: string) => [
    ...adverts(s, T0, T0 + 5_000, { 'rx-front': -72, 'rx-door': -86 }),
    ...adverts(s, T0 + 5_000, T0 + 8_000, { 'rx-front': -78, 'rx-door': -60, 'rx-sales': -75 }),
    ...adverts(s, T0 + 8_000, T0 + 40_000, { 'rx-front': -90, 'rx-door': -76, 'rx-sales': -58, 'rx-till': -80 }),
  ];

  it('a shopper inside at the crash stays in the same visit: no second arrival, and the exit comes with that visit', () => {
    const clock = new ManualClock(T0);
    const path = join(dir, 'outbox.db');
    const first = gatewayProcess(path, clock);
    first.run(before('shopper'), T0 + 40_000);
    expect(kinds(first.events, 'shopper')).toEqual(['approach', 'arrival']);
    const visitId = first.events.find((e) => e.type === 'arrival')!.visitId;
    first.crash();

    // Down for 20 s; the shopper is still inside when the gateway is back, then leaves.
    clock.advance(20_000);
    const second = gatewayProcess(path, clock);
    const after = [
      ...adverts('shopper', T0 + 60_000, T0 + 80_000, { 'rx-front': -90, 'rx-door': -76, 'rx-sales': -58, 'rx-till': -80 }),
      ...adverts('shopper', T0 + 80_000, T0 + 83_000, { 'rx-front': -75, 'rx-door': -62, 'rx-sales': -80 }),
      ...adverts('shopper', T0 + 83_000, T0 + 87_000, { 'rx-front': -66, 'rx-door': -84 }),
    ];
    second.run(after, T0 + 120_000);
    // Before journeys were saved: a second approach and arrival, and the first visit never ended.
    expect(kinds(second.events, 'shopper')).toEqual(['exit']);
    expect(second.events.find((e) => e.type === 'exit')!.visitId).toBe(visitId);
    second.crash();
  });

  it('a shopper who left while the gateway was down gets an exit stamped when last heard', () => {
    const clock = new ManualClock(T0);
    const path = join(dir, 'outbox.db');
    const first = gatewayProcess(path, clock);
    first.run(before('leaver'), T0 + 40_000);
    expect(kinds(first.events, 'leaver')).toContain('arrival');
    first.crash();
    clock.advance(5 * 60_000); // down for five minutes; the shopper is gone
    const second = gatewayProcess(path, clock);
    second.run([], clock.now() + 20_000);
    const exit = second.events.find((e) => e.subject.id === 'leaver' && e.type === 'exit');
    expect(exit).toBeDefined();
    // Last heard at T0+40 s (the last advert before the crash); the exit says so, not "now".
    expect(exit!.at).toBeLessThanOrEqual(T0 + 40_000);
    expect(exit!.at).toBeGreaterThan(T0 + 30_000);
    expect(exit!.summary?.arrivedAt).toBeDefined();
    second.crash();
    // Closed visits are not kept: the saved journeys are empty again.
    const third = new SqliteOutbox({ path, maxRows: 10, maxAgeMs: 86_400_000, clock, logger: silentLogger() });
    expect(third.loadJourneys()).toEqual([]);
    third.close();
  });

  it('a saved state of an unknown version (an upgrade) is dropped with a log line, never a crash', () => {
    expect(parseJourney(serializeJourney(initialJourneyState()))).toMatchObject({ ok: true });
    expect(parseJourney('{"v":99,"state":{}}')).toMatchObject({ ok: false, reason: expect.stringMatching(/version 99/) });
    expect(parseJourney('not json')).toMatchObject({ ok: false });
    expect(parseJourney(JSON.stringify({ v: 1, state: { place: 'inside' } }))).toMatchObject({ ok: false });
  });
});
