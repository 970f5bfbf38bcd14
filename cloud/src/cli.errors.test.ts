import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './testing/fixtures.js';

const cliPath = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const built = existsSync(cliPath);
if (!built) console.warn(`skipping CLI error tests: ${cliPath} is missing (run npx tsc -b first)`);

/** Runs the CLI to its end (async, so a server in this process can hold a port meanwhile). */
function runToEnd(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

describe.skipIf(!built)('storesense-cloud CLI errors: one line, no stack trace', () => {
  it('an unknown flag is a usage error (exit 2)', () => {
    const r = spawnSync(process.execPath, [cliPath, '--bogus'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("storesense-cloud: Unknown option '--bogus' (see --help)\n");
    const user = spawnSync(process.execPath, [cliPath, 'user', 'add', '--bogus'], { encoding: 'utf8' });
    expect(user.status).toBe(2);
    expect(user.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('an explicit port that is taken names the address and what to set (exit 1)', async () => {
    const t = tempDir();
    const holder: Server = createServer();
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
    const port = (holder.address() as { port: number }).port;
    try {
      const r = await runToEnd([], {
        STORESENSE_HTTP_PORT: String(port),
        STORESENSE_MQTT_PORT: '0',
        STORESENSE_DATA_DIR: join(t.dir, 'data'),
        STORESENSE_LOG_LEVEL: 'silent',
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `storesense-cloud: cannot listen on 127.0.0.1:${port}: the port is in use by another process (EADDRINUSE); set STORESENSE_HTTP_PORT / STORESENSE_MQTT_PORT (0 = any free port) or the _HOST variables\n`,
      );
    } finally {
      holder.close();
      t.cleanup();
    }
  }, 30_000);
});
