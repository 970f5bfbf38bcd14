/**
 * Durations on command lines: `90s`, `10m`, `2h`, `1h30m`, `500ms`. A bare number is refused, never
 * guessed: one CLI read `2` as seconds and another as milliseconds, and `--duration 2` meaning
 * 2 s when 2 h was meant silently produced a useless run (issue 13).
 * @example parseDuration('1h30m') // { ok: true, ms: 5_400_000 }; parseDuration('2') // { ok: false, reason: '2 what? use 2s, 2m, 2h' }
 */
export type DurationParse = { ok: true; ms: number } | { ok: false; reason: string };

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

export function parseDuration(text: string): DurationParse {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return { ok: false, reason: `${s} what? use ${s}s, ${s}m, ${s}h` };
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    if (m.index !== consumed) break;
    consumed += m[0].length;
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  }
  if (consumed === 0 || consumed !== s.length || !Number.isFinite(total)) return { ok: false, reason: `"${text}" is not a duration like 90s, 10m, 2h, 1h30m` };
  return { ok: true, ms: Math.round(total) };
}
