/**
 * Scan-timer detection: does a device's burst timing look like an operating-system timer (a fixed
 * computer) rather than a person's handheld? Pure and bounded: each device keeps its last
 * `GAP_RING` burst-to-burst gaps.
 *
 * Why timing: a lab PC or a shop's till scans on its OS timer (Windows WLAN AutoConfig 60 s,
 * wpa_supplicant/NetworkManager 30-120 s), so its gaps sit on multiples of one period within a
 * second or two (a missed scan doubles a gap). A phone's probes follow its user and its power
 * saving: gaps spread over seconds to many minutes. Presence length cannot tell them apart where
 * people stay as long as the machines run (a lab class, a shift), timing can.
 */

export const GAP_RING = 16;

export interface PeriodicTest {
  minPeriodMs: number;
  toleranceMs: number;
  minGaps: number;
  minShare: number;
}

/** Multiples of the period that still count (one to three scans missed). */
const MAX_MULTIPLE = 4;

/**
 * The best period among the observed gaps and the share of gaps lying on its multiples; `periodMs`
 * is undefined when fewer than `minGaps` gaps are known or none is at least `minPeriodMs`.
 * @example scanPeriod([60_010, 59_990, 120_020, ...], test) // { periodMs: 60_010, share: 1 }
 */
export function scanPeriod(gapsMs: readonly number[], t: PeriodicTest): { periodMs?: number; share: number } {
  if (gapsMs.length < t.minGaps) return { share: 0 };
  let best: { periodMs?: number; share: number } = { share: 0 };
  for (const p of gapsMs) {
    if (p < t.minPeriodMs) continue;
    let on = 0;
    for (const g of gapsMs) {
      const k = Math.round(g / p);
      if (k >= 1 && k <= MAX_MULTIPLE && Math.abs(g - k * p) <= t.toleranceMs * k) on += 1;
    }
    const share = on / gapsMs.length;
    if (share > best.share) best = { periodMs: p, share };
  }
  return best;
}

export function isTimerScanner(gapsMs: readonly number[], t: PeriodicTest): boolean {
  const r = scanPeriod(gapsMs, t);
  return r.periodMs !== undefined && r.share >= t.minShare;
}

/** Appends to a bounded ring (oldest dropped). */
export function pushGap(ring: number[], gapMs: number): void {
  ring.push(gapMs);
  if (ring.length > GAP_RING) ring.shift();
}
