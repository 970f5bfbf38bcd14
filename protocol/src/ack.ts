import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.js';

/**
 * Application-level acknowledgement on `.../{gateway}/ack`: the cloud has durably stored these
 * events (or already had them). A gateway deletes an outbox row only on this, never on PUBACK.
 * `upTo` is the highest seq below which the cloud holds every event of this gateway (informative).
 */
export const ackSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  at: z.number().int().nonnegative(),
  ids: z.array(z.string().min(1).max(64)).max(10_000),
  upTo: z.number().int().nonnegative().optional(),
});
export type Ack = z.infer<typeof ackSchema>;
