import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.js';

/**
 * Application-level acknowledgement on `.../{gateway}/ack`: the cloud has durably stored these
 * events (or already had them). A gateway deletes an outbox row only on this, never on PUBACK.
 * `upTo` is the highest seq below which the cloud holds every event of this gateway (informative).
 * `rejected`: events the cloud will never store, with the reason (a timestamp outside its window, an
 * id another gateway already used). The gateway deletes those rows too, counts and logs them:
 * resending would be refused the same way forever.
 */
export const ackSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  at: z.number().int().nonnegative(),
  ids: z.array(z.string().min(1).max(64)).max(10_000),
  upTo: z.number().int().nonnegative().optional(),
  rejected: z
    .array(z.object({ id: z.string().min(1).max(64), reason: z.string().min(1).max(200) }))
    .max(10_000)
    .optional(),
});
export type Ack = z.infer<typeof ackSchema>;
