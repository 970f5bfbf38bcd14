import type { GatewayConfigResult, GatewayRegistration, PublishedGatewayConfig, StoredModel } from './cloud-store.js';

/**
 * The `gateway_fleet` table (SQLite migration 10, PostgreSQL migration 3, decision 130): the same
 * statements on both backends (`@name` parameters; PostgreSQL JSONB columns take JSON text).
 */
export const FLEET_SQL = {
  register: `INSERT INTO gateway_fleet (site_id, gateway_id, registered_at) VALUES (@siteId, @gatewayId, @at)
    ON CONFLICT (site_id, gateway_id) DO UPDATE SET revoked_at = NULL`,
  // The code column is UNIQUE: a new code replaces the pending one of the same gateway.
  setCode: `UPDATE gateway_fleet SET code_hash = @codeHash, code_expires_at = @expiresAt
    WHERE site_id = @siteId AND gateway_id = @gatewayId AND revoked_at IS NULL`,
  // One statement: two enrolments racing with one code see one winner.
  consumeCode: `UPDATE gateway_fleet SET code_hash = NULL, code_expires_at = NULL, enrolled_at = @now
    WHERE code_hash = @codeHash AND code_expires_at > @now AND revoked_at IS NULL RETURNING site_id, gateway_id`,
  get: 'SELECT * FROM gateway_fleet WHERE site_id = @siteId AND gateway_id = @gatewayId',
  setConfig: `UPDATE gateway_fleet SET config_version = @version, config_sha256 = @sha256, config_body = @body,
    config_overrides = @overrides, config_published_at = @publishedAt WHERE site_id = @siteId AND gateway_id = @gatewayId`,
  setResult: `UPDATE gateway_fleet SET result_version = @version, result_status = @status, result_reasons = @reasons, result_at = @at
    WHERE site_id = @siteId AND gateway_id = @gatewayId`,
  revoke: `UPDATE gateway_fleet SET revoked_at = @at, code_hash = NULL, code_expires_at = NULL
    WHERE site_id = @siteId AND gateway_id = @gatewayId`,
  deleteCredential: 'DELETE FROM gateways WHERE site_id = @siteId AND gateway_id = @gatewayId',
  putModel: `INSERT INTO models (version, sha256, size, domain, created_at, body) VALUES (@version, @sha256, @size, @domain, @createdAt, @body)
    ON CONFLICT (version) DO NOTHING`,
  getModel: 'SELECT * FROM models WHERE version = @version',
  listModels: 'SELECT version, sha256, size, domain, created_at FROM models ORDER BY created_at DESC, version DESC',
} as const;

export function toModel(r: Record<string, unknown>): StoredModel {
  const domain = json(r.domain) as Record<string, unknown> | null | undefined;
  return { version: r.version as string, sha256: r.sha256 as string, size: Number(r.size), ...(domain ? { domain } : {}), createdAt: Number(r.created_at) };
}

const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);
const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

/** Row to registration on both backends (SQLite JSON text, PostgreSQL parsed JSONB). */
export function toRegistration(r: Record<string, unknown>): GatewayRegistration {
  const config: PublishedGatewayConfig | undefined =
    r.config_version === null || r.config_version === undefined
      ? undefined
      : {
          version: Number(r.config_version),
          sha256: r.config_sha256 as string,
          body: json(r.config_body) as Record<string, unknown>,
          overrides: (json(r.config_overrides) ?? {}) as Record<string, unknown>,
          publishedAt: Number(r.config_published_at),
        };
  const lastResult: GatewayConfigResult | undefined =
    r.result_version === null || r.result_version === undefined
      ? undefined
      : {
          version: Number(r.result_version),
          status: r.result_status as GatewayConfigResult['status'],
          reasons: (json(r.result_reasons) ?? []) as string[],
          at: Number(r.result_at),
        };
  return {
    siteId: r.site_id as string,
    gatewayId: r.gateway_id as string,
    registeredAt: Number(r.registered_at),
    enrolledAt: num(r.enrolled_at),
    revokedAt: num(r.revoked_at),
    codeExpiresAt: num(r.code_expires_at),
    config,
    lastResult,
  };
}
