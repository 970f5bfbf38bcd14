import { join } from 'node:path';
import type { GatewayConfig } from '@storesense/firmware-config';
import {
  observationSchema,
  type CalibrationHealth,
  type ClassifierHealth,
  MODEL_SHADOW_COMMAND,
  type ConfigResult,
  type RemoteConfig,
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
import {
  CONFIG_MODEL,
  readRollout,
  receiveModel,
  ShadowClassifier,
  withModel,
  withRolloutModel,
  writeRollout,
  type RolloutState,
} from './fleet/model-rollout.js';
import { diffConfig, persistApplied, prepareRemoteConfig, type AppliedConfig } from './fleet/remote-config.js';

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
  /** The remote config `config` already includes (withAppliedConfig at start), shown in health. */
  appliedConfig?: AppliedConfig;
  /**
   * Picks the classifier again (`reload-model`, or a remote config changing `classifier`); the
   * CLI passes its --classifier/--outside-domain choice. Default: selectClassifier on the config.
   */
  selectClassifier?: (config: GatewayConfig) => { classifier: Classifier; status: ClassifierHealth };
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
  /** Validates and applies a remote config live (what the `config` topic delivers); resolves the answer sent to the cloud. */
  applyRemoteConfig(msg: RemoteConfig): Promise<ConfigResult>;
  /** The config running now (the file's, or the last remote one applied). */
  currentConfig(): GatewayConfig;
  /** Runs a cloud command as if it came over MQTT (stats, restart-source, model-shadow, ...); throws as the error answer. */
  command(name: string, args: Record<string, unknown>): Promise<unknown>;
}

/**
 * The composition root (architecture §3): sources -> identity -> tracker -> features -> classifier ->
 * journey -> outbox -> uplink, plus the status API. Each source and extension starts in its own
 * try/catch, so one broken part never stops the rest; only the outbox (the event store) is vital.
 * @example
 * const gw = createGateway(config, { logger }); await gw.start(); gw.onEvent((e) => console.log(e.type));
 */
export function createGateway(initialConfig: GatewayConfig, deps: GatewayDeps = {}): Gateway {
  let config = initialConfig;
  const clock = deps.clock ?? systemClock;
  const logger = (deps.logger ?? createLogger()).child({ siteId: config.siteId, gatewayId: config.gatewayId });
  const log = logger.child({ module: 'app' });
  const env = deps.env ?? process.env;
  const password = deps.mqttPassword ?? config.mqtt.password ?? env[config.mqtt.passwordEnv];
  // The configured kind is a request: selectClassifier checks the model's training domain against
  // this gateway's layout and runs the rules outside it (decision 62).
  // The promoted model (rollout.json, decision 133) is the classifier whenever one is selected.
  let rollout: RolloutState = {};
  try {
    rollout = readRollout(config.dataDir);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'rollout state unreadable; the configured classifier runs');
  }
  const selectRaw = (c: GatewayConfig) => (deps.selectClassifier ? deps.selectClassifier(c) : selectClassifier(c, { logger, env }));
  const reselect = (c: GatewayConfig) => selectRaw(withRolloutModel(c, rollout));
  let shadow: ShadowClassifier | undefined;
  const selection =
    deps.classifier !== undefined
      ? { classifier: deps.classifier, status: deps.classifierStatus ?? injectedClassifierStatus(deps.classifier) }
      : reselect(config);
  let classifier = selection.classifier;
  let classifierStatus = selection.status;
  const resolver = new MemberResolver({ periodMs: config.memberTokens.periodMs, logger });
  // The rules classifier is the baseline and the fallback when another classifier fails at run time.
  const fallbackFor = (c: Classifier, cfg: GatewayConfig) => (c.name === 'rules' ? undefined : createClassifier(cfg, 'rules'));
  let fallback = fallbackFor(classifier, config);
  let occupancy = new OccupancyService(config, logger);
  const newPipeline = (cfg: GatewayConfig, c: Classifier, fb: Classifier | undefined) =>
    new Pipeline({ config: cfg, classifier: c, logger, resolver, ...(fb ? { fallback: fb } : {}) });
  let pipeline = newPipeline(config, classifier, fallback);
  const listeners = new Set<(e: PresenceEvent) => void>();
  /** Running sources: configured ones by index in config.sources (undefined when unavailable), then deps.sources. */
  let configured: (Source | undefined)[] = [];
  const extra = deps.sources ?? [];
  const sources: Source[] = [];
  const syncSources = () => {
    sources.length = 0;
    for (const s of configured) if (s) sources.push(s);
    sources.push(...extra);
  };
  let applied: AppliedConfig | undefined = deps.appliedConfig;
  let refused: { version: number; at: number; reasons: string[] } | undefined;
  let applying: Promise<unknown> = Promise.resolve();
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
      ...(rollout.active || rollout.previous || shadow
        ? {
            rollout: {
              ...(rollout.active ? { active: { version: rollout.active.version, sha256: rollout.active.sha256 } } : {}),
              ...(rollout.previous
                ? {
                    previous:
                      rollout.previous === CONFIG_MODEL ? { version: CONFIG_MODEL } : { version: rollout.previous.version, sha256: rollout.previous.sha256 },
                  }
                : {}),
              ...(shadow ? { shadow: shadow.health() } : {}),
            },
          }
        : {}),
      config: {
        version: applied?.version ?? 0,
        ...(applied ? { appliedAt: applied.appliedAt, sha256: applied.sha256 } : {}),
        ...(refused ? { refused } : {}),
      },
    };
  };

  const sourceName = (cfg: GatewayConfig, i: number) => {
    const kind = cfg.sources[i]!.kind;
    return `${kind}${cfg.sources.filter((x) => x.kind === kind).length > 1 ? `#${i}` : ''}`;
  };
  /** Builds configured source `i` of `cfg`; undefined (and listed unavailable) when it cannot be built. */
  const buildSource = (cfg: GatewayConfig, i: number): Source | undefined => {
    const sc = cfg.sources[i]!;
    const name = sourceName(cfg, i);
    unavailable.delete(name);
    try {
      if (sc.kind === 'http_observations') {
        httpSource ??= createHttpObservationSource({ logger, terminals: terminalCredentials(sc.terminals, cfg.terminals, env) });
        return httpSource;
      }
      if (sc.kind === 'meraki' && merakiSource) throw new Error('only one meraki source per gateway');
      const built = createConfiguredSource(sc, i, {
        config: cfg,
        clock,
        logger,
        env,
        ...(password !== undefined ? { password } : {}),
        ...(pepper !== undefined ? { pepper } : {}),
        ...(deps.noble ? { noble: deps.noble } : {}),
        legacyCards: resolver,
      });
      if (built.meraki) merakiSource = built.meraki;
      return rename(built.source, name);
    } catch (err) {
      unavailable.set(name, (err as Error).message);
      log.error({ source: name, err: (err as Error).message }, 'source could not be created');
      return undefined;
    }
  };

  const startSource = async (s: Source): Promise<void> => {
    try {
      await s.start(ingestValid);
      log.info({ source: s.name }, 'source started');
    } catch (err) {
      unavailable.set(s.name, (err as Error).message);
      log.error({ source: s.name, err: (err as Error).message }, 'source failed to start; continuing without it');
    }
  };
  const stopSource = async (s: Source): Promise<void> => {
    try {
      await s.stop();
    } catch (err) {
      log.warn({ source: s.name, err: (err as Error).message }, 'source failed to stop');
    }
  };

  const startStatusApi = async () => {
    if (!(config.statusApi || httpSource || merakiSource)) return;
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
    } catch (err) {
      log.error({ err: (err as Error).message }, 'status api failed to start');
    }
  };

  const PIPELINE = 'pipeline';

  /** Swaps the pipeline for one built on `next` (journeys go through the outbox, as over a restart). */
  const rebuildPipeline = (next: GatewayConfig, pick: { classifier: Classifier; status: ClassifierHealth }) => {
    const nextFallback = fallbackFor(pick.classifier, next);
    const nextPipeline = newPipeline(next, pick.classifier, nextFallback);
    const nextOccupancy = new OccupancyService(next, logger);
    tick(true); // decisions due now and every open journey into the outbox, from the old pipeline
    const resumed = outbox ? outbox.loadJourneys() : [];
    nextPipeline.restoreJourneys(resumed);
    const old = classifier;
    const oldShadow = shadow;
    shadow = pick.classifier instanceof ShadowClassifier ? pick.classifier : undefined;
    pipeline = nextPipeline;
    occupancy = nextOccupancy;
    fallback = nextFallback;
    classifier = pick.classifier;
    classifierStatus = pick.status;
    // Close what no longer runs: the old classifier unless it lives on (as the shadow's primary, or promoted).
    const running = new Set<Classifier>([classifier, ...(shadow ? [shadow.primary, shadow.candidate] : [])]);
    for (const c of [old, ...(oldShadow ? [oldShadow.primary, oldShadow.candidate] : [])]) {
      if (c instanceof ShadowClassifier || running.has(c)) continue;
      running.add(c);
      void Promise.resolve(c.close?.()).catch(() => {});
    }
    log.info({ journeys: resumed.length, classifier: `${classifier.name}@${classifier.version}` }, 'pipeline rebuilt');
  };

  /** Applies a validated config: restarts only what changed; returns what it restarted. */
  const applyConfig = async (next: GatewayConfig): Promise<string[]> => {
    const prev = config;
    const d = diffConfig(prev, next);
    const restarted: string[] = [];
    // Built before anything is swapped: a classifier that cannot load leaves everything as it was.
    const pick = d.pipeline && !sameJson(prev.classifier, next.classifier) ? reselect(next) : { classifier, status: classifierStatus };
    const hadHttp = httpSource !== undefined;
    const hadMeraki = merakiSource !== undefined;
    const old = configured;
    for (const i of d.stop) {
      const s = old[i];
      if (!s) {
        unavailable.delete(sourceName(prev, i));
        continue;
      }
      await stopSource(s);
      if (s === httpSource) httpSource = undefined;
      if (prev.sources[i]!.kind === 'meraki') merakiSource = undefined;
      restarted.push(s.name);
    }
    config = next;
    if (d.pipeline) {
      rebuildPipeline(next, pick);
      restarted.push(PIPELINE);
    }
    const fresh: (Source | undefined)[] = next.sources.map((_, j) => {
      const k = d.kept.get(j);
      if (k === undefined) return undefined;
      const s = old[k];
      return s && s.name !== sourceName(next, j) ? rename(s, sourceName(next, j)) : s;
    });
    for (const j of d.start) {
      const s = buildSource(next, j);
      fresh[j] = s;
      if (s) {
        await startSource(s);
        if (!restarted.includes(s.name)) restarted.push(s.name);
      }
    }
    configured = fresh;
    syncSources();
    if (d.statusApi || hadHttp !== (httpSource !== undefined) || hadMeraki !== (merakiSource !== undefined)) {
      await server?.close().catch(() => {});
      server = undefined;
      await startStatusApi();
      restarted.push('status-api');
    }
    if (d.tick && tickTimer) {
      clearInterval(tickTimer);
      tickTimer = setInterval(() => tick(), config.tickMs);
    }
    if (d.record) {
      recorder?.close();
      recorder = openConfiguredRecorder(config, { clock, logger });
      restarted.push('record');
    }
    if (d.nextStart.length > 0) log.warn({ keys: d.nextStart }, 'config applied; these settings take effect at the next start');
    return restarted;
  };

  const applyRemoteConfig = (msg: RemoteConfig): Promise<ConfigResult> => {
    const run = async (): Promise<ConfigResult> => {
      const at = clock.now();
      const answer = (r: Omit<ConfigResult, 'v' | 'at'>): ConfigResult => ({ v: 1, at, ...r });
      if (applied && applied.version === msg.version && applied.sha256 === msg.sha256)
        return answer({ version: msg.version, status: 'unchanged', reasons: [], restarted: [] });
      const prepared = prepareRemoteConfig(config, msg);
      if (!prepared.ok) {
        refused = { version: msg.version, at, reasons: prepared.reasons };
        log.warn({ version: msg.version, reasons: prepared.reasons.slice(0, 10) }, 'remote config refused; the running config stays');
        return answer({ version: msg.version, status: 'refused', reasons: prepared.reasons, restarted: [] });
      }
      if (!started) return answer({ version: msg.version, status: 'refused', reasons: ['gateway not running'], restarted: [] });
      let restarted: string[];
      try {
        restarted = await applyConfig(prepared.config);
      } catch (err) {
        const reasons = [`apply: ${(err as Error).message.slice(0, 400)}`];
        refused = { version: msg.version, at, reasons };
        log.error({ version: msg.version, err: (err as Error).message }, 'remote config could not be applied; the running config stays');
        return answer({ version: msg.version, status: 'refused', reasons, restarted: [] });
      }
      applied = { version: msg.version, sha256: msg.sha256, appliedAt: at, remote: msg.config };
      refused = undefined;
      try {
        persistApplied(config.dataDir, applied);
      } catch (err) {
        log.error({ err: (err as Error).message }, 'applied config not persisted; a restart falls back to the previous one');
      }
      log.info({ version: msg.version, restarted }, 'remote config applied');
      return answer({ version: msg.version, status: 'applied', reasons: [], restarted });
    };
    // One at a time, in arrival order.
    const result = applying.then(run, run);
    applying = result.catch(() => undefined);
    return result;
  };

  const onRemoteConfig = (msg: RemoteConfig) => {
    void applyRemoteConfig(msg)
      .then(async (result) => {
        await uplink?.publishConfigResult(result);
        uplink?.flushStatus();
      })
      .catch((err: unknown) => log.error({ err: (err as Error).message }, 'remote config handling failed'));
  };

  /** Commands from the cloud (architecture §4); ping and health are answered by the uplink itself. */
  const onCommand = async (name: string, args: Record<string, unknown>): Promise<unknown> => {
    if (name === 'stats') return { pipeline: pipeline.stats(), uplink: uplink?.status(), config: health().config };
    if (name === 'flush-status') return { published: uplink?.flushStatus() ?? false, health: health() };
    if (name === 'restart-source') {
      const wanted = args.source;
      const i = configured.findIndex((s, j) => (s?.name ?? sourceName(config, j)) === wanted);
      const ex = extra.find((s) => s.name === wanted);
      if (i < 0 && !ex)
        throw new Error(
          `no source ${JSON.stringify(wanted)} (sources: ${[...config.sources.map((_, j) => sourceName(config, j)), ...extra.map((s) => s.name)].join(', ')})`,
        );
      if (ex) {
        await stopSource(ex);
        await startSource(ex);
        return { restarted: ex.name };
      }
      const old = configured[i];
      if (old) await stopSource(old);
      if (old === httpSource) {
        // Shared with the status API: restarted in place.
        await startSource(old!);
        return { restarted: old!.name };
      }
      const s = buildSource(config, i);
      configured[i] = s;
      syncSources();
      if (s) await startSource(s);
      return { restarted: sourceName(config, i), state: s ? s.health().state : 'unavailable' };
    }
    if (name === MODEL_SHADOW_COMMAND) {
      const ref = receiveModel(config.dataDir, args);
      // The candidate must be runnable here, inside its training domain: onnx, never the rules fallback.
      const pick = selectClassifier(withModel(config, ref.path), { kind: 'onnx', logger, env });
      if (pick.classifier.name !== 'onnx') {
        void Promise.resolve(pick.classifier.close?.()).catch(() => {});
        throw new Error(`model ${ref.version} refused: ${pick.status.reason}`);
      }
      const primary = shadow ? shadow.primary : classifier;
      const wrapped = new ShadowClassifier(primary, pick.classifier, ref, clock.now());
      wrapped.candidateStatus = pick.status;
      rebuildPipeline(config, { classifier: wrapped, status: classifierStatus });
      log.info({ version: ref.version, sha256: ref.sha256, domain: pick.status.domain }, 'model running in shadow');
      return { shadow: ref.version, sha256: ref.sha256, domain: pick.status.domain };
    }
    if (name === 'model-promote') {
      if (!shadow) throw new Error('no model in shadow to promote (send one with model-shadow)');
      const s = shadow;
      const agreement = s.health();
      rollout = { active: s.ref, previous: rollout.active ?? CONFIG_MODEL };
      writeRollout(config.dataDir, rollout);
      rebuildPipeline(config, { classifier: s.candidate, status: s.candidateStatus ?? classifierStatus });
      log.info({ version: s.ref.version, agreement: agreement.agreement, previous: rolloutName(rollout.previous) }, 'model promoted');
      return { active: s.ref.version, previous: rolloutName(rollout.previous), shadow: agreement };
    }
    if (name === 'model-rollback') {
      const target = rollout.previous;
      if (target === undefined) throw new Error('nothing to roll back to: no model was promoted here');
      const current = rollout.active;
      rollout = { ...(target !== CONFIG_MODEL ? { active: target } : {}), ...(current ? { previous: current } : {}) };
      writeRollout(config.dataDir, rollout);
      const pick = reselect(config);
      rebuildPipeline(config, pick);
      log.warn({ active: rolloutName(rollout.active ?? CONFIG_MODEL), from: current?.version }, 'model rolled back');
      return { active: rolloutName(rollout.active ?? CONFIG_MODEL), model: { name: classifier.name, version: classifier.version }, kept: current?.version };
    }
    if (name === 'reload-model') {
      const pick = reselect(config);
      rebuildPipeline(config, pick);
      return { model: { name: classifier.name, version: classifier.version }, classifier: classifierStatus };
    }
    throw new Error(`unknown command "${name}"`);
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
            onCommand,
            onConfig: onRemoteConfig,
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
      configured = config.sources.map((_, i) => buildSource(config, i));
      syncSources();
      recorder = openConfiguredRecorder(config, { clock, logger });
      await startStatusApi();
      if (server) wifi?.start();
      // The shared http source is started once even when several entries name it.
      for (const s of new Set(sources)) await startSource(s);
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
      await applying;
      for (const s of new Set(sources)) await stopSource(s);
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
    applyRemoteConfig,
    currentConfig: () => config,
    command: onCommand,
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

function rolloutName(ref: { version: string } | typeof CONFIG_MODEL | undefined): string | undefined {
  return ref === undefined ? undefined : ref === CONFIG_MODEL ? CONFIG_MODEL : ref.version;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function rename(source: Source, name: string): Source {
  if (source.name === name) return source;
  return { name, start: (e) => source.start(e), stop: () => source.stop(), health: () => source.health() };
}
