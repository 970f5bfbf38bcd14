import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCloud, createLogger } from '@storesense/cloud';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './processes.js';

/**
 * `npm start` stopped with Ctrl-C: the terminal signals the whole foreground process group, so
 * the test starts scripts/start.js as its own group and sends SIGINT to the group, as a terminal
 * does. The gateway must stop first and the cloud must have stored it offline (decision 142).
 */
describe('npm start: Ctrl-C stops the gateway first and the cloud records it offline', () => {
  it('stores the gateway offline before the cloud stops', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'start-shutdown-'));
    try {
      const child = spawn(process.execPath, ['scripts/start.js'], {
        cwd: repoRoot,
        env: {
          ...process.env,
          STORESENSE_DATA_DIR: dataDir,
          STORESENSE_HTTP_PORT: '0',
          STORESENSE_MQTT_PORT: '0',
          STORESENSE_CLASSIFIER: 'rules',
          STORESENSE_SIM_DURATION: '2m',
          STORESENSE_SIM_SHOPPERS_PER_HOUR: '60',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let out = '';
      child.stdout.on('data', (d) => (out += String(d)));
      child.stderr.on('data', (d) => (out += String(d)));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const until = Date.now() + 120_000;
      while (!/\[storesense\] console: /.test(out)) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`npm start did not come up:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      process.kill(-child.pid!, 'SIGINT'); // Ctrl-C: every process of the group gets it
      expect(await exited).toBe(0);
      expect(out).toMatch(/gateway gw-dept-1 reported itself offline; the cloud has recorded it/);
      expect(out.indexOf('reported itself offline')).toBeGreaterThan(out.indexOf('stopping…'));

      // Read back what the cloud stored, with the cloud's own store (same data dir and key file).
      const cloud = createCloud({ dataDir, logger: createLogger({ level: 'silent' }) });
      await cloud.start();
      try {
        const gateways = await cloud.store!.listGateways();
        expect(gateways.find((g) => g.gatewayId === 'gw-dept-1')?.conn?.state).toBe('offline');
      } finally {
        await cloud.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
