import { eventTypeSchema, idSchema } from '@storesense/protocol';
import { z } from 'zod';

// Query schemas of the listing routes: shared by the handlers and the OpenAPI document.
const limitSchema = z.coerce.number().int().min(1).max(1000).default(100);
export const eventsQuery = z.object({
  siteId: idSchema.optional(),
  type: eventTypeSchema.optional(),
  since: z.coerce.number().int().nonnegative().optional().describe('event time lower bound, ms since epoch'),
  limit: limitSchema,
});
export const alertsQuery = z.object({ since: z.coerce.number().int().nonnegative().optional().describe('alert seq'), limit: limitSchema });
export const membersQuery = z.object({ limit: limitSchema, offset: z.coerce.number().int().nonnegative().default(0) });
export const offersQuery = z.object({ memberId: z.string().min(1).max(64).optional(), siteId: idSchema.optional(), limit: limitSchema });

