import type { PresenceEvent, PresenceEventInput } from '@storesense/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dwell as rawDwell } from '../analytics/analytics.js';
import { makeEvent } from '../testing/fixtures.js';
import type { CloudStore } from './cloud-store.js';
import { DWELL_BUCKETS, dwellBucketOf, HOUR_MS, NO_FLOOR } from './rollups.js';

const T0 = Date.UTC(2026, 10, 22, 9);

/**
 * Random journeys over six hours, with re-sent events: what the generator can produce covers
 * every rollup key (stores, zones, floors, hours, visits seen in several hours, members).
 */
export const randomJourneyEvents = (siteId: string, maxLength = 60, t0 = T0): fc.Arbitrary<PresenceEvent[]> =>
  fc
    .array(
      fc.record({
        type: fc.constantFrom('approach', 'arrival', 'dwell', 'floor_change', 'purchase', 'exit' as const),
        minute: fc.integer({ min: 0, max: 6 * 60 - 1 }),
        ms: fc.integer({ min: 0, max: 59_999 }),
        store: fc.constantFrom('st1', 'st2', undefined),
        zone: fc.constantFrom('z1', 'z2', undefined),
        floor: fc.constantFrom(0, 1, undefined),
        subject: fc.integer({ min: 0, max: 3 }),
        visit: fc.integer({ min: 0, max: 1 }),
        member: fc.boolean(),
        phase: fc.constantFrom('start', 'update', 'end' as const),
        dwellMs: fc.integer({ min: 0, max: 900_000 }),
        fromFloor: fc.integer({ min: 0, max: 2 }),
        toFloor: fc.integer({ min: 0, max: 2 }),
        amount: fc.integer({ min: 0, max: 500 }),
        resend: fc.boolean(),
      }),
      { maxLength, size: 'max' },
    )
    .map((specs) => {
      const out: PresenceEvent[] = [];
      for (const s of specs) {
        const input: Partial<PresenceEventInput> = {
          type: s.type,
          at: t0 + s.minute * 60_000 + s.ms,
          siteId,
          visitId: `v${s.subject}_${s.visit}`,
          subject: { id: `sub${s.subject}`, signals: ['ble'], ...(s.member && s.subject < 3 ? { memberId: `M${s.subject}` } : {}) },
          ...(s.store ? { storeId: s.store } : {}),
          ...(s.zone ? { zoneId: s.zone } : {}),
          ...(s.floor !== undefined ? { floor: s.floor } : {}),
          ...(s.type === 'dwell' ? { phase: s.phase, dwellMs: s.dwellMs } : {}),
          ...(s.type === 'floor_change' ? { fromFloor: s.fromFloor, toFloor: s.toFloor } : {}),
          ...(s.type === 'purchase' ? { amount: s.amount } : {}),
        };
        const e = makeEvent(input);
        out.push(e);
        if (s.resend && out.length > 1) out.push(out[Math.floor(out.length / 2)]!);
      }
      return out;
    });

const hourOf = (at: number) => Math.floor(at / HOUR_MS) * HOUR_MS;

/** The rollups of `events` counted independently, straight from the events. */
function expected(events: readonly PresenceEvent[]) {
  const byId = new Map<string, PresenceEvent>();
  for (const e of events) if (!byId.has(e.id)) byId.set(e.id, e);
  const unique = [...byId.values()];
  const storeHour = new Map<string, Record<string, number>>();
  const visitHours = new Map<string, Set<string>>();
  for (const e of unique) {
    const k = `${e.storeId ?? ''}|${hourOf(e.at)}`;
    const r = storeHour.get(k) ?? {
      events: 0,
      approaches: 0,
      arrivals: 0,
      dwell_events: 0,
      dwell_ends: 0,
      dwell_ms_sum: 0,
      floor_changes: 0,
      purchases: 0,
      purchase_amount: 0,
      exits: 0,
    };
    r.events!++;
    const field = { approach: 'approaches', arrival: 'arrivals', dwell: 'dwell_events', floor_change: 'floor_changes', purchase: 'purchases', exit: 'exits' }[
      e.type
    ];
    r[field]!++;
    if (e.type === 'dwell' && e.phase === 'end' && e.dwellMs !== undefined && e.zoneId !== undefined) {
      r.dwell_ends!++;
      r.dwell_ms_sum! += e.dwellMs;
      r[`dwell_b${dwellBucketOf(e.dwellMs)}`] = (r[`dwell_b${dwellBucketOf(e.dwellMs)}`] ?? 0) + 1;
    }
    if (e.type === 'purchase') r.purchase_amount! += e.amount ?? 0;
    if (e.type !== 'floor_change' && e.type !== 'exit') {
      const vk = `${e.type}_visits`;
      const set = visitHours.get(`${k}|${vk}`) ?? new Set<string>();
      set.add(`${e.subject.id}|${e.visitId}`);
      visitHours.set(`${k}|${vk}`, set);
    }
    storeHour.set(k, r);
  }
  for (const [k, set] of visitHours) {
    const [store, hour, vk] = k.split('|') as [string, string, string];
    storeHour.get(`${store}|${hour}`)![vk] = set.size;
  }
  return { unique, storeHour };
}

/** Rollup totals equal an independent count over the raw events, on random event sets (both backends). */
export function runRollupContract(name: string, store: () => CloudStore): void {
  describe(`rollups contract: ${name}`, () => {
    it('hourly rollups, floor flows, dwell and returning equal a count over the raw events; re-sent events never count twice', async () => {
      let run = 0;
      let stored = 0;
      const before = (await store().counts()).events;
      await fc.assert(
        fc.asyncProperty(
          fc.integer().chain(() => randomJourneyEvents(`r${run++}`)),
          async (events) => {
            const s = store();
            const siteId = events[0]?.siteId ?? 'none';
            for (const e of events) await s.insertEvent(e, 1);
            const { unique, storeHour } = expected(events);
            stored += unique.length;
            const range = { siteId, from: T0 - HOUR_MS, to: T0 + 7 * HOUR_MS };
            // rollup_hours summed over zone and floor per store and hour
            const got = new Map<string, Record<string, number>>();
            for (const row of await s.rollupHours(range)) {
              const k = `${row.storeId}|${row.hour}`;
              const r = got.get(k) ?? {};
              for (const [c, v] of Object.entries(row)) if (typeof v === 'number' && !['hour', 'floor'].includes(c) && v !== 0) r[c] = (r[c] ?? 0) + v;
              got.set(k, r);
              expect(row.floor === null || row.floor !== NO_FLOOR).toBe(true);
            }
            const want = new Map([...storeHour].map(([k, r]) => [k, Object.fromEntries(Object.entries(r).filter(([, v]) => v !== 0))]));
            expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
            // floor flows
            const flows = new Map<string, number>();
            for (const e of unique)
              if (e.type === 'floor_change')
                flows.set(`${e.storeId ?? ''}|${e.fromFloor}|${e.toFloor}`, (flows.get(`${e.storeId ?? ''}|${e.fromFloor}|${e.toFloor}`) ?? 0) + 1);
            const gotFlows = new Map((await s.rollupFloorFlows(range)).map((f) => [`${f.storeId}|${f.fromFloor}|${f.toFloor}`, f.count]));
            expect(gotFlows).toEqual(flows);
            // multi-hour visits: exactly the approach/arrival visits seen in more than one hour
            const hoursOf = new Map<string, Set<number>>();
            for (const e of unique)
              if (e.type === 'approach' || e.type === 'arrival') {
                const k = `${e.storeId ?? ''}|${e.type}|${e.subject.id}|${e.visitId}`;
                hoursOf.set(k, (hoursOf.get(k) ?? new Set()).add(hourOf(e.at)));
              }
            const wantMulti = [...hoursOf]
              .filter(([, h]) => h.size > 1)
              .flatMap(([k, h]) => [...h].map((x) => `${k}|${x}`))
              .sort();
            const ff = await s.rollupFootfall(range);
            expect(ff.multi.map((m) => `${m.storeId}|${m.type}|${m.subjectId}|${m.visitId}|${m.hour}`).sort()).toEqual(wantMulti);
            // dwell: the same figures as the raw computation (ids and labels aside)
            const d = await s.rollupDwell(range);
            const raw = rawDwell(unique);
            const label = (x: string) => (x === '' ? '(site)' : x);
            const asRaw = (st: { count: number; p50Ms: number | null; p90Ms: number | null; buckets: number[] }) => ({
              count: st.count,
              p50Ms: st.p50Ms,
              p90Ms: st.p90Ms,
              buckets: st.buckets.map((c, i) => ({ label: DWELL_BUCKETS[i]!.label, count: c })),
            });
            expect(asRaw(d.overall)).toEqual(raw.overall);
            expect(d.stores.map((x) => ({ storeId: label(x.storeId), ...asRaw(x) })).sort((a, b) => a.storeId.localeCompare(b.storeId))).toEqual(raw.stores);
            expect(
              d.zones
                .map((x) => ({ storeId: label(x.storeId), zoneId: x.zoneId, ...asRaw(x) }))
                .sort((a, b) => a.storeId.localeCompare(b.storeId) || a.zoneId.localeCompare(b.zoneId)),
            ).toEqual(raw.zones);
            // returning
            const arrivals = unique.filter((e) => e.type === 'arrival');
            const per = (key: (e: PresenceEvent) => string | undefined) => {
              const m = new Map<string, number>();
              for (const e of arrivals) {
                const k = key(e);
                if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
              }
              return m;
            };
            const subjects = per((e) => e.subject.id);
            const members = per((e) => e.subject.memberId);
            const ret = await s.rollupReturning(range);
            expect({ ...ret, repeatMemberArrivals: ret.repeatMemberArrivals.length }).toEqual({
              arrivals: arrivals.length,
              subjects: subjects.size,
              returningSubjects: [...subjects.values()].filter((n) => n > 1).length,
              memberArrivals: [...members.values()].reduce((a, b) => a + b, 0),
              members: members.size,
              returningMembers: [...members.values()].filter((n) => n > 1).length,
              repeatMemberArrivals: arrivals.filter((e) => (members.get(e.subject.memberId ?? '') ?? 0) > 1).length,
            });
            expect((await s.counts()).events).toBe(before + stored);
          },
        ),
        { numRuns: 25 },
      );
    }, 120_000);
  });
}
