import type pg from 'pg';
import type { GatewayConfigResult, GatewayRegistration, PublishedGatewayConfig, StoredModel } from './cloud-store.js';
import { one, rows, run, transaction } from './pg-sql.js';
import { FLEET_SQL, toModel, toRegistration } from './store.fleet.sql.js';

/** The fleet table of the PostgreSQL store (migration 3). */
export class PgFleetTables {
  constructor(private readonly pool: pg.Pool) {}

  async register(siteId: string, gatewayId: string, at: number): Promise<void> {
    await run(this.pool, FLEET_SQL.register, { siteId, gatewayId, at });
  }

  async setCode(siteId: string, gatewayId: string, codeHash: string, expiresAt: number): Promise<boolean> {
    return ((await run(this.pool, FLEET_SQL.setCode, { siteId, gatewayId, codeHash, expiresAt })).rowCount ?? 0) === 1;
  }

  async consumeCode(codeHash: string, now: number): Promise<{ siteId: string; gatewayId: string } | undefined> {
    const r = await one(this.pool, FLEET_SQL.consumeCode, { codeHash, now });
    return r ? { siteId: r.site_id as string, gatewayId: r.gateway_id as string } : undefined;
  }

  async get(siteId: string, gatewayId: string): Promise<GatewayRegistration | undefined> {
    const r = await one(this.pool, FLEET_SQL.get, { siteId, gatewayId });
    return r ? toRegistration(r) : undefined;
  }

  async list(siteId?: string): Promise<GatewayRegistration[]> {
    const r = await rows(this.pool, 'SELECT * FROM gateway_fleet WHERE (@siteId::text IS NULL OR site_id = @siteId) ORDER BY site_id, gateway_id', {
      siteId: siteId ?? null,
    });
    return r.map(toRegistration);
  }

  async setConfig(siteId: string, gatewayId: string, c: PublishedGatewayConfig): Promise<void> {
    await run(this.pool, FLEET_SQL.setConfig, { siteId, gatewayId, ...c, body: JSON.stringify(c.body), overrides: JSON.stringify(c.overrides) });
  }

  async setResult(siteId: string, gatewayId: string, r: GatewayConfigResult): Promise<void> {
    await run(this.pool, FLEET_SQL.setResult, { siteId, gatewayId, ...r, reasons: JSON.stringify(r.reasons) });
  }

  async putModel(m: StoredModel & { body: Buffer }): Promise<boolean> {
    const r = await run(this.pool, FLEET_SQL.putModel, { ...m, domain: m.domain === undefined ? null : JSON.stringify(m.domain) });
    return (r.rowCount ?? 0) === 1;
  }

  async getModel(version: string): Promise<(StoredModel & { body: Buffer }) | undefined> {
    const r = await one(this.pool, FLEET_SQL.getModel, { version });
    return r ? { ...toModel(r), body: r.body as Buffer } : undefined;
  }

  async listModels(): Promise<StoredModel[]> {
    return (await rows(this.pool, FLEET_SQL.listModels)).map(toModel);
  }

  async revoke(siteId: string, gatewayId: string, at: number): Promise<boolean> {
    return transaction(this.pool, async (client) => {
      const changed = ((await run(client, FLEET_SQL.revoke, { siteId, gatewayId, at })).rowCount ?? 0) === 1;
      if (changed) await run(client, FLEET_SQL.deleteCredential, { siteId, gatewayId });
      return changed;
    });
  }
}
