import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.js';
import { configHealthSchema } from './remote-config.js';
import { rolloutHealthSchema } from './model-rollout.js';

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

/**
 * Which classifier runs and why (decision 62): `requested` is the configured kind, `active` what
 * runs; `domain` says whether the site lies inside the model's training domain (`not_checked` for
 * the rules, `unknown` for a model that states none); `outsideDomain` lists what lies outside.
 */
export const classifierHealthSchema = z.object({
  requested: z.string().min(1).max(64),
  active: z.string().min(1).max(64),
  reason: z.string().max(500),
  domain: z.enum(['inside', 'outside', 'unknown', 'not_checked']),
  outsideDomain: z
    .array(z.object({ field: z.string().max(64), value: z.string().max(200), domain: z.string().max(200), message: z.string().max(300) }))
    .max(20)
    .default([]),
});
export type ClassifierHealth = z.infer<typeof classifierHealthSchema>;

/** One receiver's calibration as the gateway applies it (auto-calibration, docs/decisions.md 57). */
export const receiverCalibrationHealthSchema = z.object({
  declaredDb: z.number().describe('calibration.rssiOffsetDb from the site file'),
  learnedDb: z.number().describe('correction learned from live traffic on top of the declared offset'),
  offsetDb: z.number().describe('the reporting bias the gateway now removes: declared + learned once applied'),
  evidence: z.number().int().nonnegative().describe('position-fit residuals this receiver contributed'),
  applied: z.boolean(),
});

export const calibrationHealthSchema = z.object({
  auto: z.boolean(),
  state: z.enum(['off', 'learning', 'applied']),
  samples: z.number().int().nonnegative(),
  rejectedFits: z.number().int().nonnegative().default(0),
  wallDb: z.number().optional().describe('storefront wall loss learned alongside the offsets'),
  lastUpdateAt: z.number().int().nonnegative().optional(),
  receivers: z.record(z.string(), receiverCalibrationHealthSchema),
});
export type CalibrationHealth = z.infer<typeof calibrationHealthSchema>;

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
    /** Gap records (drops) the cloud has not acked yet. */
    undeliveredGaps: z.number().int().nonnegative().optional(),
  }),
  model: z.object({ name: z.string(), version: z.string() }),
  classifier: classifierHealthSchema.optional(),
  subjects: z.number().int().nonnegative().default(0).describe('distinct pseudonymous subjects tracked now (addresses, not people)'),
  occupancy: z
    .array(
      z
        .object({
          storeId: z.string().min(1).max(64),
          occupancy: z.number().nonnegative().describe('WiFi estimate of people present, last closed minute'),
          uniqueVisitorsLastHour: z.number().int().nonnegative().optional(),
          fixedDevices: z.number().int().nonnegative().describe('devices learned fixed (timer scanners, present for hours) and left out'),
        })
        .strict(),
    )
    .optional()
    .describe('per store, beside subjects: what the WiFi occupancy estimator counts (counts only)'),
  calibration: calibrationHealthSchema.optional(),
  /**
   * Staff and fixed devices the gateway keeps out of journeys and footfall: subjects tracked now
   * with each role (registered badges vs learned), those whose role is being decided, roles
   * decided since start by reason, and open visits closed because their subject turned out staff.
   */
  deviceRoles: z
    .object({
      staff: z.number().int().nonnegative(),
      fixed: z.number().int().nonnegative(),
      registered: z.number().int().nonnegative(),
      learned: z.number().int().nonnegative(),
      pending: z.number().int().nonnegative(),
      /** Undecided subjects whose new visits are held because they stand still at a door (decision 90). */
      doorHeld: z.number().int().nonnegative().optional(),
      /** Held events dropped because their subject turned out staff or fixed. */
      eventsDropped: z.number().int().nonnegative().optional(),
      decided: z.record(z.string(), z.number().int().nonnegative()),
      visitsClosed: z.number().int().nonnegative(),
    })
    .optional(),
  /** Remote configuration (topic `config`): the version running and the last refused one. */
  config: configHealthSchema.optional(),
  /** Model rollout (decision 133): shadow agreement, the promoted model and the one kept to roll back to. */
  rollout: rolloutHealthSchema.optional(),
});
export type GatewayHealth = z.infer<typeof gatewayHealthSchema>;
