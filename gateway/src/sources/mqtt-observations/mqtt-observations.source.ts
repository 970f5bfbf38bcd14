import { parseTopic, type TerminalKind } from '@storesense/protocol';
import type { Logger } from '../../log.js';
import { postedAsItself } from '../http-observations/terminal-auth.js';
import type { MqttConnection } from '../../mqtt/mqtt.adapter.js';
import { openSubscription } from '../mqtt-subscription.js';
import { parseObservationPayload, reasonForLog, shouldLogRejection } from '../parse-observations.js';
import { SourceCounters, type Emit, type Source } from '../source.js';

export interface MqttObservationSourceOptions {
  url: string;
  topic: string;
  clientId: string;
  username?: string;
  password?: string;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  logger: Logger;
  /**
   * Per-terminal topics (`filters.terminalObservations`): a message on `.../obs/terminal/{id}` must
   * hold only terminal `{id}`'s own detections, or it is dropped whole. The broker's ACL is what
   * stops terminal `{id}` from writing to another terminal's topic.
   */
  terminalTopics?: { filter: string; terminals: readonly { id: string; kind: TerminalKind }[] };
}

/**
 * Observations published on a (local) broker, e.g. by the simulator or ESP32 bridges.
 * Payload: a JSON array of observations or a single observation. Every entry is validated; bad
 * ones are counted and logged (first few per message), good ones kept. Clean session: stale
 * observations queued while we were away are worthless for live presence.
 */
export function createMqttObservationSource(opts: MqttObservationSourceOptions): Source {
  const log = opts.logger.child({ module: 'source', source: 'mqtt_observations', topic: opts.topic });
  const counters = new SourceCounters();
  let conn: MqttConnection | undefined;
  let refused = 0;
  /** A whole message dropped: counted, logged by terminal (from the topic), never with its payload. */
  const refuse = (topic: string, reason: string, count: number) => {
    refused += 1;
    counters.rejected += Math.max(1, count);
    const t = parseTopic(topic);
    if (shouldLogRejection(refused))
      log.warn({ terminalId: t?.kind === 'terminalObservations' ? t.terminalId : undefined, reason, refused }, 'terminal message refused');
  };

  return {
    name: 'mqtt_observations',
    start(emit: Emit) {
      const extraTopics = opts.terminalTopics ? [opts.terminalTopics.filter] : [];
      conn = openSubscription({ ...opts, extraTopics, qos: 1 }, counters, (topic, payload) => {
        let terminal: { terminalId: string; kind: TerminalKind } | undefined;
        if (topic !== opts.topic) {
          const t = opts.terminalTopics ? parseTopic(topic) : null;
          if (t?.kind !== 'terminalObservations') return;
          const known = opts.terminalTopics!.terminals.find((x) => x.id === t.terminalId);
          if (!known) return refuse(topic, 'not a terminal of this gateway', 1);
          terminal = { terminalId: known.id, kind: known.kind };
        }
        const parsed = parseObservationPayload(payload.toString('utf8'));
        if (terminal) {
          const forbidden = postedAsItself(terminal, parsed.observations);
          if (forbidden.length > 0) return refuse(topic, forbidden[0]!.error, parsed.observations.length);
        }
        if (parsed.rejected.length > 0) {
          counters.rejected += parsed.rejected.length;
          if (shouldLogRejection(counters.rejected)) {
            log.warn(
              {
                rejected: parsed.rejected.length,
                totalRejected: counters.rejected,
                first: parsed.rejected.slice(0, 3).map((r) => ({ at: r.at, error: reasonForLog(r.error) })),
              },
              'rejected observations',
            );
          }
        }
        if (parsed.observations.length > 0) {
          counters.accepted(parsed.observations);
          emit(parsed.observations);
        }
      });
    },
    async stop() {
      await conn?.stop(true);
      counters.state = 'stopped';
    },
    health: () => {
      const s = counters.snapshot();
      const lastError = conn?.status().lastError;
      return s.state !== 'ok' && lastError ? { ...s, detail: lastError.slice(0, 500) } : s;
    },
  };
}
