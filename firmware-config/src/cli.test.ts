import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gatewayConfigSchema } from './gateway-config.schema.js';
import { exampleSitePath, siteJsonSchemaPath } from './paths.js';

// These tests exercise the built CLI exactly as users run it; build first (`npx tsc -b`).
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const built = existsSync(cli);
if (!built) console.warn(`skipping CLI tests: ${cli} is missing (run \`npx tsc -b\` first)`);

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'fc-cli-'));
const boutique = exampleSitePath('boutique');
const dept = exampleSitePath('dept-store');

describe.skipIf(!built)('storesense-site CLI', () => {
  it('validate prints a summary for a good site', () => {
    const r = run('validate', dept);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('OK ');
    expect(r.stdout).toContain('3 floor(s), 1 store(s), 20 zone(s), 1 area(s), 20 receiver(s), 3 terminal(s), 1 gateway(s): gw-dept-1');
  });

  it('validate lists every error with its path and exits 1', () => {
    const json = JSON.parse(readFileSync(boutique, 'utf8'));
    json.stores[0].zones[3].floor = 7;
    json.gateways[0].terminals.push('pos-9');
    const file = join(dir, 'broken.site.json');
    writeFileSync(file, JSON.stringify(json));
    const r = run('validate', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('3 error(s)');
    expect(r.stderr).toContain('  stores[0].zones[3].floor: floor 7 is not declared in floors\n');
    expect(r.stderr).toContain('  receivers[3].zoneId: zone "handbags" is on floor 7, not 0\n');
    expect(r.stderr).toContain('  gateways[0].terminals[1]: unknown terminal "pos-9"\n');
  });

  it('validate reports malformed JSON and missing files with exit 1', () => {
    const file = join(dir, 'malformed.site.json');
    writeFileSync(file, '{ "version": 1,, }');
    const bad = run('validate', file);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/malformed JSON: .*line 1, column/);
    const missing = run('validate', join(dir, 'missing.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ENOENT');
  });

  it('validate prints warnings but passes, and fails on them with --strict', () => {
    const json = JSON.parse(readFileSync(boutique, 'utf8'));
    json.stores[0].zones[0].dwelThresholdMs = 1000;
    const file = join(dir, 'typo.site.json');
    writeFileSync(file, JSON.stringify(json));
    const lax = run('validate', file);
    expect(lax.code).toBe(0);
    expect(lax.stdout).toContain('OK ');
    expect(lax.stderr).toContain('1 warning(s)\n  warning: stores[0].zones[0].dwelThresholdMs: unknown key (ignored)\n');
    const strict = run('validate', file, '--strict');
    expect(strict.code).toBe(1);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toContain('warnings are errors with --strict');
    expect(run('validate', boutique, '--strict').code).toBe(0);
  });

  it('render prints a valid gateway config', () => {
    const r = run('render', dept, '--gateway', 'gw-dept-1', '--mqtt-url', 'mqtt://cloud:1883', '--data-dir', '/data/gateway');
    expect(r.code).toBe(0);
    const config = gatewayConfigSchema.parse(JSON.parse(r.stdout));
    expect(config.gatewayId).toBe('gw-dept-1');
    expect(config.mqtt.url).toBe('mqtt://cloud:1883');
    expect(config.mqtt.username).toBe('mall-sh-01.gw-dept-1');
    expect(config.dataDir).toBe('/data/gateway');
  });

  it('render --out writes a file', () => {
    const out = join(dir, 'gateway.json');
    const r = run('render', boutique, '--gateway', 'gw-boutique-1', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(gatewayConfigSchema.parse(JSON.parse(readFileSync(out, 'utf8'))).receivers).toHaveLength(5);
  });

  it('render with an unknown gateway exits 1 and names the known ones', () => {
    const r = run('render', boutique, '--gateway', 'gw-x');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown gateway "gw-x" in site "mall-bj-01" (known: gw-boutique-1)');
  });

  it('render --esp32 prints each ESPresense node in json, env or mqtt form', () => {
    const shop = exampleSitePath('espresense-shop');
    const json = run('render', shop, '--esp32', '--mqtt-url', 'mqtt://10.0.0.2', '--receiver', 'esp-till');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { nodes: { room: string; mqtt: { host: string } }[] };
    expect(parsed.nodes.map((n) => [n.room, n.mqtt.host])).toEqual([['esp_till', '10.0.0.2']]);
    const env = run('render', shop, '--esp32', '--format', 'env');
    expect(env.code).toBe(0);
    expect(env.stdout.match(/^ESPRESENSE_ROOM=/gm)).toHaveLength(4);
    const mqtt = run('render', shop, '--esp32', '--format', 'mqtt', '--receiver', 'esp-door');
    expect(mqtt.stdout).toContain("-t 'espresense/rooms/esp_door/max_distance/set' -m '15.5'");
  });

  it('render --esp32 on a site without ESPresense receivers exits 1 naming the path', () => {
    const r = run('render', boutique, '--esp32', '--receiver', 'rx-entrance');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('  receivers[1].kind: receiver "rx-entrance" is "ble", not "espresense"\n');
  });

  it('schema prints the committed JSON Schema', () => {
    const r = run('schema');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(siteJsonSchemaPath, 'utf8'));
  });

  it('--help exits 0', () => {
    const r = run('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: storesense-site');
  });

  it.each([
    [[], 'missing command'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['validate'], 'validate expects one site file'],
    [['render', 'x.json'], 'render needs --gateway <id>'],
    [['validate', 'x.json', '--bogus'], "Unknown option '--bogus'"],
    [['validate', 'x.json', '--gateway', 'g'], '--gateway is not an option of validate'],
    [['schema', 'extra'], 'schema expects no arguments'],
    [['render', 'x.json', '--gateway', 'g', '--strict'], '--strict is not an option of render'],
    [['render', 'x.json', '--esp32', '--format', 'yaml'], '--format must be json, env or mqtt'],
    [['render', 'x.json', '--gateway', 'g', '--receiver', 'r'], '--receiver is not an option of render'],
    [['validate', 'x.json', '--esp32'], '--esp32 is not an option of validate'],
  ])('bad usage %j exits 2', (args, message) => {
    const r = run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('Usage: storesense-site');
  });
});
