import mqtt, { type MqttClient } from 'mqtt';
import { codecs, filters, parseTopic, topics, type CommandResponse, type ConnState, type OccupancyReport, type PresenceEvent } from '@storesense/protocol';

/**
 * A stand-in for the cloud in uplink tests: receives events, acks them (unless told not to),
 * and records retained conn states and health.
 */
export class TestCloud {
  readonly events: PresenceEvent[] = [];
  readonly conn: ConnState[] = [];
  readonly responses: { name: string; response: CommandResponse }[] = [];
  /** Occupancy reports as decoded, and their raw payloads (to check nothing but counts travels). */
  readonly occupancy: { report: OccupancyReport; raw: string }[] = [];
  healthCount = 0;
  acking = true;
  private client!: MqttClient;

  static async connect(url: string, opts: { clientId?: string; password?: string } = {}): Promise<TestCloud> {
    const c = new TestCloud();
    const clientId = opts.clientId ?? `cloud-${Math.random().toString(16).slice(2)}`;
    c.client = mqtt.connect(url, { clientId, clean: true, reconnectPeriod: 200, username: 'cloud', ...(opts.password ? { password: opts.password } : {}) });
    await new Promise<void>((resolve, reject) => {
      c.client.once('connect', () => resolve());
      c.client.once('error', reject);
    });
    c.client.on('message', (topic, payload) => c.onMessage(topic, payload));
    await c.client.subscribeAsync([filters.allEvents, filters.allConnStates, filters.allHealth, filters.allResponses, filters.allOccupancy], { qos: 1 });
    return c;
  }

  uniqueIds(): Set<string> {
    return new Set(this.events.map((e) => e.id));
  }

  publish(topic: string, payload: string | Buffer, retain = false): Promise<unknown> {
    return this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }

  private onMessage(topic: string, payload: Buffer): void {
    const t = parseTopic(topic);
    if (!t) return;
    if (t.kind === 'event') {
      const e = codecs.event.decode(payload);
      if (!e.ok) throw new Error(`cloud got an invalid event: ${e.error}`);
      this.events.push(e.value);
      if (this.acking) {
        void this.client.publishAsync(topics.ack(t.siteId, t.gatewayId), JSON.stringify({ v: 1, at: Date.now(), ids: [e.value.id] }), { qos: 1 });
      }
    } else if (t.kind === 'stateConn') {
      const s = codecs.connState.decode(payload);
      if (s.ok) this.conn.push(s.value);
    } else if (t.kind === 'response') {
      const r = codecs.response.decode(payload);
      if (r.ok) this.responses.push({ name: t.name, response: r.value });
    } else if (t.kind === 'occupancy') {
      const r = codecs.occupancy.decode(payload);
      if (!r.ok) throw new Error(`cloud got an invalid occupancy report: ${r.error}`);
      this.occupancy.push({ report: r.value, raw: payload.toString('utf8') });
    } else if (t.kind === 'stateHealth') {
      this.healthCount += 1;
    }
  }
}
