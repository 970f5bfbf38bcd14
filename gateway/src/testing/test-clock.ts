import type { Clock } from '../clock.js';
import type { Timers } from '../sources/timers.js';

/**
 * A clock and timers moved by hand (tests only): `advance(ms)` fires every timer due on the way,
 * in time order, letting promises settle between firings so async restarts run as they would.
 */
export class TestClock implements Clock, Timers {
  private t: number;
  private seq = 0;
  private pending = new Map<number, { at: number; fn: () => void }>();
  constructor(startMs = 1_700_000_000_000) {
    this.t = startMs;
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Timers not yet fired, as delays from now (for assertions on backoff). */
  delays(): number[] {
    return [...this.pending.values()].map((p) => p.at - this.t).sort((a, b) => a - b);
  }
  async advance(ms: number): Promise<void> {
    const until = this.t + ms;
    await settle();
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.pending) if (e[1].at <= until && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.pending.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
      await settle();
    }
    this.t = until;
    await settle();
  }
}

/** Lets queued microtasks and nextTicks run (a few rounds: promise chains are several deep). */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}
