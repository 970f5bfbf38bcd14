import { createHash, randomBytes, randomInt } from 'node:crypto';
import { GatewayConfigError, renderGatewayConfig, withDefaultDeployment, type GatewayConfigOverrides, type Site } from '@storesense/firmware-config';
import { codecs, isValidId, topics } from '@storesense/protocol';
import type { BrokerLink } from '../broker/broker-link.js';
import { gatewayUsername, hashPassword } from '../broker/credentials.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CloudStore, GatewayRegistration } from '../store/cloud-store.js';
import type { GatewayAccounts } from '../broker/gateway-accounts.js';

/** Enrolment codes: 12 symbols of a 32-letter alphabet without look-alikes (60 bits), shown as XXXX-XXXX-XXXX. */
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 12;
export const DEFAULT_ENROLMENT_TTL_MS = 15 * 60_000;

export interface FleetOptions {
  store: CloudStore;
  link: BrokerLink;
  sites: ReadonlyMap<string, Site>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** The broker URL gateways are told to use (the cloud's public MQTT address). */
  mqttUrl: string;
  /**
   * The broker's account hook (decision 111): told the new password at enrolment (an external
   * Mosquitto creates the gateway's client) and the revocation (its account goes, its sessions drop).
   */
  accounts: GatewayAccounts;
  /** Publishes the gateway's member keys once it has credentials. */
  publishMemberKeys?: (siteId: string, gatewayId: string) => Promise<unknown>;
  enrolmentTtlMs?: number;
}

/** A refusal the API turns into a status code. */
export class FleetError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 410,
    message: string,
    readonly issues?: string[],
  ) {
    super(message);
    this.name = 'FleetError';
  }
}

export interface Enrolment {
  siteId: string;
  gatewayId: string;
  mqtt: { url: string; username: string; password: string };
  configVersion: number;
  /** The rendered gateway config (as on the retained config topic). */
  config: Record<string, unknown>;
}

/** Keys an operator may override in a gateway's rendered config (the rest comes from its site). */
export const CONFIG_OVERRIDE_KEYS = ['sources', 'tickMs', 'classifier', 'calibration', 'devices', 'outbox', 'uplink', 'statusApi'] as const;

/**
 * The fleet (decisions 130, 131): gateways an operator registers, one-time enrolment codes (only
 * their sha256 stored, short-lived, single use), MQTT credentials made at enrolment (scrypt-hashed),
 * revocation (credential deleted, sessions dropped), and each gateway's rendered config published
 * retained on its `config` topic whenever the rendering changes, with its answers recorded.
 * Codes, passwords and credentials are never logged.
 */
export class FleetService {
  private readonly log: Logger;
  private readonly ttlMs: number;

  constructor(private readonly o: FleetOptions) {
    this.log = o.logger.child({ module: 'fleet' });
    this.ttlMs = o.enrolmentTtlMs ?? DEFAULT_ENROLMENT_TTL_MS;
  }

  /** Registers a gateway of a known site (again, after a revocation) and issues its enrolment code. */
  async register(siteId: string, gatewayId: string): Promise<{ siteId: string; gatewayId: string; code: string; expiresAt: number }> {
    this.siteGateway(siteId, gatewayId);
    await this.o.store.registerGateway(siteId, gatewayId, this.o.clock.now());
    this.log.info({ siteId, gatewayId }, 'gateway registered');
    return { siteId, gatewayId, ...(await this.issueCode(siteId, gatewayId)) };
  }

  /** A new one-time code (replacing a pending one). */
  async issueCode(siteId: string, gatewayId: string): Promise<{ code: string; expiresAt: number }> {
    const code = newEnrolmentCode();
    const expiresAt = this.o.clock.now() + this.ttlMs;
    if (!(await this.o.store.setEnrolmentCode(siteId, gatewayId, hashCode(code), expiresAt))) {
      throw new FleetError(404, `gateway ${siteId}.${gatewayId} is not registered (or revoked: register it again)`);
    }
    this.o.metrics.inc('fleet.codes_issued');
    this.log.info({ siteId, gatewayId, expiresAt }, 'enrolment code issued');
    return { code, expiresAt };
  }

  /**
   * Takes a code: new MQTT credentials for its gateway (the password returned once), its member
   * keys and config published. An unknown, used or expired code is a 404-style refusal that says
   * nothing about which.
   */
  async enroll(code: string): Promise<Enrolment> {
    const taken = await this.o.store.consumeEnrolmentCode(hashCode(normaliseCode(code)), this.o.clock.now());
    if (!taken) {
      this.o.metrics.inc('fleet.enrolments_refused');
      throw new FleetError(410, 'enrolment code unknown, used or expired: ask the operator for a new one');
    }
    const { siteId, gatewayId } = taken;
    const username = gatewayUsername(siteId, gatewayId);
    const password = randomBytes(24).toString('base64url');
    const { passwordHash, salt } = await hashPassword(password);
    await this.o.store.upsertGatewayCredential({ siteId, gatewayId, username, passwordHash, salt, provisionedAt: this.o.clock.now() });
    this.o.metrics.inc('fleet.enrolled');
    this.log.info({ siteId, gatewayId, username }, 'gateway enrolled');
    // The broker hears the password now or never: the store keeps only its hash.
    await this.o.accounts.changed({ siteId, gatewayId, username, password });
    const published = await this.publishConfig(siteId, gatewayId);
    await this.o.publishMemberKeys?.(siteId, gatewayId).catch((err: unknown) => this.log.error({ err, siteId, gatewayId }, 'member keys publish failed'));
    return { siteId, gatewayId, mqtt: { url: publicUrl(this.o.mqttUrl), username, password }, configVersion: published.version, config: published.config };
  }

  /** Revokes: credential deleted, code dropped, retained config cleared, live sessions dropped. */
  async revoke(siteId: string, gatewayId: string): Promise<void> {
    if (!(await this.o.store.revokeGateway(siteId, gatewayId, this.o.clock.now())))
      throw new FleetError(404, `gateway ${siteId}.${gatewayId} is not registered`);
    // An empty retained payload deletes the retained config (MQTT 3.1.1 §3.3.1.3).
    await this.o.link.publish(topics.config(siteId, gatewayId), Buffer.alloc(0), { qos: 1, retain: true }).catch((err: unknown) => {
      this.log.warn({ err, siteId, gatewayId }, 'could not clear the retained config');
    });
    await this.o.accounts.revoked({ siteId, gatewayId, username: gatewayUsername(siteId, gatewayId) });
    this.o.metrics.inc('fleet.revoked');
    this.log.info({ siteId, gatewayId }, 'gateway revoked');
  }

  async get(siteId: string, gatewayId: string): Promise<GatewayRegistration> {
    const r = await this.o.store.getGatewayRegistration(siteId, gatewayId);
    if (!r) throw new FleetError(404, `gateway ${siteId}.${gatewayId} is not registered`);
    return r;
  }

  /**
   * Renders the gateway's config from its site (with the operator's overrides, the stored ones when
   * `overrides` is absent), raises the version when the rendering changed, stores and publishes it
   * retained. An override that does not render is refused with every reason (nothing stored).
   */
  async publishConfig(
    siteId: string,
    gatewayId: string,
    overrides?: Record<string, unknown>,
  ): Promise<{ version: number; sha256: string; changed: boolean; config: Record<string, unknown> }> {
    const reg = await this.get(siteId, gatewayId);
    if (reg.revokedAt !== undefined) throw new FleetError(409, `gateway ${siteId}.${gatewayId} is revoked`);
    const site = this.siteGateway(siteId, gatewayId);
    const ov = overrides ?? reg.config?.overrides ?? {};
    let config: Record<string, unknown>;
    try {
      // The same default deployment as `storesense-site render` (sources the site calls for, the
      // status API), under the operator's overrides.
      const { overrides: rendered } = withDefaultDeployment(site, gatewayId, ov as GatewayConfigOverrides);
      // The gateway's own settings (broker, data directory, pepper) are not the cloud's to send
      // (decision 131): left out, so the version moves only with what the gateway would apply.
      const { mqtt: _mqtt, dataDir: _dataDir, identity: _identity, ...sent } = renderGatewayConfig(site, gatewayId, rendered);
      config = sent as unknown as Record<string, unknown>;
    } catch (err) {
      if (err instanceof GatewayConfigError) throw new FleetError(400, 'the config does not render', err.issues);
      throw err;
    }
    const sha256 = createHash('sha256').update(JSON.stringify(config)).digest('hex');
    const changed = reg.config?.sha256 !== sha256;
    const version = changed ? (reg.config?.version ?? 0) + 1 : reg.config!.version;
    const issuedAt = this.o.clock.now();
    await this.o.store.setGatewayConfig(siteId, gatewayId, { version, sha256, body: config, overrides: ov, publishedAt: issuedAt });
    const payload = codecs.remoteConfig.encode({ v: 1, version, sha256, issuedAt, config });
    await this.o.link.publish(topics.config(siteId, gatewayId), payload, { qos: 1, retain: true });
    if (changed) this.log.info({ siteId, gatewayId, version }, 'gateway config published');
    return { version, sha256, changed, config };
  }

  /**
   * At start: every enrolled, unrevoked gateway's config rendered from the site as loaded now and
   * published (a changed site raises the version; the embedded broker keeps retained messages in
   * memory only, so they are published again in any case).
   */
  async publishAll(): Promise<number> {
    let n = 0;
    for (const r of await this.o.store.listGatewayRegistrations()) {
      if (r.revokedAt !== undefined || r.enrolledAt === undefined) continue;
      try {
        await this.publishConfig(r.siteId, r.gatewayId);
        n += 1;
      } catch (err) {
        this.log.error({ siteId: r.siteId, gatewayId: r.gatewayId, err: (err as Error).message }, 'gateway config not published');
      }
    }
    return n;
  }

  /** A gateway's `response/config`: recorded; a refusal is logged with its reasons. */
  async onConfigResult(siteId: string, gatewayId: string, payload: Buffer): Promise<void> {
    const decoded = codecs.configResult.decode(payload);
    if (!decoded.ok) {
      this.o.metrics.inc('fleet.config_results_invalid');
      this.log.warn({ siteId, gatewayId, issues: decoded.issues.slice(0, 3) }, 'invalid config result ignored');
      return;
    }
    const { version, status, reasons, at } = decoded.value;
    await this.o.store.recordGatewayConfigResult(siteId, gatewayId, { version, status, reasons, at });
    if (status === 'refused') {
      this.o.metrics.inc('fleet.configs_refused');
      this.log.warn({ siteId, gatewayId, version, reasons: reasons.slice(0, 10) }, 'gateway refused its config');
    } else this.log.info({ siteId, gatewayId, version, status }, 'gateway config result');
  }

  private siteGateway(siteId: string, gatewayId: string): Site {
    if (!isValidId(siteId) || !isValidId(gatewayId)) throw new FleetError(400, 'siteId and gatewayId must be ids');
    const site = this.o.sites.get(siteId);
    if (!site) throw new FleetError(404, `unknown site ${siteId} (the cloud knows: ${[...this.o.sites.keys()].join(', ') || 'none'})`);
    if (!site.gateways.some((g) => g.id === gatewayId)) {
      throw new FleetError(404, `site ${siteId} has no gateway ${gatewayId} (its gateways: ${site.gateways.map((g) => g.id).join(', ')})`);
    }
    return site;
  }
}

/** A broker URL without any user or password in it (the cloud's own ingest login never reaches a gateway). */
function publicUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

export function newEnrolmentCode(): string {
  let s = '';
  for (let i = 0; i < CODE_LENGTH; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`;
}

/** Case and dashes do not matter when typing a code. */
export function normaliseCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

function hashCode(code: string): string {
  return createHash('sha256').update(normaliseCode(code)).digest('hex');
}
