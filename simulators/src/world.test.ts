import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { observationSchema, truthEventSchema, type Observation, type TruthEvent } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { demoMembers, exampleSite, tempDir } from './testing/fixtures.js';
import { generateWorld } from './trace-file.writer.js';
import { compareObservations, createWorld, DEFAULT_START_AT } from './world.js';

const boutique = exampleSite('boutique');
const dept = exampleSite('dept-store');

function collect(world: ReturnType<typeof createWorld>): Observation[] {
  const out: Observation[] = [];
  for (const b of world.observationBatches()) out.push(...b);
  return out;
}

describe('world determinism', () => {
  it('writes byte-identical trace and truth files for the same seed, site, duration and start', async () => {
    const opts = { site: dept, seed: 11, durationMs: 5 * 60_000, members: demoMembers(), shoppersPerHour: 900 };
    const a = await generateWorld({ ...opts, outDir: tempDir() });
    const b = await generateWorld({ ...opts, outDir: tempDir() });
    expect(a.observations).toBeGreaterThan(1000);
    // Buffer.equals: vitest's deep equality walks megabytes byte by byte.
    expect(readFileSync(a.traceFile).equals(readFileSync(b.traceFile))).toBe(true);
    expect(readFileSync(a.truthFile).equals(readFileSync(b.truthFile))).toBe(true);
    const c = await generateWorld({ ...opts, seed: 12, outDir: tempDir() });
    expect(readFileSync(c.traceFile).equals(readFileSync(a.traceFile))).toBe(false);
  }, 60_000);

  it('does not depend on the generation window size', () => {
    const base = { site: boutique, seed: 5, durationMs: 4 * 60_000, shoppersPerHour: 600 };
    const a = collect(createWorld({ ...base, windowMs: 10_000 }));
    const b = collect(createWorld({ ...base, windowMs: 1_337 }));
    expect(b).toEqual(a);
    expect([...createWorld(base).observations()]).toEqual(a);
    const once = createWorld(base);
    once.observationBatches().next();
    expect(() => once.observationBatches().next()).toThrow(/once per world/);
  });

  it('starts at the fixed default epoch unless told otherwise', () => {
    expect(createWorld({ site: boutique, durationMs: 1000 }).header.startedAt).toBe(DEFAULT_START_AT);
    expect(new Date(DEFAULT_START_AT).toISOString()).toBe('2026-01-05T10:00:00.000Z');
    const start = Date.parse('2026-03-01T09:00:00Z');
    const world = createWorld({ site: boutique, durationMs: 120_000, startAt: start, shoppersPerHour: 1200 });
    const obs = collect(world);
    expect(obs.length).toBeGreaterThan(0);
    expect(obs.every((o) => o.at >= start && o.at < start + 120_000)).toBe(true);
  });
});

describe('world output', () => {
  const world = createWorld({ site: dept, seed: 3, durationMs: 20 * 60_000, shoppersPerHour: 600, members: demoMembers(), memberShare: 0.3 });
  const obs = collect(world);
  const truth = world.truth();

  it('emits valid observations sorted by at, with pseudonymous subjects', () => {
    expect(obs.length).toBeGreaterThan(10_000);
    let unsorted = 0;
    for (let i = 1; i < obs.length; i++) if (compareObservations(obs[i - 1]!, obs[i]!) > 0) unsorted++;
    expect(unsorted).toBe(0);
    const invalid = obs.filter((o, i) => i % 97 === 0 && !observationSchema.safeParse(o).success);
    expect(invalid).toEqual([]);
    const badSubjects = obs.filter((o) => !(o.source === 'ble' ? /^s_[0-9a-f]{8}$/ : /^(s_[0-9a-f]{8}|t_[A-Za-z0-9_-]+_\d+)$/).test(o.subject));
    expect(badSubjects).toEqual([]);
    let min = 0;
    let max = -200;
    for (const o of obs) if (o.source === 'ble') [min, max] = [Math.min(min, o.rssiDbm!), Math.max(max, o.rssiDbm!)];
    expect(min).toBeGreaterThanOrEqual(-95);
    expect(max).toBeLessThanOrEqual(-20);
  });

  it('has POS purchases, entrance camera detections and member purchases', () => {
    const term = obs.filter((o) => o.source === 'terminal');
    expect(term.some((o) => o.terminal?.kind === 'pos' && o.terminal.action === 'purchase' && (o.terminal.amount ?? 0) > 0)).toBe(true);
    expect(term.some((o) => o.terminal?.kind === 'entrance_camera' && o.terminal.action === 'enter')).toBe(true);
    for (const o of term.filter((t) => t.terminal?.memberId === undefined)) expect(o.subject).toMatch(/^t_/);
    const members = new Set(world.shoppers.filter((s) => s.memberId !== undefined).map((s) => s.subject));
    for (const o of term.filter((t) => t.terminal?.memberId !== undefined)) expect(members.has(o.subject)).toBe(true);
  });

  it('members without consent behave as anonymous shoppers', () => {
    const noConsent = new Set(
      demoMembers()
        .filter((m) => !m.consent)
        .map((m) => m.memberId),
    );
    expect(noConsent.size).toBeGreaterThan(0);
    expect(world.shoppers.some((s) => s.memberId !== undefined && noConsent.has(s.memberId))).toBe(false);
    expect(truth.some((e) => e.memberId !== undefined && noConsent.has(e.memberId))).toBe(false);
  });

  it('writes truth that validates, is sorted and covers every intent', () => {
    for (const e of truth) expect(truthEventSchema.safeParse(e).success).toBe(true);
    for (let i = 1; i < truth.length; i++) expect(truth[i]!.at).toBeGreaterThanOrEqual(truth[i - 1]!.at);
    const types = new Set(truth.map((e) => e.type));
    expect([...types].sort()).toEqual(['approach', 'arrival', 'dwell', 'exit', 'floor_change', 'purchase']);
    const intents = new Set(world.shoppers.map((s) => s.intent));
    expect(intents.size).toBe(6);
  });

  it('keeps truth consistent per subject: arrival -> later exit, dwell thresholds, floors', () => {
    const end = world.header.startedAt + (world.header.durationMs ?? 0);
    const bySubject = groupBy(truth);
    const shoppers = new Map(world.shoppers.map((s) => [s.subject, s]));
    for (const [subject, events] of bySubject) {
      const shopper = shoppers.get(subject)!;
      let inside = false;
      let floor = 0;
      for (const e of events) {
        if (e.type === 'arrival') {
          expect(inside).toBe(false);
          inside = true;
          floor = e.floor!;
        } else if (e.type === 'exit') {
          expect(inside).toBe(true);
          inside = false;
        } else if (e.type === 'floor_change') {
          expect(inside).toBe(true);
          expect(e.fromFloor).toBe(floor);
          expect(Math.abs(e.toFloor! - e.fromFloor!)).toBe(1);
          floor = e.toFloor!;
        } else if (e.type === 'purchase') {
          expect(inside).toBe(true);
        } else if (e.type === 'dwell') {
          const zone = dept.stores[0]!.zones.find((z) => z.id === e.zoneId)!;
          const threshold = zone.dwellThresholdMs ?? dept.journey.dwellThresholdMs;
          expect(e.dwellMs!).toBeGreaterThanOrEqual(threshold);
          if (e.phase === 'start') expect(e.dwellMs).toBe(threshold);
        }
      }
      // A visit still open at the end is one whose shopper was still walking when the trace stopped.
      if (inside) expect(shopper.endAt).toBeGreaterThan(end);
      const approaches = events.filter((e) => e.type === 'approach').length;
      const arrivals = events.filter((e) => e.type === 'arrival').length;
      expect(approaches).toBeGreaterThanOrEqual(arrivals);
      if (shopper.intent === 'pass_by' || shopper.intent === 'window') expect(arrivals).toBe(0);
    }
    const returning = world.shoppers.filter((s) => s.intent === 'return' && s.endAt < end);
    for (const s of returning) expect(s.truth.filter((e) => e.type === 'arrival')).toHaveLength(2);
  });

  it('never changes floors in a single-floor store', () => {
    const small = createWorld({ site: boutique, seed: 3, durationMs: 30 * 60_000, shoppersPerHour: 600, intentMix: { change_floor: 1 } });
    const t = small.truth();
    expect(t.length).toBeGreaterThan(0);
    expect(t.some((e) => e.type === 'floor_change')).toBe(false);
    expect(small.shoppers.some((s) => s.intent === 'change_floor')).toBe(false);
  });

  it('writes the truth it computed to truth.ndjson', async () => {
    const r = await generateWorld({ site: boutique, seed: 9, durationMs: 5 * 60_000, shoppersPerHour: 600, outDir: tempDir() });
    const lines = readFileSync(join(r.truthFile), 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'storesense-truth', seed: 9 });
    expect(lines.length - 1).toBe(r.truthEvents);
  });
});

function groupBy(events: TruthEvent[]): Map<string, TruthEvent[]> {
  const m = new Map<string, TruthEvent[]>();
  for (const e of events) {
    const l = m.get(e.subject);
    if (l) l.push(e);
    else m.set(e.subject, [e]);
  }
  return m;
}

describe('bleShare', () => {
  it('silences some phones without changing the truth or the other phones', () => {
    const base = { site: boutique, seed: 8, durationMs: 10 * 60_000, shoppersPerHour: 600 };
    const all = createWorld(base);
    const some = createWorld({ ...base, bleShare: 0.5 });
    expect(some.truth()).toEqual(all.truth());
    const silent = new Set(some.shoppers.filter((s) => !s.advertises).map((s) => s.subject));
    expect(silent.size).toBeGreaterThan(5);
    expect(silent.size).toBeLessThan(some.shoppers.length - 5);
    const a = collect(all).filter((o) => !silent.has(o.subject));
    expect(collect(some)).toEqual(a);
  });
});

describe('bleRotationMs', () => {
  it('rotates anonymous subjects over time without changing anything else', () => {
    const base = { site: boutique, seed: 4, durationMs: 30 * 60_000, shoppersPerHour: 400, members: demoMembers(), memberShare: 0.2 };
    const plain = createWorld(base);
    const rotating = createWorld({ ...base, bleRotationMs: 3 * 60_000 });
    const rotated = rotating.shoppers.filter((s) => s.subjects.length > 1);
    expect(rotated.length).toBeGreaterThan(3);
    expect(rotating.shoppers.filter((s) => s.memberId !== undefined).every((s) => s.subjects.length === 1)).toBe(true);
    const owner = new Map<string, string>();
    for (const s of rotating.shoppers) for (const x of s.subjects) owner.set(x.subject, s.subject);
    // Same observations once every rotated subject is mapped back to its phone's first one.
    const canon = (obs: Observation[]) => obs.map((o) => ({ ...o, subject: owner.get(o.subject) ?? o.subject })).sort(compareObservations);
    expect(canon(collect(rotating))).toEqual(canon(collect(plain)));
    // Truth: the same events, each carrying the subject in use at its time.
    const t = rotating.truth();
    expect(t.map((e) => ({ ...e, subject: owner.get(e.subject) ?? e.subject })).sort((a, b) => a.at - b.at || (a.subject < b.subject ? -1 : 1))).toEqual(
      [...plain.truth()].sort((a, b) => a.at - b.at || (a.subject < b.subject ? -1 : 1)),
    );
    const s = rotated[0]!;
    for (const e of s.truth) {
      const current = [...s.subjects].reverse().find((x) => x.from <= e.at)!;
      expect(e.subject).toBe(current.subject);
    }
  }, 60_000);
});
