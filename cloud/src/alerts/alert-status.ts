import type { StaffAlert } from '@storesense/protocol';
import type { AlertHandling } from '../store/cloud-store.js';

export type AlertAction = 'claim' | 'ack';

export interface AlertActor {
  username: string;
  displayName: string;
}

export type AlertTransition =
  | { kind: 'update'; next: StaffAlert; handledBy: string }
  /** The same person repeating their own claim/ack (a double tap, a retry after a lost answer). */
  | { kind: 'unchanged'; alert: StaffAlert }
  | { kind: 'conflict'; error: string; alert: StaffAlert };

/**
 * Claim and acknowledge, as a pure decision (architecture §7 habit 3). A claim says "I am going to this
 * shopper" so two assistants do not approach the same person: one claimant at a time, and only the
 * claimant (or anyone, while still open) acknowledges. Statuses only move forward.
 * @example decideTransition(alert, { status: 'open', handledBy: undefined }, 'claim', { username: 'wang', displayName: 'Wang Fang' })
 */
export function decideTransition(alert: StaffAlert, handling: AlertHandling, action: AlertAction, actor: AlertActor): AlertTransition {
  const mine = handling.handledBy === actor.username;
  const by = alert.claimedBy ?? handling.handledBy ?? 'someone';
  const to = (status: 'claimed' | 'acked'): AlertTransition => ({
    kind: 'update',
    next: { ...alert, status, claimedBy: actor.displayName },
    handledBy: actor.username,
  });
  switch (handling.status) {
    case 'open':
      return to(action === 'claim' ? 'claimed' : 'acked');
    case 'claimed':
      if (!mine) return { kind: 'conflict', error: `already claimed by ${by}`, alert };
      return action === 'claim' ? { kind: 'unchanged', alert } : to('acked');
    case 'acked':
      if (mine && action === 'ack') return { kind: 'unchanged', alert };
      return { kind: 'conflict', error: `already acknowledged by ${by}`, alert };
  }
}
