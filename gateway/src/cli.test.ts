import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exampleSitePath, loadSiteFile, renderGatewayConfig, withDefaultDeployment } from '@storesense/firmware-config';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAedes, waitFor } from './testing/aedes-broker.js';
import { boutiqueConfig } from './testing/fixtures.js';
import { TestCloud } from './testing/test-cloud.js';

/** CLI tests run the built dist/ (npm test builds first), as an operator would. */
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, STORESENSE_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

describe.skipIf(!existsSync(CLI))('storesense-gateway CLI (dist)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gateway-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses an invalid config and prints every error with its path', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        siteId: 'bad id',
        gatewayId: 'gw1',
        floors: [],
        receivers: [{ id: 'rx', role: 'nope', floor: 'x', position: { x: 0, y: 0 } }],
        memberTokens: { periodMs: 1 },
      }),
    );
    const p = run(['--config', path]);
    expect(await p.exited).toBe(1);
    expect(p.err()).toContain('siteId:');
    expect(p.err()).toContain('floors:');
    expect(p.err()).toContain('receivers[0].role:');
    expect(p.err()).toContain('receivers[0].floor:');
  });

  it('refuses to start the onnx classifier with a missing model, naming the path', async () => {
    const path = join(dir, 'gw.json');
    writeFileSync(path, JSON.stringify(boutiqueConfig({ dataDir: join(dir, 'data') })));
    const p = run(['--config', path, '--classifier', 'onnx', '--model', join(dir, 'nope.onnx')]);
    expect(await p.exited).toBe(1);
    expect(p.err()).toMatch(/onnx classifier cannot start \(modelPath .*nope\.onnx\): cannot read model/);
  });

  it('runs, goes online, and on SIGTERM stops gracefully publishing offline; the password never reaches the log', async () => {
    const broker = await startAedes({ password: 'cli-secret' });
    const cloud = await TestCloud.connect(broker.url, { password: 'cli-secret' });
    try {
      const path = join(dir, 'gw.json');
      writeFileSync(
        path,
        JSON.stringify(
          boutiqueConfig({ dataDir: join(dir, 'data'), mqtt: { url: broker.url, passwordEnv: 'GW_TEST_PW' }, statusApi: { host: '127.0.0.1', port: 0 } }),
        ),
      );
      const p = run(['--config', path], { GW_TEST_PW: 'cli-secret' });
      await waitFor(() => cloud.conn.some((c) => c.state === 'online'), 10_000, 'online');
      expect(p.out()).toContain('storesense-gateway running');
      expect(p.err()).toContain(`WARNING: ${path} has no sources: this gateway will hear nothing`);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      await waitFor(() => cloud.conn.at(-1)?.state === 'offline', 5_000, 'offline');
      expect(existsSync(join(dir, 'data', 'outbox.db'))).toBe(true);
      expect(p.out() + p.err()).not.toContain('cli-secret');
    } finally {
      await cloud.close();
      await broker.close();
    }
  }, 30_000);

  it('starts from the config storesense-site render writes and runs its sources, without the no-sources warning', async () => {
    const broker = await startAedes({ password: 'cli-secret' });
    try {
      const loaded = loadSiteFile(exampleSitePath('boutique'));
      if (!loaded.ok) throw new Error(loaded.issues.join('; '));
      const { overrides } = withDefaultDeployment(loaded.value, 'gw-boutique-1', {
        mqtt: { url: broker.url, passwordEnv: 'GW_TEST_PW' },
        dataDir: join(dir, 'data'),
      });
      // The rendered default listens on 127.0.0.1:8081; tests take an ephemeral port instead.
      const config = { ...renderGatewayConfig(loaded.value, 'gw-boutique-1', overrides), statusApi: { host: '127.0.0.1', port: 0 } };
      const path = join(dir, 'gw.json');
      writeFileSync(path, JSON.stringify(config));
      const p = run(['--config', path], { GW_TEST_PW: 'cli-secret' });
      await waitFor(() => /"statusUrl":"http/.test(p.out()), 10_000, 'running');
      const statusUrl = /"statusUrl":"(http:\/\/[^"]+)"/.exec(p.out())![1]!;
      const health = (await (await fetch(`${statusUrl}/api/v1/health`)).json()) as { sources: Record<string, { state: string }> };
      expect(Object.keys(health.sources).sort()).toEqual(['ble', 'http_observations', 'mqtt_observations']);
      const posted = await fetch(`${statusUrl}/api/v1/observations`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: `${JSON.stringify({ v: 1, at: Date.now(), source: 'terminal', receiverId: 'pos-1', subject: 't_pos-1_1', terminal: { kind: 'pos', action: 'purchase', amount: 1 } })}\n`,
      });
      expect(posted.status).toBe(200);
      expect(p.err()).not.toContain('has no sources');
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    } finally {
      await broker.close();
    }
  }, 30_000);

  it('says on stderr, in one line, when its status API port is taken (and keeps running)', async () => {
    const holder = createServer();
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
    const port = (holder.address() as { port: number }).port;
    try {
      const path = join(dir, 'gw.json');
      writeFileSync(
        path,
        JSON.stringify(boutiqueConfig({ dataDir: join(dir, 'data'), sources: [{ kind: 'http_observations' }], statusApi: { host: '127.0.0.1', port } })),
      );
      const p = run(['--config', path]);
      await waitFor(() => p.err().includes('status API'), 10_000, 'warning');
      expect(p.err()).toContain(`storesense-gateway: WARNING: the status API cannot listen on 127.0.0.1:${port}`);
      expect(p.err()).not.toMatch(/\n\s+at /);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    } finally {
      holder.close();
    }
  }, 30_000);
});
