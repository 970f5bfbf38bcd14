import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Clock } from './clock.js';
import type { Metrics } from './metrics.js';
import type { CloudStore } from './store/cloud-store.js';

export interface CloudPrometheusOptions {
  metrics: Metrics;
  store: CloudStore;
  /** The broker state /health shows. */
  broker: () => { kind: 'embedded' | 'external'; connected: boolean; clients?: number };
  /** Staff alert sockets open now. */
  sockets: () => number;
  clock: Clock;
}

export interface CloudPrometheus {
  readonly contentType: string;
  /** The exposition text of one consistent snapshot. */
  render(): Promise<string>;
}

/**
 * The cloud's Prometheus metrics (decision 140), served as `GET /metrics` on the HTTP server; the
 * only file importing prom-client in the cloud. Each scrape reads the figures `/api/v1/health` has
 * (database, broker, stored rows, every named counter) plus what each gateway last reported (its
 * connection, outbox, drops), so an alert rule can watch a whole fleet from one target. Labels are
 * site and gateway ids and counter names: no member, token or address.
 * A registry per cloud, not prom-client's global one: tests run several clouds in one process.
 */
export function createCloudPrometheus(o: CloudPrometheusOptions): CloudPrometheus {
  const registers = [new Registry()];
  const [registry] = registers as [Registry];
  collectDefaultMetrics({ register: registry, prefix: 'storesense_cloud_' });
  // Reset and set from one snapshot per scrape: a gateway removed since leaves no stale series.
  const own: Array<Gauge | Counter> = [];
  const gauge = (name: string, help: string, labelNames: string[] = []) => {
    const g = new Gauge({ name: `storesense_cloud_${name}`, help, labelNames, registers });
    own.push(g);
    return g;
  };
  const counter = (name: string, help: string, labelNames: string[] = []) => {
    const c = new Counter({ name: `storesense_cloud_${name}_total`, help, labelNames, registers });
    own.push(c);
    return c;
  };
  const dbUp = gauge('db_up', '1 when the database answers');
  const brokerConnected = gauge('broker_connected', '1 when the cloud is connected to its MQTT broker', ['kind']);
  const brokerClients = gauge('broker_clients', 'MQTT clients connected to the embedded broker');
  const stored = gauge('stored_rows', 'Rows stored, by kind (events, alerts, members, offers, gateways)', ['kind']);
  const sockets = gauge('alert_sockets', 'Staff alert sockets open now');
  const events = counter('events_ingested', 'Events received from gateways, by result', ['result']);
  const acks = counter('acks_sent', 'Ack messages sent to gateways');
  const gapEvents = counter('gap_events_dropped', 'Events gateways reported dropped undelivered (gap records received)');
  const named = counter('operations', 'Every named counter of /api/v1/health `metrics`, by name', ['name']);
  const gateways = gauge('gateways', 'Known gateways by connection state', ['state']);
  const gwOnline = gauge('gateway_online', '1 while a gateway reports itself online', ['site', 'gateway']);
  const gwHealthAge = gauge('gateway_health_age_seconds', 'Seconds since a gateway last reported health', ['site', 'gateway']);
  const gwOutbox = gauge('gateway_outbox_depth', 'Unacked events in a gateway outbox, as it last reported', ['site', 'gateway']);
  const gwOutboxAge = gauge('gateway_outbox_oldest_unsent_age_seconds', 'Age of a gateway oldest unacked event, as it last reported', ['site', 'gateway']);
  const gwSubjects = gauge('gateway_subjects', 'Subjects a gateway tracks, as it last reported', ['site', 'gateway']);
  const gwSourcesDown = gauge('gateway_sources_not_ok', 'Sources of a gateway not in state ok, as it last reported', ['site', 'gateway']);
  const gwConfig = gauge('gateway_config_version', 'Config version a gateway reports applied (0: its local file)', ['site', 'gateway']);
  const gwShadowAgreement = gauge('gateway_model_shadow_agreement', 'Agreement of a gateway shadow model with its active one, as it last reported', [
    'site',
    'gateway',
  ]);
  const gwGapDropped = gauge('gateway_gap_events_dropped', 'Events a gateway dropped undelivered, from its gap records', ['site', 'gateway']);

  const update = async () => {
    for (const m of own) m.reset();
    const now = o.clock.now();
    const ok = await o.store.ping().catch(() => false);
    dbUp.set(ok ? 1 : 0);
    const b = o.broker();
    brokerConnected.set({ kind: b.kind }, b.connected ? 1 : 0);
    if (b.clients !== undefined) brokerClients.set(b.clients);
    sockets.set(o.sockets());
    const m = o.metrics.snapshot();
    for (const [name, n] of Object.entries(m)) named.inc({ name }, n);
    events.inc({ result: 'stored' }, m['ingest.stored'] ?? 0);
    events.inc({ result: 'duplicate' }, m['ingest.duplicate'] ?? 0);
    events.inc({ result: 'rejected' }, m['ingest.rejected'] ?? 0);
    acks.inc(m['ingest.acks_sent'] ?? 0);
    gapEvents.inc(m['ingest.gap_events_dropped'] ?? 0);
    if (!ok) return;
    const counts = await o.store.counts();
    for (const [kind, n] of Object.entries(counts)) stored.set({ kind }, n);
    const states = { online: 0, offline: 0, unknown: 0 };
    for (const g of await o.store.listGateways()) {
      const labels = { site: g.siteId, gateway: g.gatewayId };
      const state = g.conn?.state ?? 'unknown';
      states[state] += 1;
      gwOnline.set(labels, state === 'online' ? 1 : 0);
      if (g.gaps) gwGapDropped.set(labels, g.gaps.dropped);
      const h = g.health;
      if (!h) continue;
      gwHealthAge.set(labels, Math.max(0, now - h.receivedAt) / 1000);
      gwOutbox.set(labels, h.value.outbox.depth);
      gwOutboxAge.set(labels, (h.value.outbox.oldestUnsentAgeMs ?? 0) / 1000);
      gwSubjects.set(labels, h.value.subjects);
      gwSourcesDown.set(labels, Object.values(h.value.sources).filter((s) => s.state !== 'ok').length);
      if (h.value.config) gwConfig.set(labels, h.value.config.version);
      const agreement = h.value.rollout?.shadow?.agreement;
      if (agreement !== undefined) gwShadowAgreement.set(labels, agreement);
    }
    for (const [state, n] of Object.entries(states)) gateways.set({ state }, n);
  };

  // Scrapes one at a time: two interleaved updates would reset each other's half-set families.
  let last: Promise<unknown> = Promise.resolve();
  return {
    contentType: registry.contentType,
    render() {
      const next = last.then(async () => {
        await update();
        return registry.metrics();
      });
      last = next.catch(() => {});
      return next;
    },
  };
}
