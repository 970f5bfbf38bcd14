/**
 * Analytics: headline tiles and charts drawn as plain SVG from GET /api/v1/analytics/* (no chart
 * library). The site and range come from `reportRange()` (`?site=&from=&to=`, else the 24 h up to
 * the newest event, so a replayed day still shows). `bars()` is exported for the offers view.
 */
import type { AnalyticsSummary, DwellReport, FloorFlows, FootfallRow } from './api.types.js';
import { errorBox, fill, fmt, get, h, reportRange, t, tile } from './core.js';
import { renderFunnel } from './funnel.js';

const svgEl = (tag: string, attrs: Record<string, string | number>, text?: string | SVGElement): SVGElement =>
  h(`svg:${tag}`, attrs, ...(text === undefined ? [] : [text]));

export interface Series {
  name: string;
  cls: string;
  values: number[];
}

/** Grouped bar chart: labels along x, one bar per series; values are drawn above the bars. */
export function bars(svg: Element, labels: string[], series: Series[], opts?: { values?: boolean }): void {
  fill(svg);
  const W = 420;
  const H = 180;
  const L = 30;
  const B = 34;
  const T = 10;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const slot = (W - L - 4) / Math.max(1, labels.length);
  const bw = Math.max(2, (slot - 4) / series.length);
  svg.append(svgEl('line', { x1: L, y1: H - B, x2: W, y2: H - B, stroke: 'currentColor', 'stroke-opacity': 0.4 }));
  svg.append(svgEl('text', { x: 2, y: T + 4 }, String(max)), svgEl('text', { x: 2, y: H - B }, '0'));
  const every = Math.ceil(labels.length / 12);
  labels.forEach((label, i) => {
    series.forEach((s, j) => {
      const v = s.values[i] || 0;
      const bh = ((H - B - T) * v) / max;
      const x = L + i * slot + 2 + j * bw;
      svg.append(svgEl('rect', { x, y: H - B - bh, width: bw - 1, height: bh, class: s.cls }, svgEl('title', {}, `${s.name} ${label}: ${v}`)));
      if (opts?.values && v > 0) svg.append(svgEl('text', { x: x + bw / 2, y: H - B - bh - 2, 'text-anchor': 'middle' }, String(v)));
    });
    if (i % every === 0) svg.append(svgEl('text', { x: L + i * slot + slot / 2, y: H - B + 12, 'text-anchor': 'middle' }, label));
  });
  series.forEach((s, j) => {
    svg.append(svgEl('rect', { x: L + j * 110, y: H - 12, width: 10, height: 10, class: s.cls }));
    svg.append(svgEl('text', { x: L + j * 110 + 14, y: H - 3 }, s.name));
  });
}

/** A figure with a caption around an empty 420x180 SVG chart. */
export const chart = (id: string, caption: string): HTMLElement =>
  h('figure', {}, h('figcaption', { text: caption }), h('svg:svg', { id, viewBox: '0 0 420 180', role: 'img', 'aria-label': caption }));

function tiles(box: HTMLElement, summary: AnalyticsSummary): void {
  const f = summary.footfall;
  const r = summary.returning;
  const o = summary.offers;
  const d = summary.dwell;
  fill(
    box,
    tile(String(f.approaches), t('an.approaches')),
    tile(String(f.arrivals), t('an.arrivalsVisits')),
    tile(fmt.pct(f.captureRate), t('an.capture')),
    tile(`${fmt.secs(d.p50Ms)} / ${fmt.secs(d.p90Ms)}`, t('an.dwellP')),
    tile(fmt.pct(r.memberShare), t('an.memberShare')),
    tile(String(r.returningSubjects), t('an.returning')),
    tile(o.issued ? `${fmt.pct(o.conversion)} (${o.redeemed}/${o.issued})` : '–', t('an.offerConversion')),
  );
}

export async function render(main: HTMLElement): Promise<() => void> {
  const rangeEl = h('span', { class: 'meta', id: 'an-range' });
  const tilesEl = h('div', { class: 'tiles', id: 'an-tiles' }, h('div', { class: 'meta', text: t('an.loading') }));
  const funnelBox = h('section', { id: 'an-funnel' });
  fill(
    main,
    h(
      'section',
      { id: 'analytics' },
      h('h1', {}, t('an.title'), ' ', rangeEl),
      tilesEl,
      h(
        'div',
        { class: 'charts' },
        chart('an-footfall', t('an.footfall')),
        chart('an-dwell', t('an.dwell')),
        chart('an-zones', t('an.zones')),
        chart('an-floors', t('an.floors')),
      ),
      funnelBox,
    ),
  );
  const $ = (id: string): Element => {
    const el = main.querySelector(`#${id}`);
    if (!el) throw new Error(`no #${id}`);
    return el;
  };

  async function load(): Promise<void> {
    const range = await reportRange();
    if (!range) {
      fill(tilesEl, h('div', { class: 'meta', text: t('an.noEvents') }));
      return;
    }
    const q = range.query;
    const [summary, foot, dwell, floors] = await Promise.all([
      get<AnalyticsSummary>(`/api/v1/analytics/summary?${q}`),
      get<{ rows: FootfallRow[] }>(`/api/v1/analytics/footfall?bucket=hour&${q}`),
      get<DwellReport>(`/api/v1/analytics/dwell?${q}`),
      get<FloorFlows>(`/api/v1/analytics/floors?${q}`),
    ]);
    rangeEl.textContent = t('an.range', {
      site: range.siteId,
      from: fmt.dateTime(range.from, summary.timeZone),
      to: fmt.dateTime(range.to, summary.timeZone),
      zone: summary.timeZone,
    });
    tiles(tilesEl, summary);
    await renderFunnel(funnelBox, range.siteId, range.from, range.to).catch((err: Error) =>
      fill(funnelBox, errorBox(t('funnel.unavailable', { error: err.message }))),
    );
    const hours = [...new Set(foot.rows.map((r) => r.bucket))].sort();
    const sum = (hour: string, k: 'approaches' | 'arrivals'): number => foot.rows.filter((r) => r.bucket === hour).reduce((n, r) => n + r[k], 0);
    bars(
      $('an-footfall'),
      hours.map((x) => t('an.hour', { h: x.slice(11) })),
      [
        { name: t('an.approaches'), cls: 'c-appr', values: hours.map((x) => sum(x, 'approaches')) },
        { name: t('an.arrivals'), cls: 'c-arr', values: hours.map((x) => sum(x, 'arrivals')) },
      ],
      { values: hours.length <= 12 },
    );
    bars(
      $('an-dwell'),
      dwell.overall.buckets.map((b) => b.label),
      [{ name: t('an.zoneVisits'), cls: 'c-dwell', values: dwell.overall.buckets.map((b) => b.count) }],
      { values: true },
    );
    const zones = dwell.zones.slice(0, 8);
    bars(
      $('an-zones'),
      zones.map((z) => z.zoneId),
      [
        { name: 'p50 (s)', cls: 'c-arr', values: zones.map((z) => Math.round((z.p50Ms || 0) / 1000)) },
        { name: 'p90 (s)', cls: 'c-dwell', values: zones.map((z) => Math.round((z.p90Ms || 0) / 1000)) },
      ],
      { values: true },
    );
    const flows = floors.flows.slice(0, 8);
    bars(
      $('an-floors'),
      flows.map((f) => `F${f.fromFloor}→F${f.toFloor}`),
      [{ name: t('an.trips'), cls: 'c-flow', values: flows.map((f) => f.count) }],
      { values: true },
    );
  }

  await load().catch((err: Error) => fill(tilesEl, errorBox(t('an.unavailable', { error: err.message }))));
  const timer = setInterval(() => void load().catch(() => undefined), 60000);
  return () => clearInterval(timer);
}
