// Pure figures over `storesense-sim evaluate --json` results, for scripts/eval.report.js.

export const TYPES = ['approach', 'arrival', 'dwell', 'floor_change', 'purchase', 'exit'];

export const mean = (xs) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
export const median = (xs) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ratio = (a, b) => (b === 0 ? null : a / b);
const f1 = (p, r) => (p === null || r === null ? null : p + r === 0 ? 0 : (2 * p * r) / (p + r));

/**
 * Sums matched / detected / support per type over several traces (pooled precision and recall),
 * floor changes right, the mean of the per-trace macro F1, and the median over traces of each
 * trace's arrival latency p50 / p95 (the traces carry percentiles, not the latencies themselves).
 */
export function pool(results) {
  const byType = Object.fromEntries(TYPES.map((t) => [t, { support: 0, detected: 0, matched: 0 }]));
  let floorsRight = 0;
  for (const r of results) {
    for (const t of TYPES) {
      byType[t].support += r.byType[t].support;
      byType[t].detected += r.byType[t].detected;
      byType[t].matched += r.byType[t].matched;
    }
    floorsRight += r.floorChangesCorrect ?? 0;
  }
  const fig = (t) => {
    const k = byType[t];
    const p = ratio(k.matched, k.detected);
    const r = ratio(k.matched, k.support);
    const lat = (key) => median(results.map((x) => x.byType[t][key]).filter((v) => typeof v === 'number'));
    return {
      ...k,
      precision: p,
      recall: r,
      f1: k.support === 0 && k.detected === 0 ? null : k.matched === 0 ? 0 : f1(p, r),
      latencyP50Ms: lat('latencyP50Ms'),
      latencyP95Ms: lat('latencyP95Ms'),
    };
  };
  return {
    traces: results.length,
    figures: Object.fromEntries(TYPES.map((t) => [t, fig(t)])),
    floorChangeAccuracy: ratio(floorsRight, byType.floor_change.support),
    macroF1: mean(results.map((r) => r.macroF1).filter((x) => typeof x === 'number')),
  };
}

/** False arrivals (detected − matched) of one trace. */
const falseArrivals = (r) => r.byType.arrival.detected - r.byType.arrival.matched;

/**
 * False arrivals the staff phone caused, per (site, seed, classifier): the simulator draws staff
 * devices from their own seed, so the shoppers of a staff trace are those of the default trace of
 * the same site and seed, and the extra false arrivals are the staff phone's. An evaluate build that
 * counts them itself (`staff.falseArrivals`) is used as is. Negative differences (noise) count 0.
 */
export function staffFalseArrivals(ok) {
  const out = [];
  for (const s of ok.filter((r) => r.level === 'staff')) {
    const direct = s.result.staff?.falseArrivals;
    const base = ok.find((r) => r.level === 'default' && r.site === s.site && r.seed === s.seed && r.classifier === s.classifier);
    if (typeof direct !== 'number' && !base) continue;
    const extra = typeof direct === 'number' ? direct : falseArrivals(s.result) - falseArrivals(base.result);
    out.push({
      site: s.site,
      family: s.family,
      seed: s.seed,
      classifier: s.classifier,
      extra: Math.max(0, extra),
      raw: extra,
      direct: typeof direct === 'number',
    });
  }
  return out;
}
