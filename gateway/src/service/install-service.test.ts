import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { boutiqueConfig } from '../testing/fixtures.js';
import { runInstallService, UNIT_NAME } from './install-service.cli.js';

const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), systemdVersion: () => 252 } };
}

/** `Key=value` lines of one section. */
function section(unit: string, name: string): Map<string, string[]> {
  const body = unit.split(/^\[/m).find((s) => s.startsWith(`${name}]`)) ?? '';
  const keys = new Map<string, string[]>();
  for (const line of body.split('\n').slice(1)) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) keys.set(m[1]!, [...(keys.get(m[1]!) ?? []), m[2]!]);
  }
  return keys;
}

describe('storesense-gateway install-service (systemd unit)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'install-service-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const writeConfig = (over: Parameters<typeof boutiqueConfig>[0] = {}) => {
    const path = join(dir, 'gateway.json');
    writeFileSync(path, JSON.stringify(boutiqueConfig({ dataDir: '/var/lib/storesense/gateway', ...over })));
    return path;
  };

  it('writes a unit with restart, journald, capabilities instead of root and hardening', async () => {
    const config = writeConfig();
    const t = io();
    expect(await runInstallService(['--config', config, '--out', join(dir, 'units'), '--user', 'gw'], t.io)).toBe(0);
    const path = join(dir, 'units', UNIT_NAME);
    expect(t.out.join('')).toContain(`wrote ${path}`);
    expect(t.out.join('')).toContain('systemctl enable --now storesense-gateway');
    expect(statSync(path).mode & 0o777).toBe(0o644);
    const unit = readFileSync(path, 'utf8');
    const s = section(unit, 'Service');
    const one = (k: string) => s.get(k)?.join(' ');
    expect(one('User')).toBe('gw');
    expect(one('ExecStart')).toBe(`${process.execPath} ${resolve(import.meta.dirname, '..', '..', 'dist', 'cli.js')} --config ${config}`);
    expect(one('WorkingDirectory')).toBe(resolve(import.meta.dirname, '..', '..', '..'));
    expect(one('Restart')).toBe('on-failure');
    expect(one('RestartSec')).toBe('10s'); // systemd 252: no RestartSteps
    expect(s.has('RestartSteps')).toBe(false);
    expect(section(unit, 'Unit').get('StartLimitIntervalSec')).toEqual(['0']);
    expect(one('StandardOutput')).toBe('journal');
    expect(one('AmbientCapabilities')).toBe('CAP_NET_RAW CAP_NET_ADMIN');
    expect(one('CapabilityBoundingSet')).toBe('CAP_NET_RAW CAP_NET_ADMIN');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('StateDirectory')).toBe('storesense/gateway');
    expect(s.has('ReadWritePaths')).toBe(false); // the state directory is writable by itself
    expect(s.has('MemoryDenyWriteExecute')).toBe(false); // V8's JIT
    expect(one('EnvironmentFile')).toBe('-/etc/storesense/gateway.env');
    expect(section(unit, 'Install').get('WantedBy')).toEqual(['multi-user.target']);
  });

  it.skipIf(!hasSystemdAnalyze)('passes systemd-analyze verify without a warning and scores as exposure "OK" (< 5.0)', async () => {
    const config = writeConfig({ record: { dir: join(dir, 'traces') } });
    expect(await runInstallService(['--config', config, '--out', dir], io().io)).toBe(0);
    const unit = join(dir, UNIT_NAME);
    expect(readFileSync(unit, 'utf8')).toContain(`ReadWritePaths=${join(dir, 'traces')}`);
    const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect(verify.status).toBe(0);
    expect(verify.stderr).toBe('');
    const security = spawnSync('systemd-analyze', ['security', '--offline=yes', '--threshold=50', unit], { encoding: 'utf8' });
    expect(security.stdout).toMatch(/Overall exposure level for storesense-gateway\.service: [0-4]\.\d/);
    expect(security.status).toBe(0);
  });

  it('uses exponential backoff on systemd 254 and later', async () => {
    const config = writeConfig();
    expect(await runInstallService(['--config', config, '--out', dir, '--systemd-version', '255'], io().io)).toBe(0);
    const s = section(readFileSync(join(dir, UNIT_NAME), 'utf8'), 'Service');
    expect([s.get('RestartSec'), s.get('RestartSteps'), s.get('RestartMaxDelaySec')]).toEqual([['2s'], ['8'], ['5min']]);
  });

  it('a dataDir outside /var/lib/storesense is made writable explicitly', async () => {
    const config = writeConfig({ dataDir: '/srv/storesense' });
    expect(await runInstallService(['--config', config, '--out', dir], io().io)).toBe(0);
    const s = section(readFileSync(join(dir, UNIT_NAME), 'utf8'), 'Service');
    expect(s.get('ReadWritePaths')).toEqual(['/srv/storesense']);
    expect(s.has('StateDirectory')).toBe(false);
  });

  it('refuses root, a missing config, a relative dataDir and a bad flag in one line (exit 2), an invalid config (exit 1)', async () => {
    const config = writeConfig();
    const cases: Array<[string[], number, RegExp]> = [
      [['--config', config, '--out', dir, '--user', 'root'], 2, /--user root: the gateway runs unprivileged/],
      [['--config', join(dir, 'nope.json'), '--out', dir], 2, /config .*nope\.json does not exist/],
      [['--config', config, '--out', dir, '--systemd-version', 'new'], 2, /--systemd-version expects/],
      [['--frobnicate'], 2, /Unknown option '--frobnicate'/],
    ];
    for (const [args, code, re] of cases) {
      const t = io();
      expect(await runInstallService(args, t.io), args.join(' ')).toBe(code);
      expect(t.err.join('').split('\n')[0]).toMatch(re);
      expect(t.err.join('')).not.toMatch(/\n\s+at /); // no stack trace
    }
    const relative = writeConfig({ dataDir: './data/gateway' });
    const t = io();
    expect(await runInstallService(['--config', relative, '--out', dir], t.io)).toBe(2);
    expect(t.err.join('')).toMatch(/^install-service: dataDir path must be absolute for a service, got "\.\/data\/gateway"/);
    writeFileSync(join(dir, 'bad.json'), '{"version":1}');
    const bad = io();
    expect(await runInstallService(['--config', join(dir, 'bad.json'), '--out', dir], bad.io)).toBe(1);
    expect(bad.err.join('')).toContain('invalid gateway config');
    expect(existsSync(join(dir, UNIT_NAME))).toBe(false);
  });
});
