/**
 * The journey funnel (临场 approach → 进场 arrival → 驻留 dwell → 提袋 purchase) from
 * GET /api/v1/analytics/funnel (distinct visits per stage, per site-local hour, store and floor,
 * from the hourly rollups): the site's totals with the conversion at each step, and a table per
 * store and floor and per hour, each with its data as CSV.
 */
import { fill, fmt, get, h, t, table, tOr } from './core.js';
import type { MessageKey } from './i18n.js';
import { floorName, storeName } from './sites.js';

export interface FunnelRow {
  hour: string;
  storeId: string;
  floor: number | null;
  approaches: number;
  arrivals: number;
  dwells: number;
  purchases: number;
}
type Counts = Pick<FunnelRow, 'approaches' | 'arrivals' | 'dwells' | 'purchases'>;
const STEPS: [keyof Counts, string][] = [
  ['approaches', 'approach'],
  ['arrivals', 'arrival'],
  ['dwells', 'dwell'],
  ['purchases', 'purchase'],
];

/** Pure: rows summed by a key (store and floor, or hour), in first-seen order. */
export function sumBy(rows: readonly FunnelRow[], key: (r: FunnelRow) => string): [string, Counts][] {
  const out = new Map<string, Counts>();
  for (const r of rows) {
    const c = out.get(key(r)) ?? { approaches: 0, arrivals: 0, dwells: 0, purchases: 0 };
    for (const [k] of STEPS) c[k] += r[k];
    out.set(key(r), c);
  }
  return [...out];
}

/** A step's conversion from the step before it ("45%"), '–' at the first step or from nothing. */
const conversion = (c: Counts, i: number): string => {
  const prev = i > 0 ? c[STEPS[i - 1]![0]] : 0;
  return i === 0 || prev === 0 ? '' : ` (${fmt.pct(c[STEPS[i]![0]] / prev)})`;
};

/** A CSV of the rows the table shows, as a download link (made in the page: nothing leaves it). */
function csvLink(name: string, header: string[], lines: (string | number | null)[][]): HTMLElement {
  const esc = (v: string | number | null): string => (v === null ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
  const blob = new Blob([[header, ...lines].map((l) => l.map(esc).join(',')).join('\n') + '\n'], { type: 'text/csv' });
  return h('a', { href: URL.createObjectURL(blob), download: name, class: 'csv', text: t('funnel.csv') });
}

export async function renderFunnel(box: HTMLElement, siteId: string, from: number, to: number): Promise<void> {
  const H = 3_600_000;
  const q = `siteId=${encodeURIComponent(siteId)}&from=${Math.floor(from / H) * H}&to=${Math.ceil(to / H) * H}`;
  const { rows } = await get<{ rows: FunnelRow[] }>(`/api/v1/analytics/funnel?${q}`);
  const [[, total] = ['', { approaches: 0, arrivals: 0, dwells: 0, purchases: 0 }]] = sumBy(rows, () => 'all');
  const max = Math.max(1, total.approaches);
  const bars = h(
    'ol',
    { class: 'funnel', id: 'funnel-total', 'aria-label': t('funnel.title') },
    ...STEPS.map(([k, stage], i) =>
      h(
        'li',
        { dataset: { step: stage, count: String(total[k]) } },
        h('span', { class: 'funnel-label', text: tOr(`event.${stage}`, stage) }),
        h('span', { class: 'funnel-bar' }, h('span', { class: 'funnel-fill', dataset: { share: String(total[k] / max) } })),
        h('b', { text: `${total[k]}${conversion(total, i)}` }),
      ),
    ),
  );
  for (const fillEl of bars.querySelectorAll<HTMLElement>('.funnel-fill')) fillEl.style.width = `${Math.round(Number(fillEl.dataset.share) * 100)}%`;
  const place = (r: FunnelRow): string => `${r.storeId}\u0000${r.floor ?? ''}`;
  const byStore = sumBy(rows, place);
  const byHour = sumBy(rows, (r) => r.hour);
  const cols = (first: MessageKey, label: (k: string) => string) => [
    { label: t(first), cell: ([k]: [string, Counts]) => label(k) },
    ...STEPS.map(([k, stage], i) => ({ label: tOr(`event.${stage}`, stage), cell: ([, c]: [string, Counts]) => `${c[k]}${conversion(c, i)}` })),
  ];
  const storeLabel = (k: string): string => {
    const [storeId = '', floor = ''] = k.split('\u0000');
    return [storeName(siteId, storeId) ?? storeId, floor === '' ? '' : floorName(siteId, Number(floor))].filter(Boolean).join(' · ');
  };
  fill(
    box,
    h('h2', { text: t('funnel.title') }),
    rows.length === 0 ? h('p', { class: 'meta', text: t('funnel.none') }) : bars,
    h(
      'h3',
      {},
      t('funnel.byStore'),
      ' ',
      csvLink(
        'funnel-by-store.csv',
        ['store', 'floor', ...STEPS.map(([k]) => k)],
        rows.length ? byStore.map(([k, c]) => [...k.split('\u0000'), ...STEPS.map(([s]) => c[s])]) : [],
      ),
    ),
    table(cols('funnel.store', storeLabel), byStore, { label: t('funnel.byStore'), cls: 'funnel-stores' }),
    h(
      'h3',
      {},
      t('funnel.byHour'),
      ' ',
      csvLink(
        'funnel-by-hour.csv',
        ['hour', ...STEPS.map(([k]) => k)],
        byHour.map(([k, c]) => [k, ...STEPS.map(([s]) => c[s])]),
      ),
    ),
    table(
      cols('funnel.hour', (k) => k),
      byHour,
      { label: t('funnel.byHour'), cls: 'funnel-hours' },
    ),
  );
}
