import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedFiles } from '@storesense/protocol/testing';
import { captureObservations, estimateMinutes, parseTruthCsv, scoreCapture, truthPerMinute } from './occupancy.score.js';
import { occupancySettingsSchema } from './occupancy.settings.js';
import { tune } from './occupancy.tune.js';

// Real probe captures of a university lab with the true head count (tomas-fryza/probe-request-project,
// MIT), read in place from the shared folder beside the repository (or STORESENSE_SHARED), never committed.
const TUNING_DAY = '2024-02-29';
const HELD_OUT = ['2024-03-15', '2024-04-18'];
const DAYS = [TUNING_DAY, ...HELD_OUT];
const { paths, skip } = sharedFiles(
  DAYS.flatMap((d) => [`fixtures/wifi-probes/lab-position1-${d}.pcap`, `fixtures/wifi-probes/lab-position1-${d}.csv`]),
  'the Brno lab probe captures',
);
const present = !skip;
const file = (day: string, ext: 'pcap' | 'csv') => paths[DAYS.indexOf(day) * 2 + (ext === 'pcap' ? 0 : 1)]!;

// Whole-day runs: a generous per-test limit (no figure depends on it; the machine is shared).
describe.skipIf(!present)('WiFi occupancy on the real Brno lab captures (5-minute bins)', { timeout: 120_000 }, () => {
  it(`the tuning day (${TUNING_DAY}) picks the default settings from the grid`, () => {
    const cap = captureObservations(readFileSync(file(TUNING_DAY, 'pcap')), 'test');
    if (!cap.ok) throw new Error(cap.reason);
    const truth = parseTruthCsv(readFileSync(file(TUNING_DAY, 'csv'), 'utf8'));
    if (!truth.ok) throw new Error(truth.reason);
    const r = tune(cap.value.observations, truthPerMinute(truth.value, cap.value.frameAtMs));
    const best = occupancySettingsSchema.parse(r.best);
    const defaults = occupancySettingsSchema.parse({});
    expect({ radiusM: best.radiusM, scansPerSlot: best.rotating.scansPerSlot, gapMultiple: best.presence.gapMultiple }).toEqual({
      radiusM: defaults.radiusM,
      scansPerSlot: defaults.rotating.scansPerSlot,
      gapMultiple: defaults.presence.gapMultiple,
    });
  });

  for (const day of HELD_OUT) {
    it(`${day} (held out): MAE ≤ 2 persons and r ≥ 0.9 with the default settings`, () => {
      const r = scoreCapture(readFileSync(file(day, 'pcap')), readFileSync(file(day, 'csv'), 'utf8'));
      if (!r.ok) throw new Error(r.reason);
      expect(r.value.bins).toBeGreaterThan(50);
      expect(r.value.maePersons).toBeLessThanOrEqual(2);
      expect(r.value.pearsonR).toBeGreaterThanOrEqual(0.9);
    });
  }

  it('the lab PCs are learned fixed from their scan timing, not from a list', () => {
    const cap = captureObservations(readFileSync(file('2024-04-18', 'pcap')), 'test');
    if (!cap.ok) throw new Error(cap.reason);
    const minutes = estimateMinutes(cap.value.observations, {});
    const busy = minutes.filter((m) => m.fixedExcluded > 0);
    // Ten or more all-in-one PCs run through the class; each is excluded while it scans.
    expect(Math.max(...busy.map((m) => m.fixedExcluded))).toBeGreaterThanOrEqual(8);
  });
});
