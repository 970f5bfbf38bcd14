/**
 * Time as a dependency (architecture §7 habit 8): domain code takes `now()` from here or from observations,
 * never from `Date.now()`, so a trace replays at any speed with identical results.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests and offline runs move by hand. */
export class ManualClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
