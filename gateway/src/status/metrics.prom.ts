import type { GatewayHealth } from '@storesense/protocol';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { PipelineStats } from '../pipeline.js';
import type { UplinkStatus } from '../uplink/mqtt.uplink.js';

/** What one scrape reads: the gateway's health (the same figures as `/api/v1/health`) plus its running counters. */
export interface GatewayMetricsSnapshot {
  health: GatewayHealth;
  pipeline: PipelineStats;
  /** Absent when the gateway runs without an uplink. */
  uplink?: UplinkStatus | undefined;
  /** Events written to the outbox since start, by event type. */
  eventsStored: Readonly<Record<string, number>>;
  tickErrors: number;
}

export interface GatewayPrometheus {
  readonly contentType: string;
  /** The exposition text of one consistent snapshot. */
  render(): Promise<string>;
}

const SOURCE_STATES = ['ok', 'degraded', 'unavailable', 'stopped'] as const;

/**
 * The gateway's Prometheus metrics (decision 140), served as `GET /metrics` by the status API; the
 * only file importing prom-client in the gateway. Every figure comes from one snapshot taken per
 * scrape, so the families agree with each other and with `/api/v1/health`. Counts only: no
 * subject, address or member appears in a label (labels are source names, event types, store ids).
 * A registry per gateway (not prom-client's global one): several gateways can share a process (tests).
 * @example const prom = createGatewayPrometheus(() => snapshot()); res.end(await prom.render())
 */
export function createGatewayPrometheus(snapshot: () => GatewayMetricsSnapshot): GatewayPrometheus {
  const registers = [new Registry()];
  const [registry] = registers as [Registry];
  collectDefaultMetrics({ register: registry, prefix: 'storesense_gateway_' });
  // Each scrape resets these and sets them from the snapshot: a source or store gone since the
  // last scrape leaves no stale series behind. Counters are set to the running total (reset + inc).
  const own: Array<Gauge | Counter> = [];
  const gauge = (name: string, help: string, labelNames: string[] = []) => {
    const g = new Gauge({ name: `storesense_gateway_${name}`, help, labelNames, registers });
    own.push(g);
    return g;
  };
  const counter = (name: string, help: string, labelNames: string[] = []) => {
    const c = new Counter({ name: `storesense_gateway_${name}_total`, help, labelNames, registers });
    own.push(c);
    return c;
  };

  const info = gauge('info', 'Gateway build and classifier (value 1)', ['version', 'model', 'model_version', 'classifier_requested', 'classifier_active']);
  const classifierOutside = gauge('classifier_outside_domain', '1 when the site lies outside the model training domain (the rules run instead)');
  const sourceState = gauge('source_state', 'Current state of each source (1 for the state it is in)', ['source', 'state']);
  const sourceObs = counter('source_observations', 'Observations a source accepted', ['source']);
  const sourceRejected = counter('source_rejected', 'Inputs a source rejected', ['source']);
  const sourceFlagged = counter('source_flagged', 'Inputs a source accepted with a flagged oddity', ['source']);
  const sourceLastAge = gauge('source_last_observation_age_seconds', 'Seconds since the source last delivered an observation', ['source']);
  const observations = counter('observations', 'Observations that entered the pipeline');
  const classifierErrors = counter('classifier_errors', 'Classifier batches that failed (the rules fallback answered)');
  const tickErrors = counter('tick_errors', 'Ticks that failed and were skipped');
  const events = counter('events_stored', 'Events written to the outbox', ['type']);
  const subjects = gauge('subjects', 'Distinct pseudonymous subjects tracked now (addresses, not people)');
  const outboxDepth = gauge('outbox_depth', 'Events in the outbox not yet acked by the cloud');
  const outboxAge = gauge('outbox_oldest_unsent_age_seconds', 'Age of the oldest unacked event (0 when the outbox is empty)');
  const outboxDropped = counter('outbox_dropped', 'Events the outbox dropped undelivered (row cap or age bound)');
  const outboxGaps = gauge('outbox_undelivered_gaps', 'Gap records (drops) the cloud has not acked yet');
  const uplinkConnected = gauge('uplink_connected', '1 while the MQTT uplink is connected');
  const uplinkConnects = counter('uplink_connects', 'MQTT connections made');
  const uplinkFailures = counter('uplink_connect_failures', 'MQTT connection attempts that failed');
  const published = counter('uplink_events_published', 'Event publishes (live as they happen, backlog on resend)', ['kind']);
  const acked = counter('uplink_events_acked', 'Events the cloud acked (deleted from the outbox)');
  const requeued = counter('uplink_events_requeued', 'Unacked events queued again for publishing');
  const rejectedByCloud = counter('uplink_events_rejected_by_cloud', 'Events the cloud refused for good');
  const invalidDropped = counter('uplink_events_invalid_dropped', 'Stored events that failed the contract schema and were dropped');
  const publishErrors = counter('uplink_publish_errors', 'MQTT publishes that failed');
  const badAcks = counter('uplink_bad_acks', 'Ack messages that failed validation');
  const gapsPublished = counter('uplink_gaps_published', 'Gap records published (re-sent until acked)');
  const occupancy = gauge('occupancy', 'WiFi occupancy estimate of the last closed minute', ['store']);
  const uniqueLastHour = gauge('unique_visitors_last_hour', 'WiFi unique visitors in the last hour', ['store']);
  const fixedDevices = gauge('occupancy_fixed_devices', 'Devices learned fixed and left out of occupancy', ['store']);
  const roles = gauge('device_roles', 'Subjects tracked now by device role', ['role']);
  const rolesDecided = counter('device_roles_decided', 'Device roles decided since start, by reason', ['reason']);
  const calibrationSamples = gauge('calibration_samples', 'Position-fit residuals the auto-calibration has used');
  const calibrationApplied = gauge('calibration_applied', '1 once learned receiver offsets are applied');
  const purchases = counter('purchases_attributed', 'Purchases attributed to a journey, by outcome', ['outcome']);
  const configVersion = gauge('config_version', 'Version of the applied config (0: the local file, never a remote one)');
  const configRefused = gauge('config_refused_version', 'Version of the last remote config refused as invalid (0: none)');
  const shadowInfo = gauge('model_shadow_info', 'The model running in shadow beside the active one (value 1)', ['version']);
  const shadowAgreement = gauge('model_shadow_agreement', 'Share of subject-ticks where shadow and active model chose the same place');
  const shadowCompared = counter('model_shadow_compared', 'Subject-ticks both models classified since the shadow started');
  const shadowAgreed = counter('model_shadow_agreed', 'Of those, where both chose the same place');
  const shadowErrors = counter('model_shadow_errors', 'Shadow model batches that failed');

  const setCounter = (c: Counter, value: number, labels?: Record<string, string>) => {
    if (labels) c.inc(labels, Math.max(0, value));
    else c.inc(Math.max(0, value));
  };

  const update = () => {
    const s = snapshot();
    const h = s.health;
    for (const m of own) m.reset();
    const classifier = h.classifier;
    info.set(
      {
        version: h.version,
        model: h.model.name,
        model_version: h.model.version,
        classifier_requested: classifier?.requested ?? h.model.name,
        classifier_active: classifier?.active ?? h.model.name,
      },
      1,
    );
    classifierOutside.set(classifier?.domain === 'outside' ? 1 : 0);
    for (const [source, sh] of Object.entries(h.sources)) {
      for (const state of SOURCE_STATES) sourceState.set({ source, state }, sh.state === state ? 1 : 0);
      setCounter(sourceObs, sh.observations, { source });
      setCounter(sourceRejected, sh.rejected, { source });
      if (sh.flagged !== undefined) setCounter(sourceFlagged, sh.flagged, { source });
      if (sh.lastObservationAt !== undefined) sourceLastAge.set({ source }, Math.max(0, h.at - sh.lastObservationAt) / 1000);
    }
    setCounter(observations, s.pipeline.observations);
    setCounter(classifierErrors, s.pipeline.classifierErrors);
    setCounter(tickErrors, s.tickErrors);
    for (const [type, n] of Object.entries(s.eventsStored)) setCounter(events, n, { type });
    for (const [outcome, n] of Object.entries(s.pipeline.purchasesAttributed)) setCounter(purchases, n, { outcome });
    subjects.set(h.subjects);
    outboxDepth.set(h.outbox.depth);
    outboxAge.set((h.outbox.oldestUnsentAgeMs ?? 0) / 1000);
    setCounter(outboxDropped, h.outbox.dropped);
    outboxGaps.set(h.outbox.undeliveredGaps ?? 0);
    const u = s.uplink;
    uplinkConnected.set(u?.connection.connected ? 1 : 0);
    if (u) {
      setCounter(uplinkConnects, u.connection.connects);
      setCounter(uplinkFailures, u.connection.failures);
      setCounter(published, u.publishedLive, { kind: 'live' });
      setCounter(published, u.publishedBacklog, { kind: 'backlog' });
      setCounter(acked, u.acked);
      setCounter(requeued, u.requeued);
      setCounter(rejectedByCloud, u.rejectedByCloud);
      setCounter(invalidDropped, u.invalidDropped);
      setCounter(publishErrors, u.publishErrors);
      setCounter(badAcks, u.badAcks);
      setCounter(gapsPublished, u.gapsPublished);
    }
    for (const o of h.occupancy ?? []) {
      occupancy.set({ store: o.storeId }, o.occupancy);
      if (o.uniqueVisitorsLastHour !== undefined) uniqueLastHour.set({ store: o.storeId }, o.uniqueVisitorsLastHour);
      fixedDevices.set({ store: o.storeId }, o.fixedDevices);
    }
    const r = h.deviceRoles;
    if (r) {
      for (const role of ['staff', 'fixed', 'registered', 'learned', 'pending'] as const) roles.set({ role }, r[role]);
      if (r.doorHeld !== undefined) roles.set({ role: 'door_held' }, r.doorHeld);
      for (const [reason, n] of Object.entries(r.decided)) setCounter(rolesDecided, n, { reason });
    }
    if (h.config) {
      configVersion.set(h.config.version);
      configRefused.set(h.config.refused?.version ?? 0);
    }
    const shadow = h.rollout?.shadow;
    if (shadow) {
      shadowInfo.set({ version: shadow.version }, 1);
      if (shadow.agreement !== undefined) shadowAgreement.set(shadow.agreement);
      setCounter(shadowCompared, shadow.compared);
      setCounter(shadowAgreed, shadow.agreed);
      setCounter(shadowErrors, shadow.errors);
    }
    calibrationSamples.set(h.calibration?.samples ?? 0);
    calibrationApplied.set(h.calibration?.state === 'applied' ? 1 : 0);
  };

  return {
    contentType: registry.contentType,
    async render() {
      update();
      return registry.metrics();
    },
  };
}
