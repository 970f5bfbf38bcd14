import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.js';

/** Retained on `.../state/conn`; the broker publishes the `offline` last will when a gateway vanishes. */
export const connStateSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  state: z.enum(['online', 'offline']),
  at: z.number().int().nonnegative(),
  version: z.string().min(1).max(64),
});
export type ConnState = z.infer<typeof connStateSchema>;

export const sourceHealthSchema = z.object({
  state: z.enum(['ok', 'degraded', 'unavailable', 'stopped']),
  detail: z.string().max(500).optional(),
  lastObservationAt: z.number().int().nonnegative().optional(),
  observations: z.number().int().nonnegative().default(0),
  rejected: z.number().int().nonnegative().default(0),
  /** Inputs accepted with a flagged oddity (e.g. BLE adverts with trailing bytes after the last AD structure). */
  flagged: z.number().int().nonnegative().optional(),
});
export type SourceHealth = z.infer<typeof sourceHealthSchema>;

/** Retained on `.../state/health` (QoS 0). */
export const gatewayHealthSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  at: z.number().int().nonnegative(),
  version: z.string().min(1).max(64),
  sources: z.record(z.string(), sourceHealthSchema),
  outbox: z.object({
    depth: z.number().int().nonnegative(),
    oldestUnsentAgeMs: z.number().int().nonnegative().optional(),
    dropped: z.number().int().nonnegative().default(0),
  }),
  model: z.object({ name: z.string(), version: z.string() }),
  subjects: z.number().int().nonnegative().default(0),
});
export type GatewayHealth = z.infer<typeof gatewayHealthSchema>;
