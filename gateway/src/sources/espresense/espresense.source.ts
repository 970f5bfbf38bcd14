import type { Clock } from '../../clock.js';
import type { SitePepper } from '../../identity/mac-pseudonym.js';
import type { Logger } from '../../log.js';
import type { MqttConnection } from '../../mqtt/mqtt.adapter.js';
import { openSubscription } from '../mqtt-subscription.js';
import { SourceCounters, type Emit, type Source } from '../source.js';
import { espresenseToObservation, type EspresenseObservationOptions } from './espresense.observation.js';
import { parseEspresenseMessage } from './espresense.parse.js';

export interface EspresenseSourceOptions {
  url: string;
  /** Subscription, e.g. `espresense/devices/#`; the part before `/devices` is the base topic. */
  topic: string;
  clientId: string;
  username?: string;
  password?: string;
  /** ESPresense room -> receiver id; unlisted rooms are used as ids when valid. */
  rooms: Record<string, string>;
  pepper: SitePepper;
  /** Legacy member cards (the gateway's MemberResolver); absent: iBeacons are plain devices. */
  legacyCards?: EspresenseObservationOptions['legacyCards'];
  staffBadges?: EspresenseObservationOptions['staffBadges'];
  reconnectMinMs: number;
  reconnectMaxMs: number;
  clock: Clock;
  logger: Logger;
}

/** `espresense/devices/#` -> `espresense`; `a/b/devices/+/+` -> `a/b`. */
export function espresenseBaseTopic(subscription: string): string {
  const i = subscription.indexOf('/devices');
  return i > 0 ? subscription.slice(0, i) : 'espresense';
}

/**
 * ESPresense nodes over MQTT (via the gateway's mqtt adapter). Reports carry no time, so `at` is
 * the arrival time on the gateway clock. The device id (often the bare MAC) is pseudonymised in
 * `espresenseToObservation`; rejection reasons are logged without topic or payload (they hold MACs).
 */
export function createEspresenseSource(opts: EspresenseSourceOptions): Source {
  const log = opts.logger.child({ module: 'source', source: 'espresense' });
  const counters = new SourceCounters();
  const base = espresenseBaseTopic(opts.topic);
  const receiverForRoom = (room: string) => opts.rooms[room] ?? (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(room) ? room : undefined);
  let conn: MqttConnection | undefined;

  const onMessage = (topic: string, payload: Buffer) => {
    try {
      if (!topic.startsWith(`${base}/devices/`)) return;
      const report = parseEspresenseMessage(topic, payload, base);
      const obs = report.ok
        ? espresenseToObservation(report.value, opts.clock.now(), {
            pepper: opts.pepper,
            receiverForRoom,
            ...(opts.legacyCards ? { legacyCards: opts.legacyCards } : {}),
            ...(opts.staffBadges ? { staffBadges: opts.staffBadges } : {}),
          })
        : report;
      if (!obs.ok) {
        counters.rejected += 1;
        if (counters.rejected <= 10 || counters.rejected % 1000 === 0)
          log.warn({ reason: obs.reason, rejected: counters.rejected }, 'espresense report dropped');
        return;
      }
      counters.accepted([obs.value]);
      emit?.([obs.value]);
    } catch (err) {
      counters.rejected += 1;
      log.warn({ err: (err as Error).message }, 'espresense handler failed; report dropped');
    }
  };
  let emit: Emit | undefined;

  return {
    name: 'espresense',
    start(e: Emit) {
      emit = e;
      conn = openSubscription({ ...opts, qos: 0 }, counters, onMessage);
    },
    async stop() {
      emit = undefined;
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
