import { OpeningCalendar, type DemoMember, type Site } from '@storesense/firmware-config';
import { PROTOCOL_VERSION, TRACE_FORMAT, TRUTH_FORMAT, type Observation, type TraceHeader, type TruthEvent, type TruthHeader } from '@storesense/protocol';
import { DEFAULT_RADIO, buildReceiverSets, receiverOffsetTruth, type CalibrationTruth, type RadioParams, type ReceiverOffsetTruth } from './radio.model.js';
import { Rng } from './random.js';
import type { ScriptedShopper } from './scenario.js';
import { planShopper } from './shopper.intents.js';
import { DEFAULT_INTENT_MIX, DEFAULT_PLAN_PARAMS, type Intent, type PlanParams, type ShopperPlan } from './shopper.plan.js';
import { buildLayout, type SiteLayout } from './site-layout.js';
import { journeyTruth } from './truth.journey.js';
import { Phone } from './world.phone.js';
import { buildStaffDevices, emitStaff, type PlannedStaffDevice, type StaffDeviceSpec } from './world.staff.js';
import { TerminalCounters, terminalObservations } from './world.terminals.js';
import { DEFAULT_WIFI, WifiProber, type WifiParams } from './world.wifi.js';

export const SIMULATOR_VERSION = '0.1.0';
/** Default trace start, fixed so that files are reproducible: Monday 2026-01-05 10:00 UTC. */
export const DEFAULT_START_AT = Date.UTC(2026, 0, 5, 10, 0, 0);

/**
 * Advertising intervals of phones: Android's AdvertiseSettings modes LOW_LATENCY (~100 ms),
 * BALANCED (~250 ms) and LOW_POWER (~1 s), plus 500 ms seen from app SDKs. Weights: most apps
 * advertise in the background at low power.
 */
export const ADVERT_INTERVAL_MIX: Readonly<Record<string, number>> = { '100': 0.1, '250': 0.3, '500': 0.2, '1000': 0.4 };

export interface WorldOptions {
  site: Site;
  /** PRNG seed; same seed + site + duration + start = identical output. */
  seed?: number;
  durationMs: number;
  /** Trace start, ms since epoch (default DEFAULT_START_AT). */
  startAt?: number;
  /** Background corridor traffic, Poisson arrivals (default 240/h; 0 disables it). */
  shoppersPerHour?: number;
  /** Members to draw from; consent=no members behave as anonymous shoppers. */
  members?: readonly DemoMember[];
  /**
   * Share of background shoppers who are members, while members last. Default 0.15, or 0 when
   * scenarios are given (a scripted member then is the only member: background stays anonymous).
   */
  memberShare?: number;
  intentMix?: Partial<Record<Intent, number>>;
  radio?: Partial<RadioParams>;
  /** WiFi probe requests (heard only by wifi / ble_wifi / meraki receivers). */
  wifi?: Partial<WifiParams>;
  /**
   * Share of background shoppers whose phone advertises BLE (an app or SDK running); the others are
   * invisible to BLE receivers but still in the truth (so evaluate counts them as misses). Default 1.
   * Scripted shoppers always advertise.
   */
  bleShare?: number;
  /**
   * Anonymous phones change their BLE address (so the gateway's subject) this often, as resolvable
   * private addresses do (Bluetooth Core Spec v5.3 Vol 3 Part C Appendix A recommends a 15 min
   * TGAP(private_addr_int)). The first change comes at a random point of the first period. Truth
   * events carry the subject in use at their time. Default 0 = off (one subject per phone); member
   * phones keep one subject (their token identifies them anyway).
   */
  bleRotationMs?: number;
  plan?: Partial<PlanParams>;
  scenarios?: readonly ScriptedShopper[];
  /** ISO 4217 code on POS observations (default CNY). */
  currency?: string;
  /** Site file name recorded in the headers. */
  siteFile?: string;
  /** Generation window: observations are produced and sorted this many ms at a time (default 10 s). */
  windowMs?: number;
  /** Advertising interval (ms, as a string key) -> weight, for background phones (default ADVERT_INTERVAL_MIX). */
  advertIntervalMix?: Readonly<Record<string, number>>;
  /** Real receiver biases unlike the site file's (radio.model.ts CalibrationTruth). Default: declared + N(0, 1 dB). */
  calibration?: CalibrationTruth;
  /**
   * Staff and fixed devices (world.staff.ts): in the store for hours, observations but no truth.
   * Drawn from a seed of their own, so the shoppers are the same with and without them. Default none.
   */
  staff?: readonly StaffDeviceSpec[];
}

/** One shopper as planned (exposed for tests, evaluation and debugging). */
export interface PlannedShopper {
  subject: string;
  memberId: string | undefined;
  intent: Intent;
  scenario: string | undefined;
  storeId: string;
  spawnAt: number;
  endAt: number;
  advertIntervalMs: number;
  plan: ShopperPlan;
  truth: TruthEvent[];
  terminalObservations: Observation[];
  phone: Phone;
  /** False when this shopper's phone does not advertise BLE (see bleShare). */
  advertises: boolean;
  /** Every BLE subject this phone used, in order, with the time it started (see bleRotationMs). */
  subjects: { from: number; subject: string }[];
  wifi: WifiProber;
}

export interface World {
  readonly header: TraceHeader;
  readonly truthHeader: TruthHeader;
  readonly layout: SiteLayout;
  readonly shoppers: readonly PlannedShopper[];
  /** Each receiver's declared and real reporting bias (what a calibration should recover). */
  readonly receiverOffsets: readonly ReceiverOffsetTruth[];
  /** Staff and fixed devices: their subjects must make no journey events. */
  readonly staff: readonly PlannedStaffDevice[];
  /** True events in [start, end), sorted by (at, subject, order of occurrence). */
  truth(): TruthEvent[];
  /** Observations in [start, end) as sorted batches, one generation window at a time. Single use. */
  observationBatches(): Generator<Observation[]>;
  /** The same observations one by one (e.g. `replayTrace({ observations: world.observations(), ... })`). Single use. */
  observations(): Generator<Observation>;
}

/**
 * Builds a seeded world: every shopper is planned up front (cheap), observations are generated
 * lazily window by window so hours of traffic stream in bounded memory.
 * @example
 * const world = createWorld({ site, seed: 7, durationMs: 10 * 60_000 });
 * for (const batch of world.observationBatches()) for (const o of batch) ingest(o);
 */
export function createWorld(options: WorldOptions): World {
  const site = options.site;
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isFinite(options.durationMs) || options.durationMs < 0)
    throw new RangeError(`durationMs must be a non-negative number, got ${options.durationMs}`);
  const startAt = Math.round(options.startAt ?? DEFAULT_START_AT);
  if (!Number.isSafeInteger(startAt) || startAt < 0) throw new RangeError(`startAt must be ms since the epoch, got ${options.startAt}`);
  const durationMs = Math.max(0, Math.round(options.durationMs));
  const endAt = startAt + durationMs;
  const currency = options.currency ?? 'CNY';
  const radio: RadioParams = { ...DEFAULT_RADIO, ...options.radio };
  const params: PlanParams = { ...DEFAULT_PLAN_PARAMS, ...options.plan };
  const mix = { ...DEFAULT_INTENT_MIX, ...options.intentMix };
  const windowMs = Math.max(100, options.windowMs ?? 10_000);
  const layout = buildLayout(site);
  const master = new Rng(seed);
  const wifiParams: WifiParams = { ...DEFAULT_WIFI, ...options.wifi };
  const bleShare = options.bleShare ?? 1;
  const rotationMs = Math.max(0, options.bleRotationMs ?? 0);
  const receiverSets = buildReceiverSets(layout, radio, master.fork(), options.calibration);
  const { ble: receivers, wifi: wifiReceivers } = receiverSets;
  const advertMix = options.advertIntervalMix ?? ADVERT_INTERVAL_MIX;
  const counters = new TerminalCounters();
  const subjects = new Set<string>();
  const newSubject = (rng: Rng, prefix = 's_') => {
    for (;;) {
      const s = `${prefix}${rng.hex(8)}`;
      if (!subjects.has(s)) {
        subjects.add(s);
        return s;
      }
    }
  };
  const scripted = options.scenarios ?? [];
  const scriptedMembers = new Set(scripted.map((s) => s.memberId).filter((m) => m !== undefined));
  const pool = (options.members ?? []).filter((m) => !scriptedMembers.has(m.memberId));
  const shoppers: PlannedShopper[] = [];

  const addShopper = (s: {
    plan: ShopperPlan;
    rng: Rng;
    subject: string;
    member: { memberId: string; tokenKey: string } | undefined;
    advertIntervalMs: number;
    recall: number | undefined;
    scenario: string | undefined;
  }) => {
    const segs = s.plan.segments;
    const spawnAt = segs[0]?.t0 ?? startAt;
    let truth = journeyTruth(layout, segs, s.subject, s.member?.memberId, s.plan.purchases);
    const terminalRng = s.rng.fork();
    const radioRng = s.rng.fork();
    const terminalObs = terminalObservations(
      layout,
      { subject: s.subject, memberId: s.member?.memberId, segments: segs, purchases: s.plan.purchases, truth, recallOverride: s.recall },
      terminalRng,
      counters,
      currency,
    );
    const txOffsetDb = radioRng.normal(0, radio.phoneTxSigmaDb);
    // Forked after the others, so WiFi, silence and rotation never shift the BLE, terminal or plan streams.
    const wifi = new WifiProber(segs, s.rng.fork(), wifiParams, txOffsetDb);
    const advertises = s.scenario !== undefined || s.rng.fork().chance(bleShare);
    const endAt = segs[segs.length - 1]?.t1 ?? spawnAt;
    const subjectTimeline = [{ from: -Infinity, subject: s.subject }];
    if (rotationMs > 0 && s.member === undefined && s.scenario === undefined) {
      const rotRng = s.rng.fork();
      for (let t = spawnAt + rotRng.uniform(0, rotationMs); t < endAt; t += rotationMs)
        subjectTimeline.push({ from: Math.ceil(t), subject: newSubject(rotRng) });
      if (subjectTimeline.length > 1) truth = truth.map((e) => ({ ...e, subject: subjectAt(subjectTimeline, e.at) }));
    }
    const phone = new Phone(
      { subjects: subjectTimeline, segments: segs, advertIntervalMs: s.advertIntervalMs, txOffsetDb, tokenKey: s.member?.tokenKey },
      radioRng,
    );
    shoppers.push({
      subject: s.subject,
      memberId: s.member?.memberId,
      intent: s.plan.intent,
      scenario: s.scenario,
      storeId: s.plan.storeId,
      spawnAt,
      endAt,
      advertIntervalMs: s.advertIntervalMs,
      plan: s.plan,
      truth,
      terminalObservations: terminalObs,
      phone,
      wifi,
      advertises,
      subjects: subjectTimeline.map((x, i) => ({ from: i === 0 ? spawnAt : x.from, subject: x.subject })),
    });
  };

  for (const sc of scripted) {
    const rng = master.fork();
    const subject = sc.subject ?? newSubject(rng);
    subjects.add(subject);
    let plan = sc.plan({ layout, rng, params, startAt });
    if (sc.approachAtMs !== undefined) {
      const probe = journeyTruth(layout, plan.segments, subject, undefined, plan.purchases).find((e) => e.type === 'approach');
      if (probe !== undefined) plan = shiftPlan(plan, startAt + sc.approachAtMs - probe.at);
    }
    const member = sc.memberId !== undefined && sc.tokenKey !== undefined ? { memberId: sc.memberId, tokenKey: sc.tokenKey } : undefined;
    addShopper({ plan, rng, subject, member, advertIntervalMs: sc.advertIntervalMs ?? 250, recall: sc.terminalRecall, scenario: sc.name });
  }

  const rate = Math.max(0, options.shoppersPerHour ?? 240);
  if (rate > 0) {
    const meanGapMs = 3_600_000 / rate;
    const memberShare = options.memberShare ?? (scripted.length > 0 ? 0 : 0.15);
    // A site with opening hours gets shoppers only while open (the draws go on, so the shoppers of
    // open hours are the same as without hours); staff devices are what is heard while closed.
    const hours = site.openingHours ?? site.stores[0]?.openingHours;
    const calendar = hours !== undefined ? new OpeningCalendar(hours, site.timezone) : undefined;
    for (let t = startAt + master.exponential(meanGapMs); t < endAt; t += master.exponential(meanGapMs)) {
      const rng = master.fork();
      if (calendar !== undefined && !calendar.isOpen(t)) continue;
      const subject = newSubject(rng);
      let member: { memberId: string; tokenKey: string } | undefined;
      if (pool.length > 0 && rng.chance(memberShare)) {
        const m = pool.splice(rng.int(pool.length), 1)[0]!;
        if (m.consent) member = { memberId: m.memberId, tokenKey: m.tokenKey };
      }
      const advertIntervalMs = Number(rng.weighted(advertMix));
      const plan = planShopper(layout, rng, params, mix, Math.round(t), rng.uniform(1.2, 1.4));
      addShopper({ plan, rng, subject, member, advertIntervalMs, recall: undefined, scenario: undefined });
    }
  }
  shoppers.sort((a, b) => a.spawnAt - b.spawnAt || cmp(a.subject, b.subject));
  const staff =
    options.staff !== undefined && options.staff.length > 0
      ? buildStaffDevices(options.staff, seed, {
          layout,
          startAt,
          endAt,
          worldRotationMs: rotationMs,
          wifi: wifiParams,
          radioTxSigmaDb: radio.phoneTxSigmaDb,
          newSubject,
        })
      : [];

  const header: TraceHeader = {
    format: TRACE_FORMAT,
    v: PROTOCOL_VERSION,
    siteId: site.id,
    startedAt: startAt,
    durationMs,
    seed,
    generator: `storesense-sim ${SIMULATOR_VERSION}`,
    ...(options.siteFile !== undefined ? { site: options.siteFile } : {}),
  };
  let used = false;
  return {
    header,
    truthHeader: { ...header, format: TRUTH_FORMAT },
    layout,
    shoppers,
    receiverOffsets: receiverOffsetTruth(layout, receiverSets),
    staff,
    truth() {
      const all: { e: TruthEvent; i: number }[] = [];
      for (const s of shoppers) s.truth.forEach((e, i) => e.at >= startAt && e.at < endAt && all.push({ e, i }));
      all.sort((a, b) => a.e.at - b.e.at || cmp(a.e.subject, b.e.subject) || a.i - b.i);
      return all.map((x) => x.e);
    },
    *observationBatches() {
      if (used) throw new Error('observationBatches() can be iterated once per world (phones keep state); create a new world');
      used = true;
      const terminalObs = shoppers.flatMap((s) => s.terminalObservations).filter((o) => o.at >= startAt && o.at < endAt);
      terminalObs.sort(compareObservations);
      let ti = 0;
      let next = 0;
      let active: PlannedShopper[] = [];
      const periodMs = site.memberTokens.periodMs;
      for (let w0 = startAt; w0 < endAt; w0 += windowMs) {
        const w1 = Math.min(w0 + windowMs, endAt);
        while (next < shoppers.length && shoppers[next]!.spawnAt < w1) active.push(shoppers[next++]!);
        const batch: Observation[] = [];
        for (const s of active) {
          if (s.advertises) s.phone.emit(startAt, w1, receivers, layout, radio, periodMs, batch);
          s.wifi.emit(startAt, w1, wifiReceivers, layout, radio, batch);
        }
        active = active.filter((s) => !((s.phone.done || !s.advertises) && s.wifi.done));
        if (staff.length > 0) emitStaff(staff, startAt, w1, receivers, wifiReceivers, layout, radio, periodMs, batch);
        while (ti < terminalObs.length && terminalObs[ti]!.at < w1) batch.push(terminalObs[ti++]!);
        batch.sort(compareObservations);
        yield batch;
      }
    },
    observations() {
      return flatten(this.observationBatches());
    },
  };
}

/** The subject in use at `at` on a timeline sorted by `from`. */
export function subjectAt(timeline: readonly { from: number; subject: string }[], at: number): string {
  let subject = timeline[0]!.subject;
  for (const x of timeline) {
    if (x.from > at) break;
    subject = x.subject;
  }
  return subject;
}

function* flatten(batches: Generator<Observation[]>): Generator<Observation> {
  for (const b of batches) yield* b;
}

function shiftPlan(plan: ShopperPlan, deltaMs: number): ShopperPlan {
  return {
    ...plan,
    segments: plan.segments.map((s) => ({ ...s, t0: s.t0 + deltaMs, t1: s.t1 + deltaMs })),
    purchases: plan.purchases.map((p) => ({ ...p, at: p.at + deltaMs })),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Total order on observations: time, then receiver, subject and source (ties are otherwise impossible). */
export function compareObservations(a: Observation, b: Observation): number {
  return a.at - b.at || cmp(a.receiverId, b.receiverId) || cmp(a.subject, b.subject) || cmp(a.source, b.source);
}
