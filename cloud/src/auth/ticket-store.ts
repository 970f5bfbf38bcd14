import type { AuthToken, CloudStore } from '../store/cloud-store.js';

/**
 * Where single-use socket tickets live (decision 104): the database by default (`auth_tokens`,
 * shared by every node on PostgreSQL), Redis when the cloud has one (cluster/ticket-store.redis.ts),
 * which keeps one database write and delete per socket open off the store.
 */
export interface TicketStore {
  /** Keeps the ticket until `token.expiresAt` (a store may keep it longer; redemption checks the time). */
  put(token: AuthToken): Promise<void>;
  /** Deletes and returns in one step: a ticket is redeemed once, across nodes. */
  take(tokenHash: string): Promise<AuthToken | undefined>;
  /** Forgets every ticket of this account (signed out everywhere); how many. */
  deleteOfUser(username: string): Promise<number>;
}

/** Tickets as rows of `auth_tokens` (kind `ticket`): the embedded default. */
export class StoreTicketStore implements TicketStore {
  constructor(private readonly store: CloudStore) {}

  put(token: AuthToken): Promise<void> {
    return this.store.insertAuthToken({ ...token, kind: 'ticket' });
  }

  take(tokenHash: string): Promise<AuthToken | undefined> {
    return this.store.takeAuthToken(tokenHash, 'ticket');
  }

  /** Nothing of its own: `deleteAuthTokensOfUser` (sessions and tickets) already ran. */
  async deleteOfUser(_username: string): Promise<number> {
    return 0;
  }
}
