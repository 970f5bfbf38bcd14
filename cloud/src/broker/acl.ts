import { isUnderGatewayPrefix, parseTopic } from '@storesense/protocol';

/** Who a connected gateway is, fixed at authentication. */
export interface GatewayIdentity {
  siteId: string;
  gatewayId: string;
}

export type AclDecision = { allow: true } | { allow: false; reason: string };

// Up-direction suffixes only (architecture §4): a gateway may not forge acks, configs, member keys or
// commands, even for itself.
const UP_KINDS = new Set(['event', 'stateConn', 'stateHealth', 'occupancy', 'response', 'observations', 'gap']);

/** The broker's publish rule: own prefix, up-direction topics of the contract. */
export function canPublish(who: GatewayIdentity, topic: string): AclDecision {
  const parsed = parseTopic(topic);
  if (!parsed) return { allow: false, reason: 'not a topic of the contract' };
  if (parsed.siteId !== who.siteId || parsed.gatewayId !== who.gatewayId) return { allow: false, reason: 'outside the gateway prefix' };
  if (!UP_KINDS.has(parsed.kind)) return { allow: false, reason: `gateways may not publish ${parsed.kind}` };
  return { allow: true };
}

/** The broker's subscribe rule: any filter inside the gateway's own prefix. */
export function canSubscribe(who: GatewayIdentity, filter: string): AclDecision {
  // A wildcard in the site or gateway level would start with a different literal prefix, so a
  // plain prefix test is enough; `#` alone or `storesense/v1/+/...` fail it.
  if (!isUnderGatewayPrefix(filter, who.siteId, who.gatewayId)) return { allow: false, reason: 'outside the gateway prefix' };
  return { allow: true };
}
