/**
 * Parses durations like `90s`, `10m`, `2h`, `1h30m`, `500ms` or a bare number of seconds.
 * @example parseDurationMs('2h') // 7_200_000
 */
export function parseDurationMs(text: string): number | undefined {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    if (m.index !== consumed) return undefined;
    consumed += m[0].length;
    const n = Number(m[1]);
    total += n * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 3_600_000);
  }
  return consumed === s.length && consumed > 0 ? Math.round(total) : undefined;
}
