import { z } from 'zod';
import { eventTypeSchema } from './event.js';
import { idSchema } from './ids.js';

/** Who the alert is about, as staff may see it (no contact data, no keys). Optional in alerts. */
export const alertMemberSummarySchema = z.object({
  id: z.string().min(1).max(64),
  name: z.string().max(200),
  tier: z.string().max(40).optional(),
  tags: z.array(z.string().max(60)).default([]),
  visits: z.number().int().nonnegative().describe('distinct visits with an arrival'),
  lastSeenAt: z.number().int().nonnegative().nullable().describe('event time of the previous sighting; null when none'),
  totalSpend: z.number().nonnegative(),
  currency: z.string().length(3).optional(),
});
export type AlertMemberSummary = z.infer<typeof alertMemberSummarySchema>;

/** "What to show this member": a headline and a few suggestions, each with its reason. */
export const recommendationSchema = z.object({
  headline: z.string().max(300),
  items: z.array(z.object({ label: z.string().max(160), reason: z.string().max(300) })).max(8),
});
export type Recommendation = z.infer<typeof recommendationSchema>;

/**
 * How far the visit behind an alert has got, updated in place as the shopper moves on (the cloud's
 * visit follower, decision 154): the latest journey stage with where and when, and when they left.
 */
export const alertVisitSchema = z.object({
  stage: eventTypeSchema.describe('the latest event of the visit: approach, arrival, dwell, floor_change, purchase or exit'),
  at: z.number().int().nonnegative().describe('event time of that stage'),
  zoneId: idSchema.optional(),
  floor: z.number().int().optional(),
  dwellMs: z.number().int().nonnegative().optional(),
  amount: z.number().nonnegative().optional().describe('purchase only'),
  currency: z.string().length(3).optional(),
  exitedAt: z.number().int().nonnegative().optional().describe('event time of the exit; the alert no longer describes someone present'),
});
export type AlertVisit = z.infer<typeof alertVisitSchema>;

/**
 * A live staff alert ("member nearby"), pushed by the cloud to staff clients over websocket.
 * Frames on the socket are `{type: 'alert', alert}` (and later `alert_update`, `hello`).
 */
export const staffAlertSchema = z.object({
  id: z.string().min(1).max(64),
  seq: z.number().int().nonnegative().describe('per cloud, increasing; a client resumes from its last seq'),
  at: z.number().int().nonnegative().describe('when the alert was raised (cloud clock)'),
  eventAt: z.number().int().nonnegative().describe('when the underlying presence event happened'),
  eventId: z.string().min(1).max(64),
  eventType: eventTypeSchema,
  siteId: idSchema,
  storeId: idSchema.optional(),
  zoneId: idSchema.optional(),
  memberId: z.string().min(1).max(64),
  memberName: z.string().max(200),
  tier: z.string().max(40).optional(),
  tags: z.array(z.string().max(60)).default([]),
  message: z.string().max(500),
  status: z.enum(['open', 'claimed', 'acked']).default('open'),
  claimedBy: z.string().max(120).optional(),
  member: alertMemberSummarySchema.optional().describe('member summary (clouds since issue 6)'),
  recommendation: recommendationSchema.optional().describe('what to show this member (clouds since issue 6)'),
  visitId: z.string().min(1).max(64).optional().describe('the visit of the event: alerts of one visit are one card (clouds since issue 14)'),
  floor: z.number().int().optional().describe('floor of the event'),
  visit: alertVisitSchema.optional().describe('how far the visit has got since the alert (clouds since issue 14)'),
});
export type StaffAlert = z.infer<typeof staffAlertSchema>;

export const staffFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('alert'), alert: staffAlertSchema }),
  z.object({ type: z.literal('alert_update'), alert: staffAlertSchema }),
  z.object({ type: z.literal('hello'), lastSeq: z.number().int().nonnegative(), storeIds: z.array(idSchema).optional() }),
]);
export type StaffFrame = z.infer<typeof staffFrameSchema>;
