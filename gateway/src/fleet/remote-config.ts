import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatewayConfigSchema, type GatewayConfig } from '@storesense/firmware-config';
import { formatIssues, remoteConfigSchema, type RemoteConfig } from '@storesense/protocol';

/**
 * Remote configuration on the gateway (decision 131). The cloud's rendered config replaces the
 * running one except the gateway's own deployment settings, which never come over the wire: the
 * MQTT settings (broker, credentials), the data directory and the identity (pepper) settings.
 */
export const LOCAL_KEYS = ['mqtt', 'dataDir', 'identity'] as const;

/** Keys whose change rebuilds the pipeline (journeys carried over through the outbox, as on a restart). */
export const PIPELINE_KEYS = [
  'storeId',
  'floors',
  'stores',
  'areas',
  'receivers',
  'terminals',
  'journey',
  'memberTokens',
  'timezone',
  'openingHours',
  'devices',
  'classifier',
  'calibration',
] as const;

/** Keys that take effect at the next start only (the outbox file and the uplink's connection). */
export const NEXT_START_KEYS = ['outbox', 'uplink'] as const;

export const APPLIED_FILE = 'config.applied.json';

/** The remote config running now (persisted as the last good one). */
export interface AppliedConfig {
  version: number;
  sha256: string;
  appliedAt: number;
  /** The message's config as received (before the local keys are put back). */
  remote: Record<string, unknown>;
}

export type Prepared = { ok: true; config: GatewayConfig } | { ok: false; reasons: string[] };

/** Validates a remote config against the running one: for this gateway, intact, and a valid gateway config once local keys are kept. */
export function prepareRemoteConfig(current: GatewayConfig, msg: RemoteConfig): Prepared {
  const reasons: string[] = [];
  const sha = createHash('sha256').update(JSON.stringify(msg.config)).digest('hex');
  if (sha !== msg.sha256) reasons.push(`sha256: the config does not match its digest (${sha.slice(0, 12)}… vs ${msg.sha256.slice(0, 12)}…)`);
  if (msg.config.siteId !== current.siteId || msg.config.gatewayId !== current.gatewayId) {
    reasons.push(
      `siteId/gatewayId: the config is for ${String(msg.config.siteId)}.${String(msg.config.gatewayId)}, this gateway is ${current.siteId}.${current.gatewayId}`,
    );
  }
  if (reasons.length > 0) return { ok: false, reasons };
  const merged: Record<string, unknown> = { ...msg.config };
  for (const k of LOCAL_KEYS) merged[k] = current[k];
  const parsed = gatewayConfigSchema.safeParse(merged);
  if (!parsed.success) return { ok: false, reasons: formatIssues(parsed.error.issues).slice(0, 50) };
  return { ok: true, config: parsed.data };
}

export interface ConfigDiff {
  pipeline: boolean;
  tick: boolean;
  record: boolean;
  statusApi: boolean;
  nextStart: string[];
  /** Sources kept running (index in the new list -> index in the old list). */
  kept: Map<number, number>;
  /** Old indexes to stop, new indexes to start. */
  stop: number[];
  start: number[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What applying `next` over `prev` restarts: only the sources whose settings changed, the pipeline when the site did. */
export function diffConfig(prev: GatewayConfig, next: GatewayConfig): ConfigDiff {
  const kept = new Map<number, number>();
  const free = prev.sources.map((s, i) => ({ key: JSON.stringify(s), i, used: false }));
  const start: number[] = [];
  next.sources.forEach((s, j) => {
    const key = JSON.stringify(s);
    const match = free.find((f) => !f.used && f.key === key);
    if (match) {
      match.used = true;
      kept.set(j, match.i);
    } else start.push(j);
  });
  return {
    pipeline: PIPELINE_KEYS.some((k) => !same(prev[k], next[k])),
    tick: prev.tickMs !== next.tickMs,
    record: !same(prev.record, next.record),
    statusApi: !same(prev.statusApi, next.statusApi),
    nextStart: NEXT_START_KEYS.filter((k) => !same(prev[k], next[k])),
    kept,
    stop: free.filter((f) => !f.used).map((f) => f.i),
    start,
  };
}

/** Writes the applied config whole then renames it (a crash leaves the previous one). */
export function persistApplied(dataDir: string, applied: AppliedConfig): void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, APPLIED_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(applied)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/**
 * At start: the last good remote config over the file's (the cloud may be unreachable now). A
 * missing, unreadable or no longer valid one is ignored with the reason; the file config runs.
 */
export function withAppliedConfig(fileConfig: GatewayConfig): { config: GatewayConfig; applied?: AppliedConfig; problem?: string } {
  const file = join(fileConfig.dataDir, APPLIED_FILE);
  if (!existsSync(file)) return { config: fileConfig };
  try {
    const applied = JSON.parse(readFileSync(file, 'utf8')) as AppliedConfig;
    const msg = remoteConfigSchema.parse({ v: 1, version: applied.version, sha256: applied.sha256, issuedAt: applied.appliedAt, config: applied.remote });
    const prepared = prepareRemoteConfig(fileConfig, msg);
    if (!prepared.ok) return { config: fileConfig, problem: `${file}: ${prepared.reasons.slice(0, 3).join('; ')}` };
    return { config: prepared.config, applied };
  } catch (err) {
    return { config: fileConfig, problem: `${file}: ${(err as Error).message.slice(0, 300)}` };
  }
}
