import { z } from 'zod';
import { idSchema } from './ids.js';
import { PROTOCOL_VERSION } from './version.js';

/** One closed minute of a store's WiFi occupancy estimate: counts only. */
export const occupancyMinuteSchema = z
  .object({
    start: z.number().int().nonnegative().describe('minute start, ms since epoch (UTC-aligned)'),
    occupancy: z.number().nonnegative().max(100_000).describe('people estimated present at the minute end'),
    addresses: z.number().int().nonnegative().describe('distinct addresses heard in range in the minute, before merging'),
    fixed: z.number().int().nonnegative().describe('devices heard in the minute that were learned fixed and left out'),
  })
  .strict();

/** One closed hour: unique visitors (presence episodes of merged devices). */
export const occupancyHourSchema = z
  .object({
    start: z.number().int().nonnegative().describe('hour start, ms since epoch (UTC-aligned)'),
    uniqueVisitors: z.number().int().nonnegative().max(10_000_000),
  })
  .strict();

/**
 * Published on `.../occupancy` (QoS 1, not retained) by a gateway for each store it estimates, as
 * minutes close. Strict: counts and times only, so no identifier (subject, fingerprint, address)
 * can ride along; an unknown key is refused.
 * @example
 * occupancyReportSchema.parse({ v: 1, at: 1709215260000, storeId: 'lab', minutes: [{ start: 1709215200000,
 *   occupancy: 12, addresses: 40, fixed: 11 }], hours: [] })
 */
export const occupancyReportSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    at: z.number().int().nonnegative().describe('when the gateway published it'),
    storeId: idSchema,
    minutes: z.array(occupancyMinuteSchema).max(1_440),
    hours: z.array(occupancyHourSchema).max(48),
  })
  .strict();
export type OccupancyReport = z.infer<typeof occupancyReportSchema>;
export type OccupancyMinuteReport = z.infer<typeof occupancyMinuteSchema>;
export type OccupancyHourReport = z.infer<typeof occupancyHourSchema>;

/** The report as JSON Schema (docs/schemas/occupancy-report.schema.json; a test keeps it in step). */
export function occupancyReportJsonSchemaText(): string {
  return `${JSON.stringify({ title: 'storesense occupancy report', ...z.toJSONSchema(occupancyReportSchema, { io: 'input' }) }, null, 2)}\n`;
}
