/**
 * Timers as a dependency, beside `Clock`: sources that restart, respawn or watch for silence take
 * one, so tests drive them with `TestClock` (src/testing/test-clock.ts) instead of sleeping.
 * @example const h = timers.setTimeout(() => restart(), 1_000); timers.clearTimeout(h);
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The process timers, unref'd so a pending restart never keeps a stopping process alive. */
export const systemTimers: Timers = {
  setTimeout(fn, ms) {
    const h = setTimeout(fn, ms);
    h.unref?.();
    return h;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
