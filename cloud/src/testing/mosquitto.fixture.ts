import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { accountUrl, findDynsecPlugin, writeBrokerConfig, type BrokerConfigFiles } from '../broker/broker-config.js';
import type { GatewayAccount } from '../broker/dynsec.js';
import { tempDir } from './fixtures.js';

/**
 * Why a private Mosquitto with the dynamic-security plugin cannot be started here (undefined when
 * it can). Under CI=true a missing one throws: CI installs it, so a skip would hide a failure.
 */
export function mosquittoUnavailable(): string | undefined {
  let reason: string | undefined;
  if (spawnSync('mosquitto', ['-h']).error) reason = 'no mosquitto binary on PATH';
  else if (!findDynsecPlugin()) reason = 'the dynamic-security plugin (mosquitto_dynamic_security.so) is not installed';
  if (reason !== undefined && process.env.CI === 'true') throw new Error(`Mosquitto is required under CI=true: ${reason}`);
  if (reason !== undefined) console.warn(`skipping private-Mosquitto tests: ${reason}`);
  return reason;
}

export interface TestMosquitto {
  port: number;
  /** mqtt://127.0.0.1:port, no credentials. */
  url: string;
  files: BrokerConfigFiles;
  /** The broker URL with the ingest, admin or a gateway account in it. */
  ingestUrl: string;
  adminUrl: string;
  gatewayUrl(g: GatewayAccount): string;
  /** Whatever mosquitto wrote on stderr (tests show it on failure). */
  output(): string;
  /** Kills the broker (SIGKILL when `hard`) and removes its files. */
  stop(hard?: boolean): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** `mosquitto -c <generated file>` on a free port with the given gateway accounts (broker-config's files). */
export async function startTestMosquitto(gateways: readonly GatewayAccount[] = []): Promise<TestMosquitto> {
  const t = tempDir('storesense-mosquitto-');
  const pluginPath = findDynsecPlugin();
  if (!pluginPath) throw new Error('dynamic-security plugin not installed');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    // Started by root (containers, CI), mosquitto would drop to its own account and could not read the 0600 files.
    const user = process.getuid?.() === 0 ? { user: 'root' } : {};
    const files = writeBrokerConfig({ outDir: t.dir, port, host: '127.0.0.1', pluginPath, gateways, ...user });
    let stderr = '';
    const child: ChildProcess = spawn('mosquitto', ['-c', files.conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let up = false;
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    for (let i = 0; i < 200 && !gone && !up; i++) {
      up = await accepting(port);
      if (!up) await new Promise((r) => setTimeout(r, 25));
    }
    if (!up) {
      child.kill('SIGKILL');
      await exited;
      // Another process took the port between the probe and mosquitto's bind: try another one.
      if (attempt < 3 && /in use/i.test(stderr)) continue;
      t.cleanup();
      throw new Error(`mosquitto did not start: ${stderr.trim()}`);
    }
    const url = `mqtt://127.0.0.1:${port}`;
    return {
      port,
      url,
      files,
      ingestUrl: files.env.STORESENSE_BROKER_URL,
      adminUrl: files.env.STORESENSE_BROKER_ADMIN_URL,
      gatewayUrl: (g) => accountUrl(url, g),
      output: () => stderr,
      async stop(hard = false) {
        if (!gone) {
          child.kill(hard ? 'SIGKILL' : 'SIGTERM');
          await exited;
        }
        t.cleanup();
      },
    };
  }
}
