import { pointInShape, shapeBounds, shapeCenter, type Point } from '@storesense/firmware-config';
import type { Observation } from '@storesense/protocol';
import type { RadioParams, RadioReceiver } from './radio.model.js';
import { Rng } from './random.js';
import type { SiteLayout, StoreLayout } from './site-layout.js';
import { TrajectoryBuilder } from './trajectory.js';
import { Phone } from './world.phone.js';
import { WifiProber, type WifiParams } from './world.wifi.js';

/**
 * Staff and fixed devices: radios that are in the store for hours but are not shoppers, so they
 * produce observations and NO truth events. A real store has them every day: the assistant's phone
 * on the counter, the greeter's phone by the door, a phone in the stockroom, a BLE beacon or a
 * PC that advertises all day at one spot. The gateway must keep them out of footfall and journeys.
 */
export type StaffPlacement = 'door' | 'counter' | 'stockroom';
export const STAFF_PLACEMENTS: readonly StaffPlacement[] = ['door', 'counter', 'stockroom'];

export interface StaffDeviceSpec {
  /**
   * 'phone': a staff member's phone; moves between its placements, probes WiFi like any phone and
   * rotates its BLE address like the shoppers' phones (WorldOptions.bleRotationMs) unless
   * `rotationMs` says otherwise. 'fixed': a beacon or PC advertising at its first placement all
   * day, one address, no WiFi. Default 'phone'.
   */
  kind?: 'phone' | 'fixed';
  /** Spots visited in order, repeating (default ['door']). */
  placements?: readonly StaffPlacement[];
  /** The store it belongs to (default the site's first store). */
  storeId?: string;
  /** Shift start, ms after the trace start; negative = it was already there (default 0). */
  fromMs?: number;
  /** Shift length (default: to the end of the trace). */
  shiftMs?: number;
  /** Time at each placement before walking to the next (default 45 min; one placement: the whole shift). */
  stayMs?: number;
  /**
   * Advertising interval. Default 1000 ms for phones (Android LOW_POWER, the common background
   * mode) and 300 ms for fixed beacons (iBeacon vendors ship 100 ms-1 s; Apple's iBeacon guideline
   * recommends 100 ms, battery-friendly defaults are a few hundred ms).
   */
  advertIntervalMs?: number;
  /** BLE address rotation period; 0 = never. Phones default to the world's rotation, fixed devices to 0. */
  rotationMs?: number;
  /**
   * A registered staff badge: the gateway's ingest maps the badge's iBeacon id to a `staff_`
   * subject (gateway config `devices.staffBeacons`), so the trace carries that subject. No rotation.
   */
  registered?: boolean;
}

/** One staff device as built (exposed for tests and evaluation: its subjects must make no events). */
export interface PlannedStaffDevice {
  kind: 'phone' | 'fixed';
  storeId: string;
  placements: StaffPlacement[];
  startAt: number;
  endAt: number;
  /** Every BLE subject it used, with the time each started. */
  subjects: { from: number; subject: string }[];
  phone: Phone;
  wifi: WifiProber | undefined;
}

export interface StaffContext {
  layout: SiteLayout;
  startAt: number;
  endAt: number;
  worldRotationMs: number;
  wifi: WifiParams;
  radioTxSigmaDb: number;
  /** Adds a fresh unique subject (shared with the shoppers' subject set). */
  newSubject(rng: Rng, prefix: string): string;
}

/** Walking speed of staff between spots (slower than the 1.2-1.4 m/s of shoppers crossing a mall). */
const STAFF_WALK_MPS = 1.0;
const DEFAULT_STAY_MS = 45 * 60_000;

/**
 * Builds the staff devices from a seed of their own, so adding staff never changes a shopper's
 * plan, radio or subject: the same seed with and without staff gives the same shoppers.
 */
export function buildStaffDevices(specs: readonly StaffDeviceSpec[], seed: number, ctx: StaffContext): PlannedStaffDevice[] {
  const root = new Rng((seed ^ 0x5a17f00d) >>> 0);
  return specs.map((spec, i) => buildOne(spec, i, root.fork(), ctx));
}

function buildOne(spec: StaffDeviceSpec, index: number, rng: Rng, ctx: StaffContext): PlannedStaffDevice {
  const { layout } = ctx;
  const store = spec.storeId === undefined ? layout.stores[0] : layout.stores.find((s) => s.store.id === spec.storeId);
  if (store === undefined) throw new RangeError(`staff[${index}].storeId "${spec.storeId}" is not a store of the site`);
  const kind = spec.kind ?? 'phone';
  const placements = [...(spec.placements ?? ['door'])];
  if (placements.length === 0) throw new RangeError(`staff[${index}].placements is empty`);
  for (const p of placements)
    if (!STAFF_PLACEMENTS.includes(p)) throw new RangeError(`staff[${index}].placements: "${p}" is not one of ${STAFF_PLACEMENTS.join(', ')}`);
  const startAt = ctx.startAt + Math.round(spec.fromMs ?? 0);
  const endAt = spec.shiftMs === undefined ? ctx.endAt : startAt + Math.max(0, Math.round(spec.shiftMs));
  const spots = placements.map((p) => spotFor(store, p, rng));
  const stayMs = Math.max(60_000, spec.stayMs ?? (placements.length === 1 || kind === 'fixed' ? Number.POSITIVE_INFINITY : DEFAULT_STAY_MS));
  const floor = store.store.floors[0]!;
  const b = new TrajectoryBuilder(startAt, spots[0]!, floor);
  if (kind === 'fixed' || !Number.isFinite(stayMs)) b.hold(endAt - startAt);
  else {
    for (let i = 1; b.now < endAt; i++) {
      b.hold(Math.min(stayMs, endAt - b.now));
      if (b.now >= endAt) break;
      b.walkTo(spots[i % spots.length]!, STAFF_WALK_MPS);
    }
  }
  const segments = b.build();
  const registered = spec.registered === true;
  const rotationMs = registered ? 0 : Math.max(0, spec.rotationMs ?? (kind === 'fixed' ? 0 : ctx.worldRotationMs));
  const prefix = registered ? 'staff_' : 's_';
  const subjects = [{ from: startAt, subject: ctx.newSubject(rng, prefix) }];
  if (rotationMs > 0)
    for (let t = startAt + rng.uniform(0, rotationMs); t < endAt; t += rotationMs) subjects.push({ from: Math.ceil(t), subject: ctx.newSubject(rng, prefix) });
  const advertIntervalMs = spec.advertIntervalMs ?? (kind === 'fixed' ? 300 : 1000);
  const txOffsetDb = rng.normal(0, ctx.radioTxSigmaDb);
  const phone = new Phone(
    { subjects: [{ from: -Infinity, subject: subjects[0]!.subject }, ...subjects.slice(1)], segments, advertIntervalMs, txOffsetDb, tokenKey: undefined },
    rng.fork(),
  );
  const wifi = kind === 'phone' ? new WifiProber(segments, rng.fork(), ctx.wifi, txOffsetDb) : undefined;
  return { kind, storeId: store.store.id, placements, startAt, endAt, subjects, phone, wifi };
}

/**
 * Where each placement is in a store:
 * - door: a greeter's stand or a phone on the display table 1 m inside the first entrance, 1 m
 *   to its side (inside the entrance receiver's range, where false arrivals come from);
 * - counter: behind the first till (the POS terminal's own position), else the store centre;
 * - stockroom: the point of the footprint farthest from every entrance, 1 m in from the walls.
 */
export function spotFor(store: StoreLayout, placement: StaffPlacement, rng: Rng): Point {
  const jitter = () => rng.uniform(-0.3, 0.3);
  if (placement === 'door') {
    const e = store.entrances[0]!;
    const along = { x: -e.outward.y, y: e.outward.x };
    return { x: e.at.x - e.outward.x + along.x + jitter(), y: e.at.y - e.outward.y + along.y + jitter() };
  }
  if (placement === 'counter') {
    const till = store.checkouts[0];
    const p = till ? till.terminal.position : shapeCenter(store.store.shape);
    return { x: p.x + jitter(), y: p.y + jitter() };
  }
  return farthestFromEntrances(store);
}

function farthestFromEntrances(store: StoreLayout): Point {
  const b = shapeBounds(store.store.shape);
  let best = shapeCenter(store.store.shape);
  let bestD = -1;
  const step = Math.max(0.5, Math.min(b.maxX - b.minX, b.maxY - b.minY) / 20);
  for (let x = b.minX + 1; x <= b.maxX - 1; x += step) {
    for (let y = b.minY + 1; y <= b.maxY - 1; y += step) {
      const p = { x, y };
      if (!pointInShape(p, store.store.shape)) continue;
      const d = Math.min(...store.entrances.map((e) => Math.hypot(e.at.x - x, e.at.y - y)));
      if (d > bestD) {
        bestD = d;
        best = p;
      }
    }
  }
  return best;
}

/** Emits every staff device's adverts and probes in [fromAt, untilAt) into `out`. */
export function emitStaff(
  devices: readonly PlannedStaffDevice[],
  fromAt: number,
  untilAt: number,
  receivers: readonly RadioReceiver[],
  wifiReceivers: readonly RadioReceiver[],
  layout: SiteLayout,
  radio: RadioParams,
  periodMs: number,
  out: Observation[],
): void {
  for (const d of devices) {
    if (!d.phone.done) d.phone.emit(fromAt, untilAt, receivers, layout, radio, periodMs, out);
    if (d.wifi && !d.wifi.done) d.wifi.emit(fromAt, untilAt, wifiReceivers, layout, radio, out);
  }
}

/** Parses the CLI's `--staff door,counter+stockroom,fixed:counter` list (one device per comma). */
export function parseStaffList(text: string): StaffDeviceSpec[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((item) => {
      const [head, rest] = item.includes(':') ? (item.split(':', 2) as [string, string]) : ['phone', item];
      const registered = head === 'registered';
      const kind = head === 'fixed' ? 'fixed' : 'phone';
      if (!['phone', 'fixed', 'registered'].includes(head)) throw new RangeError(`--staff "${item}": the kind before ':' is phone, fixed or registered`);
      const placements = rest.split('+').map((p) => p.trim());
      for (const p of placements)
        if (!(STAFF_PLACEMENTS as readonly string[]).includes(p))
          throw new RangeError(`--staff "${item}": "${p}" is not one of ${STAFF_PLACEMENTS.join(', ')}`);
      return { kind, placements: placements as StaffPlacement[], ...(registered ? { registered: true } : {}) };
    });
}
