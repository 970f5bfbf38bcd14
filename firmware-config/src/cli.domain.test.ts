import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exampleSitePath } from './paths.js';
import { parseTrainingDomain } from './site.domain.check.js';

// The built CLI exactly as users run it (`npx tsc -b` first), for `lint` and `domain`.
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const built = existsSync(cli);
if (!built) console.warn(`skipping CLI domain tests: ${cli} is missing (run \`npx tsc -b\` first)`);

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'fc-domain-'));
const domainFile = join(dir, 'trained.domain.json');

/** The boutique shrunk to an open 5 × 4 m kiosk with a storefront and an entrance receiver, no inside one. */
function writeKiosk(): string {
  const json = JSON.parse(readFileSync(exampleSitePath('boutique'), 'utf8'));
  const store = json.stores[0];
  store.shape = { rect: { x: 0, y: 0, w: 5, h: 4 } };
  store.entrances = [{ id: 'front', floor: 0, at: { x: 2.5, y: 0 } }];
  store.zones = [];
  json.receivers = [
    { id: 'rx-front', role: 'storefront', floor: 0, position: { x: 2.5, y: -1 }, storeId: store.id },
    { id: 'rx-back', role: 'entrance', floor: 0, position: { x: 2.5, y: 3.5 }, storeId: store.id },
  ];
  json.terminals = [];
  json.gateways = [{ id: 'gw-kiosk', storeId: store.id, receivers: ['rx-front', 'rx-back'] }];
  const file = join(dir, 'kiosk.site.json');
  writeFileSync(file, JSON.stringify(json));
  return file;
}

describe.skipIf(!built)('storesense-site domain and lint', () => {
  it('domain merges every gateway of the given sites', () => {
    const r = run('domain', exampleSitePath('boutique'), exampleSitePath('dept-store'), '--family', 'example', '--out', domainFile);
    expect(r.code).toBe(0);
    const d = parseTrainingDomain(readFileSync(domainFile, 'utf8'));
    expect(d.siteCount).toBe(2);
    expect(d.families).toEqual(['example']);
    expect(d.rolesAlwaysPresent).toContain('inside');
  });

  it('lint says a held-out site of the same kind is inside the domain', () => {
    const r = run('lint', exampleSitePath('sports-store'), '--model-domain', domainFile);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('gateway gw-sports-1: 2 floor(s), 660 m² footprint');
    expect(r.stdout).toContain(`inside the training domain of ${domainFile}`);
  });

  it('lint names what puts the kiosk outside, and --strict fails on it', () => {
    const kiosk = writeKiosk();
    const r = run('lint', kiosk, '--model-domain', domainFile);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('OUTSIDE the training domain');
    expect(r.stdout).toContain('no receiver with role "inside": every training site had one');
    expect(r.stdout).toContain('store footprint 20 m² is outside the training range 120 to 1536 m²');
    const strict = run('lint', kiosk, '--model-domain', domainFile, '--strict');
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/LINT FAILED .* domain finding\(s\) with --strict/);
    const json = JSON.parse(run('lint', kiosk, '--model-domain', domainFile, '--json').stdout);
    expect(json.gateways[0].gatewayId).toBe('gw-kiosk');
    expect(json.gateways[0].findings.map((f: { field: string }) => f.field)).toContain('roles');
  });

  it('lint without a domain describes the site and says the domain was not checked', () => {
    const r = run('lint', exampleSitePath('boutique'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('training domain not checked');
  });

  it.each([
    [
      'a missing domain file',
      ['lint', exampleSitePath('boutique'), '--model-domain', join(dir, 'none.json')],
      1,
      /cannot read --model-domain .*none\.json: ENOENT/,
    ],
    [
      'an invalid domain file',
      ['lint', exampleSitePath('boutique'), '--model-domain', exampleSitePath('boutique')],
      1,
      /--model-domain .* is invalid: siteCount/,
    ],
    ['domain without sites', ['domain'], 2, /domain expects one or more site files/],
    ['lint with --gateway', ['lint', exampleSitePath('boutique'), '--gateway', 'x'], 2, /--gateway is not an option of lint/],
  ])('%s is a one-line error', (_, args, code, message) => {
    const r = run(...args);
    expect(r.code).toBe(code);
    expect(r.stderr.split('\n')[0]).toMatch(message);
    expect(r.stderr).not.toContain('    at ');
  });
});
