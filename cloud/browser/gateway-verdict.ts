import { fmt } from './format.js';
import { t } from './i18n.js';
import type { GatewayRow } from './api.types.js';

/**
 * What the console says about one gateway, from the state it last published on its retained
 * topics. Offline when its last `conn` said so (the broker publishes the gateway's last will when
 * it vanishes); stale when its newest health report is older than STALE_MS (gateways publish every
 * 10 s by default, so six missed reports); degraded when a source is not ok or the outbox dropped
 * events. An alarm ("events lost", level bad) while the gateway reported a gap record (events its
 * outbox dropped undelivered) in the last GAP_ALARM_MS. A pure function of the row and `now` with
 * no browser globals, so a Node test imports the built module as served.
 */
export const STALE_MS = 60_000;
/** A gap (lost events) keeps a gateway in alarm this long after the drop. */
export const GAP_ALARM_MS = 24 * 3_600_000;

export type Level = 'ok' | 'warn' | 'bad' | 'idle';
export interface Verdict {
  level: Level;
  /** A stable state name (`online`, `stale`, `offline`, ...): a data attribute; people read `verdict.<label>` from the catalogue. */
  label: string;
  reasons: string[];
}

/** One gateway's verdict: level (ok / warn / bad / idle) and the reasons, newest facts first. */
export function gatewayVerdict(g: GatewayRow, now: number): Verdict {
  const reasons: string[] = [];
  const healthAt = g.health ? g.health.receivedAt : 0;
  if (g.conn && g.conn.state === 'offline') return { level: 'bad', label: 'offline', reasons: [t('verdict.offlineSince', { at: fmt.dateTime(g.conn.at) })] };
  if (!g.conn && !g.health) return { level: 'idle', label: g.provisioned ? 'never connected' : 'unknown', reasons };
  if (!healthAt || now - healthAt > STALE_MS) reasons.push(healthAt ? t('verdict.health', { ago: fmt.ago(healthAt, now) }) : t('verdict.noHealth'));
  const hv = g.health?.value;
  if (hv) {
    for (const [name, s] of Object.entries(hv.sources))
      if (s.state !== 'ok')
        reasons.push(s.detail ? t('verdict.sourceDetail', { name, state: s.state, detail: s.detail }) : t('verdict.source', { name, state: s.state }));
    if (hv.outbox.dropped > 0) reasons.push(t('verdict.dropped', { n: hv.outbox.dropped }));
  }
  if (g.gaps) {
    reasons.unshift(t('verdict.lost', { n: g.gaps.dropped, at: fmt.dateTime(g.gaps.lastAt) }));
    if (now - g.gaps.lastAt <= GAP_ALARM_MS) return { level: 'bad', label: 'events lost', reasons };
  }
  if (reasons.length === 0) return { level: 'ok', label: 'online', reasons };
  const stale = !healthAt || now - healthAt > STALE_MS;
  return { level: 'warn', label: stale ? 'stale' : 'degraded', reasons };
}
