import { Writable } from 'node:stream';
import mqtt, { type MqttClient } from 'mqtt';
import { createCloud, type Cloud, type CloudEndpoints, type CloudOptions } from '../app.js';
import { createLogger } from '../log.js';
import { tempDir } from './fixtures.js';

/** Collects pino lines so tests can assert what was logged (and what never was). */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    const s = chunk.toString();
    this.text += s;
    for (const line of s.split('\n')) if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    cb();
  }
  find(msg: string): Record<string, unknown>[] {
    return this.lines.filter((l) => l.msg === msg);
  }
}

export interface TestCloud {
  cloud: Cloud;
  endpoints: CloudEndpoints;
  logs: LogCapture;
  dataDir: string;
  stop(): Promise<void>;
}

/** A started cloud on ephemeral ports in a temp data dir, logging into a capture. */
export async function startTestCloud(options: Partial<CloudOptions> = {}): Promise<TestCloud> {
  const t = tempDir();
  const logs = new LogCapture();
  const cloud = createCloud({ dataDir: t.dir, logger: createLogger({ level: 'debug', destination: logs }), ...options });
  const endpoints = await cloud.start();
  return {
    cloud,
    endpoints,
    logs,
    dataDir: t.dir,
    async stop() {
      await cloud.stop();
      t.cleanup();
    },
  };
}

/**
 * A gateway-like mqtt.js client (MQTT 3.1.1, no auto-reconnect so refusals are observable). Its
 * client id is the username (`{siteId}.{gatewayId}`), as the broker requires of gateways, unless given.
 */
export async function connectClient(url: string, username?: string, password?: string, clientId?: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    protocolVersion: 4,
    ...(clientId !== undefined || username !== undefined ? { clientId: clientId ?? username } : {}),
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  });
}

/** Polls until `check` returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
