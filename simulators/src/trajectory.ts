import type { Point } from '@storesense/firmware-config';

/**
 * A shopper's path as piecewise-linear segments in time: walking, standing, riding an escalator
 * (floor0 -> floor1, the floor switches at t1), or away (out of radio range, not present).
 * Times are ms since epoch (fractional while planning; observations round them).
 */
export interface Segment {
  t0: number;
  t1: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  floor0: number;
  floor1: number;
  /** False while the shopper is away from the mall area (no adverts, no journey state). */
  present: boolean;
  /** An escalator ride: truth holds the departure state until t1, radio interpolates height. */
  ride: boolean;
  /** Unit heading the shopper faces (the last walking direction while standing); 0,0 if unknown. */
  hx: number;
  hy: number;
}

/** Position of a shopper at one instant; `z01` is the fraction of an escalator ride done (0 otherwise). */
export interface Pose {
  x: number;
  y: number;
  floor: number;
  present: boolean;
  /** Height above the floor-0 slab in floors (e.g. 0.5 = halfway up a ride from floor 0 to 1). */
  level: number;
  /** Unit heading the shopper faces (for body shadowing); 0,0 if unknown. */
  hx: number;
  hy: number;
}

/**
 * Builds a trajectory step by step from a start pose.
 * @example
 * const b = new TrajectoryBuilder(t0, { x: -14, y: -3 }, 0);
 * b.walkTo({ x: 6, y: -2 }, 1.3).hold(20_000).walkTo({ x: 26, y: -3 }, 1.3);
 * const segments = b.build();
 */
export class TrajectoryBuilder {
  private readonly segments: Segment[] = [];
  private x: number;
  private y: number;
  private hx = 0;
  private hy = 0;

  constructor(
    private t: number,
    start: Point,
    private floor: number,
  ) {
    this.x = start.x;
    this.y = start.y;
  }

  get now(): number {
    return this.t;
  }

  get position(): Point {
    return { x: this.x, y: this.y };
  }

  get currentFloor(): number {
    return this.floor;
  }

  /** Walks in a straight line at `speedMps`. */
  walkTo(p: Point, speedMps: number): this {
    const d = Math.hypot(p.x - this.x, p.y - this.y);
    if (d < 1e-6) return this;
    const ms = (d / speedMps) * 1000;
    return this.push(ms, p.x, p.y, this.floor, true, false);
  }

  /** Stands still (queueing, looking at a window display, paying). */
  hold(durationMs: number): this {
    if (durationMs <= 0) return this;
    return this.push(durationMs, this.x, this.y, this.floor, true, false);
  }

  /** Rides an escalator to `p` on `toFloor` in `durationMs`. */
  ride(p: Point, toFloor: number, durationMs: number): this {
    return this.push(durationMs, p.x, p.y, toFloor, true, true);
  }

  /** Leaves radio range for `durationMs`, then reappears at `p` (e.g. a corridor end). */
  away(durationMs: number, p: Point, floor: number): this {
    this.push(durationMs, this.x, this.y, this.floor, false, false);
    this.x = p.x;
    this.y = p.y;
    this.floor = floor;
    return this;
  }

  build(): Segment[] {
    return this.segments.slice();
  }

  private push(ms: number, x1: number, y1: number, floor1: number, present: boolean, ride: boolean): this {
    const d = Math.hypot(x1 - this.x, y1 - this.y);
    if (d > 1e-6 && present) {
      this.hx = (x1 - this.x) / d;
      this.hy = (y1 - this.y) / d;
    }
    this.segments.push({ t0: this.t, t1: this.t + ms, x0: this.x, y0: this.y, x1, y1, floor0: this.floor, floor1, present, ride, hx: this.hx, hy: this.hy });
    this.t += ms;
    this.x = x1;
    this.y = y1;
    this.floor = floor1;
    return this;
  }
}

/**
 * Reads poses in non-decreasing time order with a moving cursor (O(1) amortised per advert).
 * Outside [start, end] the shopper is not present.
 */
export class TrajectoryCursor {
  private i = 0;

  constructor(private readonly segments: readonly Segment[]) {}

  get startAt(): number {
    return this.segments[0]?.t0 ?? 0;
  }

  get endAt(): number {
    return this.segments[this.segments.length - 1]?.t1 ?? 0;
  }

  /** Writes the pose at `t` into `out` and returns it (no allocation on the hot path). */
  poseAt(t: number, out: Pose): Pose {
    const segs = this.segments;
    while (this.i < segs.length - 1 && segs[this.i]!.t1 <= t) this.i++;
    const s = segs[this.i];
    if (s === undefined || t < s.t0 || t > s.t1) {
      out.present = false;
      return out;
    }
    const span = s.t1 - s.t0;
    const f = span > 0 ? (t - s.t0) / span : 1;
    out.x = s.x0 + (s.x1 - s.x0) * f;
    out.y = s.y0 + (s.y1 - s.y0) * f;
    out.present = s.present;
    out.hx = s.hx;
    out.hy = s.hy;
    if (s.ride) {
      out.floor = f >= 1 ? s.floor1 : s.floor0;
      out.level = s.floor0 + (s.floor1 - s.floor0) * f;
    } else {
      out.floor = s.floor0;
      out.level = s.floor0;
    }
    return out;
  }
}

export function newPose(): Pose {
  return { x: 0, y: 0, floor: 0, present: false, level: 0, hx: 0, hy: 0 };
}
