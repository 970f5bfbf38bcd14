import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAedes, waitFor } from './testing/aedes-broker.js';
import { boutiqueConfig } from './testing/fixtures.js';
import { TestCloud } from './testing/test-cloud.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** The gateway as the compose file runs it: the level only in STORESENSE_LOG_LEVEL (decision 141). */
describe.skipIf(!existsSync(CLI))('storesense-gateway honours STORESENSE_LOG_LEVEL', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gateway-loglevel-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function runUntilOnline(level: string | undefined): Promise<{ levels: number[]; stdout: string }> {
    const broker = await startAedes();
    const cloud = await TestCloud.connect(broker.url);
    try {
      const path = join(dir, `gw-${level ?? 'default'}.json`);
      writeFileSync(path, JSON.stringify(boutiqueConfig({ dataDir: join(dir, `data-${level}`), mqtt: { url: broker.url, passwordEnv: 'UNSET_TEST_ENV' } })));
      const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'trace' };
      delete env['STORESENSE_LOG_LEVEL'];
      if (level !== undefined) env['STORESENSE_LOG_LEVEL'] = level;
      const child = spawn(process.execPath, [CLI, '--config', path], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += String(d)));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await waitFor(() => cloud.conn.some((c) => c.state === 'online'), 10_000, 'online');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await waitFor(() => cloud.conn.at(-1)?.state === 'offline', 5_000, 'offline');
      const levels = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => (JSON.parse(l) as { level: number }).level);
      return { levels, stdout };
    } finally {
      await cloud.close();
      await broker.close();
    }
  }

  it('warn keeps info lines out; unset means info (the old LOG_LEVEL is ignored)', async () => {
    const warn = await runUntilOnline('warn');
    expect(warn.stdout).toContain('no sources configured'); // a warn line still comes through
    expect(warn.levels.every((l) => l >= 40)).toBe(true);
    expect(warn.stdout).not.toContain('storesense-gateway running');
    const dflt = await runUntilOnline(undefined);
    expect(dflt.stdout).toContain('storesense-gateway running');
    expect(dflt.levels.every((l) => l >= 30)).toBe(true); // LOG_LEVEL=trace did not apply
  }, 40_000);
});
