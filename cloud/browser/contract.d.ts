/**
 * Values of the wire contract the views need, served as `/assets/console/contract.js` by the cloud
 * (console.assets.ts builds it from @storesense/protocol and the rule and offer schemas at start),
 * so the browser never carries its own copy of a list the server validates against.
 */
import type { EventType } from '@storesense/protocol';

export declare const EVENT_TYPES: readonly EventType[];
export declare const RULE_AUDIENCES: readonly string[];
export declare const OFFER_STATUSES: readonly string[];
