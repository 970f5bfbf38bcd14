import { isAbsolute, normalize } from 'node:path';

export interface SystemdUnitInput {
  /** Absolute path of the node binary. */
  nodePath: string;
  /** Absolute path of the gateway CLI (gateway/dist/cli.js). */
  cliPath: string;
  /** The install's root (the repository checkout or unpacked release): the working directory. */
  workingDirectory: string;
  /** Absolute path of the gateway config file. */
  configPath: string;
  /** The account the gateway runs as (never root: decision 143). */
  user: string;
  /** The config's dataDir (absolute): outbox, journeys, site pepper. */
  dataDir: string;
  /** Extra directories the gateway writes (record.dir). */
  writablePaths?: readonly string[];
  /** Optional environment file (MQTT password, site pepper); `-` prefix: missing is fine. */
  environmentFile: string;
  /** The host's systemd version: RestartSteps/RestartMaxDelaySec (exponential backoff) need 254. */
  systemdVersion: number;
  siteId: string;
  gatewayId: string;
}

/** /var/lib/<StateDirectory>: systemd creates it owned by the service user. */
export const STATE_ROOT = '/var/lib/storesense';

/**
 * The gateway's systemd unit (decision 143): restarts on failure with backoff, logs to journald,
 * runs as an unprivileged user with only the capabilities BLE scanning and WiFi capture need,
 * and the filesystem read-only but for its state (and record) directories. Pure: values in, text out.
 * @example renderSystemdUnit({ nodePath: '/usr/bin/node', cliPath: '/opt/storesense/gateway/dist/cli.js', ... })
 */
export function renderSystemdUnit(u: SystemdUnitInput): string {
  for (const [name, p] of [
    ['node', u.nodePath],
    ['cli', u.cliPath],
    ['working directory', u.workingDirectory],
    ['config', u.configPath],
    ['dataDir', u.dataDir],
    ...(u.writablePaths ?? []).map((p) => ['record.dir', p] as const),
  ] as const) {
    if (!isAbsolute(p)) throw new Error(`${name} path must be absolute for a service, got "${p}"`);
    if (/[\s"'\\%$]/.test(p)) throw new Error(`${name} path "${p}" has a space, quote, backslash, % or $: systemd would split or expand it; use a plain path`);
  }
  // dataDir under /var/lib/storesense is the StateDirectory systemd creates and owns for the user;
  // anywhere else must already exist and be writable by the user (ReadWritePaths).
  const dataDir = normalize(u.dataDir);
  const state = dataDir === STATE_ROOT || dataDir.startsWith(`${STATE_ROOT}/`) ? dataDir.slice('/var/lib/'.length) : undefined;
  const readWrite = [...(state === undefined ? [dataDir] : []), ...(u.writablePaths ?? []).map((p) => normalize(p))];
  const backoff =
    u.systemdVersion >= 254
      ? ['RestartSec=2s', 'RestartSteps=8', 'RestartMaxDelaySec=5min']
      : [`# systemd ${u.systemdVersion} has no RestartSteps (254+): a fixed delay, retried for ever`, 'RestartSec=10s'];
  const lines = [
    '# Written by `storesense-gateway install-service` (docs/install.md). Re-run it after moving',
    '# the install or the config; local changes belong in `systemctl edit storesense-gateway`.',
    '[Unit]',
    `Description=storesense gateway ${u.siteId}/${u.gatewayId}`,
    'Documentation=file://' + `${u.workingDirectory}/docs/install.md`,
    'After=network-online.target bluetooth.target',
    'Wants=network-online.target',
    // Never give up restarting a store's only gateway: no start rate limit.
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    `User=${u.user}`,
    `Group=${u.user}`,
    `WorkingDirectory=${u.workingDirectory}`,
    `ExecStart=${u.nodePath} ${u.cliPath} --config ${u.configPath}`,
    `EnvironmentFile=-${u.environmentFile}`,
    'Environment=NODE_ENV=production',
    // The gateway stops within 10 s of SIGTERM (flushes its outbox, publishes offline).
    'KillSignal=SIGTERM',
    'TimeoutStopSec=20s',
    'Restart=on-failure',
    ...backoff,
    // journald: one JSON line per log record (pino), `journalctl -u storesense-gateway -o cat`.
    'StandardOutput=journal',
    'StandardError=journal',
    'SyslogIdentifier=storesense-gateway',
    ...(state !== undefined ? [`StateDirectory=${state}`, 'StateDirectoryMode=0700'] : []),
    ...(readWrite.length > 0 ? [`ReadWritePaths=${readWrite.join(' ')}`] : []),
    // BLE scanning opens raw HCI sockets and WiFi capture raw packet sockets: these two
    // capabilities instead of root, passed on to tcpdump/tshark/hcitool children (ambient).
    'AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN',
    'CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET AF_BLUETOOTH',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'SystemCallArchitectures=native',
    // Not MemoryDenyWriteExecute: V8's JIT needs writable-executable memory.
    'UMask=0077',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}
