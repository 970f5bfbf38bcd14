/** Time is a dependency (architecture §7 habit 8): domain code asks a Clock, never `Date.now()`. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
