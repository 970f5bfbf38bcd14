/**
 * `storesense-gateway install-service`: writes the gateway's systemd unit for a store's mini-PC
 * (docs/install.md, decision 143). It writes one file and prints the commands that finish the
 * install; it never creates users or starts anything itself, so a dry run (`--out /tmp/x`) is safe.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadGatewayConfig } from '../config-file.js';
import { renderSystemdUnit } from './systemd-unit.js';

export const UNIT_NAME = 'storesense-gateway.service';

export const INSTALL_SERVICE_USAGE = `Usage: storesense-gateway install-service [--user U] [--config F] [--out DIR] [--env-file F] [--systemd-version N]

Writes ${UNIT_NAME}: restart on failure with backoff, logs to journald, runs as --user with
CAP_NET_RAW and CAP_NET_ADMIN (BLE scanning, WiFi capture) instead of root, filesystem read-only
but for the config's dataDir (and record.dir). Then prints the commands that finish the install.

  --user U             the account the gateway runs as (default storesense; never root)
  --config F           the gateway config the service runs (default /etc/storesense/gateway.json);
                       validated now; its dataDir must be absolute (best: /var/lib/storesense/gateway)
  --out DIR            where the unit goes (default /etc/systemd/system)
  --env-file F         secrets for the service: STORESENSE_MQTT_PASSWORD, STORESENSE_SITE_PEPPER, ...
                       (default /etc/storesense/gateway.env, mode 0600; optional)
  --systemd-version N  the host's systemd (default: systemctl --version); 254+ gets exponential backoff
  --help               this text`;

export interface InstallServiceIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The host's systemd version, when it has one (tests inject it). */
  systemdVersion?: () => number | undefined;
}

export async function runInstallService(argv: string[], io: InstallServiceIo): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        user: { type: 'string', default: 'storesense' },
        config: { type: 'string', default: '/etc/storesense/gateway.json' },
        out: { type: 'string', default: '/etc/systemd/system' },
        'env-file': { type: 'string', default: '/etc/storesense/gateway.env' },
        'systemd-version': { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (err) {
    io.stderr(`install-service: ${(err as Error).message}\n\n${INSTALL_SERVICE_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(`${INSTALL_SERVICE_USAGE}\n`);
    return 0;
  }
  const usage = (msg: string) => {
    io.stderr(`install-service: ${msg}\n`);
    return 2;
  };
  const user = values.user;
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) return usage(`--user "${user}" is not a valid user name`);
  if (user === 'root')
    return usage('--user root: the gateway runs unprivileged with CAP_NET_RAW and CAP_NET_ADMIN; pick a service account (default storesense)');
  let systemdVersion: number;
  if (values['systemd-version'] !== undefined) {
    systemdVersion = Number(values['systemd-version']);
    if (!Number.isInteger(systemdVersion) || systemdVersion < 200)
      return usage(`--systemd-version expects a systemd version such as 252, got "${values['systemd-version']}"`);
  } else {
    systemdVersion = (io.systemdVersion ?? hostSystemdVersion)() ?? 252;
  }
  const configPath = resolve(values.config);
  if (!existsSync(configPath)) return usage(`config ${configPath} does not exist (write it first: storesense-site render …, docs/install.md)`);
  const loaded = loadGatewayConfig(configPath);
  if (!loaded.ok) {
    io.stderr(`install-service: invalid gateway config ${configPath}:\n${loaded.errors.map((e) => `  ${e}`).join('\n')}\n`);
    return 1;
  }
  const config = loaded.config;
  // This file is gateway/dist/service/… (or src/service/… under the tests): the built CLI is gateway/dist/cli.js.
  const gatewayRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const cliPath = join(gatewayRoot, 'dist', 'cli.js');
  const root = resolve(gatewayRoot, '..');
  let unit: string;
  try {
    unit = renderSystemdUnit({
      nodePath: process.execPath,
      cliPath,
      workingDirectory: root,
      configPath,
      user,
      dataDir: config.dataDir,
      writablePaths: config.record ? [config.record.dir] : [],
      environmentFile: resolve(values['env-file']),
      systemdVersion,
      siteId: config.siteId,
      gatewayId: config.gatewayId,
    });
  } catch (err) {
    return usage(`${(err as Error).message} (in ${configPath} or the install location)`);
  }
  const outDir = resolve(values.out);
  const unitPath = join(outDir, UNIT_NAME);
  try {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(unitPath, unit, { mode: 0o644 });
  } catch (err) {
    io.stderr(
      `install-service: cannot write ${unitPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}${outDir.startsWith('/etc/') ? ' (run it with sudo)' : ''}\n`,
    );
    return 1;
  }
  io.stdout(
    [
      `wrote ${unitPath} (gateway ${config.siteId}/${config.gatewayId}, user ${user}, data ${config.dataDir})`,
      'finish the install with:',
      `  sudo useradd --system --no-create-home --shell /usr/sbin/nologin ${user}   # once`,
      `  sudo install -m 0600 -o root -g root /dev/null ${resolve(values['env-file'])}   # then add STORESENSE_MQTT_PASSWORD=…`,
      '  sudo systemctl daemon-reload',
      '  sudo systemctl enable --now storesense-gateway',
      '  journalctl -u storesense-gateway -f -o cat',
      '',
    ].join('\n'),
  );
  return 0;
}

/** `systemctl --version` → 252; undefined without systemd. */
function hostSystemdVersion(): number | undefined {
  const r = spawnSync('systemctl', ['--version'], { encoding: 'utf8' });
  const m = r.status === 0 ? /^systemd (\d+)/.exec(r.stdout) : null;
  return m ? Number(m[1]) : undefined;
}
