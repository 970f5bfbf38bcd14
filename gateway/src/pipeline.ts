import { OpeningCalendar, type GatewayConfig } from '@storesense/firmware-config';
import { newId as protocolNewId, type Observation } from '@storesense/protocol';
import { AutoCalibrator, type CalibrationSnapshot } from './calibration/auto-calibrator.js';
import type { Classifier, ClassProbs } from './classify/classifier.js';
import { computeFeatures, FRESH_MS, type FeatureWindow } from './classify/features.js';
import { siteContext, type SiteContext } from './classify/site-context.js';
import type { MemberResolver } from './identity/member-resolver.js';
import { attributePurchase } from './journey/purchase-attribution.js';
import {
  DEFAULT_HOLD,
  endJourney,
  type HoldSettings,
  initialJourneyState,
  nextJourneyState,
  type JourneyEventDraft,
  type JourneyState,
  type MachineSettings,
  type PurchaseInput,
} from './journey/journey.machine.js';
import type { Logger } from './log.js';
import type { EventDraft } from './store/outbox.js';
import { JourneyJournal, type JourneyChanges, type SavedJourney } from './journey/journey-journal.js';
import { Tracker, type SubjectTrack } from './tracking/tracker.js';
import { DeviceRoles, type DeviceRoleStats } from './tracking/device-roles.js';

/** ≈ fast EWMA tau (1.5 s) × ln 2: how late a step in RSSI shows as a crossing of the smoothed values. */
export const CROSSING_LAG_MS = 1_000;
/** Zones come from the slow EWMA (τ 6 s): its crossing lag, measured against the simulator's truth. */
export const ZONE_LAG_MS = 3_500;

/** Receiver roles deep enough inside a store that a door receiver being the strongest means "at the door". */
const INNER_ROLES: ReadonlySet<string> = new Set(['inside', 'checkout', 'escalator']);

export interface PipelineOptions {
  config: GatewayConfig;
  classifier: Classifier;
  logger: Logger;
  resolver?: MemberResolver;
  /** Id source for event and visit ids; defaults to protocol `newId(at)` (ULID with the event time). */
  newId?: (at: number) => string;
  /** Hysteresis overrides (durations, independent of the tick rate). */
  hold?: Partial<HoldSettings>;
  /** Forget subjects whose journey is over after this long without a sighting. */
  pruneAfterMs?: number;
  /** Used for a tick when `classifier` throws or returns a malformed batch (architecture §3.4: rules are the fallback). */
  fallback?: Classifier;
  /** Overrides config.calibration.auto (learn receiver offsets from traffic, decision 57). */
  autoCalibration?: boolean;
}

export interface PipelineStats {
  subjects: number;
  classifierErrors: number;
  observations: number;
  purchasesAttributed: Record<string, number>;
  /** Staff and fixed devices (tracking/device-roles.ts), kept out of journeys. */
  deviceRoles: DeviceRoleStats;
}

/**
 * The detection spine shared by the live gateway and `runOffline`: identity -> tracker ->
 * features -> classifier (one batch per tick) -> journey machine -> event drafts.
 * No clock and no I/O: observations carry their time, `tick(now)` is driven from outside.
 * @example pipeline.ingest(obs); const drafts = pipeline.tick(now);
 */
export class Pipeline {
  readonly ctx: SiteContext;
  private readonly tracker: Tracker;
  /** Learns receiver offsets from traffic; writes only into ctx.rssiCorrectionDb (decision 57). */
  private readonly calibrator: AutoCalibrator | undefined;
  private readonly roles: DeviceRoles;
  /**
   * Events of the new visits of subjects whose role is being decided (device-roles `holding`: a
   * handoff from a staff device, a device standing still at a door). A visit already out upstream
   * is never held: its dwell and exit go out as usual, so no visit is left open upstream.
   */
  private readonly held = new Map<string, EventDraft[]>();
  /** Per subject, the visit whose events last went out (the one open upstream, if any). */
  private readonly upstreamVisit = new Map<string, string>();
  private readonly journeys = new Map<string, JourneyState>();
  /** Which journeys changed since they were last written (journey-journal.ts). */
  private readonly journal = new JourneyJournal();
  private readonly purchases: Observation[] = [];
  private readonly settings: MachineSettings;
  private readonly newId: (at: number) => string;
  private readonly pruneAfterMs: number;
  private readonly log: Logger;
  private observations = 0;
  private readonly attributed: Record<string, number> = {};
  private lastPruneAt = Number.NEGATIVE_INFINITY;
  private classifierErrors = 0;
  /** The classifier that produced the current tick's probabilities (named in events). */
  private model: Classifier;

  constructor(private readonly opts: PipelineOptions) {
    const { config } = opts;
    // The correction map is the one place calibration reaches what the classifier sees: the tracker
    // adds it to every reading, and the auto-calibrator (when on) rewrites it as it learns.
    const corrections = new Map(siteContext(config).rssiCorrectionDb);
    this.ctx = { ...siteContext(config), rssiCorrectionDb: corrections };
    this.log = opts.logger.child({ module: 'pipeline' });
    this.model = opts.classifier;
    this.tracker = new Tracker({ rssiCorrectionDb: corrections });
    this.calibrator = (opts.autoCalibration ?? config.calibration.auto) ? new AutoCalibrator({ config, corrections }) : undefined;
    const { learn, stillForMs, doorStillForMs, counterStillForMs, repeatStillForMs, presentForMs, offHoursMinMs, closingGraceMs } = config.devices;
    this.roles = new DeviceRoles({
      settings: { learn, stillForMs, doorStillForMs, counterStillForMs, repeatStillForMs, presentForMs, offHoursMinMs, closingGraceMs },
      // A kiosk or open storefront heard only by door-side receivers is all "door": no door rules there.
      // Storefront receivers are not door receivers: counting them held window shoppers (flagship random site 9001: macro F1 -0.024).
      doorReceivers: new Set(
        config.receivers.some((r) => INNER_ROLES.has(r.role)) ? config.receivers.filter((r) => r.role === 'entrance').map((r) => r.id) : [],
      ),
      counterReceivers: new Set(config.receivers.filter((r) => r.role === 'checkout').map((r) => r.id)),
      visitOpen: (subject) => {
        const j = this.journeys.get(subject);
        return j !== undefined && j.place === 'inside' && j.visitId !== undefined && j.visitId === this.upstreamVisit.get(subject);
      },
      ...(config.openingHours !== undefined ? { calendar: new OpeningCalendar(config.openingHours, config.timezone) } : {}),
    });
    this.newId = opts.newId ?? ((at) => protocolNewId(at));
    this.settings = {
      dwellThresholdMs: config.journey.dwellThresholdMs,
      dwellUpdateMs: config.journey.dwellUpdateMs,
      exitAbsenceMs: config.journey.exitAbsenceMs,
      zoneDwellThresholdMs: this.ctx.zoneDwellThresholdMs,
      dwellZoneIds: new Set([...this.ctx.storeZonesByFloor.values()].flatMap((zones) => zones.map((z) => z.id))),
      multiFloor: this.ctx.multiFloor,
      floorLinkZones: this.ctx.floorLinkZones,
      floorLinkWindowMs: 60_000,
      crossingLagMs: CROSSING_LAG_MS,
      floorArrivalDelayMs: 9_000,
      zoneLagMs: ZONE_LAG_MS,
      doorGating: this.ctx.doorNearDbm.size > 0,
      doorWindowMs: 4_000,
      reentryGapMs: 10_000,
      ...DEFAULT_HOLD,
      // The classifier's own decision settings (tuned to its probabilities), then explicit overrides.
      // A fallback tick keeps them: one tick of rules probabilities under slightly different holds.
      ...opts.classifier.decision,
      ...opts.hold,
      newId: this.newId,
    };
    this.pruneAfterMs = opts.pruneAfterMs ?? Math.max(10 * 60_000, 2 * config.journey.exitAbsenceMs);
  }

  get classifier(): Classifier {
    return this.opts.classifier;
  }

  stats(): PipelineStats {
    return {
      subjects: this.tracker.size,
      classifierErrors: this.classifierErrors,
      observations: this.observations,
      purchasesAttributed: { ...this.attributed },
      deviceRoles: this.roles.stats(),
    };
  }

  /** Auto-calibration as health shows it. */
  calibration(): { auto: boolean; snapshot: CalibrationSnapshot | undefined } {
    return { auto: this.calibrator !== undefined, snapshot: this.calibrator?.snapshot() };
  }

  /**
   * Journeys to write with this tick's events (the outbox does it in the same transaction): the
   * ones that changed, or with `all` every open one (periodic flush, clean stop). Subjects whose
   * staff-device handoff is undecided are not written: their events are held in memory too.
   */
  journeyChanges(all: boolean): JourneyChanges {
    return this.journal.take(
      this.journeys,
      (s) => this.tracker.get(s)?.lastRadioAt ?? this.journal.lastSeen(s),
      all,
      (s) => this.roles.holding(s) || this.roles.excluded(s),
    );
  }

  /**
   * Journeys read back at start (before any observation): a shopper inside stays inside, and one
   * not heard again leaves at the time last heard, through the ordinary exit rule.
   */
  restoreJourneys(saved: readonly SavedJourney[]): void {
    for (const s of saved) {
      this.journeys.set(s.subject, s.state);
      // A restored visit was out upstream before the restart: it is never held, and a role closes it.
      if (s.state.visitId !== undefined) this.upstreamVisit.set(s.subject, s.state.visitId);
    }
    this.journal.restored(saved);
  }

  /** Folds one (already validated) observation into the tracker. Never throws on odd input. */
  ingest(obs: Observation): void {
    this.observations += 1;
    let memberId: string | undefined;
    if (obs.token !== undefined && this.opts.resolver) memberId = this.opts.resolver.resolve(obs.token, obs.at);
    if (obs.source === 'terminal' && obs.terminal?.memberId !== undefined) memberId = obs.terminal.memberId;
    this.tracker.observe(obs, memberId);
    if (obs.source === 'terminal' && obs.terminal?.action === 'purchase') {
      // A sale paid with a member token (app QR / card token) is a member sale like one naming the
      // member: attribution then looks for that member's radio track, not the checkout queue.
      const named = memberId !== undefined && obs.terminal.memberId === undefined ? { ...obs, terminal: { ...obs.terminal, memberId } } : obs;
      this.purchases.push(named);
    }
  }

  /** Runs one tick at `now`: classifies every fresh subject in one batch, advances journeys. */
  tick(now: number): EventDraft[] {
    const newly = this.roles.tick(now, this.tracker.all());
    // A held visit of an address that rotated goes with the chain: released or dropped with the new address.
    for (const [from, to] of this.roles.takeHandoffs()) {
      const list = this.held.get(from);
      if (list === undefined) continue;
      this.held.delete(from);
      this.heldFor(to).push(...list);
    }
    const drafts: EventDraft[] = this.closeRoleVisits(newly, now);
    const byPurchase = this.attributePurchases(now);
    const windows: FeatureWindow[] = [];
    for (const t of this.tracker.all()) {
      // Staff and fixed devices (and subjects whose role is being decided) make no journey.
      if (this.roles.excluded(t.id)) continue;
      // Journeys come from BLE (and terminals). WiFi-only subjects are tracked and counted but
      // start no journey: probes come in bursts ~45 s apart, mostly from a fresh random MAC each
      // time, so each burst would be a new "shopper"; their RSSI also is not on the BLE scale.
      if (!t.signals.has('ble')) continue;
      if (t.lastRadioAt !== undefined && now - t.lastRadioAt <= FRESH_MS) windows.push(computeFeatures(t, now, this.ctx));
    }
    this.calibrator?.sample(now, this.bleOnlyTracks());
    const probs = windows.length > 0 ? this.classify(windows, now) : [];
    const probsBySubject = new Map(probs.map((p) => [p.subject, p]));
    const atDoor = new Set(windows.filter((w) => w.doorMarginDb > 0).map((w) => w.subject));
    const subjects = new Set<string>([...probsBySubject.keys(), ...byPurchase.keys()]);
    for (const [id, s] of this.journeys) if (s.place !== 'absent' && !this.roles.excluded(id)) subjects.add(id);

    for (const subject of subjects) {
      const track = this.tracker.get(subject);
      const before = this.journeys.get(subject) ?? initialJourneyState();
      // A journey restored after a restart keeps its last sighting until the subject is heard again.
      const lastSeenAt = track?.lastRadioAt ?? this.journal.lastSeen(subject);
      const { state, events } = nextJourneyState(
        before,
        { now, probs: probsBySubject.get(subject), lastSeenAt, purchases: byPurchase.get(subject) ?? [], atDoor: atDoor.has(subject) },
        this.settings,
      );
      this.journeys.set(subject, state);
      if (events.length > 0 || state.place !== before.place) this.journal.touch(subject);
      const holding = this.roles.holding(subject);
      for (const e of events) {
        if (holding && e.visitId !== this.upstreamVisit.get(subject)) this.heldFor(subject).push(this.toDraft(subject, e));
        else {
          this.upstreamVisit.set(subject, e.visitId);
          drafts.push(this.toDraft(subject, e));
        }
      }
    }
    this.releaseHeld(now, drafts);
    if (now - this.lastPruneAt >= 10_000) this.prune(now);
    drafts.sort((a, b) => a.at - b.at);
    return drafts;
  }

  /**
   * Subjects that just got a staff or fixed role: an open visit ends now (dwell end and exit, as a
   * departure), a pass ends silently; their journey state goes (roles keep them out from now on).
   */
  private closeRoleVisits(subjects: readonly string[], now: number): EventDraft[] {
    const out: EventDraft[] = [];
    for (const subject of subjects) {
      const state = this.journeys.get(subject);
      const held = this.held.get(subject);
      if (held) this.roles.countDropped(held.length);
      this.held.delete(subject);
      if (state === undefined) continue;
      this.journeys.delete(subject);
      this.journal.remove(subject);
      // Only a visit whose events went out is open upstream; a held one simply never happened.
      if (state.place !== 'inside' || state.visitId === undefined || state.visitId !== this.upstreamVisit.get(subject)) continue;
      this.roles.countVisitClosed();
      for (const e of endJourney(state, now, now, this.settings).events) out.push(this.toDraft(subject, e));
    }
    return out;
  }

  private heldFor(subject: string): EventDraft[] {
    let list = this.held.get(subject);
    if (list === undefined) this.held.set(subject, (list = []));
    return list;
  }

  /** Held events of subjects released from a handoff go out now (true `at`, `detectedAt` = now). */
  private releaseHeld(now: number, drafts: EventDraft[]): void {
    for (const [subject, list] of this.held) {
      if (this.roles.holding(subject)) continue;
      this.held.delete(subject);
      if (this.roles.role(subject) !== undefined) {
        this.roles.countDropped(list.length);
        continue;
      }
      for (const d of list) {
        if (d.visitId !== undefined) this.upstreamVisit.set(subject, d.visitId);
        drafts.push({ ...d, detectedAt: now });
      }
    }
  }

  /** Runs the classifier; on a throw or a wrong-sized batch, the fallback takes this tick. */
  private classify(windows: FeatureWindow[], now: number): ClassProbs[] {
    try {
      const out = this.opts.classifier.classify(windows, now);
      if (out.length !== windows.length) throw new Error(`returned ${out.length} results for ${windows.length} windows`);
      this.model = this.opts.classifier;
      return out;
    } catch (err) {
      this.classifierErrors += 1;
      if (this.classifierErrors <= 10 || this.classifierErrors % 1000 === 0) {
        this.log.error(
          { err: (err as Error).message, classifier: this.opts.classifier.name, classifierErrors: this.classifierErrors },
          'classifier failed; using the fallback for this tick',
        );
      }
      if (!this.opts.fallback) throw err;
      this.model = this.opts.fallback;
      return this.opts.fallback.classify(windows, now);
    }
  }

  private attributePurchases(now: number): Map<string, PurchaseInput[]> {
    const out = new Map<string, PurchaseInput[]>();
    const due = this.purchases.filter((p) => p.at <= now);
    if (due.length === 0) return out;
    this.purchases.splice(0, this.purchases.length, ...this.purchases.filter((p) => p.at > now));
    for (const obs of due) {
      const a = attributePurchase(obs, this.tracker, this.ctx, (id) => {
        const j = this.journeys.get(id);
        return j && { inside: j.place === 'inside', zoneId: j.zone?.zoneId, zoneEnteredAt: j.zone?.enteredAt, purchased: j.purchased };
      });
      this.attributed[a.how] = (this.attributed[a.how] ?? 0) + 1;
      const list = out.get(a.subject) ?? [];
      list.push({
        at: obs.at,
        terminalId: obs.receiverId,
        confidence: a.confidence,
        ...(obs.terminal?.amount !== undefined ? { amount: obs.terminal.amount } : {}),
        ...(obs.terminal?.currency !== undefined ? { currency: obs.terminal.currency } : {}),
      });
      out.set(a.subject, list);
    }
    return out;
  }

  private toDraft(subject: string, e: JourneyEventDraft): EventDraft {
    const track = this.tracker.get(subject);
    const { type, at, detectedAt, visitId, confidence, ...rest } = e;
    return {
      v: 1,
      id: this.newId(at),
      type,
      at,
      detectedAt,
      siteId: this.ctx.siteId,
      gatewayId: this.ctx.gatewayId,
      ...(this.ctx.storeId !== undefined ? { storeId: this.ctx.storeId } : {}),
      subject: {
        id: subject,
        signals: track ? [...track.signals].sort() : ['terminal'],
        ...(track?.memberId !== undefined ? { memberId: track.memberId } : {}),
        ...(track?.randomized ? { randomized: true } : {}),
      },
      visitId,
      ...rest,
      confidence,
      model: { name: this.model.name, version: this.model.version },
    };
  }

  /** Subjects heard only over BLE: WiFi probe RSSI is on another scale and must not teach BLE offsets. */
  private *bleOnlyTracks(): Generator<SubjectTrack> {
    // Staff and fixed devices sit at one spot all day: thousands of samples of one position would
    // outweigh the moving shoppers' evidence and pull the offsets towards that spot's model error.
    for (const t of this.tracker.all()) if (t.signals.size === 1 && t.signals.has('ble') && !this.roles.excluded(t.id) && !this.roles.holding(t.id)) yield t;
  }

  private prune(now: number): void {
    this.lastPruneAt = now;
    const gone = this.tracker.prune(now, this.pruneAfterMs, (id) => (this.journeys.get(id)?.place ?? 'absent') === 'absent');
    for (const id of gone) {
      this.journeys.delete(id);
      this.journal.remove(id);
    }
    this.roles.forget(gone);
    for (const id of gone) {
      // Held events of an address that passed its chain on to a new one: the new one decides.
      const list = this.held.get(id);
      if (list) this.roles.countDropped(list.length);
      this.held.delete(id);
      this.upstreamVisit.delete(id);
    }
    for (const [id, s] of this.journeys) {
      if (s.place !== 'absent' || this.tracker.get(id)) continue;
      this.journeys.delete(id);
      this.journal.remove(id);
    }
    if (gone.length > 0) this.log.debug({ pruned: gone.length, subjects: this.tracker.size }, 'pruned idle subjects');
  }
}
