import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { DYNSEC_CONTROL_TOPIC, DYNSEC_RESPONSE_TOPIC, enrolGatewayCommands, revokeGatewayCommands, type DynsecCommand } from './dynsec.js';
import type { GatewayAccounts, GatewayCredentialChange, GatewayRef } from './gateway-accounts.js';
import { redactUrl } from './mqtt.link.js';

export interface DynsecResponse {
  command: string;
  error?: string;
  data?: unknown;
}

/** The cloud's admin link to Mosquitto's dynamic-security plugin: enrol and revoke gateways live. */
export interface DynsecAdmin extends GatewayAccounts {
  /** Sends commands as one control message; resolves to the plugin's answer to each, in order. */
  send(commands: readonly DynsecCommand[]): Promise<DynsecResponse[]>;
  close(): Promise<void>;
}

export interface DynsecAdminOptions {
  /** `mqtt://admin:password@host:port` (the admin account broker-config wrote). */
  url: string;
  logger: Logger;
  metrics: Metrics;
  /** A command without an answer within this time fails (default 10 s). */
  timeoutMs?: number;
}

/**
 * Connects as the broker's admin account and subscribes to the plugin's response topic. Commands
 * go out one control message at a time (the plugin answers in order; one in flight keeps the
 * matching trivial and enrolment is rare).
 */
export async function connectDynsecAdmin(options: DynsecAdminOptions): Promise<DynsecAdmin> {
  const log = options.logger.child({ module: 'dynsec-admin', url: redactUrl(options.url) });
  const timeoutMs = options.timeoutMs ?? 10_000;
  const client: MqttClient = await mqtt.connectAsync(options.url, {
    clientId: `storesense-admin-${randomBytes(6).toString('hex')}`,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 1000,
    connectTimeout: timeoutMs,
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'dynsec admin link error'));
  const granted = await client.subscribeAsync(DYNSEC_RESPONSE_TOPIC, { qos: 1 });
  if (granted.some((g) => g.qos === 128)) {
    await client.endAsync(true);
    throw new Error(`broker refused ${DYNSEC_RESPONSE_TOPIC}: is this the admin account, and is the dynamic-security plugin loaded?`);
  }
  let waiting: { correlation: string; resolve: (r: DynsecResponse[]) => void } | undefined;
  client.on('message', (_topic, payload) => {
    let body: { responses?: (DynsecResponse & { correlationData?: string })[] };
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    const responses = body.responses ?? [];
    if (waiting && responses[0]?.correlationData === waiting.correlation) {
      const w = waiting;
      waiting = undefined;
      w.resolve(responses.map(({ command, error, data }) => ({ command, ...(error !== undefined ? { error } : {}), ...(data !== undefined ? { data } : {}) })));
    }
  });
  let queue: Promise<unknown> = Promise.resolve();

  const sendOne = async (commands: readonly DynsecCommand[]): Promise<DynsecResponse[]> => {
    const correlation = randomBytes(8).toString('hex');
    const answered = new Promise<DynsecResponse[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting = undefined;
        reject(new Error(`dynamic-security plugin did not answer ${commands.map((c) => c.command).join(', ')} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting = {
        correlation,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
    });
    const body = { commands: commands.map((c, i) => (i === 0 ? { ...c, correlationData: correlation } : c)) };
    await client.publishAsync(DYNSEC_CONTROL_TOPIC, Buffer.from(JSON.stringify(body)), { qos: 1 });
    return answered;
  };
  const send = (commands: readonly DynsecCommand[]): Promise<DynsecResponse[]> => {
    const next = queue.then(() => sendOne(commands));
    queue = next.catch(() => undefined);
    return next;
  };
  const failOn = (responses: DynsecResponse[], tolerated: RegExp, what: string) => {
    const bad = responses.filter((r) => r.error !== undefined && !tolerated.test(r.error));
    if (bad.length > 0) {
      options.metrics.inc('broker.dynsec_failed');
      throw new Error(`${what}: ${bad.map((r) => `${r.command}: ${r.error}`).join('; ')}`);
    }
  };

  return {
    send,
    async changed(change: GatewayCredentialChange) {
      const { create, update, addRole } = enrolGatewayCommands(change);
      const created = await send(create);
      // An existing role has the same ACLs (they follow from the ids); an existing client gets the new password.
      failOn(created.slice(0, 1), /already exists/i, `enrolling ${change.username}`);
      if (created[1]?.error !== undefined) {
        if (!/already exists/i.test(created[1].error)) failOn(created.slice(1), /^$/, `enrolling ${change.username}`);
        const updated = await send(update);
        failOn(updated, /^$/, `updating ${change.username}`);
        const roles = (updated[1]?.data as { client?: { roles?: { rolename: string }[] } } | undefined)?.client?.roles ?? [];
        if (!roles.some((r) => r.rolename === addRole.rolename)) failOn(await send([addRole]), /^$/, `updating ${change.username}`);
      }
      options.metrics.inc('broker.dynsec_enrolled');
      log.info({ siteId: change.siteId, gatewayId: change.gatewayId, username: change.username }, 'gateway account set on the broker');
    },
    async revoked(gateway: GatewayRef) {
      failOn(await send(revokeGatewayCommands(gateway)), /not found/i, `revoking ${gateway.username}`);
      options.metrics.inc('broker.dynsec_revoked');
      log.info({ siteId: gateway.siteId, gatewayId: gateway.gatewayId, username: gateway.username }, 'gateway account removed from the broker');
    },
    async close() {
      await client.endAsync();
    },
  };
}
