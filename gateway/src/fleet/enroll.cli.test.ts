import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runEnroll } from './enroll.cli.js';

// The enrolment itself runs against a real cloud in tests/e2e/enrolment.test.ts; here, the refusals.
describe('storesense-gateway enroll: misuse and refusals', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gateway-enroll-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const out = { stdout: '', stderr: '' };
    const code = await runEnroll(argv, { stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t), env });
    return { code, ...out };
  };

  it('prints help, and says in one line what is missing or wrong (exit 2)', async () => {
    expect((await run(['--help'])).stdout).toContain('--code C');
    const missing = await run(['--cloud', 'http://127.0.0.1:1']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.split('\n')[0]).toBe('enroll needs --cloud and --code (or $STORESENSE_ENROLMENT_CODE)');
    const bad = await run(['--cloud', 'ftp://x', '--code', 'AAAA-AAAA-AAAA']);
    expect(bad).toMatchObject({ code: 2, stderr: '--cloud must be an http:// or https:// URL, got "ftp://x"\n' });
    expect((await run(['--bogus'])).code).toBe(2);
  });

  it('names an unreachable cloud, and never overwrites an enrolled config without --force (exit 1)', async () => {
    // A port nobody listens on: bound, then closed.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const unreachable = await run(['--cloud', `http://127.0.0.1:${port}`, '--out', dir], { STORESENSE_ENROLMENT_CODE: 'AAAA-AAAA-AAAA' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(new RegExp(`^storesense-gateway enroll: cannot reach http://127.0.0.1:${port}: .*ECONNREFUSED.*\\n$`));
    expect(unreachable.stderr).not.toContain('AAAA');
    writeFileSync(join(dir, 'gateway-config.json'), '{}');
    const exists = await run(['--cloud', `http://127.0.0.1:${port}`, '--code', 'AAAA-AAAA-AAAA', '--out', dir]);
    expect(exists.code).toBe(1);
    expect(exists.stderr).toContain('exists; pass --force');
  });
});
