/**
 * The abuse script (`npm run abuse`) against a real cloud and gateway: every attack of the
 * hardening issue is held and the cloud's RSS stays under 300 MB. Runs the script itself, so the
 * script cannot rot.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run abuse', () => {
  it('holds every attack, with the cloud under 300 MB RSS', () => {
    const r = spawnSync(process.execPath, ['scripts/abuse.js', '--json'], { cwd: root, encoding: 'utf8', timeout: 170_000 });
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const report = JSON.parse(r.stdout) as { held: boolean; results: { attack: string; held: boolean; detail: string }[] };
    expect(report.results.filter((x) => !x.held)).toEqual([]);
    expect(report.results.length).toBeGreaterThanOrEqual(13);
  }, 180_000);
});
