import { pointInShape } from '@storesense/firmware-config';
import { describe, expect, it } from 'vitest';
import { Rng } from './random.js';
import { exampleSite } from './testing/fixtures.js';
import { createWorld } from './world.js';
import { parseStaffList, spotFor } from './world.staff.js';

const dept = exampleSite('dept-store');
const base = { site: dept, seed: 3, durationMs: 20 * 60_000, shoppersPerHour: 300 };

describe('staff and fixed devices in the world', () => {
  it('adds observations and no truth, and leaves every shopper exactly as without staff', () => {
    const plain = createWorld(base);
    const withStaff = createWorld({ ...base, staff: [{ placements: ['door'] }, { kind: 'fixed', placements: ['counter'] }] });
    expect(plain.staff).toEqual([]);
    expect(withStaff.truth()).toEqual(plain.truth());
    const staffSubjects = new Set(withStaff.staff.flatMap((d) => d.subjects.map((s) => s.subject)));
    const all = [...withStaff.observations()];
    const staffObs = all.filter((o) => staffSubjects.has(o.subject));
    // 20 min at 1 s (phone) and 0.3 s (beacon), heard by several receivers each.
    expect(staffObs.length).toBeGreaterThan(2 * 1200);
    expect(all.filter((o) => !staffSubjects.has(o.subject) && !o.subject.startsWith('w_'))).toEqual(
      [...plain.observations()].filter((o) => !o.subject.startsWith('w_')),
    );
    for (const e of withStaff.truth()) expect(staffSubjects.has(e.subject)).toBe(false);
  });

  it('puts the door, counter and stockroom spots inside the store; a fixed device keeps one address, a phone rotates with the world', () => {
    const w = createWorld({
      ...base,
      bleRotationMs: 5 * 60_000,
      staff: [
        { placements: ['door', 'counter', 'stockroom'], stayMs: 5 * 60_000 },
        { kind: 'fixed', placements: ['stockroom'] },
      ],
    });
    const [phone, beacon] = w.staff;
    expect(phone!.subjects.length).toBeGreaterThanOrEqual(4);
    expect(beacon!.subjects).toHaveLength(1);
    const store = dept.stores[0]!;
    const heardAt = new Map<string, number>();
    for (const o of w.observations()) if (o.subject === beacon!.subjects[0]!.subject) heardAt.set(o.receiverId, (heardAt.get(o.receiverId) ?? 0) + 1);
    expect(heardAt.size).toBeGreaterThan(0);
    const layout = w.layout.stores[0]!;
    for (const placement of ['door', 'counter', 'stockroom'] as const) {
      const p = spotFor(layout, placement, new Rng(1));
      expect(pointInShape(p, store.shape)).toBe(true);
    }
  });

  it('a registered badge carries a staff_ subject and does not rotate; shifts bound the presence', () => {
    const w = createWorld({ ...base, bleRotationMs: 60_000, staff: [{ registered: true, fromMs: 5 * 60_000, shiftMs: 5 * 60_000 }] });
    const d = w.staff[0]!;
    expect(d.subjects).toHaveLength(1);
    expect(d.subjects[0]!.subject).toMatch(/^staff_[0-9a-f]{8}$/);
    const times = [...w.observations()].filter((o) => o.subject === d.subjects[0]!.subject).map((o) => o.at);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(d.startAt);
    expect(Math.max(...times)).toBeLessThanOrEqual(d.endAt);
    expect(d.endAt - d.startAt).toBe(5 * 60_000);
  });

  it('is deterministic per seed and rejects unknown stores and spots', () => {
    const spec = { ...base, staff: [{ placements: ['counter' as const] }] };
    expect([...createWorld(spec).observations()]).toEqual([...createWorld(spec).observations()]);
    expect(() => createWorld({ ...base, staff: [{ storeId: 'nope' }] })).toThrow(/storeId "nope"/);
    expect(() => createWorld({ ...base, staff: [{ placements: [] }] })).toThrow(/empty/);
  });

  it('parses the CLI list', () => {
    expect(parseStaffList('door, fixed:counter,phone:counter+stockroom,registered:door')).toEqual([
      { kind: 'phone', placements: ['door'] },
      { kind: 'fixed', placements: ['counter'] },
      { kind: 'phone', placements: ['counter', 'stockroom'] },
      { kind: 'phone', placements: ['door'], registered: true },
    ]);
    expect(() => parseStaffList('window')).toThrow(/"window" is not one of door, counter, stockroom/);
    expect(() => parseStaffList('robot:door')).toThrow(/phone, fixed or registered/);
  });
});
