import { describe, expect, it } from 'vitest';
import { codecs, type Observation } from '@storesense/protocol';
import { createGateway } from '../app.js';
import { createClassifier } from '../classify/create-classifier.js';
import { silentLogger } from '../log.js';
import { mulberry32 } from '../offline.js';
import { Pipeline } from '../pipeline.js';
import { boutiqueConfig } from '../testing/fixtures.js';
import { radioWalk, type Waypoint } from '../testing/radio-walk.js';

const config = boutiqueConfig();
/** True reporting biases; the config declares 0 for each (an uncalibrated install). */
const bias = new Map([
  ['rx-front', 5],
  ['rx-door', -5],
  ['rx-sales', 5],
  ['rx-till', -5],
]);

/** Phones strolling between random points in and in front of the boutique (10 × 8 m), 30 at a time. */
function traffic(phones: number, seed: number): Observation[] {
  const rnd = mulberry32(seed);
  const spot = () => (rnd() < 0.3 ? { x: rnd() * 10, y: -1 - rnd() * 4 } : { x: 0.5 + rnd() * 9, y: 0.5 + rnd() * 7 });
  const out: Observation[] = [];
  for (let i = 0; i < phones; i++) {
    const walk: Waypoint[] = [];
    for (let k = 0, t = 0; k < 5; k++, t += 8_000 + rnd() * 8_000) walk.push({ t, floor: 0, ...spot() });
    out.push(
      ...radioWalk(config, `s${i}`, 1_000_000 + i * 2_000, walk, { seed: seed * 1000 + i, biasDb: bias, heightDiffM: 1.5, txOffsetDb: 4 * (rnd() - 0.5) }),
    );
  }
  return out.sort((a, b) => a.at - b.at);
}

function run(autoCalibration: boolean) {
  const pipeline = new Pipeline({ config, classifier: createClassifier(config, 'rules'), logger: silentLogger(), autoCalibration });
  const obs = traffic(300, 7);
  let i = 0;
  for (let now = obs[0]!.at; now <= obs.at(-1)!.at; now += config.tickMs) {
    while (i < obs.length && obs[i]!.at <= now) pipeline.ingest(obs[i++]!);
    pipeline.tick(now);
  }
  return pipeline;
}

describe('auto-calibration in the pipeline', () => {
  it('learns each receiver offset within 2 dB from passing phones and applies it through the correction map', () => {
    const p = run(true);
    const snap = p.calibration().snapshot!;
    expect(snap.state).toBe('applied');
    for (const [id, b] of bias) {
      expect(snap.receivers[id]!.applied).toBe(true);
      expect(Math.abs(snap.receivers[id]!.offsetDb - b)).toBeLessThan(2);
      // The tracker (and so every classifier) sees readings through this map only.
      expect(p.ctx.rssiCorrectionDb.get(id)).toBeCloseTo(-snap.receivers[id]!.offsetDb, 0);
    }
  });

  it('leaves the declared corrections alone when switched off', () => {
    const p = run(false);
    expect(p.calibration()).toEqual({ auto: false, snapshot: undefined });
    for (const id of bias.keys()) expect(p.ctx.rssiCorrectionDb.get(id)).toBe(-0);
  });

  it('shows in health (status API and state/health payload): per receiver declared, learned, offset, evidence', () => {
    const gw = createGateway(boutiqueConfig({ calibration: { auto: true } }), { logger: silentLogger(), uplink: false, wifi: false });
    gw.ingest(traffic(60, 3));
    const h = gw.health();
    expect(h.calibration).toMatchObject({ auto: true, state: 'learning', samples: 0 });
    expect(Object.keys(h.calibration!.receivers).sort()).toEqual(['rx-door', 'rx-front', 'rx-sales', 'rx-till']);
    expect(h.calibration!.receivers['rx-door']).toEqual({ declaredDb: 0, learnedDb: 0, offsetDb: 0, evidence: 0, applied: false });
    const wire = codecs.health.decode(codecs.health.encode(h));
    expect(wire.ok && wire.value.calibration).toEqual(h.calibration);
    const off = createGateway(boutiqueConfig({ calibration: { auto: false } }), { logger: silentLogger(), uplink: false, wifi: false });
    expect(off.health().calibration).toMatchObject({ auto: false, state: 'off' });
  });
});
