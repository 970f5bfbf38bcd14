import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { codecs, newId, topics, type PresenceEvent } from '@storesense/protocol';
import { connect, type MqttClient } from 'mqtt';
import { z } from 'zod';

/**
 * The load generator behind `storesense-sim fleet` (issue 12): N simulated gateways, each with its
 * own broker account, publish QoS 1 events of the contract at a fixed total rate and wait for the
 * cloud's application acks, as a real gateway's outbox does. Bounded by a duration and an optional
 * count; what is still unacked after the drain window is reported, not waited for.
 */
export interface FleetGateway {
  siteId: string;
  gatewayId: string;
  username?: string | undefined;
  password?: string | undefined;
}

/** The gateways of `storesense-cloud broker-config`'s credentials.json (the fields the fleet reads). */
export const fleetCredentialsSchema = z.object({
  gateways: z.array(z.object({ siteId: z.string(), gatewayId: z.string(), username: z.string(), password: z.string() })),
});

export interface FleetOptions {
  /** mqtt://host:port, without credentials (each gateway brings its own). */
  url: string;
  gateways: readonly FleetGateway[];
  /** Total over all gateways. */
  eventsPerSecond: number;
  durationMs: number;
  /** Stop after this many events in all (default: unbounded within the duration). */
  count?: number | undefined;
  protocolVersion?: 4 | 5;
  /** How long to wait for outstanding acks after the last publish (default 10 s). */
  drainMs?: number;
  /** Called about once a second while publishing and draining. */
  onProgress?: (p: FleetProgress) => void;
  /** Connections opened at once (default 25). */
  connectConcurrency?: number;
}

export interface FleetProgress {
  phase: 'connecting' | 'publishing' | 'draining';
  connected: number;
  sent: number;
  acked: number;
  elapsedMs: number;
}

export interface FleetSummary {
  gateways: number;
  sent: number;
  acked: number;
  /** Events the cloud refused in its ack (its reason counted here, not retried). */
  rejected: number;
  unacked: number;
  /** Publishes the client could not hand to the broker (connection lost, refused). */
  publishErrors: number;
  /** Gateways the broker disconnected during the run. */
  disconnects: number;
  connectMs: number;
  publishMs: number;
  sentPerSecond: number;
  /** Acks per second over the time from the first publish to the last ack. */
  ackedPerSecond: number;
  ackP50Ms: number | null;
  ackP99Ms: number | null;
  ackMaxMs: number | null;
}

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted: Float64Array | readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

// 10 hex digits: a run of 12 would read as a MAC address and be refused (pseudonymSchema).
function fleetEvent(g: FleetGateway, seq: number, at: number): PresenceEvent {
  return {
    v: 1,
    id: newId(at),
    seq,
    type: 'arrival',
    at,
    siteId: g.siteId,
    gatewayId: g.gatewayId,
    subject: { id: `s_${randomBytes(5).toString('hex')}`, signals: ['ble'] },
    visitId: newId(at),
    confidence: 0.9,
    model: { name: 'fleet', version: '1' },
  } as PresenceEvent;
}

export async function runFleet(o: FleetOptions): Promise<FleetSummary> {
  if (o.gateways.length === 0) throw new TypeError('a fleet needs at least one gateway');
  const drainMs = o.drainMs ?? 10_000;
  const limit = o.count ?? Number.POSITIVE_INFINITY;
  // Publish time per outstanding event id; latencies of acked ones. Both bounded by the count or
  // rate × duration, which the CLI caps.
  const pending = new Map<string, number>();
  const latencies: number[] = [];
  let sent = 0;
  let rejected = 0;
  let publishErrors = 0;
  let disconnects = 0;
  let lastAckAt = 0;
  const start = performance.now();
  const progress = (phase: FleetProgress['phase'], connected: number) =>
    o.onProgress?.({ phase, connected, sent, acked: latencies.length, elapsedMs: performance.now() - start });

  const clients: MqttClient[] = [];
  // Every client created, connected or not, so a failed start still closes them all.
  const created: MqttClient[] = [];
  let stopping = false;
  const connectOne = async (g: FleetGateway): Promise<MqttClient> => {
    const client = connect(o.url, {
      clientId: g.username ?? `${g.siteId}.${g.gatewayId}`,
      protocolVersion: o.protocolVersion ?? 4,
      clean: true,
      reconnectPeriod: 0,
      // A cloud checks a password hash per CONNECT (scrypt on the embedded broker): slow on a busy machine.
      connectTimeout: 30_000,
      ...(g.username !== undefined ? { username: g.username } : {}),
      ...(g.password !== undefined ? { password: g.password } : {}),
    });
    created.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', (err) => reject(new Error(`gateway ${g.siteId}/${g.gatewayId} could not connect: ${err.message}`)));
      client.once('close', () => reject(new Error(`gateway ${g.siteId}/${g.gatewayId} could not connect: connection closed`)));
    });
    client.on('message', (_topic, payload) => {
      const d = codecs.ack.decode(payload);
      if (!d.ok) return;
      const now = performance.now();
      for (const id of d.value.ids) {
        const t = pending.get(id);
        if (t === undefined) continue;
        pending.delete(id);
        latencies.push(now - t);
        lastAckAt = now;
      }
      for (const r of d.value.rejected ?? []) if (pending.delete(r.id)) rejected++;
    });
    client.on('close', () => {
      if (!stopping) disconnects++;
    });
    client.on('error', () => undefined); // counted through publish failures and disconnects
    await client.subscribeAsync(topics.ack(g.siteId, g.gatewayId), { qos: 1 });
    return client;
  };

  try {
    const width = o.connectConcurrency ?? 25;
    for (let i = 0; i < o.gateways.length; i += width) {
      clients.push(...(await Promise.all(o.gateways.slice(i, i + width).map(connectOne))));
      progress('connecting', clients.length);
    }
    const connectMs = performance.now() - start;

    // Round robin over gateways at a steady total rate: every 5 ms, publish what is due.
    const publishStart = performance.now();
    const seqs = new Array<number>(clients.length).fill(0);
    let next = 0;
    let lastProgress = publishStart;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        const elapsed = now - publishStart;
        const due = Math.min(limit, Math.floor((Math.min(elapsed, o.durationMs) / 1000) * o.eventsPerSecond));
        while (sent < due) {
          const gi = next;
          next = (next + 1) % clients.length;
          const g = o.gateways[gi]!;
          const e = fleetEvent(g, ++seqs[gi]!, Date.now());
          pending.set(e.id, performance.now());
          sent++;
          clients[gi]!.publish(topics.event(g.siteId, g.gatewayId, e.type), codecs.event.encode(e), { qos: 1 }, (err) => {
            if (err) {
              publishErrors++;
              pending.delete(e.id);
            }
          });
        }
        if (now - lastProgress >= 1000) {
          lastProgress = now;
          progress('publishing', clients.length);
        }
        if (sent >= limit || elapsed >= o.durationMs) resolve();
        else setTimeout(tick, 5);
      };
      tick();
    });
    const publishMs = performance.now() - publishStart;
    const drainUntil = performance.now() + drainMs;
    while (pending.size > 0 && performance.now() < drainUntil) {
      await new Promise((r) => setTimeout(r, 50));
      if (performance.now() - lastProgress >= 1000) {
        lastProgress = performance.now();
        progress('draining', clients.length);
      }
    }
    const sorted = Float64Array.from(latencies).sort();
    const ackWindowMs = (lastAckAt > 0 ? lastAckAt : performance.now()) - publishStart;
    return {
      gateways: clients.length,
      sent,
      acked: latencies.length,
      rejected,
      unacked: pending.size,
      publishErrors,
      disconnects,
      connectMs: Math.round(connectMs),
      publishMs: Math.round(publishMs),
      sentPerSecond: Math.round(sent / (publishMs / 1000)),
      ackedPerSecond: Math.round(latencies.length / (Math.max(ackWindowMs, 1) / 1000)),
      ackP50Ms: round1(percentile(sorted, 50)),
      ackP99Ms: round1(percentile(sorted, 99)),
      ackMaxMs: round1(sorted.length ? sorted[sorted.length - 1]! : null),
    };
  } finally {
    stopping = true;
    await Promise.all(created.map((c) => c.endAsync(true).catch(() => undefined)));
  }
}

function round1(x: number | null): number | null {
  return x === null ? null : Math.round(x * 10) / 10;
}
