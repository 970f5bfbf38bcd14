import type { AuthorizeSocket } from '../alerts/alerts.ws.js';
import type { AuthService } from './auth.service.js';
import { scopeOf } from './principal.js';

export type StaffAuthMode = 'open' | 'required';

export interface TicketSocketAuthOptions {
  auth: AuthService;
  /** 'required': a ticket is needed. 'open': a socket without one gets every alert (demo, e2e). */
  mode: StaffAuthMode;
  /**
   * Origins allowed besides the cloud's own (e.g. `https://staff.example.com` behind a proxy).
   * The own origin is the request's Host, so LAN addresses and host names work unconfigured.
   */
  allowedOrigins?: readonly string[];
}

/**
 * The issue-6 socket policy behind the `authorizeSocket` seam: Origin check (a browser on a foreign
 * page must not ride a staff member's session: cross-site WebSocket hijacking), then a single-use
 * ticket that fixes the socket's store scope. Clients without an Origin header (native apps, Node)
 * are not browsers, so the ticket alone protects them.
 */
export function ticketSocketAuthorizer(options: TicketSocketAuthOptions): AuthorizeSocket {
  const extra = new Set((options.allowedOrigins ?? []).map((o) => o.replace(/\/+$/, '').toLowerCase()));
  return async ({ url, headers }) => {
    const origin = headers.get('origin');
    if (origin !== null && !originAllowed(origin, headers.get('host'), extra)) {
      return { ok: false, status: 403, reason: 'origin not allowed' };
    }
    const ticket = new URL(url).searchParams.get('ticket');
    if (!ticket) {
      return options.mode === 'open' ? { ok: true } : { ok: false, status: 401, reason: 'ticket required' };
    }
    const redeemed = await options.auth.redeemTicket(ticket);
    if (!redeemed.ok) return { ok: false, status: 401, reason: redeemed.reason };
    const p = redeemed.principal;
    if (p.role === 'analyst') return { ok: false, status: 403, reason: 'role analyst may not receive staff alerts' };
    return { ok: true, ...scopeOf(p), who: p.username ?? p.displayName, username: p.username };
  };
}

function originAllowed(origin: string, host: string | null, extra: ReadonlySet<string>): boolean {
  const o = origin.toLowerCase();
  if (extra.has(o)) return true;
  try {
    return host !== null && new URL(o).host === host.toLowerCase();
  } catch {
    return false; // 'null' (sandboxed frames, file://) and garbage
  }
}
