/**
 * Live staff sockets by account, so signing someone out everywhere (password change, removal)
 * also ends the sockets they already hold: a ticket is checked once, at open.
 */
export class SocketRegistry {
  private readonly byUser = new Map<string, Set<(code: number, reason: string) => void>>();

  /** Registers a socket's close function; returns its unregister function. */
  add(username: string, close: (code: number, reason: string) => void): () => void {
    let set = this.byUser.get(username);
    if (!set) this.byUser.set(username, (set = new Set()));
    set.add(close);
    return () => {
      set.delete(close);
      if (set.size === 0) this.byUser.delete(username);
    };
  }

  /** Closes every socket of this account (4401 + reason); returns how many. */
  closeAll(username: string, reason: string): number {
    const set = this.byUser.get(username);
    if (!set) return 0;
    const closers = [...set];
    for (const close of closers) close(4401, reason);
    return closers.length;
  }
}
