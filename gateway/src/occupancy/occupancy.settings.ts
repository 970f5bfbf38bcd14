import { z } from 'zod';

/**
 * Settings of the probe-based occupancy estimator (one per store). Defaults are physical or
 * behavioural figures with a source, not values fitted to a capture; the three that were chosen on
 * a tuning day are marked so (docs/decisions.md 44).
 */
export const occupancySettingsSchema = z
  .object({
    calibration: z
      .object({
        refRssiAt1mDbm: z.number().min(-100).max(0).describe('level of a phone probing 1 m from the receiver'),
        pathLossExponent: z.number().min(1).max(6).describe('log-distance exponent n'),
      })
      .strict()
      // An ESP32 hears a phone's probe (≈15 dBm EIRP) at about −45 dBm at 1 m; indoor office
      // exponent 3.0 (Rappaport, Wireless Communications, table 4.2 "office, hard partition").
      .default({ refRssiAt1mDbm: -45, pathLossExponent: 3.0 }),
    radiusM: z
      .number()
      .positive()
      .max(200)
      // Chosen on the tuning day (2024-02-29, `occupancy.cli.js tune`) among 6-12 m.
      .default(8)
      .describe('how far from the receiver the store extends: frames weaker than the level at this distance are outside'),
    presence: z
      .object({
        defaultWindowMs: z
          .number()
          .int()
          .positive()
          .default(5 * 60_000),
        minWindowMs: z
          .number()
          .int()
          .positive()
          .default(2 * 60_000),
        maxWindowMs: z
          .number()
          .int()
          .positive()
          .default(20 * 60_000),
        // Chosen on the tuning day (2024-02-29) among 2, 3 and 4.
        gapMultiple: z.number().positive().default(3),
      })
      .strict()
      // A device is present until it has been silent for `gapMultiple` of its own median scan gap
      // (clamped): a phone probing every 30 s is gone after ~2 min of silence, an idle one that
      // probes every 5 min is not. Idle phones probe every 1-5 min, by OS (Freudiger, "How talkative
      // is your mobile device?", WiSec 2015); the first sighting gets `defaultWindowMs`.
      .default({ defaultWindowMs: 5 * 60_000, minWindowMs: 2 * 60_000, maxWindowMs: 20 * 60_000, gapMultiple: 3 })
      .describe('how long a merged device counts as present after its last in-range frame'),
    burstGapMs: z
      .number()
      .int()
      .positive()
      .default(2_000)
      .describe('frames closer than this belong to one scan burst (a scan sweeps all channels within ~1 s)'),
    periodic: z
      .object({
        minPeriodMs: z.number().int().positive().default(30_000),
        toleranceMs: z.number().int().positive().default(2_000),
        minGaps: z.number().int().positive().default(8),
        minShare: z.number().min(0).max(1).default(0.75),
      })
      .strict()
      // Operating systems of fixed computers scan on a timer (Windows WLAN AutoConfig every 60 s when
      // not associated; wpa_supplicant/NetworkManager 30–120 s); a handheld's probes follow its
      // user (screen on, app use) and its power saving, so their gaps are irregular.
      .default({ minPeriodMs: 30_000, toleranceMs: 2_000, minGaps: 8, minShare: 0.75 })
      .describe('a device whose scan bursts come on a fixed timer is a computer, not a visitor'),
    maxVisitMs: z
      .number()
      .int()
      .positive()
      .default(6 * 3_600_000)
      .describe('a device heard continuously for longer than this is fixed or staff (issue: "present for hours")'),
    continuityGapMs: z
      .number()
      .int()
      .positive()
      .default(30 * 60_000)
      .describe('a silence longer than this ends a visit'),
    link: z
      .object({
        maxGapMs: z.number().int().positive().default(60_000),
        maxSeqAdvance: z.number().int().positive().default(64),
      })
      .strict()
      // A phone that rotates its address keeps its sequence counter on many chipsets (Vanhoef et al.,
      // "Why MAC address randomization is not enough", AsiaCCS 2016 §4.2): a new address whose first
      // sequence number continues an address that just fell silent, with the same IE layout, is the same phone.
      .default({ maxGapMs: 60_000, maxSeqAdvance: 64 })
      .describe('randomised-MAC merging by sequence-number continuity'),
    fingerprintMerge: z
      .boolean()
      .default(true)
      .describe('randomised addresses with one IE fingerprint count once while present (baseline merge); chains still split visitors per hour'),
    persistentBursts: z
      .number()
      .int()
      .positive()
      .default(2)
      .describe('a randomised address heard in this many scan bursts is a stable (per-network) address and counts by itself'),
    rotating: z
      .object({ slotMs: z.number().int().positive().default(60_000), scansPerSlot: z.number().positive().default(1) })
      .strict()
      // scansPerSlot chosen on the tuning day (2024-02-29) among 1 and 2.
      .default({ slotMs: 60_000, scansPerSlot: 1 })
      .describe('per-scan rotating addresses of one fingerprint: distinct addresses in a slot / scans one phone makes in it'),
    maxDevices: z.number().int().positive().default(50_000).describe('memory bound: the least recently heard devices are dropped beyond it'),
  })
  .strict();

export type OccupancySettings = z.infer<typeof occupancySettingsSchema>;
export type OccupancySettingsInput = z.input<typeof occupancySettingsSchema>;

/** Log-distance model: the level a phone at `radiusM` produces; frames below it are outside the store. */
export function rssiGateDbm(calibration: OccupancySettings['calibration'], radiusM: number): number {
  return calibration.refRssiAt1mDbm - 10 * calibration.pathLossExponent * Math.log10(Math.max(radiusM, 1));
}
