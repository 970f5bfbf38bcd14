/**
 * `/assets/console/format.js`: how the console writes times, durations, shares and money. No
 * browser globals, so Node tests import it as it is served.
 * Browser JS inside String.raw: it must not contain backticks or dollar-brace.
 */
export const FORMAT_JS = String.raw`
export const fmt = {
  time: (ms) => (ms ? new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '–'),
  dateTime: (ms) => (ms ? new Date(ms).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' }) : '–'),
  ago(ms, now) {
    if (!ms) return 'never';
    const s = Math.max(0, Math.round(((now || Date.now()) - ms) / 1000));
    if (s < 90) return s + ' s ago';
    if (s < 5400) return Math.round(s / 60) + ' min ago';
    if (s < 172800) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  },
  pct: (x) => (x === null || x === undefined ? '–' : Math.round(x * 100) + '%'),
  secs: (ms) => (ms === null || ms === undefined ? '–' : Math.round(ms / 1000) + ' s'),
  money: (amount, currency) => (amount === null || amount === undefined ? '–' : Number(amount).toFixed(2) + (currency ? ' ' + currency : '')),
  list: (xs) => (xs && xs.length ? xs.join(', ') : '–'),
};
`;
