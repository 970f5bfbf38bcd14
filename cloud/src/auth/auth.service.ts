import { createHash, randomBytes } from 'node:crypto';
import { formatIssues } from '@storesense/protocol';
import { DECOY_CREDENTIAL, hashPassword, verifyPassword } from '../broker/credentials.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { AuthToken, CloudStore, StaffRole } from '../store/cloud-store.js';
import { grantRefusal, type Principal } from './principal.js';
import { staffFileSchema, type StaffSeedInput } from './staff.seed.js';
import { StoreTicketStore, type TicketStore } from './ticket-store.js';

export interface AuthServiceOptions {
  store: CloudStore;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Login sessions last this long (default 12 h: one shift). */
  sessionTtlMs?: number;
  /** Socket tickets last this long (default 30 s): a ticket only bridges "fetch" to "open socket". */
  ticketTtlMs?: number;
  /** Where socket tickets live (default: the store's `auth_tokens`; Redis with several nodes, decision 104). */
  tickets?: TicketStore;
  /** Called when an account is signed out everywhere (its open sockets should close). */
  onSignedOutEverywhere?: (username: string) => void;
}

export type TicketRedemption = { ok: true; principal: Principal } | { ok: false; reason: 'ticket expired' | 'ticket unknown or already used' };

/** 32 random bytes: guessing is hopeless, so a fast SHA-256 (not scrypt) is enough to store them. */
const newSecret = (prefix: string) => `${prefix}_${randomBytes(32).toString('base64url')}`;
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Staff accounts (scrypt), login sessions and API tokens (bearer, stored hashed) and single-use
 * socket tickets. Browsers cannot set headers on a WebSocket, so the socket takes a ticket in its
 * URL instead of the session token: it is short-lived and dies on first use, so a URL that leaks
 * into a proxy log is worthless.
 * @example
 * const s = await auth.login('wang', 'pw'); const p = await auth.authenticate(s.token);
 * const { ticket } = await auth.issueTicket(p!); // then GET /api/v1/alerts/ws?ticket=…
 */
export class AuthService {
  private readonly log: Logger;
  private readonly sessionTtlMs: number;
  private readonly ticketTtlMs: number;
  private readonly tickets: TicketStore;

  constructor(private readonly deps: AuthServiceOptions) {
    this.log = deps.logger.child({ module: 'auth' });
    this.sessionTtlMs = deps.sessionTtlMs ?? 12 * 3600_000;
    this.ticketTtlMs = deps.ticketTtlMs ?? 30_000;
    this.tickets = deps.tickets ?? new StoreTicketStore(deps.store);
  }

  /** Creates or replaces accounts (passwords re-hashed with a fresh salt); invalid seeds throw, listing every problem. */
  async seedStaff(input: readonly StaffSeedInput[]): Promise<number> {
    const parsed = staffFileSchema.safeParse(input);
    if (!parsed.success) throw new TypeError(`invalid staff accounts: ${formatIssues(parsed.error.issues).join('; ')}`);
    const seeds = parsed.data;
    for (const s of seeds) {
      const existing = await this.deps.store.getStaff(s.username);
      // An unchanged password keeps its hash (restarts re-seed the same file); a changed one is
      // re-hashed and signs the person out everywhere.
      const same = existing !== undefined && (await verifyPassword(s.password, existing));
      const { passwordHash, salt } = same ? existing : await hashPassword(s.password);
      if (existing && !same) {
        const revoked = (await this.deps.store.deleteAuthTokensOfUser(s.username)) + (await this.tickets.deleteOfUser(s.username));
        this.log.info({ username: s.username, revoked }, 'password changed; sessions revoked');
        this.deps.onSignedOutEverywhere?.(s.username);
      }
      await this.deps.store.upsertStaff({
        username: s.username,
        displayName: s.displayName,
        role: s.role,
        siteId: s.siteId,
        storeIds: [...s.storeIds],
        passwordHash,
        salt,
        updatedAt: this.deps.clock.now(),
      });
    }
    if (seeds.length > 0) this.log.info({ count: seeds.length }, 'staff accounts seeded');
    return seeds.length;
  }

  /** A session for a right username and password; undefined otherwise (the caller says no more). */
  async login(username: string, password: string): Promise<{ token: string; expiresAt: number; principal: Principal } | undefined> {
    const account = await this.deps.store.getStaff(username);
    // An unknown user costs one scrypt too, so timing does not tell which part was wrong.
    const ok = await verifyPassword(password, account ?? DECOY_CREDENTIAL);
    if (!account || !ok) {
      this.deps.metrics.inc('auth.login_failed');
      this.log.warn({ known: account !== undefined }, 'login failed');
      return undefined;
    }
    const now = this.deps.clock.now();
    const token = newSecret('sst');
    const expiresAt = now + this.sessionTtlMs;
    await this.deps.store.insertAuthToken({
      tokenHash: hashToken(token),
      kind: 'session',
      username,
      name: username,
      role: account.role,
      siteId: account.siteId,
      storeIds: account.storeIds,
      createdAt: now,
      expiresAt,
    });
    // Expired rows are swept on login: rare enough to be cheap, frequent enough to keep it small.
    await this.deps.store.deleteExpiredAuthTokens(now);
    this.deps.metrics.inc('auth.login');
    this.log.info({ username, role: account.role }, 'login');
    return {
      token,
      expiresAt,
      principal: { kind: 'session', username, displayName: account.displayName, role: account.role, siteId: account.siteId, storeIds: account.storeIds },
    };
  }

  /** The principal behind a bearer token (session or API token), or undefined. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const hash = hashToken(token);
    const row = (await this.deps.store.getAuthToken(hash, 'session')) ?? (await this.deps.store.getAuthToken(hash, 'api'));
    if (!row || this.expired(row)) return undefined;
    return this.principalOf(row);
  }

  async logout(token: string): Promise<void> {
    await this.deps.store.deleteAuthToken(hashToken(token));
  }

  /** A single-use socket ticket for this principal. */
  async issueTicket(p: Principal): Promise<{ ticket: string; expiresAt: number }> {
    const now = this.deps.clock.now();
    const ticket = newSecret('stk');
    const expiresAt = now + this.ticketTtlMs;
    await this.tickets.put({
      tokenHash: hashToken(ticket),
      kind: 'ticket',
      username: p.username,
      name: p.displayName,
      role: p.role,
      siteId: p.siteId,
      storeIds: [...p.storeIds],
      createdAt: now,
      expiresAt,
      createdBy: p.createdBy,
    });
    this.deps.metrics.inc('auth.tickets');
    return { ticket, expiresAt };
  }

  /** Redeems a ticket: deleted on first use whatever the outcome. */
  async redeemTicket(ticket: string): Promise<TicketRedemption> {
    const row = await this.tickets.take(hashToken(ticket));
    if (!row) return { ok: false, reason: 'ticket unknown or already used' };
    if (this.expired(row)) return { ok: false, reason: 'ticket expired' };
    const principal = await this.principalOf(row);
    return principal ? { ok: true, principal } : { ok: false, reason: 'ticket unknown or already used' };
  }

  /**
   * A long-lived API token (operator tooling, analytics jobs). The plain token is returned once;
   * `id` (a prefix of its SHA-256) names it afterwards for listing and revoking.
   */
  async createApiToken(
    input: { name: string; role: StaffRole; siteId?: string | undefined; storeIds?: string[] | undefined },
    /** Who mints it: the token is bound to that account (an API token's own creator, for a token minted with one). */
    creator?: Principal,
  ): Promise<{ token: string; id: string }> {
    const token = newSecret('sat');
    const tokenHash = hashToken(token);
    const createdBy = creator?.username ?? creator?.createdBy;
    await this.deps.store.insertAuthToken({
      tokenHash,
      kind: 'api',
      name: input.name,
      role: input.role,
      siteId: input.siteId,
      storeIds: input.storeIds ?? [],
      createdAt: this.deps.clock.now(),
      createdBy,
    });
    const id = apiTokenId(tokenHash);
    this.log.info({ name: input.name, role: input.role, tokenId: id, createdBy }, 'api token created');
    return { token, id };
  }

  /** API tokens without their secrets: what an operator sees to decide what to revoke. */
  async listApiTokens(): Promise<ApiTokenInfo[]> {
    return (await this.deps.store.listAuthTokens('api')).map((t) => ({
      id: apiTokenId(t.tokenHash),
      name: t.name,
      role: t.role,
      siteId: t.siteId,
      storeIds: t.storeIds,
      createdAt: t.createdAt,
    }));
  }

  /** Revokes the API token named `id`; false when there is none. */
  async revokeApiToken(id: string): Promise<boolean> {
    const row = (await this.deps.store.listAuthTokens('api')).find((t) => apiTokenId(t.tokenHash) === id);
    if (!row) return false;
    await this.deps.store.deleteAuthToken(row.tokenHash);
    this.log.info({ name: row.name, tokenId: id }, 'api token revoked');
    return true;
  }

  private expired(row: AuthToken): boolean {
    return row.expiresAt !== undefined && row.expiresAt <= this.deps.clock.now();
  }

  /**
   * Sessions and tickets follow the account as it is now (a removed account stops working). An API
   * token minted by an account stops working once it reaches beyond that account as it is now
   * (removed, or narrowed to another role or site): a token never carries more than its creator.
   */
  private async principalOf(row: AuthToken): Promise<Principal | undefined> {
    if (row.username === undefined) {
      const p: Principal = { kind: 'api', displayName: row.name, role: row.role, siteId: row.siteId, storeIds: row.storeIds, createdBy: row.createdBy };
      if (row.createdBy === undefined) return p;
      const creator = await this.deps.store.getStaff(row.createdBy);
      const refused = creator ? grantRefusal({ kind: 'session', ...creator }, row) : 'creator account removed';
      if (refused === undefined) return p;
      this.deps.metrics.inc('auth.token_beyond_creator');
      this.log.warn({ tokenId: apiTokenId(row.tokenHash), createdBy: row.createdBy, reason: refused }, 'api token refused: reaches beyond its creator now');
      return undefined;
    }
    const account = await this.deps.store.getStaff(row.username);
    if (!account) return undefined;
    return {
      kind: 'session',
      username: account.username,
      displayName: account.displayName,
      role: account.role,
      siteId: account.siteId,
      storeIds: account.storeIds,
    };
  }
}

/** An API token as listed: never the token, only its public id. */
export interface ApiTokenInfo {
  id: string;
  name: string;
  role: StaffRole;
  siteId: string | undefined;
  storeIds: string[];
  createdAt: number;
}

/** 16 hex characters of the token's SHA-256: enough to name it, useless to authenticate. */
function apiTokenId(tokenHash: string): string {
  return tokenHash.slice(0, 16);
}
