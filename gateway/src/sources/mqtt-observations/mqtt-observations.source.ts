import type { Logger } from '../../log.js';
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

  return {
    name: 'mqtt_observations',
    start(emit: Emit) {
      conn = openSubscription({ ...opts, qos: 1 }, counters, (topic, payload) => {
        if (topic !== opts.topic) return;
        const parsed = parseObservationPayload(payload.toString('utf8'));
        if (parsed.rejected.length > 0) {
          counters.rejected += parsed.rejected.length;
          if (shouldLogRejection(counters.rejected)) {
            log.warn({ rejected: parsed.rejected.length, totalRejected: counters.rejected, first: parsed.rejected.slice(0, 3).map((r) => ({ at: r.at, error: reasonForLog(r.error) })) }, 'rejected observations');
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
