import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { TOPIC_ROOT, topics } from '@storesense/protocol';
import { gatewayUsername } from './credentials.js';

/**
 * Mosquitto 2's dynamic-security plugin (decision 110): the accounts, roles and ACLs an external
 * broker needs, as plain data. `broker-config` writes them into the plugin's JSON file; the cloud's
 * admin link (`dynsec.admin.ts`) sends the same shapes as commands on the control topic, so a
 * gateway enrolled or revoked while the broker runs takes effect without a restart.
 */
export const DYNSEC_CONTROL_TOPIC = '$CONTROL/dynamic-security/v1';
export const DYNSEC_RESPONSE_TOPIC = `${DYNSEC_CONTROL_TOPIC}/response`;

export type DynsecAclType = 'publishClientSend' | 'publishClientReceive' | 'subscribePattern' | 'subscribeLiteral' | 'unsubscribePattern';
export interface DynsecAcl {
  acltype: DynsecAclType;
  topic: string;
  allow: boolean;
}

export const ADMIN_ROLE = 'storesense-admin';
export const INGEST_ROLE = 'storesense-ingest';

/** One role per gateway: its ACLs name its own prefix, which a `%u` pattern cannot (username `site.gw`, topic `site/gw`). */
export function gatewayRole(siteId: string, gatewayId: string): string {
  return `gateway.${gatewayUsername(siteId, gatewayId)}`;
}

/**
 * What a gateway may do, mirroring `canPublish` / `canSubscribe` (acl.ts, architecture §4): publish
 * only the up-direction topics under its own prefix, subscribe and receive only inside it.
 */
export function gatewayAcls(siteId: string, gatewayId: string): DynsecAcl[] {
  const p = topics.prefix(siteId, gatewayId);
  const send = [`${p}/event/+`, `${p}/state/conn`, `${p}/state/health`, `${p}/occupancy`, `${p}/gap`, `${p}/response/+`, `${p}/obs`];
  return [
    ...send.map((topic) => ({ acltype: 'publishClientSend' as const, topic, allow: true })),
    { acltype: 'subscribePattern', topic: `${p}/#`, allow: true },
    { acltype: 'unsubscribePattern', topic: `${p}/#`, allow: true },
    { acltype: 'publishClientReceive', topic: `${p}/#`, allow: true },
  ];
}

/**
 * The cloud's ingest account: reads every gateway's topics, plainly or through `$share/<group>/…`
 * (Mosquitto 2.0 checks a shared filter with its share prefix, so both are granted), and writes
 * only the down-direction ones (acks, config, member keys, commands).
 */
export function ingestAcls(): DynsecAcl[] {
  const all = `${TOPIC_ROOT}/+/+`;
  const send = [`${all}/ack`, `${all}/config`, `${all}/members/keys`, `${all}/command/+`];
  return [
    ...send.map((topic) => ({ acltype: 'publishClientSend' as const, topic, allow: true })),
    { acltype: 'subscribePattern', topic: `${TOPIC_ROOT}/#`, allow: true },
    { acltype: 'subscribePattern', topic: `$share/+/${TOPIC_ROOT}/#`, allow: true },
    { acltype: 'unsubscribePattern', topic: `${TOPIC_ROOT}/#`, allow: true },
    { acltype: 'unsubscribePattern', topic: `$share/+/${TOPIC_ROOT}/#`, allow: true },
    { acltype: 'publishClientReceive', topic: `${TOPIC_ROOT}/#`, allow: true },
  ];
}

/** The admin account: the plugin's control topic and `$SYS` only, no gateway traffic. */
export function adminAcls(): DynsecAcl[] {
  const control = '$CONTROL/dynamic-security/#';
  return [
    { acltype: 'publishClientSend', topic: control, allow: true },
    { acltype: 'publishClientReceive', topic: control, allow: true },
    { acltype: 'subscribePattern', topic: control, allow: true },
    { acltype: 'publishClientReceive', topic: '$SYS/#', allow: true },
    { acltype: 'subscribePattern', topic: '$SYS/#', allow: true },
    { acltype: 'unsubscribePattern', topic: '#', allow: true },
  ];
}

/** The plugin's password format: PBKDF2-HMAC-SHA512 of the password with a 12-byte salt (base64), as `mosquitto_ctrl` writes it. */
export function hashDynsecPassword(password: string, iterations = 101): { password: string; salt: string; iterations: number } {
  const salt = randomBytes(12);
  return { password: pbkdf2Sync(password, salt, iterations, 64, 'sha512').toString('base64'), salt: salt.toString('base64'), iterations };
}

export interface BrokerAccount {
  username: string;
  password: string;
}

export interface GatewayAccount extends BrokerAccount {
  siteId: string;
  gatewayId: string;
}

interface DynsecFileClient {
  username: string;
  textname?: string;
  clientid?: string;
  password: string;
  salt: string;
  iterations: number;
  roles: { rolename: string }[];
}

export interface DynsecFile {
  defaultACLAccess: { publishClientSend: boolean; publishClientReceive: boolean; subscribe: boolean; unsubscribe: boolean };
  clients: DynsecFileClient[];
  groups: never[];
  roles: { rolename: string; acls: DynsecAcl[] }[];
}

/**
 * The plugin's initial JSON file: everything denied by default, then the admin, the cloud's ingest
 * account and one client + role per gateway. A gateway's client id must equal its username, as on
 * the embedded broker (one session per gateway; a second connection cannot shadow it).
 */
export function renderDynsecFile(input: { admin: BrokerAccount; ingest: BrokerAccount; gateways: readonly GatewayAccount[] }): DynsecFile {
  const client = (a: BrokerAccount, rolename: string, textname: string, clientid?: string): DynsecFileClient => ({
    username: a.username,
    textname,
    ...(clientid !== undefined ? { clientid } : {}),
    ...hashDynsecPassword(a.password),
    roles: [{ rolename }],
  });
  return {
    defaultACLAccess: { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: false },
    clients: [
      client(input.admin, ADMIN_ROLE, 'storesense broker admin'),
      client(input.ingest, INGEST_ROLE, 'storesense cloud ingest'),
      ...input.gateways.map((g) => client(g, gatewayRole(g.siteId, g.gatewayId), `gateway ${g.siteId}/${g.gatewayId}`, g.username)),
    ],
    groups: [],
    roles: [
      { rolename: ADMIN_ROLE, acls: adminAcls() },
      { rolename: INGEST_ROLE, acls: ingestAcls() },
      ...input.gateways.map((g) => ({ rolename: gatewayRole(g.siteId, g.gatewayId), acls: gatewayAcls(g.siteId, g.gatewayId) })),
    ],
  };
}

export interface MosquittoConfInput {
  /** Listener port and bind address. */
  port: number;
  host: string;
  pluginPath: string;
  dynsecFile: string;
  /** Message store directory (with a trailing slash); persistence off when absent. */
  persistenceDir?: string;
  /**
   * The account mosquitto runs as when started by root (it drops to `mosquitto` by default, which
   * must then own the dynamic-security file: the plugin rewrites it on every change).
   */
  user?: string;
}

/**
 * mosquitto.conf for the scale path: no anonymous access, the dynamic-security plugin, queues sized
 * for the ingest clients (a shared subscription buffers every gateway's events for few clients).
 */
export function renderMosquittoConf(c: MosquittoConfInput): string {
  return [
    '# Written by storesense-cloud broker-config (decision 110). Accounts, roles and ACLs live in the',
    '# dynamic-security file below; the cloud changes them live on the $CONTROL/dynamic-security/v1 topic.',
    ...(c.user ? [`user ${c.user}`] : []),
    'per_listener_settings false',
    'allow_anonymous false',
    `listener ${c.port} ${c.host}`,
    `plugin ${c.pluginPath}`,
    `plugin_opt_config_file ${c.dynsecFile}`,
    'set_tcp_nodelay true',
    // Per-client queue while the client is slow or offline (default 1000): ingest clients take
    // every gateway's events; a gateway resends what the broker dropped (its outbox requeues).
    'max_queued_messages 100000',
    'max_inflight_messages 100',
    c.persistenceDir ? `persistence true\npersistence_location ${c.persistenceDir}` : 'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    '',
  ].join('\n');
}

/** Where Debian, Ubuntu, Alpine and the official image install the plugin. */
export const DYNSEC_PLUGIN_PATHS = [
  '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so',
  '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so',
  '/usr/lib/mosquitto_dynamic_security.so',
  '/usr/local/lib/mosquitto_dynamic_security.so',
];

/** A random broker password (144 bits, URL-safe so it fits in a broker URL unescaped). */
export function randomBrokerPassword(): string {
  return randomBytes(18).toString('base64url');
}

export interface DynsecCommand {
  command: string;
  [key: string]: unknown;
}

/**
 * Commands that create a gateway's role and client, or (when the client exists) reset its password;
 * `addRole` gives an existing client its role (Mosquitto 2.0 answers an error if it has it already).
 */
export function enrolGatewayCommands(g: GatewayAccount): { create: DynsecCommand[]; update: DynsecCommand[]; addRole: DynsecCommand } {
  const rolename = gatewayRole(g.siteId, g.gatewayId);
  return {
    create: [
      { command: 'createRole', rolename, acls: gatewayAcls(g.siteId, g.gatewayId) },
      { command: 'createClient', username: g.username, password: g.password, clientid: g.username, roles: [{ rolename }] },
    ],
    update: [
      { command: 'setClientPassword', username: g.username, password: g.password },
      { command: 'getClient', username: g.username },
    ],
    addRole: { command: 'addClientRole', username: g.username, rolename },
  };
}

/** Commands that remove a gateway's client (the plugin disconnects its session) and role. */
export function revokeGatewayCommands(g: { siteId: string; gatewayId: string; username: string }): DynsecCommand[] {
  return [
    { command: 'deleteClient', username: g.username },
    { command: 'deleteRole', rolename: gatewayRole(g.siteId, g.gatewayId) },
  ];
}
