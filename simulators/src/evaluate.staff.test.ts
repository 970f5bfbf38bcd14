import { renderGatewayConfig, type GatewayConfigOverrides, type Site } from '@storesense/firmware-config';
import { runOffline } from '@storesense/gateway';
import type { Observation, PresenceEvent, TruthEvent } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { scoreJourney } from './evaluate.score.js';
import { summarizeEvaluation } from './evaluate.summary.js';
import { exampleSite } from './testing/fixtures.js';
import { createWorld } from './world.js';
import type { StaffDeviceSpec } from './world.staff.js';

/**
 * "A staff phone parked by the door all day makes no arrival, no alert and no footfall" (issue 10).
 * Several hours of the department store, 09:30-12:30 local with the doors opening at 10:00: a
 * staff phone parked by the door from 09:30 (rotating its address every 15 min like the shoppers'
 * phones), an assistant's phone moving between counter and stockroom, and a beacon at the counter,
 * plus normal traffic. The gateway pipeline runs offline over the trace (what `storesense-sim
 * evaluate` runs). No alert can reach staff: the cloud raises alerts (and offers, and footfall)
 * only from presence events (cloud rules evaluate each stored event), so zero events for the
 * staff subjects is zero alerts and zero footfall; we assert the zero events.
 */
const HOURS_MS = 3 * 3_600_000;
const START = Date.UTC(2026, 0, 5, 1, 30); // Monday 09:30 in Asia/Shanghai
const STAFF: StaffDeviceSpec[] = [
  { placements: ['door'] },
  { placements: ['counter', 'stockroom'], stayMs: 40 * 60_000 },
  { kind: 'fixed', placements: ['counter'] },
];

function site(withHours: boolean): Site {
  const s = structuredClone(exampleSite('dept-store'));
  if (withHours) s.openingHours = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], opens: '10:00', closes: '22:00' }];
  return s;
}

function trace(staff: readonly StaffDeviceSpec[]) {
  // The world spawns shoppers only while open; the same seed gives the same shoppers with or without staff.
  const world = createWorld({ site: site(true), seed: 21, durationMs: HOURS_MS, startAt: START, shoppersPerHour: 60, bleRotationMs: 15 * 60_000, staff });
  const observations: Observation[] = [...world.observations()];
  const subjectsOf = (i: number) => new Set(world.staff[i]?.subjects.map((x) => x.subject) ?? []);
  return {
    observations,
    truth: world.truth(),
    staffSubjects: new Set(world.staff.flatMap((d) => d.subjects.map((x) => x.subject))),
    parked: new Set([...subjectsOf(0), ...subjectsOf(2)]),
    moving: subjectsOf(1),
  };
}

function evaluate(s: Site, observations: readonly Observation[], truth: readonly TruthEvent[], overrides: GatewayConfigOverrides = {}) {
  const events = runOffline(renderGatewayConfig(s, s.gateways[0]!.id, overrides), observations, { seed: 1 });
  const summary = summarizeEvaluation(scoreJourney(truth, events), truth, { endAt: START + HOURS_MS });
  return { events, macroF1: summary.macroF1, arrivals: events.filter((e) => e.type === 'arrival').length };
}

const countBy = (events: readonly PresenceEvent[], subjects: ReadonlySet<string>) => {
  const out: Record<string, number> = {};
  for (const e of events) if (subjects.has(e.subject.id)) out[e.type] = (out[e.type] ?? 0) + 1;
  return out;
};

describe('staff devices make no events, shoppers are unaffected', () => {
  const withStaff = trace(STAFF);
  const without = trace([]);

  it('generated the same shoppers with and without staff', () => {
    expect(withStaff.truth).toEqual(without.truth);
    expect(withStaff.staffSubjects.size).toBeGreaterThanOrEqual(12);
  });

  it('with opening hours: zero events for every staff subject all morning, shoppers score as without staff', () => {
    const after = evaluate(site(true), withStaff.observations, withStaff.truth);
    const baseline = evaluate(site(true), without.observations, without.truth);
    // Before the change the gateway had no device roles; `devices.learn: false` without opening hours is that gateway.
    const before = evaluate(site(false), withStaff.observations, withStaff.truth, { devices: { learn: false } });
    const staffBefore = countBy(before.events, withStaff.staffSubjects);
    expect(staffBefore.arrival ?? 0).toBeGreaterThanOrEqual(5);
    expect(countBy(after.events, withStaff.staffSubjects)).toEqual({});
    // Shoppers' events are the same but for auto-calibration: it samples every 2 s from the first
    // tick (the staff phone moves the first tick to 09:30) and skips subjects held for a handoff.
    expect(Math.abs(after.macroF1! - baseline.macroF1!)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(after.arrivals - baseline.arrivals)).toBeLessThanOrEqual(2);
    console.log(
      `staff arrivals before ${staffBefore.arrival} (events ${JSON.stringify(staffBefore)}, macro F1 ${before.macroF1}); after 0 (macro F1 ${after.macroF1}, without staff ${baseline.macroF1})`,
    );
  }, 300_000);

  it('without opening hours: a parked phone and a beacon arrive only until their stillness is learned, never after', () => {
    const learned = evaluate(site(false), withStaff.observations, withStaff.truth);
    const parkedEvents = learned.events.filter((e) => withStaff.parked.has(e.subject.id));
    const arrivals = parkedEvents.filter((e) => e.type === 'arrival');
    // The door phone was at the door when the gateway started: held from its first tick, every
    // rotation carries the hold, learned at 10 min: no arrival (decision 90; before, its first four
    // addresses arrived). The counter beacon, inside at the start, arrives once until learned (20 min).
    expect(new Set(arrivals.map((e) => e.subject.id)).size).toBeLessThanOrEqual(1);
    for (const e of parkedEvents) expect(e.at, e.type).toBeLessThan(START + 50 * 60_000);
    const moving = countBy(learned.events, withStaff.moving);
    console.log(
      `without opening hours: parked phone + beacon ${arrivals.length} arrivals, all in the first 50 min; the phone moving counter/stockroom every 40 min: ${JSON.stringify(moving)} (macro F1 ${learned.macroF1})`,
    );
  }, 300_000);
});
