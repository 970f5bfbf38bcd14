import { OpeningCalendar } from '@storesense/firmware-config';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { DeviceRoles, type DeviceRoleSettings, type OpenCalendar, type RoleReason } from './device-roles.js';
import { Tracker } from './tracker.js';

const MIN = 60_000;
const H = 60 * MIN;
/** Monday 2026-01-05 09:00 in Asia/Shanghai. */
const T0 = Date.UTC(2026, 0, 5, 1, 0, 0);
const HOURS_10_22 = new OpeningCalendar([{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], opens: '10:00', closes: '22:00' }], 'Asia/Shanghai');

/** Where a device is at `t` (ms after T0): receiver -> mean level, or undefined when out of range. */
type Place = Record<string, number> | undefined;
interface Device {
  /** Subject in use at `t` (address rotation = a new subject). */
  subject: (t: number) => string;
  place: (t: number) => Place;
}

const DOOR: Place = { entrance: -52, storefront: -63, inside: -75 };
const COUNTER: Place = { checkout: -50, inside: -66, entrance: -80 };
const SPOTS: Place[] = [
  { inside: -55, entrance: -70, checkout: -78 },
  { inside: -70, checkout: -56, entrance: -84 },
  { inside: -62, entrance: -58, storefront: -72 },
  { checkout: -64, inside: -58 },
];
const at = (place: Place, from: number, to: number) => (t: number) => (t >= from && t < to ? place : undefined);
const fixedSubject = (s: string) => () => s;
const rotating =
  (prefix: string, periodMs: number, phaseMs = 0) =>
  (t: number) =>
    `${prefix}-${Math.floor((t + phaseMs) / periodMs)}`;

/**
 * Feeds each device's adverts (1 s apart, N(0, 4 dB) shadowing per advert and receiver, 10 % loss)
 * into a real Tracker and ticks DeviceRoles every second; returns per subject the first role and
 * whether it was ever allowed a journey before that.
 */
function run(
  devices: Device[],
  durationMs: number,
  opts: { settings?: Partial<DeviceRoleSettings>; calendar?: OpenCalendar; start?: number; doors?: boolean; counters?: boolean } = {},
) {
  const start = opts.start ?? T0;
  const tracker = new Tracker();
  const roles = new DeviceRoles({
    ...(opts.settings ? { settings: opts.settings } : {}),
    ...(opts.calendar ? { calendar: opts.calendar } : {}),
    ...(opts.doors ? { doorReceivers: new Set(['entrance']) } : {}),
    ...(opts.counters ? { counterReceivers: new Set(['checkout']) } : {}),
  });
  const rnd = mulberry32(42);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const out = new Map<
    string,
    { reason: RoleReason | undefined; role: string | undefined; atMs: number | undefined; journeyTicks: number; heldTicks: number }
  >();
  for (let t = 0; t <= durationMs; t += 1000) {
    const now = start + t;
    devices.forEach((d, i) => {
      const place = d.place(t);
      if (!place) return;
      const subject = d.subject(t);
      for (const [rx, level] of Object.entries(place)) {
        if (rnd() < 0.1) continue;
        tracker.observe({ v: 1, at: now - 10 * i, source: 'ble', receiverId: rx, subject, rssiDbm: Math.round(level + 4 * normal()) });
      }
    });
    roles.tick(now, tracker.all());
    for (const tr of tracker.all()) {
      const e = out.get(tr.id) ?? { reason: undefined, role: undefined, atMs: undefined, journeyTicks: 0, heldTicks: 0 };
      const decision = roles.role(tr.id);
      if (decision && e.reason === undefined) Object.assign(e, { reason: decision.reason, role: decision.role, atMs: decision.at - start });
      if (!roles.excluded(tr.id) && !roles.holding(tr.id) && now - (tr.lastRadioAt ?? 0) < 2_000) e.journeyTicks += 1;
      if (roles.holding(tr.id)) e.heldTicks += 1;
      out.set(tr.id, e);
    }
    if (t % (10 * MIN) === 0) roles.forget(tracker.prune(now, 10 * MIN));
  }
  return { out, roles };
}

/** A shopper walking between spots, `stayMs` at each. */
const browsing =
  (stayMs: number, from: number, to: number): Device['place'] =>
  (t) =>
    t >= from && t < to ? SPOTS[Math.floor((t - from) / stayMs) % SPOTS.length] : undefined;

describe('DeviceRoles: who is staff or fixed, and when', () => {
  const cases: {
    name: string;
    devices: Device[];
    durationMs: number;
    calendar?: OpenCalendar;
    start?: number;
    doors?: boolean;
    counters?: boolean;
    settings?: Partial<DeviceRoleSettings>;
    expect: Record<string, { reason?: RoleReason; role?: string; fromMs?: number; toMs?: number; journey?: boolean }>;
  }[] = [
    {
      name: 'a beacon parked at the counter (the checkout receiver strongest) is fixed after 20 min of steady signal',
      devices: [{ subject: fixedSubject('beacon'), place: at(COUNTER, 0, 2 * H) }],
      durationMs: 25 * MIN,
      counters: true,
      expect: { beacon: { reason: 'still', role: 'fixed', fromMs: 20 * MIN, toMs: 23 * MIN, journey: true } },
    },
    {
      name: 'a beacon parked anywhere else is fixed after 90 min of steady signal',
      devices: [{ subject: fixedSubject('beacon'), place: at(SPOTS[0], 0, 2 * H) }],
      durationMs: 95 * MIN,
      counters: true,
      expect: { beacon: { reason: 'still', role: 'fixed', fromMs: 90 * MIN, toMs: 93 * MIN, journey: true } },
    },
    {
      name: 'a shopper an hour in a fitting room or at a food-court table (one spot) is not flagged',
      devices: [{ subject: fixedSubject('fitting'), place: at(SPOTS[0], 0, 65 * MIN) }],
      durationMs: 70 * MIN,
      doors: true,
      counters: true,
      expect: { fitting: { journey: true } },
    },
    {
      name: 'a staff phone 45 min at the counter, then 45 min in the stockroom, is staff 25 min into the second stay',
      devices: [{ subject: fixedSubject('assistant'), place: (t) => (t < 45 * MIN ? SPOTS[1] : t < 46 * MIN ? undefined : t < 3 * H ? SPOTS[0] : undefined) }],
      durationMs: 75 * MIN,
      expect: { assistant: { reason: 'still', role: 'staff', fromMs: 70 * MIN, toMs: 73 * MIN, journey: true } },
    },
    {
      name: 'a shopper browsing 90 min, 6 min per display, is never flagged',
      devices: [{ subject: fixedSubject('shopper'), place: browsing(6 * MIN, 0, 90 * MIN) }],
      durationMs: 95 * MIN,
      expect: { shopper: { journey: true } },
    },
    {
      name: 'a shopper sitting 30 min in one seat is not flagged',
      devices: [{ subject: fixedSubject('sitter'), place: at(SPOTS[0], 0, 30 * MIN) }],
      durationMs: 35 * MIN,
      expect: { sitter: { journey: true } },
    },
    {
      name: 'a staff phone moving every 20 min is staff after 4 h of unbroken presence',
      devices: [{ subject: fixedSubject('assistant'), place: browsing(20 * MIN, 0, 5 * H) }],
      durationMs: 4 * H + 5 * MIN,
      expect: { assistant: { reason: 'long_presence', role: 'staff', fromMs: 4 * H, toMs: 4 * H + 2 * MIN, journey: true } },
    },
    {
      name: 'a phone first heard 30 min before opening: held out of journeys, staff after 5 min',
      devices: [{ subject: fixedSubject('early'), place: at(DOOR, 30 * MIN, 3 * H) }],
      durationMs: 40 * MIN,
      calendar: HOURS_10_22,
      expect: { early: { reason: 'off_hours', role: 'staff', fromMs: 35 * MIN, toMs: 36 * MIN, journey: false } },
    },
    {
      name: 'someone heard 3 min while closed (a cleaner passing) gets no role and no journey',
      devices: [{ subject: fixedSubject('passer'), place: at(SPOTS[1], 10 * MIN, 13 * MIN) }],
      durationMs: 20 * MIN,
      calendar: HOURS_10_22,
      expect: { passer: { journey: false } },
    },
    {
      name: 'closing time: a shopper 20 min past 22:00 is not staff, one 31 min past is',
      devices: [
        { subject: fixedSubject('late'), place: browsing(4 * MIN, 0, 50 * MIN) },
        { subject: fixedSubject('stays'), place: browsing(4 * MIN, 0, 90 * MIN) },
      ],
      start: Date.UTC(2026, 0, 5, 13, 30), // 21:30 local
      durationMs: 90 * MIN,
      calendar: HOURS_10_22,
      settings: { presentForMs: 10 * H },
      expect: { late: { journey: true }, stays: { reason: 'off_hours', role: 'staff', fromMs: 60 * MIN, toMs: 61 * MIN, journey: true } },
    },
    {
      name: 'a phone parked in the doorway (the door receiver strongest) when the gateway starts: held from its first tick, fixed after 10 min',
      devices: [{ subject: fixedSubject('door-phone'), place: at(DOOR, 0, H) }],
      durationMs: 15 * MIN,
      doors: true,
      expect: { 'door-phone': { reason: 'still', role: 'fixed', fromMs: 10 * MIN, toMs: 12 * MIN, journey: false } },
    },
    {
      name: 'a phone put down in the doorway later: a journey for its first minutes, fixed after 10 min',
      devices: [{ subject: fixedSubject('door-phone'), place: at(DOOR, 5 * MIN, H) }],
      durationMs: 20 * MIN,
      doors: true,
      expect: { 'door-phone': { reason: 'still', role: 'fixed', fromMs: 15 * MIN, toMs: 17 * MIN, journey: true } },
    },
    {
      name: 'someone waiting 8 min in the doorway, or still 20 min at a display, is not flagged',
      devices: [
        { subject: fixedSubject('waiting'), place: at(DOOR, MIN, 9 * MIN) },
        { subject: fixedSubject('display'), place: at(SPOTS[0], 0, 20 * MIN) },
      ],
      durationMs: 25 * MIN,
      doors: true,
      expect: { waiting: { journey: true }, display: { journey: true } },
    },
    {
      name: 'a registered badge is staff from its first sighting',
      devices: [{ subject: fixedSubject('staff_0123456789abcdef'), place: at(DOOR, 0, H) }],
      durationMs: 5 * MIN,
      expect: { staff_0123456789abcdef: { reason: 'registered', role: 'staff', fromMs: 0, toMs: 1000, journey: false } },
    },
    {
      name: 'learn=false: only registered badges',
      devices: [
        { subject: fixedSubject('beacon'), place: at(COUNTER, 0, 2 * H) },
        { subject: fixedSubject('staff_00'), place: at(DOOR, 0, H) },
      ],
      durationMs: 50 * MIN,
      settings: { learn: false },
      expect: { beacon: { journey: true }, staff_00: { reason: 'registered' } },
    },
  ];

  it.each(cases)('$name', (c) => {
    const { out } = run(c.devices, c.durationMs, {
      ...(c.doors ? { doors: true } : {}),
      ...(c.counters ? { counters: true } : {}),
      ...(c.calendar ? { calendar: c.calendar } : {}),
      ...(c.start !== undefined ? { start: c.start } : {}),
      ...(c.settings ? { settings: c.settings } : {}),
    });
    for (const [subject, want] of Object.entries(c.expect)) {
      const got = out.get(subject);
      expect(got, subject).toBeDefined();
      expect(got!.reason, subject).toBe(want.reason);
      if (want.role !== undefined) expect(got!.role, subject).toBe(want.role);
      if (want.fromMs !== undefined) expect(got!.atMs, subject).toBeGreaterThanOrEqual(want.fromMs);
      if (want.toMs !== undefined) expect(got!.atMs, subject).toBeLessThanOrEqual(want.toMs);
      if (want.journey !== undefined) expect(got!.journeyTicks > 0, `${subject} had journey ticks`).toBe(want.journey);
    }
  });

  it('a parked phone rotating its address every 15 min adds its still time across addresses, and every address after the role is held out from its first tick', () => {
    const { out, roles } = run([{ subject: rotating('door', 15 * MIN, 7 * MIN), place: at(DOOR, 0, 3 * H) }], 2 * H, { settings: { stillForMs: 40 * MIN } });
    const subjects = [...out.keys()].sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]));
    expect(subjects.length).toBe(9);
    const first = subjects.findIndex((s) => out.get(s)!.reason !== undefined);
    // Still since t=0; the role comes at 40 min, on the address in use then (the 4th: 8, 23, 38 min rotations).
    expect(out.get(subjects[first]!)).toMatchObject({ reason: 'still', role: 'fixed' });
    expect(out.get(subjects[first]!)!.atMs).toBeGreaterThanOrEqual(40 * MIN);
    expect(out.get(subjects[first]!)!.atMs).toBeLessThanOrEqual(43 * MIN);
    expect(first).toBe(3);
    for (const s of subjects.slice(first + 1)) expect(out.get(s), s).toMatchObject({ reason: 'handoff', role: 'fixed', journeyTicks: 0 });
    expect(roles.stats()).toMatchObject({ fixed: expect.any(Number), pending: 0, decided: { still: 1, handoff: subjects.length - first - 1 } });
  });

  it('a newcomer beside a staff phone that keeps advertising is released within seconds and gets no role', () => {
    const { out } = run(
      [
        { subject: fixedSubject('staff_badge'), place: at(DOOR, 0, H) },
        { subject: fixedSubject('beacon'), place: at(DOOR, 0, H) },
        { subject: fixedSubject('walk-in'), place: browsing(3 * MIN, 45 * MIN, 60 * MIN) },
      ],
      H,
      { settings: { stillForMs: 40 * MIN } },
    );
    expect(out.get('beacon')!.reason).toBe('still');
    expect(out.get('walk-in')).toMatchObject({ reason: undefined });
    // 15 min of presence, all but a few seconds of it with a journey.
    expect(out.get('walk-in')!.journeyTicks).toBeGreaterThan(15 * 60 - 10);
  });

  it('door hold: a phone standing still at the door is held after 2 min; once it walks away its visits go out again', () => {
    const { out, roles } = run(
      [{ subject: fixedSubject('waiting'), place: (t) => (t < MIN ? undefined : t < 8 * MIN ? DOOR : t < 20 * MIN ? SPOTS[0] : undefined) }],
      20 * MIN,
      {
        doors: true,
      },
    );
    const w = out.get('waiting')!;
    expect(w.reason).toBeUndefined();
    // Held from ~2-3 min of stillness (bins are a minute) until it moved at 8 min (+ a bin to see it).
    expect(w.heldTicks).toBeGreaterThan(3 * 60);
    expect(w.heldTicks).toBeLessThan(8 * 60);
    expect(roles.holding('waiting')).toBe(false);
    expect(roles.stats().doorHeld).toBe(0);
  });

  it('memory: forgotten subjects leave nothing behind', () => {
    const { roles } = run([{ subject: rotating('door', 5 * MIN), place: at(DOOR, 0, H) }], 2 * H);
    expect(roles.size).toBe(0);
    expect(roles.stats()).toMatchObject({ staff: 0, fixed: 0, pending: 0 });
  });
});
