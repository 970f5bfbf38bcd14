/**
 * Settings search on ONE labelled day (the tuning day); the chosen settings are then scored on the
 * other days as they are. The grid spans only what the capture cannot tell from physics or
 * behaviour: the store's radius around the receiver, how many scans a rotating phone makes per
 * slot and how many of its own scan gaps a device may be silent (docs/decisions.md 44).
 */
import type { Observation } from '@storesense/protocol';
import { binPairs, estimateMinutes, scoreBins, type BinScore } from './occupancy.score.js';
import type { OccupancySettingsInput } from './occupancy.settings.js';

export const TUNING_GRID = {
  radiusM: [6, 7, 8, 9, 10, 12],
  scansPerSlot: [1, 2],
  gapMultiple: [2, 3, 4],
} as const;

export function gridSettings(base: OccupancySettingsInput = {}): OccupancySettingsInput[] {
  const out: OccupancySettingsInput[] = [];
  for (const radiusM of TUNING_GRID.radiusM)
    for (const scansPerSlot of TUNING_GRID.scansPerSlot)
      for (const gapMultiple of TUNING_GRID.gapMultiple)
        out.push({ ...base, radiusM, rotating: { slotMs: 60_000, scansPerSlot }, presence: { ...(base.presence ?? {}), gapMultiple } });
  return out;
}

/** Lower is better: MAE in persons, plus one person per 0.1 of correlation short of 1. */
export function tuningLoss(s: BinScore): number {
  return s.maePersons + 10 * (1 - s.pearsonR);
}

export interface TuneResult {
  best: OccupancySettingsInput;
  bestScore: BinScore;
  tried: { settings: OccupancySettingsInput; score: BinScore; loss: number }[];
}

/** Scores every grid point on the day's observations and truth; ties keep the earlier (smaller-radius) point. */
export function tune(
  observations: readonly Observation[],
  truth: ReadonlyMap<number, number>,
  base: OccupancySettingsInput = {},
  onProgress?: (done: number, total: number) => void,
): TuneResult {
  const grid = gridSettings(base);
  const tried: TuneResult['tried'] = [];
  for (const [i, settings] of grid.entries()) {
    const minutes = estimateMinutes(observations, settings);
    const score = scoreBins(binPairs(new Map(minutes.map((m) => [m.startMs, m.occupancy])), truth));
    tried.push({ settings, score, loss: tuningLoss(score) });
    onProgress?.(i + 1, grid.length);
  }
  const best = tried.reduce((a, b) => (b.loss < a.loss ? b : a));
  return { best: best.settings, bestScore: best.score, tried };
}
