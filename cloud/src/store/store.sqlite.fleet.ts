import type Database from 'better-sqlite3';
import type { GatewayConfigResult, GatewayRegistration, PublishedGatewayConfig, StoredModel } from './cloud-store.js';
import { FLEET_SQL, toModel, toRegistration } from './store.fleet.sql.js';

/** The fleet table of the SQLite store (migration 10). */
export class SqliteFleetTables {
  private readonly stmt;

  constructor(private readonly db: Database.Database) {
    this.stmt = {
      register: db.prepare(FLEET_SQL.register),
      setCode: db.prepare(FLEET_SQL.setCode),
      consumeCode: db.prepare(FLEET_SQL.consumeCode),
      get: db.prepare(FLEET_SQL.get),
      list: db.prepare('SELECT * FROM gateway_fleet WHERE (@siteId IS NULL OR site_id = @siteId) ORDER BY site_id, gateway_id'),
      setConfig: db.prepare(FLEET_SQL.setConfig),
      setResult: db.prepare(FLEET_SQL.setResult),
      revoke: db.prepare(FLEET_SQL.revoke),
      deleteCredential: db.prepare(FLEET_SQL.deleteCredential),
      putModel: db.prepare(FLEET_SQL.putModel),
      getModel: db.prepare(FLEET_SQL.getModel),
      listModels: db.prepare(FLEET_SQL.listModels),
    };
  }

  register(siteId: string, gatewayId: string, at: number): void {
    this.stmt.register.run({ siteId, gatewayId, at });
  }

  setCode(siteId: string, gatewayId: string, codeHash: string, expiresAt: number): boolean {
    return this.stmt.setCode.run({ siteId, gatewayId, codeHash, expiresAt }).changes === 1;
  }

  consumeCode(codeHash: string, now: number): { siteId: string; gatewayId: string } | undefined {
    const r = this.stmt.consumeCode.get({ codeHash, now }) as { site_id: string; gateway_id: string } | undefined;
    return r ? { siteId: r.site_id, gatewayId: r.gateway_id } : undefined;
  }

  get(siteId: string, gatewayId: string): GatewayRegistration | undefined {
    const r = this.stmt.get.get({ siteId, gatewayId }) as Record<string, unknown> | undefined;
    return r ? toRegistration(r) : undefined;
  }

  list(siteId?: string): GatewayRegistration[] {
    return (this.stmt.list.all({ siteId: siteId ?? null }) as Record<string, unknown>[]).map(toRegistration);
  }

  setConfig(siteId: string, gatewayId: string, c: PublishedGatewayConfig): void {
    this.stmt.setConfig.run({ siteId, gatewayId, ...c, body: JSON.stringify(c.body), overrides: JSON.stringify(c.overrides) });
  }

  setResult(siteId: string, gatewayId: string, r: GatewayConfigResult): void {
    this.stmt.setResult.run({ siteId, gatewayId, ...r, reasons: JSON.stringify(r.reasons) });
  }

  putModel(m: StoredModel & { body: Buffer }): boolean {
    return this.stmt.putModel.run({ ...m, domain: m.domain === undefined ? null : JSON.stringify(m.domain) }).changes === 1;
  }

  getModel(version: string): (StoredModel & { body: Buffer }) | undefined {
    const r = this.stmt.getModel.get({ version }) as Record<string, unknown> | undefined;
    return r ? { ...toModel(r), body: r.body as Buffer } : undefined;
  }

  listModels(): StoredModel[] {
    return (this.stmt.listModels.all() as Record<string, unknown>[]).map(toModel);
  }

  revoke(siteId: string, gatewayId: string, at: number): boolean {
    return this.db.transaction(() => {
      const changed = this.stmt.revoke.run({ siteId, gatewayId, at }).changes === 1;
      if (changed) this.stmt.deleteCredential.run({ siteId, gatewayId });
      return changed;
    })();
  }
}
