import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoMembersPath, exampleSitePath } from '@storesense/firmware-config';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { tempDir } from './testing/fixtures.js';
import { connectClient, waitFor } from './testing/harness.js';

// CLI tests spawn the built dist/ (npm test builds first), like the rest of the repo.
const cliPath = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const demoStaffPath = fileURLToPath(new URL('../demo/staff.json', import.meta.url));

/** Opens an alert socket and reports its first frame type or its close code. */
function firstSocketOutcome(url: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('message', (d) => {
      resolve(`frame:${(JSON.parse(String(d)) as { type: string }).type}`);
      ws.close();
    });
    ws.on('close', (code) => resolve(`close:${code}`));
    ws.on('error', () => undefined);
  });
}
const built = existsSync(cliPath);
if (!built) console.warn(`skipping CLI tests: ${cliPath} is missing (run npx tsc -b first)`);

function run(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcessWithoutNullStreams; out: { stdout: string; stderr: string }; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, STORESENSE_LOG_LEVEL: 'info', ...env } });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out, exited };
}

describe.skipIf(!built)('storesense-cloud CLI', () => {
  it('starts on ephemeral ports, provisions gateways, serves health, and stops cleanly on SIGTERM', async () => {
    const t = tempDir();
    const gwFile = join(t.dir, 'gateways.json');
    writeFileSync(gwFile, JSON.stringify([{ siteId: 'mall-sh-01', gatewayId: 'gw-dept-1', password: 'dept-gw-password' }]));
    const { child, out, exited } = run(
      [
        '--site',
        exampleSitePath('boutique'),
        '--site',
        exampleSitePath('dept-store'),
        '--members',
        demoMembersPath,
        '--gateway',
        'mall-bj-01.gw-boutique-1:boutique:pass',
        '--gateways',
        gwFile,
      ],
      { STORESENSE_HTTP_PORT: '0', STORESENSE_MQTT_PORT: '0', STORESENSE_DATA_DIR: join(t.dir, 'data') },
    );
    try {
      await waitFor(() => out.stdout.includes('storesense cloud running'), 20_000, 'cli start');
      const httpUrl = /console\s+(http:\/\/\S+)\//.exec(out.stdout)![1]!;
      const mqttUrl = /mqtt\s+(mqtt:\/\/\S+)/.exec(out.stdout)![1]!;
      expect(out.stdout).toContain('provisioned gateway mall-bj-01/gw-boutique-1');
      expect(out.stdout).toContain('provisioned gateway mall-sh-01/gw-dept-1');
      const health = (await (await fetch(`${httpUrl}/api/v1/health`)).json()) as { ok: boolean; counts: { members: number; gateways: number } };
      expect(health.ok).toBe(true);
      expect(health.counts.gateways).toBe(2);
      expect(health.counts.members).toBeGreaterThan(0);
      const gw = await connectClient(mqttUrl, 'mall-bj-01.gw-boutique-1', 'boutique:pass');
      await gw.endAsync();
      expect(out.stderr).not.toContain('boutique:pass');
      expect(out.stderr).not.toContain('dept-gw-password');
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out.stderr).toContain('cloud stopped');
      t.cleanup();
    }
  });

  it('refuses to start on invalid configuration, listing every problem', async () => {
    const t = tempDir();
    const badSite = join(t.dir, 'bad.site.json');
    writeFileSync(badSite, JSON.stringify({ version: 1, id: 'x' }));
    const { out, exited } = run(['--site', badSite, '--gateway', 'nodot:pw', '--gateway', 'a.b:short'], { STORESENSE_DATA_DIR: join(t.dir, 'data') });
    expect(await exited).toBe(2);
    expect(out.stderr).toContain('invalid configuration');
    expect(out.stderr).toContain('bad.site.json');
    expect(out.stderr).toContain('--gateway expects SITE.GATEWAY:PASSWORD');
    expect(out.stderr).toContain('password must have at least 8 characters');
    expect(out.stderr).not.toContain('short');
    t.cleanup();
  });

  it('refuses STORESENSE_DATABASE_URL without a shared master key or with a non-postgres URL, and a non-redis STORESENSE_REDIS_URL', async () => {
    const t = tempDir();
    const { out, exited } = run(['--site', exampleSitePath('dept-store')], {
      STORESENSE_DATA_DIR: join(t.dir, 'data'),
      STORESENSE_DATABASE_URL: 'mysql://x@h/db',
      STORESENSE_REDIS_URL: 'memcached://h:11211',
    });
    expect(await exited).toBe(2);
    expect(out.stderr).toContain('STORESENSE_DATABASE_URL: expected postgres://');
    expect(out.stderr).toContain('STORESENSE_REDIS_URL: expected redis://');
    expect(out.stderr).toContain('needs STORESENSE_MASTER_KEY');
    t.cleanup();
  });

  it('requires alert tickets by default, seeds --staff, and opens sockets with --open-alerts', async () => {
    const t = tempDir();
    const start = async (extra: string[]) => {
      const r = run(['--site', exampleSitePath('dept-store'), '--staff', demoStaffPath, ...extra], {
        STORESENSE_HTTP_PORT: '0',
        STORESENSE_MQTT_PORT: '0',
        STORESENSE_DATA_DIR: join(t.dir, 'data'),
      });
      await waitFor(() => r.out.stdout.includes('storesense cloud running'), 20_000, 'cli start');
      return { ...r, httpUrl: /console\s+(http:\/\/\S+)\//.exec(r.out.stdout)![1]! };
    };
    const required = await start([]);
    try {
      expect(required.out.stdout).toContain('ticket required');
      const ws = `${required.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws`;
      expect(await firstSocketOutcome(ws)).toBe('close:4401');
      const login = await fetch(`${required.httpUrl}/api/v1/auth/login`, {
        method: 'POST',
        body: JSON.stringify({ username: 'wang', password: 'demo-staff-pass' }),
      });
      const { token } = (await login.json()) as { token: string };
      const ticket = (await (
        await fetch(`${required.httpUrl}/api/v1/alerts/ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
      ).json()) as { ticket: string };
      expect(await firstSocketOutcome(`${ws}?ticket=${ticket.ticket}`)).toBe('frame:hello');
      expect(required.out.stderr).not.toContain('demo-staff-pass');
    } finally {
      required.child.kill('SIGTERM');
      expect(await required.exited).toBe(0);
    }
    const open = await start(['--open-alerts']);
    try {
      expect(await firstSocketOutcome(`${open.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws`)).toBe('frame:hello');
    } finally {
      open.child.kill('SIGTERM');
      expect(await open.exited).toBe(0);
      t.cleanup();
    }
  }, 60_000);

  it('refuses a staff file with unknown stores', async () => {
    const t = tempDir();
    const staffFile = join(t.dir, 'staff.json');
    writeFileSync(staffFile, JSON.stringify([{ username: 'x', password: 'long-enough', displayName: 'X', siteId: 'mall-sh-01', storeIds: ['nope'] }]));
    const { out, exited } = run(['--site', exampleSitePath('dept-store'), '--staff', staffFile, '--allow-origin', 'https://x.example/path'], {
      STORESENSE_DATA_DIR: join(t.dir, 'data'),
    });
    expect(await exited).toBe(2);
    expect(out.stderr).toContain('staff x: site mall-sh-01 has no store nope');
    expect(out.stderr).toContain('--allow-origin expects');
    expect(out.stderr).not.toContain('long-enough');
    t.cleanup();
  });
});
