import type { GatewayConfig } from '@storesense/firmware-config';
import { pointInShape } from '@storesense/firmware-config';
import type { Observation } from '@storesense/protocol';
import { mulberry32 } from '../offline.js';

/** A waypoint of a walk: at time `t` (ms from start) the phone is at (x, y) on `floor`. */
export interface Waypoint {
  t: number;
  floor: number;
  x: number;
  y: number;
}

/**
 * A small, honest radio model for tests (not the simulator): log-distance path loss per receiver
 * calibration, a wall penalty when phone and receiver are on different sides of the store outline,
 * a floor penalty per level, Gaussian shadowing and advert loss. Linear motion between waypoints.
 * `biasDb`: each receiver's reporting bias (readings come out this much high); `txOffsetDb`: the phone's;
 * `heightDiffM`: receiver above phone (the simulator's 2.7 m vs 1.2 m), default 0 (plan distance).
 */
export function radioWalk(
  config: GatewayConfig,
  subject: string,
  startAt: number,
  walk: Waypoint[],
  opts: {
    seed?: number;
    advertMs?: number;
    sigmaDb?: number;
    lossRate?: number;
    wallDb?: number;
    floorDb?: number;
    sensitivityDbm?: number;
    biasDb?: ReadonlyMap<string, number>;
    txOffsetDb?: number;
    heightDiffM?: number;
  } = {},
): Observation[] {
  const rand = mulberry32(opts.seed ?? 42);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const advertMs = opts.advertMs ?? 500;
  // Defaults in line with the simulator's radio model (simulators/src/radio.model.ts).
  const sigma = opts.sigmaDb ?? 4;
  const loss = opts.lossRate ?? 0.15;
  const wallDbFull = opts.wallDb ?? 3;
  const floorDbPer = opts.floorDb ?? 18;
  const sensitivity = opts.sensitivityDbm ?? -95;
  const store = config.stores[0]!;
  const out: Observation[] = [];
  const end = walk[walk.length - 1]!.t;
  for (let t = 0; t <= end; t += advertMs) {
    const p = positionAt(walk, t);
    const phoneInside = store.floors.includes(p.floor) && pointInShape(p, store.shape);
    for (const r of config.receivers) {
      if (rand() < loss) continue;
      const d = Math.max(0.5, Math.hypot(r.position.x - p.x, r.position.y - p.y, opts.heightDiffM ?? 0));
      const rxInside = pointInShape(r.position, store.shape);
      const wallDb = phoneInside !== rxInside ? wallDbFull : 0;
      const floorDb = floorDbPer * Math.abs(r.floor - p.floor);
      const rssi =
        r.calibration.refRssiAt1mDbm -
        10 * r.calibration.pathLossExponent * Math.log10(d) -
        wallDb -
        floorDb +
        sigma * gauss() +
        (opts.biasDb?.get(r.id) ?? 0) +
        (opts.txOffsetDb ?? 0);
      if (rssi < sensitivity) continue;
      out.push({ v: 1, at: startAt + t, source: 'ble', receiverId: r.id, subject, rssiDbm: Math.round(rssi) });
    }
  }
  return out;
}

function positionAt(walk: Waypoint[], t: number): Waypoint {
  let prev = walk[0]!;
  for (const w of walk) {
    if (w.t >= t) {
      if (w.t === prev.t || w.floor !== prev.floor) return t - prev.t < w.t - t ? prev : w;
      const f = (t - prev.t) / (w.t - prev.t);
      return { t, floor: w.floor, x: prev.x + f * (w.x - prev.x), y: prev.y + f * (w.y - prev.y) };
    }
    prev = w;
  }
  return prev;
}
