import { randomUUID } from 'node:crypto';
import { codecs, topics, type CommandResponse } from '@storesense/protocol';
import type { BrokerLink } from '../broker/broker-link.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
export const MAX_COMMAND_TIMEOUT_MS = 60_000;
/** Commands awaiting an answer at once, per cloud node; more are refused rather than queued. */
export const MAX_PENDING_COMMANDS = 1_000;

export type CommandOutcome = { kind: 'answered'; response: CommandResponse; ms: number } | { kind: 'timeout'; ms: number } | { kind: 'busy' };

interface Pending {
  siteId: string;
  gatewayId: string;
  name: string;
  startedAt: number;
  resolve: (o: CommandOutcome) => void;
  timer: NodeJS.Timeout;
}

/**
 * Request/response commands to gateways over MQTT (architecture §4, decision 132): a request on
 * `command/{name}` with a fresh requestId; the gateway's answer on `response/{name}` with the same
 * id settles it; no answer within the timeout settles it as a timeout (the API's 504). Answers
 * nobody waits for (late, or another cloud node's) are ignored. Bounded: MAX_PENDING_COMMANDS.
 */
export class CommandsService {
  private readonly pending = new Map<string, Pending>();
  private readonly log: Logger;

  constructor(private readonly o: { link: BrokerLink; logger: Logger; metrics: Metrics; now?: () => number }) {
    this.log = o.logger.child({ module: 'commands' });
  }

  send(siteId: string, gatewayId: string, name: string, args: Record<string, unknown>, timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS): Promise<CommandOutcome> {
    if (this.pending.size >= MAX_PENDING_COMMANDS) return Promise.resolve({ kind: 'busy' });
    const now = this.o.now ?? Date.now;
    const requestId = randomUUID();
    const payload = codecs.command.encode({ v: 1, requestId, args });
    return new Promise<CommandOutcome>((resolve) => {
      const startedAt = now();
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        this.o.metrics.inc('commands.timeout');
        this.log.warn({ siteId, gatewayId, command: name, requestId, timeoutMs }, 'command timed out');
        resolve({ kind: 'timeout', ms: now() - startedAt });
      }, timeoutMs);
      timer.unref();
      this.pending.set(requestId, { siteId, gatewayId, name, startedAt, resolve, timer });
      this.o.metrics.inc('commands.sent');
      this.o.link.publish(topics.command(siteId, gatewayId, name), payload, { qos: 1, retain: false }).catch((err: unknown) => {
        // Left to the timeout: the broker may still deliver it, and the caller learns one way.
        this.log.warn({ err, siteId, gatewayId, command: name }, 'command publish failed');
      });
    });
  }

  /** A `response/{name}` from a gateway (not `config`, which the fleet takes). */
  onResponse(siteId: string, gatewayId: string, name: string, payload: Buffer): void {
    const decoded = codecs.response.decode(payload);
    if (!decoded.ok) {
      this.o.metrics.inc('commands.invalid_response');
      this.log.warn({ siteId, gatewayId, command: name, issues: decoded.issues.slice(0, 3) }, 'invalid command response ignored');
      return;
    }
    const p = this.pending.get(decoded.value.requestId);
    // Only the gateway asked may answer (its ACL lets it publish under its own prefix only).
    if (!p || p.siteId !== siteId || p.gatewayId !== gatewayId || p.name !== name) return;
    this.pending.delete(decoded.value.requestId);
    clearTimeout(p.timer);
    this.o.metrics.inc('commands.answered');
    p.resolve({ kind: 'answered', response: decoded.value, ms: (this.o.now ?? Date.now)() - p.startedAt });
  }

  /** Settles everything still waiting as timed out (cloud stop). */
  close(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ kind: 'timeout', ms: (this.o.now ?? Date.now)() - p.startedAt });
      this.pending.delete(id);
    }
  }
}
