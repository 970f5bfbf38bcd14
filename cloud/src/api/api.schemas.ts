import { eventTypeSchema, idSchema, tagSchema } from '@storesense/protocol';
import { MEMBER_TIERS } from '@storesense/firmware-config';
import { z } from 'zod';
import { OFFER_STATUSES } from '../store/cloud-store.js';

// Query schemas of the listing routes: shared by the handlers and the OpenAPI document.
const limitSchema = z.coerce.number().int().min(1).max(1000).default(100);
export const eventsQuery = z.object({
  siteId: idSchema.optional(),
  type: eventTypeSchema.optional(),
  since: z.coerce.number().int().nonnegative().optional().describe('event time lower bound, ms since epoch'),
  limit: limitSchema,
});
export const gapsQuery = z.object({
  siteId: idSchema.optional(),
  gatewayId: idSchema.optional(),
  since: z.coerce.number().int().nonnegative().optional().describe('received-at lower bound, ms since epoch'),
  limit: limitSchema,
});
export const alertsQuery = z.object({ since: z.coerce.number().int().nonnegative().optional().describe('alert seq'), limit: limitSchema });
export const membersQuery = z.object({
  q: z.string().trim().max(100).optional().describe('substring of id, name, nickname or a tag (case-insensitive)'),
  tier: z.enum(MEMBER_TIERS).optional(),
  limit: limitSchema,
  offset: z.coerce.number().int().nonnegative().default(0),
});
export const offersQuery = z.object({
  storeId: idSchema.optional(),
  siteId: idSchema.optional(),
  status: z.enum(OFFER_STATUSES).optional(),
  memberId: z.string().min(1).max(64).optional(),
  limit: limitSchema,
});

export const memberIdParam = z.object({ id: idSchema });
export const offerIdParam = z.object({ id: z.string().min(1).max(64) });
/** `PUT /api/v1/members/{id}`: the whole profile. `tokenKey` is write-only (never served back). */
export const memberPutBody = z.object({
  id: idSchema.optional().describe('when given, must match the path'),
  name: z.string().trim().min(1).max(120),
  nickname: z.string().trim().min(1).max(60).optional(),
  tier: z.enum(MEMBER_TIERS),
  tags: z.array(tagSchema).max(30).default([]),
  preferences: z
    .record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,39}$/, 'a short key'), z.string().max(200))
    .default({})
    .describe('e.g. {"size": "M", "colour": "navy"}'),
  consent: z.object({
    presence: z.boolean().describe('presence sensing, staff alerts'),
    marketing: z.boolean().default(false).describe('offers; needs presence consent too'),
  }),
  devices: z
    .array(
      z.object({
        deviceId: idSchema,
        platform: z.enum(['ios', 'android', 'card', 'other']),
        label: z.string().max(80).optional(),
        registeredAt: z.number().int().nonnegative().optional(),
      }),
    )
    .max(10)
    .default([]),
  tokenKey: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, '32 hex characters')
    .optional()
    .describe('write-only; kept when absent'),
});
