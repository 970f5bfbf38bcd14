import { z } from 'zod';
import { idSchema, pseudonymSchema } from './ids.js';
import { PROTOCOL_VERSION } from './version.js';

/** The shopper journey (architecture §1): 临场 approach, 进场 arrival, 驻留 dwell, 爬楼 floor change, 提袋 purchase, 离店 exit. */
export const EVENT_TYPES = ['approach', 'arrival', 'dwell', 'floor_change', 'purchase', 'exit'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const eventTypeSchema = z.enum(EVENT_TYPES);

export const SIGNAL_KINDS = ['ble', 'wifi', 'terminal'] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];
export const signalKindSchema = z.enum(SIGNAL_KINDS);

export const DWELL_PHASES = ['start', 'update', 'end'] as const;
export type DwellPhase = (typeof DWELL_PHASES)[number];

const msSchema = z.number().int().nonnegative();

/** What the `exit` event carries: the visit as a whole. */
export const visitSummarySchema = z.object({
  arrivedAt: msSchema.optional().describe('first arrival of the visit; absent when the subject only approached'),
  leftAt: msSchema,
  durationMs: msSchema,
  zones: z.array(z.object({ zoneId: idSchema, dwellMs: msSchema })).default([]),
  floors: z.array(z.number().int()).default([]),
  purchased: z.boolean().default(false),
});
export type VisitSummary = z.infer<typeof visitSummarySchema>;

/**
 * One journey event published by a gateway on `storesense/v1/{site}/{gateway}/event/{type}`.
 * `id` (a ULID) is the idempotency key: the cloud stores each id once.
 * @example
 * presenceEventSchema.parse({ v: 1, id: '01J…', seq: 42, type: 'arrival', at: 1700000000000,
 *   siteId: 'mall', gatewayId: 'gw1', subject: { id: 's_3f9a', signals: ['ble'] },
 *   visitId: '01J…', confidence: 0.93, model: { name: 'rules', version: '1' } })
 */
export const presenceEventSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    id: z.string().min(10).max(64),
    seq: z.number().int().nonnegative().describe('per gateway, increasing by one per event'),
    type: eventTypeSchema,
    at: msSchema.describe('when it happened (ms since epoch), taken from observations, not the wall clock'),
    detectedAt: msSchema.optional().describe('when the gateway decided it (tick time); detectedAt - at is the detection latency'),
    siteId: idSchema,
    gatewayId: idSchema,
    storeId: idSchema.optional(),
    subject: z.object({
      id: pseudonymSchema,
      memberId: z.string().min(1).max(64).optional(),
      signals: z.array(signalKindSchema).default([]),
      randomized: z.boolean().optional().describe('seen only through a randomised MAC'),
    }),
    visitId: z.string().min(1).max(64),
    zoneId: idSchema.optional(),
    floor: z.number().int().optional(),
    fromFloor: z.number().int().optional(),
    toFloor: z.number().int().optional(),
    phase: z.enum(DWELL_PHASES).optional().describe('dwell only'),
    dwellMs: msSchema.optional(),
    amount: z.number().nonnegative().optional().describe('purchase only'),
    currency: z.string().length(3).optional(),
    terminalId: idSchema.optional(),
    summary: visitSummarySchema.optional().describe('exit only'),
    confidence: z.number().min(0).max(1),
    model: z.object({ name: z.string().min(1).max(64), version: z.string().min(1).max(64) }),
  })
  .superRefine((e, ctx) => {
    if (e.type === 'floor_change' && (e.fromFloor === undefined || e.toFloor === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['toFloor'], message: 'floor_change needs fromFloor and toFloor' });
    }
    if (e.type === 'dwell' && e.phase === undefined) {
      ctx.addIssue({ code: 'custom', path: ['phase'], message: 'dwell needs a phase (start, update or end)' });
    }
  });
export type PresenceEvent = z.infer<typeof presenceEventSchema>;
export type PresenceEventInput = z.input<typeof presenceEventSchema>;
