/**
 * Pure: the wait before restart number `failures` (1-based) of a BLE scan: `minMs`, doubling per
 * consecutive failure, capped at `maxMs`. Consecutive failures reset on the next advertisement.
 * @example bleRestartDelayMs(3, 1_000, 60_000) === 4_000
 */
export function bleRestartDelayMs(failures: number, minMs: number, maxMs: number): number {
  const n = Math.max(1, Math.floor(failures));
  return Math.min(maxMs, minMs * 2 ** Math.min(n - 1, 30));
}
