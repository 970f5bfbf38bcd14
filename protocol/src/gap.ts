import { z } from 'zod';
import { idSchema } from './ids.js';
import { PROTOCOL_VERSION } from './version.js';

export const GAP_REASONS = ['max_rows', 'max_age'] as const;
export type GapReason = (typeof GAP_REASONS)[number];

/**
 * Published on `.../gap` (QoS 1, not retained) when a gateway's outbox dropped events it could not
 * deliver: its row cap was reached (`max_rows`) or they were older than its age bound (`max_age`).
 * The gateway stores the record durably in the same transaction as the drop, publishes it like an
 * event and deletes it only when the cloud acks its `id` (on the ordinary `ack` topic), so a drop is
 * never silent: the cloud knows how many events are missing, from which gateway, over which seq
 * range and time range. Counts and times only: no event content survives the drop.
 * @example gapReportSchema.parse({ v: 1, id: '01J…', siteId: 'mall', gatewayId: 'gw-1', at: 1700000000000,
 *   reason: 'max_rows', count: 500, fromSeq: 1, toSeq: 500, fromAt: 1699990000000, toAt: 1699999000000 })
 */
export const gapReportSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    id: z.string().min(10).max(64).describe('ULID of the gap record (its idempotency key, acked like an event id)'),
    siteId: idSchema,
    gatewayId: idSchema,
    at: z.number().int().nonnegative().describe('when the events were dropped (gateway clock, ms)'),
    reason: z.enum(GAP_REASONS),
    count: z.number().int().positive().describe('events dropped'),
    fromSeq: z.number().int().positive().describe('lowest outbox seq dropped'),
    toSeq: z.number().int().positive().describe('highest outbox seq dropped (the range may hold acked seqs too)'),
    fromAt: z.number().int().nonnegative().describe('creation time of the oldest dropped event'),
    toAt: z.number().int().nonnegative().describe('creation time of the newest dropped event'),
  })
  .strict()
  .refine((g) => g.fromSeq <= g.toSeq && g.fromAt <= g.toAt, { message: 'fromSeq/fromAt must not be after toSeq/toAt' });
export type GapReport = z.infer<typeof gapReportSchema>;
