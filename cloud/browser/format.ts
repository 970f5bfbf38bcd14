/**
 * How the console writes times, durations, shares and money. No browser globals, so Node tests
 * import the built module exactly as it is served.
 */
export const fmt = {
  time: (ms: number | null | undefined): string => (ms ? new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '–'),
  dateTime: (ms: number | null | undefined): string => (ms ? new Date(ms).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' }) : '–'),
  ago(ms: number | null | undefined, now?: number): string {
    if (!ms) return 'never';
    const s = Math.max(0, Math.round(((now || Date.now()) - ms) / 1000));
    if (s < 90) return `${s} s ago`;
    if (s < 5400) return `${Math.round(s / 60)} min ago`;
    if (s < 172800) return `${Math.round(s / 3600)} h ago`;
    return `${Math.round(s / 86400)} d ago`;
  },
  pct: (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${Math.round(x * 100)}%`),
  secs: (ms: number | null | undefined): string => (ms === null || ms === undefined ? '–' : `${Math.round(ms / 1000)} s`),
  money: (amount: number | string | null | undefined, currency?: string | null): string =>
    amount === null || amount === undefined ? '–' : Number(amount).toFixed(2) + (currency ? ` ${currency}` : ''),
  list: (xs: readonly string[] | null | undefined): string => (xs?.length ? xs.join(', ') : '–'),
};
