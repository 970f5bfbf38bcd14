import type { Observation, TruthEvent } from '@storesense/protocol';

/**
 * Line encoders for trace and truth files. Output is canonical (fixed key order) so that the same
 * world always writes the same bytes. BLE observations, the bulk of a trace, take a template fast
 * path: their ids are [A-Za-z0-9_-] and tokens hex, so nothing needs escaping (idSchema, and the
 * world's `s_<hex>` subjects, guarantee it); anything else goes through JSON.stringify.
 */
const SAFE = /^[A-Za-z0-9_-]+$/;

export function encodeObservationLine(o: Observation): string {
  if (
    o.source === 'ble' &&
    o.terminal === undefined &&
    o.randomized === undefined &&
    o.rssiDbm !== undefined &&
    SAFE.test(o.receiverId) &&
    SAFE.test(o.subject)
  ) {
    const token = o.token === undefined ? '' : `,"token":"${o.token}"`;
    return `{"v":${o.v},"at":${o.at},"source":"ble","receiverId":"${o.receiverId}","subject":"${o.subject}","rssiDbm":${o.rssiDbm}${token}}\n`;
  }
  return `${JSON.stringify(canonicalObservation(o))}\n`;
}

function canonicalObservation(o: Observation): Observation {
  const out: Observation = { v: o.v, at: o.at, source: o.source, receiverId: o.receiverId, subject: o.subject };
  if (o.rssiDbm !== undefined) out.rssiDbm = o.rssiDbm;
  if (o.randomized !== undefined) out.randomized = o.randomized;
  if (o.token !== undefined) out.token = o.token;
  if (o.terminal !== undefined) {
    const t = o.terminal;
    out.terminal = { kind: t.kind, action: t.action };
    if (t.memberId !== undefined) out.terminal.memberId = t.memberId;
    if (t.confidence !== undefined) out.terminal.confidence = t.confidence;
    if (t.amount !== undefined) out.terminal.amount = t.amount;
    if (t.currency !== undefined) out.terminal.currency = t.currency;
    if (t.count !== undefined) out.terminal.count = t.count;
  }
  return out;
}

const TRUTH_KEYS = ['type', 'phase', 'at', 'subject', 'memberId', 'storeId', 'zoneId', 'floor', 'fromFloor', 'toFloor', 'dwellMs', 'amount'] as const;

export function encodeTruthLine(e: TruthEvent): string {
  const out: Record<string, unknown> = {};
  for (const k of TRUTH_KEYS) if (e[k] !== undefined) out[k] = e[k];
  return `${JSON.stringify(out)}\n`;
}
