import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { firstOperatorFor, passwordWeakness } from './auth/first-operator.js';
import { tempDir } from './testing/fixtures.js';
import { waitFor } from './testing/harness.js';

// Real CLI processes (the built dist/, like cli.test.ts) over real sockets and a real cloud.db.
const cliPath = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const built = existsSync(cliPath);
if (!built) console.warn(`skipping first-run CLI tests: ${cliPath} is missing (run npx tsc -b first)`);

async function login(httpUrl: string, username: string, password: string): Promise<number> {
  const res = await fetch(`${httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return res.status;
}

describe('first operator and password rules', () => {
  it('is created only when no operator exists, under a free username', () => {
    const profile = (username: string, role: 'operator' | 'staff' | 'analyst') => ({
      username,
      displayName: username,
      role,
      siteId: undefined,
      storeIds: [],
      updatedAt: 0,
    });
    expect(firstOperatorFor([profile('olga', 'operator')])).toBeUndefined();
    const first = firstOperatorFor([profile('operator', 'staff')], (n) => Buffer.alloc(n, 7))!;
    expect(first.username).toBe('operator-2');
    expect(first.password).toBe(Buffer.alloc(18, 7).toString('base64url'));
    expect(first.seed).toMatchObject({ role: 'operator', username: 'operator-2' });
  });

  it('refuses weak passwords with the reason', () => {
    expect(passwordWeakness('short1', 'olga')).toMatch(/at least 12/);
    expect(passwordWeakness('aaaaaaaaaaaaaa', 'olga')).toMatch(/too few/);
    expect(passwordWeakness('olga-is-my-name', 'olga')).toMatch(/username/);
    expect(passwordWeakness('Password12345!', 'olga')).toMatch(/common/);
    expect(passwordWeakness('tram-violet-42-kettle', 'olga')).toBeUndefined();
  });
});

describe.skipIf(!built)('storesense-cloud first run', () => {
  it('a cloud with no accounts prints a first operator whose password logs in; user add creates a working account', async () => {
    const t = tempDir();
    const env = {
      ...process.env,
      STORESENSE_LOG_LEVEL: 'debug',
      STORESENSE_HTTP_PORT: '0',
      STORESENSE_MQTT_PORT: '0',
      STORESENSE_DATA_DIR: join(t.dir, 'data'),
    };
    const child = spawn(process.execPath, [cliPath], { env });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      await waitFor(() => out.stdout.includes('storesense cloud running'), 20_000, 'cli start');
      const httpUrl = /console\s+(http:\/\/\S+)\//.exec(out.stdout)![1]!;
      const first = /first operator created: username (\S+) password (\S+)/.exec(out.stdout);
      expect(first).not.toBeNull();
      const [, username, password] = first as unknown as [string, string, string];
      expect(await login(httpUrl, username, password)).toBe(200);
      expect(await login(httpUrl, username, `${password}x`)).toBe(401);

      const userEnv = { ...env, STORESENSE_USER_PASSWORD: 'tram-violet-42-kettle' };
      const added = spawnSync(process.execPath, [cliPath, 'user', 'add', '--username', 'olga', '--role', 'operator'], { env: userEnv, encoding: 'utf8' });
      expect(added.stderr).not.toContain('tram-violet-42-kettle');
      expect(added.status).toBe(0);
      expect(added.stdout).toContain('created operator olga');
      expect(await login(httpUrl, 'olga', 'tram-violet-42-kettle')).toBe(200);

      const weak = spawnSync(process.execPath, [cliPath, 'user', 'add', '--username', 'ana', '--role', 'analyst'], {
        env: { ...env, STORESENSE_USER_PASSWORD: 'short' },
        encoding: 'utf8',
      });
      expect(weak.status).toBe(2);
      expect(weak.stderr.trim()).toBe('storesense-cloud: refused: password must have at least 12 characters');
      const noPassword = spawnSync(process.execPath, [cliPath, 'user', 'add', '--username', 'ana'], { env, encoding: 'utf8' });
      expect(noPassword.status).toBe(2);
      expect(noPassword.stderr).toContain('STORESENSE_USER_PASSWORD');
      expect(await login(httpUrl, 'ana', 'short')).toBe(401);

      // The one-time password reaches stdout once and no log line (debug level, every module).
      expect(out.stdout.split(password).length - 1).toBe(1);
      expect(out.stderr).not.toContain(password);
      expect(out.stderr).toContain('created the first operator');
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }

    // A restart finds the operator and creates no other.
    const again = spawn(process.execPath, [cliPath], { env });
    let againOut = '';
    again.stdout.on('data', (d: Buffer) => (againOut += d.toString()));
    const againExited = new Promise<number | null>((done) => again.once('exit', (code) => done(code)));
    try {
      await waitFor(() => againOut.includes('storesense cloud running'), 20_000, 'cli restart');
      expect(againOut).not.toContain('first operator created');
    } finally {
      again.kill('SIGTERM');
      expect(await againExited).toBe(0);
      t.cleanup();
    }
  }, 60_000);
});
