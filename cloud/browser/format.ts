/**
 * How the console writes times, durations, shares and money: in the chosen language (`i18n.ts`)
 * and, for clock times, in the site's time zone (`setTimeZone`, from GET /api/v1/sites), never
 * silently in the browser's. No browser globals, so Node tests import the built module as served.
 */
import { locale, t } from './i18n.js';

let timeZone: string | undefined;
/** The zone clock times are shown in (the site's); undefined = the browser's own. */
export function setTimeZone(tz: string | undefined): void {
  timeZone = tz;
}
export const currentTimeZone = (): string => timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;

const formatters = new Map<string, Intl.DateTimeFormat>();
function dateFormat(opts: Intl.DateTimeFormatOptions, tz?: string): Intl.DateTimeFormat {
  const zone = tz ?? timeZone;
  const key = `${locale()}|${zone ?? ''}|${JSON.stringify(opts)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale(), { ...opts, ...(zone ? { timeZone: zone } : {}) });
    formatters.set(key, f);
  }
  return f;
}

export const fmt = {
  time: (ms: number | null | undefined, tz?: string): string =>
    ms ? dateFormat({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, tz).format(ms) : '–',
  dateTime: (ms: number | null | undefined, tz?: string): string =>
    ms ? dateFormat({ year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, tz).format(ms) : '–',
  ago(ms: number | null | undefined, now?: number): string {
    if (!ms) return t('fmt.never');
    const s = Math.max(0, Math.round(((now || Date.now()) - ms) / 1000));
    if (s < 90) return t('fmt.agoS', { n: s });
    if (s < 5400) return t('fmt.agoMin', { n: Math.round(s / 60) });
    if (s < 172800) return t('fmt.agoH', { n: Math.round(s / 3600) });
    return t('fmt.agoD', { n: Math.round(s / 86400) });
  },
  /** Whole days, for "last seen": today / yesterday / 3 days ago. */
  days(ms: number, now = Date.now()): string {
    const days = Math.floor((now - ms) / 86400000);
    return days < 1 ? t('fmt.today') : days === 1 ? t('fmt.yesterday') : t('fmt.daysAgo', { n: days });
  },
  pct: (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${Math.round(x * 100)}%`),
  secs: (ms: number | null | undefined): string => (ms === null || ms === undefined ? '–' : t('fmt.secs', { n: Math.round(ms / 1000) })),
  /** Money in the language's convention: "CN¥1,280.00" / "¥1,280.00"; without a currency, the number alone. */
  money(amount: number | string | null | undefined, currency?: string | null): string {
    if (amount === null || amount === undefined || Number.isNaN(Number(amount))) return '–';
    const n = Number(amount);
    if (!currency) return new Intl.NumberFormat(locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n);
    try {
      return new Intl.NumberFormat(locale(), { style: 'currency', currency }).format(n);
    } catch {
      return `${n.toFixed(2)} ${currency}`; // not an ISO 4217 code Intl knows
    }
  },
  list: (xs: readonly string[] | null | undefined): string => (xs?.length ? xs.join(locale() === 'zh-CN' ? '、' : ', ') : '–'),
};
