/**
 * The live floor map (decision 160): one site and floor at a time, drawn as SVG from
 * GET /api/v1/map/site with a small builder (`h('svg:…')`, no map library). Zones carry the heat
 * (people per zone, counted from the journey events), store footprints the WiFi estimate,
 * receivers their health. Live polls /api/v1/map/live every second; playback fetches the counts of
 * a stored range once (/api/v1/map/playback) and moves them with a slider or play/pause. Counts
 * only: no subject or member appears here. Route: `#/map/<siteId>/<level>`.
 */
import { fill, fmt, get, h, t, tn } from './core.js';
import { floorFrame, type Frame, HEAT_STEPS, heatLabel, heatStep, labelPoint, type MapSite, pointsAttr, polygonOf, toSvg } from './map-geometry.js';
import { sites } from './sites.js';

interface Live {
  at: number;
  zones: Record<string, number>;
  stores: Record<string, number>;
  wifi: { storeId: string; occupancy: number; at: number; source: 'health' | 'minute' }[];
  receivers: { id: string; state: 'ok' | 'degraded' | 'stale' | 'offline' | 'unknown'; lastSeenAt?: number }[];
}
interface Playback {
  from: number;
  to: number;
  times: number[];
  zones: Record<string, number[]>;
  stores: Record<string, number[]>;
  wifi: Record<string, (number | null)[]>;
}
/** What the map shows at one moment. */
interface Counts {
  at: number;
  zones: Record<string, number>;
  stores: Record<string, number>;
  wifi: Record<string, number>;
}

const POLL_MS = 1000;
const PLAY_STEP_MS = 250;
const SPANS = [1, 3, 12, 24];
const svgEl = (tag: string, attrs: Record<string, string | number | undefined>, ...children: (SVGElement | string)[]): SVGElement =>
  h(`svg:${tag}`, attrs, ...children);

export async function render(main: HTMLElement, params: string[]): Promise<() => void> {
  const known = sites();
  const siteId = params[0] || known[0]?.id;
  if (!siteId) {
    fill(main, h('h1', { text: t('map.title') }), h('p', { class: 'meta', text: t('map.noSites') }));
    return () => undefined;
  }
  const { site } = await get<{ site: MapSite }>(`/api/v1/map/site?siteId=${encodeURIComponent(siteId)}`);
  const levels = site.floors.map((f) => f.level);
  const level = levels.includes(Number(params[1])) && params[1] !== '' && params[1] !== undefined ? Number(params[1]) : levels[0]!;
  let mode: 'live' | 'playback' = new URLSearchParams(location.search).has('from') ? 'playback' : 'live';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let player: ReturnType<typeof setInterval> | undefined;
  let stopped = false;
  let live: Live | undefined;

  const floorName = (l: number) => site.floors.find((f) => f.level === l)?.name ?? `F${l}`;
  const status = h('p', { class: 'meta', role: 'status', id: 'map-status' });
  const svg = drawFloor(site, level);
  const table = h('tbody', {});
  const storeList = h('ul', { class: 'map-stores', id: 'map-stores' });
  const controls = h('div', { class: 'map-playback', id: 'map-playback', hidden: mode !== 'playback' });
  const siteSelect =
    known.length > 1
      ? h(
          'select',
          {
            id: 'map-site',
            'aria-label': t('map.site'),
            onchange: (e: Event) => void (location.hash = `#/map/${encodeURIComponent((e.target as HTMLSelectElement).value)}`),
          },
          ...known.map((s) => h('option', { value: s.id, text: s.name, selected: s.id === site.id })),
        )
      : null;
  const floors = h(
    'div',
    { class: 'map-floors', role: 'group', 'aria-label': t('map.floors') },
    ...site.floors.map((f) =>
      h('a', {
        class: 'button secondary map-floor',
        href: `#/map/${encodeURIComponent(site.id)}/${f.level}${location.search}`,
        text: f.name,
        'aria-current': f.level === level ? 'page' : undefined,
        dataset: { level: String(f.level) },
      }),
    ),
  );
  const modeButton = (m: 'live' | 'playback') =>
    h('button', {
      type: 'button',
      class: 'secondary',
      id: `map-mode-${m}`,
      text: t(m === 'live' ? 'map.live' : 'map.playback'),
      'aria-pressed': String(mode === m),
      onclick: () => void setMode(m),
    });
  const modes = h('div', { class: 'map-modes', role: 'group', 'aria-label': t('map.mode') }, modeButton('live'), modeButton('playback'));

  fill(
    main,
    h('h1', {}, t('map.title'), h('span', { class: 'meta', text: `${site.name} · ${floorName(level)}` })),
    h('div', { class: 'map-bar' }, siteSelect, floors, modes),
    controls,
    h('div', { class: 'map-wrap' }, svg, legend()),
    status,
    storeList,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'map-table', 'aria-label': t('map.tableLabel', { floor: floorName(level) }) },
        h('caption', { class: 'meta', text: t('map.tableCaption') }),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col', text: t('map.zone') }),
            h('th', { scope: 'col', text: t('map.store') }),
            h('th', { scope: 'col', text: t('map.people') }),
          ),
        ),
        table,
      ),
    ),
  );

  /** Paints one moment: zone heat and labels, store WiFi figures, the table beside the map. */
  function paint(c: Counts): void {
    svg.dataset.at = String(c.at);
    for (const el of svg.querySelectorAll<SVGElement>('[data-zone]')) {
      const n = c.zones[el.dataset.zone!] ?? 0;
      el.dataset.count = String(n);
      el.setAttribute('fill', HEAT_STEPS[heatStep(n)]!.fill);
      el.setAttribute('aria-label', `${el.dataset.name}: ${tn('map.peopleN', n)}`);
      const label = svg.querySelector(`[data-zone-count="${CSS.escape(el.dataset.zone!)}"]`);
      if (label) label.textContent = n > 0 ? String(n) : '';
    }
    for (const el of svg.querySelectorAll<SVGElement>('[data-store]')) {
      const id = el.dataset.store!;
      const visits = c.stores[id] ?? 0;
      const wifi = c.wifi[id];
      el.dataset.count = String(visits);
      const text = `${el.dataset.name}: ${tn('map.visitsN', visits)}${wifi !== undefined ? ` · ${t('map.wifi', { n: fmtCount(wifi) })}` : ''}`;
      el.setAttribute('aria-label', text);
      const title = el.querySelector('title');
      if (title) title.textContent = text;
    }
    fill(
      storeList,
      site.stores
        .filter((st) => st.floors.includes(level))
        .map((st) => {
          const wifi = c.wifi[st.id];
          return h(
            'li',
            { dataset: { storeRow: st.id } },
            h('b', { text: st.name }),
            ' ',
            tn('map.visitsN', c.stores[st.id] ?? 0),
            wifi !== undefined ? ` · ${t('map.wifi', { n: fmtCount(wifi) })}` : '',
          );
        }),
    );
    const onFloor = site.zones.filter((z) => z.floor === level);
    fill(
      table,
      onFloor.map((z) =>
        h(
          'tr',
          { dataset: { zoneRow: z.id } },
          h('td', { text: z.name }),
          h('td', { text: site.stores.find((s) => s.id === z.storeId)?.name ?? t('map.commonArea') }),
          h('td', { text: String(c.zones[z.id] ?? 0) }),
        ),
      ),
    );
  }

  function paintReceivers(l: Live): void {
    for (const r of l.receivers) {
      const el = svg.querySelector<SVGElement>(`[data-receiver="${CSS.escape(r.id)}"]`);
      if (!el) continue;
      el.dataset.state = r.state;
      el.setAttribute('class', `map-rx rx-${r.state}`);
      const text = t('map.receiver', { id: r.id, state: t(`map.rx.${r.state}`), seen: fmt.ago(r.lastSeenAt, l.at) });
      el.setAttribute('aria-label', text);
      const title = el.querySelector('title');
      if (title) title.textContent = text;
    }
  }

  async function poll(): Promise<void> {
    if (stopped || mode !== 'live') return;
    try {
      live = await get<Live>(`/api/v1/map/live?siteId=${encodeURIComponent(site.id)}`);
      if (stopped || mode !== 'live') return;
      paint({ at: live.at, zones: live.zones, stores: live.stores, wifi: Object.fromEntries(live.wifi.map((w) => [w.storeId, w.occupancy])) });
      paintReceivers(live);
      status.textContent = t('map.updated', { time: fmt.dateTime(live.at, site.timezone) });
      status.className = 'meta';
    } catch (err) {
      status.textContent = t('map.pollFailed', { error: (err as Error).message });
      status.className = 'error';
    }
    timer = setTimeout(() => void poll(), POLL_MS);
  }

  async function startPlayback(spanH: number): Promise<void> {
    clearInterval(player);
    const range = await playbackRange(site.id, spanH * 3_600_000);
    if (stopped || mode !== 'playback') return;
    if (!range) {
      fill(controls, h('p', { class: 'meta', text: t('map.noEvents') }));
      return;
    }
    const { from, to } = range;
    const pb = await get<Playback>(`/api/v1/map/playback?siteId=${encodeURIComponent(site.id)}&from=${from}&to=${to}&steps=300`);
    if (stopped || mode !== 'playback') return;
    const at = (i: number): Counts => ({
      at: pb.times[i]!,
      zones: Object.fromEntries(Object.entries(pb.zones).map(([id, xs]) => [id, xs[i] ?? 0])),
      stores: Object.fromEntries(Object.entries(pb.stores).map(([id, xs]) => [id, xs[i] ?? 0])),
      wifi: Object.fromEntries(Object.entries(pb.wifi).flatMap(([id, xs]) => (xs[i] === null || xs[i] === undefined ? [] : [[id, xs[i]!]]))),
    });
    const time = h('output', { id: 'map-time', for: 'map-slider' });
    const slider = h('input', {
      id: 'map-slider',
      type: 'range',
      min: 0,
      max: pb.times.length - 1,
      step: 1,
      value: 0,
      'aria-label': t('map.sliderLabel'),
    });
    const show = (i: number) => {
      slider.value = String(i);
      const when = fmt.dateTime(pb.times[i], site.timezone);
      slider.setAttribute('aria-valuetext', when);
      time.textContent = when;
      time.dataset.at = String(pb.times[i]);
      paint(at(i));
    };
    slider.addEventListener('input', () => show(Number(slider.value)));
    const play = h('button', { type: 'button', id: 'map-play', text: t('map.play'), 'aria-pressed': 'false' });
    play.addEventListener('click', () => {
      if (player !== undefined) {
        clearInterval(player);
        player = undefined;
        play.textContent = t('map.play');
        play.setAttribute('aria-pressed', 'false');
        return;
      }
      if (Number(slider.value) >= pb.times.length - 1) show(0);
      play.textContent = t('map.pause');
      play.setAttribute('aria-pressed', 'true');
      player = setInterval(() => {
        const next = Number(slider.value) + 1;
        if (next >= pb.times.length) play.click();
        else show(next);
      }, PLAY_STEP_MS);
    });
    const span = h(
      'select',
      { id: 'map-span', 'aria-label': t('map.span'), onchange: () => void startPlayback(Number(span.value)) },
      ...SPANS.map((n) => h('option', { value: n, text: t('map.spanH', { n }), selected: n === spanH })),
    );
    fill(
      controls,
      play,
      h('label', { for: 'map-slider', class: 'meta', text: t('map.sliderLabel') }),
      slider,
      time,
      span,
      h('span', { class: 'meta', text: t('map.range', { from: fmt.dateTime(pb.from, site.timezone), to: fmt.dateTime(pb.to, site.timezone) }) }),
    );
    show(0);
    status.textContent = t('map.playbackNote');
    status.className = 'meta';
  }

  async function setMode(m: 'live' | 'playback'): Promise<void> {
    mode = m;
    for (const b of modes.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.id === `map-mode-${m}`));
    controls.hidden = m !== 'playback';
    clearTimeout(timer);
    clearInterval(player);
    player = undefined;
    if (m === 'live') await poll();
    else await startPlayback(3);
  }

  await setMode(mode);
  return () => {
    stopped = true;
    clearTimeout(timer);
    clearInterval(player);
  };
}

/**
 * The range to replay: `?from=&to=` (ms, `to` exclusive) when given, else `spanMs` up to this
 * site's newest stored event (a replayed day from the past still plays); at most 24 h.
 */
async function playbackRange(siteId: string, spanMs: number): Promise<{ from: number; to: number } | null> {
  const params = new URLSearchParams(location.search);
  let to = Number(params.get('to')) - 1;
  if (!(to > 0)) {
    const newest = (await get<{ events: { at: number }[] }>(`/api/v1/events?siteId=${encodeURIComponent(siteId)}&limit=1`)).events[0];
    if (!newest) return null;
    to = newest.at;
  }
  const from = Math.max(Number(params.get('from')) || to - spanMs, to - 24 * 3_600_000);
  return from < to ? { from, to } : null;
}

const fmtCount = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** The SVG of one floor: store footprints, zones (the heat layer), entrances, receivers. */
function drawFloor(site: MapSite, level: number): SVGElement {
  const f: Frame = floorFrame(site, level);
  const floorLabel = site.floors.find((x) => x.level === level)?.name ?? `F${level}`;
  const unit = Math.max(f.width, f.height) / 60; // text and marker size, in metres
  const svg = svgEl('svg', {
    id: 'map-svg',
    class: 'map-svg',
    viewBox: `0 0 ${round(f.width)} ${round(f.height)}`,
    role: 'group',
    'aria-labelledby': 'map-svg-title',
    'data-floor': level,
  });
  svg.append(svgEl('title', { id: 'map-svg-title' }, t('map.svgTitle', { site: site.name, floor: floorLabel })));
  const layer = (name: string) => svgEl('g', { class: `map-${name}` });
  const stores = layer('stores');
  const zones = layer('zones');
  const labels = layer('labels');
  const doors = layer('entrances');
  const rxs = layer('receivers');
  for (const s of site.stores.filter((x) => x.floors.includes(level))) {
    stores.append(
      svgEl(
        'polygon',
        {
          points: pointsAttr(f, s.shape),
          class: 'map-store',
          tabindex: 0,
          role: 'img',
          'aria-label': s.name,
          'data-store': s.id,
          'data-name': s.name,
          'stroke-width': unit * 0.25,
        },
        svgEl('title', {}, s.name),
      ),
    );
  }
  for (const z of site.zones.filter((x) => x.floor === level)) {
    zones.append(
      svgEl(
        'polygon',
        {
          points: pointsAttr(f, z.shape),
          class: `map-zone kind-${z.kind}`,
          fill: 'none',
          tabindex: 0,
          role: 'img',
          'aria-label': z.name,
          'data-zone': z.id,
          'data-name': z.name,
          'data-count': 0,
          'stroke-width': unit * 0.08,
        },
        svgEl('title', {}, z.name),
      ),
    );
    const c = toSvg(f, labelPoint(z.shape));
    // The name fits its zone's width (about 0.55 em per character), never below a legible floor.
    const xs = polygonOf(z.shape).map((p) => p.x);
    const size = round(Math.max(unit * 0.7, Math.min(unit * 1.4, (Math.max(...xs) - Math.min(...xs)) / (0.55 * Math.max(4, [...z.name].length)))));
    labels.append(
      svgEl('text', { x: c.x, y: c.y, 'font-size': size, 'text-anchor': 'middle', class: 'map-label', 'aria-hidden': 'true' }, z.name),
      svgEl('text', {
        x: c.x,
        y: round(c.y + unit * 2.2),
        'font-size': unit * 2,
        'text-anchor': 'middle',
        class: 'map-count',
        'data-zone-count': z.id,
        'aria-hidden': 'true',
      }),
    );
  }
  for (const s of site.stores) {
    for (const e of s.entrances.filter((x) => x.floor === level)) {
      const p = toSvg(f, e.at);
      const label = t('map.entrance', { id: e.id, store: s.name });
      doors.append(
        svgEl(
          'rect',
          {
            x: round(p.x - e.widthM / 2),
            y: round(p.y - unit * 0.5),
            width: e.widthM,
            height: unit,
            class: 'map-entrance',
            tabindex: 0,
            role: 'img',
            'aria-label': label,
            'data-entrance': e.id,
          },
          svgEl('title', {}, label),
        ),
      );
    }
  }
  for (const r of site.receivers.filter((x) => x.floor === level)) {
    const p = toSvg(f, r.position);
    const label = t('map.receiver', { id: r.id, state: t('map.rx.unknown'), seen: t('fmt.never') });
    rxs.append(
      svgEl(
        'circle',
        {
          cx: p.x,
          cy: p.y,
          r: unit * 0.7,
          class: 'map-rx rx-unknown',
          tabindex: 0,
          role: 'img',
          'aria-label': label,
          'data-receiver': r.id,
          'data-state': 'unknown',
          'stroke-width': unit * 0.2,
        },
        svgEl('title', {}, label),
      ),
    );
  }
  svg.append(stores, zones, labels, doors, rxs);
  return svg;
}

/** The key to colours and markers, as a list people and screen readers read. */
function legend(): HTMLElement {
  const swatch = (cls: string, fillColour?: string) =>
    h(
      'svg:svg',
      { viewBox: '0 0 12 12', width: 12, height: 12, 'aria-hidden': 'true' },
      svgEl('rect', { x: 0.5, y: 0.5, width: 11, height: 11, class: cls, fill: fillColour }),
    );
  const dot = (state: string) =>
    h(
      'svg:svg',
      { viewBox: '0 0 12 12', width: 12, height: 12, 'aria-hidden': 'true' },
      svgEl('circle', { cx: 6, cy: 6, r: 4.5, class: `map-rx rx-${state}` }),
    );
  return h(
    'div',
    { class: 'map-legend', id: 'map-legend' },
    h('h2', { text: t('map.legend') }),
    h('p', { class: 'meta', text: t('map.heatCaption') }),
    h(
      'ul',
      {},
      HEAT_STEPS.map((s, i) => h('li', {}, swatch('map-zone', s.fill), ' ', t('map.heatStep', { range: heatLabel(i) }))),
      h('li', {}, swatch('map-store'), ' ', t('map.legendStore')),
      h('li', {}, swatch('map-entrance'), ' ', t('map.legendEntrance')),
      (['ok', 'degraded', 'stale', 'offline', 'unknown'] as const).map((s) => h('li', {}, dot(s), ' ', t('map.legendRx', { state: t(`map.rx.${s}`) }))),
    ),
  );
}

const round = (n: number): number => Math.round(n * 100) / 100;
