import { join } from 'node:path';
import type { GatewayConfig } from '@storesense/firmware-config';
import {
  observationSchema,
  type CalibrationHealth,
  type ClassifierHealth,
  type GatewayHealth,
  type Observation,
  type PresenceEvent,
  type SourceHealth,
} from '@storesense/protocol';
import type { Classifier } from './classify/classifier.js';
import { createClassifier } from './classify/create-classifier.js';
import { injectedClassifierStatus, selectClassifier } from './classify/classifier-selection.js';
import { systemClock, type Clock } from './clock.js';
import { MemberResolver } from './identity/member-resolver.js';
import { createLogger, type Logger } from './log.js';
import { Pipeline } from './pipeline.js';
import { openConfiguredRecorder, type TraceRecorder } from './record/trace.recorder.js';
import type { WifiBackend } from './wifi/node-wifi.adapter.js';
import { WifiMonitor } from './wifi/wifi.monitor.js';
import { createHttpObservationSource, type HttpObservationSource } from './sources/http-observations/http-observations.source.js';
import { terminalCredentials } from './sources/http-observations/terminal-auth.js';
import type { NobleLike } from './sources/ble/ble.adapter.js';
import { createConfiguredSource } from './sources/configured-source.js';
import type { MerakiSource } from './sources/meraki/meraki.source.js';
import { resolveSitePepper } from './identity/site-pepper.js';
import { MAC_SOURCE_KINDS } from '@storesense/firmware-config';
import type { Source } from './sources/source.js';
import { createStatusApp } from './status/status.api.js';
import { createGatewayPrometheus } from './status/metrics.prom.js';
import { listen } from './status/status.server.js';
import { SqliteOutbox } from './store/outbox.sqlite.js';
import { MqttUplink } from './uplink/mqtt.uplink.js';
import { GATEWAY_VERSION } from './version.js';
import { OccupancyService } from './occupancy/occupancy.service.js';

export { runOffline, type RunOfflineOptions } from './offline.js';

/** Every open journey is written at least this often (a crash loses at most this much dwell time). */
const JOURNEY_FLUSH_MS = 5_000;
/** Observations stamped further ahead of the gateway clock than this are dropped (bad receiver clock). */
export const MAX_FUTURE_MS = 10_000;

export interface GatewayDeps {
  clock?: Clock;
  logger?: Logger;
  /** MQTT password; else config.mqtt.password; else env[config.mqtt.passwordEnv]. */
  mqttPassword?: string;
  classifier?: Classifier;
  /** Why `classifier` was chosen (selectClassifier's status), shown in health; absent with an injected classifier: "not checked". */
  classifierStatus?: ClassifierHealth;
  /** Extra sources (tests, embedders), started like configured ones. */
  sources?: Source[];
  /** Environment to read passwordEnv from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** false runs without an uplink (events stay in the outbox); default true. */
  uplink?: boolean;
  /** A noble-like BLE stack for `ble` sources (tests inject a fake); default: load @abandonware/noble. */
  noble?: () => Promise<NobleLike>;
  /** WiFi uplink/survey reader shown by the status API (default node-wifi/nmcli); false: none. */
  wifi?: (() => Promise<WifiBackend>) | false;
}

/** A running gateway (see createGateway). */
export interface Gateway {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Feeds observations directly (validated; invalid ones are counted and dropped). */
  ingest(observations: Observation[]): void;
  health(): GatewayHealth;
  /** Base URL of the local status API once started, if enabled. */
  statusUrl(): string | undefined;
  /** Called for every event after it is stored in the outbox; returns an unsubscribe function. */
  onEvent(cb: (e: PresenceEvent) => void): () => void;
}

/**
 * The composition root (architecture §3): sources -> identity -> tracker -> features -> classifier ->
 * journey -> outbox -> uplink, plus the status API. Each source and extension starts in its own
 * try/catch, so one broken part never stops the rest; only the outbox (the event store) is vital.
 * @example
 * const gw = createGateway(config, { logger }); await gw.start(); gw.onEvent((e) => console.log(e.type));
 */
export function createGateway(config: GatewayConfig, deps: GatewayDeps = {}): Gateway {
  const clock = deps.clock ?? systemClock;
  const logger = (deps.logger ?? createLogger()).child({ siteId: config.siteId, gatewayId: config.gatewayId });
  const log = logger.child({ module: 'app' });
  const env = deps.env ?? process.env;
  const password = deps.mqttPassword ?? config.mqtt.password ?? env[config.mqtt.passwordEnv];
  // The configured kind is a request: selectClassifier checks the model's training domain against
  // this gateway's layout and runs the rules outside it (decision 62).
  const selection =
    deps.classifier !== undefined
      ? { classifier: deps.classifier, status: deps.classifierStatus ?? injectedClassifierStatus(deps.classifier) }
      : selectClassifier(config, { logger, env });
  const classifier = selection.classifier;
  const classifierStatus = selection.status;
  const resolver = new MemberResolver({ periodMs: config.memberTokens.periodMs, logger });
  // The rules classifier is the baseline and the fallback when another classifier fails at run time.
  const fallback = classifier.name === 'rules' ? undefined : createClassifier(config, 'rules');
  const occupancy = new OccupancyService(config, logger);
  const pipeline = new Pipeline({ config, classifier, logger, resolver, ...(fallback ? { fallback } : {}) });
  const listeners = new Set<(e: PresenceEvent) => void>();
  const sources: Source[] = [];
  const unavailable = new Map<string, string>();
  let httpSource: HttpObservationSource | undefined;
  let merakiSource: MerakiSource | undefined;
  let pepper: string | undefined;
  let outbox: SqliteOutbox | undefined;
  /** The outbox's figures as last read: health() reports these once the outbox is closed (after stop). */
  let outboxSeen: { depth: number; dropped: number; gaps: number; oldestAt: number | undefined } = { depth: 0, dropped: 0, gaps: 0, oldestAt: undefined };
  let uplink: MqttUplink | undefined;
  let server: { url: string; close(): Promise<void> } | undefined;
  let tickTimer: NodeJS.Timeout | undefined;
  let recorder: TraceRecorder | undefined;
  const wifi = deps.wifi === false ? undefined : new WifiMonitor({ clock, logger, ...(deps.wifi ? { load: deps.wifi } : {}) });
  let rejectedDirect = 0;
  let futureDropped = 0;
  let tickErrors = 0;
  const eventsStored: Record<string, number> = {};
  let started = false;

  const ingestValid = (observations: Observation[]) => {
    recorder?.write(observations);
    const latestOkAt = clock.now() + MAX_FUTURE_MS;
    for (const o of observations) {
      if (o.at > latestOkAt) {
        // A receiver with a wrong clock would keep a subject "present" until that future time.
        futureDropped += 1;
        if (futureDropped <= 10 || futureDropped % 1000 === 0)
          log.warn({ receiverId: o.receiverId, aheadMs: o.at - clock.now(), futureDropped }, 'observation from the future dropped');
        continue;
      }
      try {
        pipeline.ingest(o);
        occupancy.ingest(o);
      } catch (err) {
        rejectedDirect += 1;
        log.warn({ err: (err as Error).message }, 'observation dropped by the pipeline');
      }
    }
  };

  /** Closes occupancy minutes and hands queued reports to the uplink; unsent ones wait for the next tick. */
  let occupancyInFlight = false;
  const publishOccupancy = () => {
    occupancy.advanceTo(clock.now());
    if (!uplink?.connected || occupancyInFlight) return;
    const reports = occupancy.takePending(clock.now());
    if (reports.length === 0) return;
    occupancyInFlight = true;
    void Promise.all(
      reports.map(async (r) => {
        if (!(await uplink!.publishOccupancy(r))) occupancy.requeue(r);
      }),
    ).finally(() => {
      occupancyInFlight = false;
    });
  };

  // Open journeys are written with the tick's events, and all of them every JOURNEY_FLUSH_MS and at
  // stop, so a restart resumes them (journey/journey-journal.ts).
  let lastJourneyFlushAt = Number.NEGATIVE_INFINITY;
  const tick = (flushJourneys = false) => {
    try {
      publishOccupancy();
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'occupancy step failed; continuing');
    }
    try {
      const now = clock.now();
      const drafts = pipeline.tick(now);
      if (!outbox) return;
      const all = flushJourneys || now - lastJourneyFlushAt >= JOURNEY_FLUSH_MS;
      if (all) lastJourneyFlushAt = now;
      const journeys = pipeline.journeyChanges(all);
      // Stored before publishing, journeys in the same transaction: a crash between the two loses nothing (architecture §3.6).
      const stored = outbox.append(drafts, journeys);
      if (stored.length === 0) return;
      for (const e of stored) eventsStored[e.type] = (eventsStored[e.type] ?? 0) + 1;
      uplink?.publishLive(stored);
      for (const e of stored) {
        for (const cb of listeners) {
          try {
            cb(e);
          } catch (err) {
            log.warn({ err: (err as Error).message, eventId: e.id }, 'onEvent listener threw');
          }
        }
      }
    } catch (err) {
      tickErrors += 1;
      log.error({ err: (err as Error).message, tickErrors }, 'tick failed; continuing');
    }
  };

  /** Reads the open outbox (keeping the figures); a closed or failing one gives the last figures read. */
  const readOutbox = () => {
    if (!outbox) return outboxSeen;
    try {
      outboxSeen = { depth: outbox.depth(), dropped: outbox.dropped(), gaps: outbox.undeliveredGaps(), oldestAt: outbox.oldestAt() };
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'outbox unreadable; health reports its last known figures');
    }
    return outboxSeen;
  };

  const health = (): GatewayHealth => {
    const now = clock.now();
    const srcs: Record<string, SourceHealth> = {};
    for (const s of sources) {
      try {
        srcs[s.name] = s.health();
      } catch (err) {
        srcs[s.name] = { state: 'degraded', detail: (err as Error).message.slice(0, 500), observations: 0, rejected: 0 };
      }
    }
    for (const [name, detail] of unavailable) srcs[name] = { state: 'unavailable', detail: detail.slice(0, 500), observations: 0, rejected: 0 };
    if (rejectedDirect > 0 || futureDropped > 0) {
      srcs['direct'] = {
        state: 'ok',
        observations: 0,
        rejected: rejectedDirect + futureDropped,
        ...(futureDropped > 0 ? { detail: `${futureDropped} observations from the future dropped` } : {}),
      };
    }
    const { depth, dropped, gaps, oldestAt: oldest } = readOutbox();
    const occupancyHealth = occupancy.health();
    const stats = pipeline.stats();
    return {
      v: 1,
      at: now,
      version: GATEWAY_VERSION,
      sources: srcs,
      outbox: {
        depth,
        dropped,
        ...(gaps > 0 ? { undeliveredGaps: gaps } : {}),
        ...(oldest !== undefined ? { oldestUnsentAgeMs: Math.max(0, now - oldest) } : {}),
      },
      model: { name: classifier.name, version: classifier.version },
      classifier: classifierStatus,
      subjects: stats.subjects,
      ...(occupancyHealth.length > 0 ? { occupancy: occupancyHealth } : {}),
      calibration: calibrationHealth(pipeline),
      deviceRoles: stats.deviceRoles,
    };
  };

  const buildSources = (): Source[] => {
    const out: Source[] = [];
    config.sources.forEach((sc, i) => {
      const name = `${sc.kind}${config.sources.filter((x) => x.kind === sc.kind).length > 1 ? `#${i}` : ''}`;
      try {
        if (sc.kind === 'http_observations') {
          httpSource ??= createHttpObservationSource({ logger, terminals: terminalCredentials(sc.terminals, config.terminals, env) });
          out.push(httpSource);
          return;
        }
        if (sc.kind === 'meraki' && merakiSource) throw new Error('only one meraki source per gateway');
        const built = createConfiguredSource(sc, i, {
          config,
          clock,
          logger,
          env,
          ...(password !== undefined ? { password } : {}),
          ...(pepper !== undefined ? { pepper } : {}),
          ...(deps.noble ? { noble: deps.noble } : {}),
          legacyCards: resolver,
        });
        if (built.meraki) merakiSource = built.meraki;
        out.push(rename(built.source, name));
      } catch (err) {
        unavailable.set(name, (err as Error).message);
        log.error({ source: name, err: (err as Error).message }, 'source could not be created');
      }
    });
    return [...out, ...(deps.sources ?? [])];
  };

  return {
    async start() {
      if (started) return;
      started = true;
      // The outbox is the one vital part: without it events would be lost, so failure is fatal.
      outbox = new SqliteOutbox({ path: join(config.dataDir, 'outbox.db'), maxRows: config.outbox.maxRows, maxAgeMs: config.outbox.maxAgeMs, clock, logger });
      const resumed = outbox.loadJourneys();
      pipeline.restoreJourneys(resumed);
      if (resumed.length > 0)
        log.info({ journeys: resumed.length, inside: resumed.filter((j) => j.state.place === 'inside').length }, 'journeys resumed from before the restart');
      if (deps.uplink !== false) {
        try {
          uplink = new MqttUplink({
            config,
            outbox,
            clock,
            logger,
            password,
            health,
            onMemberKeys: (payload) => resolver.setKeys(payload),
            onCommand: (name) => {
              if (name === 'stats') return { pipeline: pipeline.stats(), uplink: uplink?.status() };
              throw new Error(`unknown command "${name}"`);
            },
          });
          uplink.start();
        } catch (err) {
          log.error({ err: (err as Error).message }, 'uplink failed to start; events stay in the outbox');
        }
      }
      try {
        pepper = resolveSitePepper({
          identity: config.identity,
          env,
          dataDir: config.dataDir,
          needed: config.sources.some((sc) => (MAC_SOURCE_KINDS as readonly string[]).includes(sc.kind)),
          logger,
        });
      } catch (err) {
        log.error({ err: (err as Error).message }, 'site pepper unavailable; MAC-based sources will not start');
      }
      sources.push(...buildSources());
      recorder = openConfiguredRecorder(config, { clock, logger });
      if (config.statusApi || httpSource || merakiSource) {
        try {
          const app = createStatusApp({
            health,
            metrics: createGatewayPrometheus(() => ({ health: health(), pipeline: pipeline.stats(), uplink: uplink?.status(), eventsStored, tickErrors })),
            logger,
            ...(httpSource ? { observations: httpSource } : {}),
            ...(merakiSource ? { meraki: merakiSource } : {}),
            ...(wifi ? { wifi } : {}),
          });
          server = await listen(app, config.statusApi?.host ?? '127.0.0.1', config.statusApi?.port ?? 0);
          log.info({ url: server.url }, 'status api listening');
          wifi?.start();
        } catch (err) {
          log.error({ err: (err as Error).message }, 'status api failed to start');
        }
      }
      for (const s of sources) {
        try {
          await s.start(ingestValid);
          log.info({ source: s.name }, 'source started');
        } catch (err) {
          unavailable.set(s.name, (err as Error).message);
          log.error({ source: s.name, err: (err as Error).message }, 'source failed to start; continuing without it');
        }
      }
      tickTimer = setInterval(() => tick(), config.tickMs);
      log.info(
        {
          tickMs: config.tickMs,
          classifier: `${classifier.name}@${classifier.version}`,
          classifierRequested: classifierStatus.requested,
          classifierReason: classifierStatus.reason,
          sources: sources.map((s) => s.name),
        },
        'gateway started',
      );
    },

    async stop() {
      if (!started) return;
      started = false;
      for (const s of sources) {
        try {
          await s.stop();
        } catch (err) {
          log.warn({ source: s.name, err: (err as Error).message }, 'source failed to stop');
        }
      }
      if (tickTimer) clearInterval(tickTimer);
      recorder?.close();
      recorder = undefined;
      wifi?.stop();
      tick(true); // flush decisions due now, and every open journey, into the outbox before closing it
      try {
        await uplink?.stop();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'uplink failed to stop cleanly');
      }
      await server?.close().catch(() => {});
      server = undefined;
      try {
        await classifier.close?.();
      } catch {
        // nothing useful to do on shutdown
      }
      // health() stays callable after stop (status pages, tests, the CLI's last report): it gives
      // the figures read just before closing. The rows themselves stay in the file for the next start.
      readOutbox();
      outbox?.close();
      outbox = undefined;
      log.info({ outboxDepth: outboxSeen.depth }, 'gateway stopped');
    },

    ingest(observations: Observation[]) {
      const good: Observation[] = [];
      for (const o of observations) {
        const r = observationSchema.safeParse(o);
        if (r.success) good.push(r.data);
        else rejectedDirect += 1;
      }
      ingestValid(good);
    },

    health,
    statusUrl: () => server?.url,
    onEvent(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  };
}

/** Auto-calibration in health: what each receiver's offset is now and how much evidence it rests on. */
function calibrationHealth(pipeline: Pipeline): CalibrationHealth {
  const { auto, snapshot } = pipeline.calibration();
  if (!snapshot) {
    const receivers: CalibrationHealth['receivers'] = {};
    for (const [id, c] of pipeline.ctx.rssiCorrectionDb) receivers[id] = { declaredDb: -c + 0, learnedDb: 0, offsetDb: -c + 0, evidence: 0, applied: false };
    return { auto, state: 'off', samples: 0, rejectedFits: 0, receivers };
  }
  const { lastUpdateAt, ...rest } = snapshot;
  return { auto, ...rest, ...(lastUpdateAt !== undefined ? { lastUpdateAt } : {}) };
}

function rename(source: Source, name: string): Source {
  if (source.name === name) return source;
  return { name, start: (e) => source.start(e), stop: () => source.stop(), health: () => source.health() };
}
