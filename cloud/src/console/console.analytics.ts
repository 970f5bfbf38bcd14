/**
 * The analytics section of the console at `/`: headline tiles and charts drawn as plain SVG from
 * GET /api/v1/analytics/* (no chart library, no build step). The site comes from `?site=`, else
 * from the newest stored event; the range is `?from=&to=` (ms), else the 24 h up to the newest
 * event, so a replayed trace from another day still shows up.
 * Inline script: it must not contain backticks or dollar-brace (it lives inside a template literal).
 */
export const ANALYTICS_CSS = /* css */ `
  #analytics .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(130px, 1fr)); gap: 8px; margin-bottom: 10px; }
  #analytics .tile { border: 1px solid #8884; border-radius: 6px; padding: 6px 8px; }
  #analytics .tile b { display: block; font-size: 1.3rem; }
  #analytics .tile span { font-size: .75rem; opacity: .75; }
  #analytics .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 12px; }
  #analytics figure { margin: 0; border: 1px solid #8884; border-radius: 6px; padding: 6px; }
  #analytics figcaption { font-size: .8rem; font-weight: 600; margin-bottom: 4px; }
  #analytics svg { width: 100%; height: auto; font-size: 10px; }
  #analytics svg text { fill: currentColor; }
  .c-appr { fill: #9aa7b8; } .c-arr { fill: #1a7f37; } .c-dwell { fill: #d4a017; } .c-flow { fill: #3b6fd4; }
`;

export const ANALYTICS_HTML = /* html */ `
<section id="analytics">
<h2>Analytics <span class="meta" id="an-range"></span></h2>
<div class="tiles" id="an-tiles"><div class="meta">Loading analytics…</div></div>
<div class="charts">
  <figure><figcaption>Footfall per hour (site time): approaches vs arrivals</figcaption><svg id="an-footfall" viewBox="0 0 420 180" role="img" aria-label="footfall per hour"></svg></figure>
  <figure><figcaption>Dwell time distribution (completed zone visits)</figcaption><svg id="an-dwell" viewBox="0 0 420 180" role="img" aria-label="dwell histogram"></svg></figure>
  <figure><figcaption>Dwell per zone: p50 / p90 (s)</figcaption><svg id="an-zones" viewBox="0 0 420 180" role="img" aria-label="dwell per zone"></svg></figure>
  <figure><figcaption>Floor flows (escalator trips)</figcaption><svg id="an-floors" viewBox="0 0 420 180" role="img" aria-label="floor flows"></svg></figure>
</div>
</section>
`;

export const ANALYTICS_SCRIPT = /* js */ `
(() => {
  const token = sessionStorage.getItem('storesense.token');
  const get = async (path) => {
    const res = await fetch(path, { headers: token ? { authorization: 'Bearer ' + token } : {} });
    if (!res.ok) throw new Error(path + ': ' + res.status);
    return res.json();
  };
  const NS = 'http://www.w3.org/2000/svg';
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const pct = (x) => (x === null || x === undefined ? '–' : Math.round(x * 100) + '%');
  const secs = (ms) => (ms === null || ms === undefined ? '–' : Math.round(ms / 1000) + ' s');

  // Grouped bar chart: labels along x, one bar per series; values are drawn above the bars.
  function bars(svg, labels, series, opts) {
    svg.replaceChildren();
    const W = 420, H = 180, L = 30, B = 34, T = 10;
    const max = Math.max(1, ...series.flatMap((s) => s.values));
    const slot = (W - L - 4) / Math.max(1, labels.length);
    const bw = Math.max(2, (slot - 4) / series.length);
    svg.append(el('line', { x1: L, y1: H - B, x2: W, y2: H - B, stroke: 'currentColor', 'stroke-opacity': .4 }));
    svg.append(el('text', { x: 2, y: T + 4 }, String(max)));
    svg.append(el('text', { x: 2, y: H - B }, '0'));
    labels.forEach((label, i) => {
      series.forEach((s, j) => {
        const v = s.values[i] || 0;
        const h = ((H - B - T) * v) / max;
        const x = L + i * slot + 2 + j * bw;
        const r = el('rect', { x: x, y: H - B - h, width: bw - 1, height: h, class: s.cls });
        r.append(el('title', {}, s.name + ' ' + label + ': ' + v));
        svg.append(r);
        if (opts && opts.values && v > 0) svg.append(el('text', { x: x + bw / 2, y: H - B - h - 2, 'text-anchor': 'middle' }, String(v)));
      });
      const every = Math.ceil(labels.length / 12);
      if (i % every === 0) svg.append(el('text', { x: L + i * slot + slot / 2, y: H - B + 12, 'text-anchor': 'middle' }, label));
    });
    series.forEach((s, j) => {
      svg.append(el('rect', { x: L + j * 110, y: H - 12, width: 10, height: 10, class: s.cls }));
      svg.append(el('text', { x: L + j * 110 + 14, y: H - 3 }, s.name));
    });
  }

  function tiles(summary) {
    const box = document.getElementById('an-tiles');
    box.replaceChildren();
    const f = summary.footfall, r = summary.returning, o = summary.offers, d = summary.dwell;
    const items = [
      [String(f.approaches), 'approaches'], [String(f.arrivals), 'arrivals (visits)'], [pct(f.captureRate), 'capture rate'],
      [secs(d.p50Ms) + ' / ' + secs(d.p90Ms), 'dwell p50 / p90'], [pct(r.memberShare), 'member share of arrivals'],
      [String(r.returningSubjects), 'returning visitors'], [o.issued ? pct(o.conversion) + ' (' + o.redeemed + '/' + o.issued + ')' : '–', 'offer conversion'],
    ];
    for (const [value, label] of items) {
      const t = document.createElement('div');
      t.className = 'tile';
      const b = document.createElement('b'); b.textContent = value;
      const s = document.createElement('span'); s.textContent = label;
      t.append(b, s);
      box.append(t);
    }
  }

  async function load() {
    const params = new URLSearchParams(location.search);
    let siteId = params.get('site');
    let to = Number(params.get('to')) || 0;
    if (!siteId || !to) {
      const newest = (await get('/api/v1/events?limit=1')).events[0];
      if (!newest) { document.getElementById('an-tiles').textContent = 'No events yet.'; return; }
      siteId = siteId || newest.siteId;
      to = to || newest.at + 1;
    }
    const from = Number(params.get('from')) || to - 24 * 3600 * 1000;
    const q = 'siteId=' + encodeURIComponent(siteId) + '&from=' + from + '&to=' + to;
    const [summary, foot, dwell, floors] = await Promise.all([
      get('/api/v1/analytics/summary?' + q), get('/api/v1/analytics/footfall?bucket=hour&' + q),
      get('/api/v1/analytics/dwell?' + q), get('/api/v1/analytics/floors?' + q),
    ]);
    document.getElementById('an-range').textContent = siteId + ' · ' + new Date(from).toLocaleString() + ' – ' + new Date(to).toLocaleString() + ' (' + summary.timeZone + ')';
    tiles(summary);
    const hours = [...new Set(foot.rows.map((r) => r.bucket))].sort();
    const sum = (h, k) => foot.rows.filter((r) => r.bucket === h).reduce((n, r) => n + r[k], 0);
    bars(document.getElementById('an-footfall'), hours.map((h) => h.slice(11) + 'h'), [
      { name: 'approaches', cls: 'c-appr', values: hours.map((h) => sum(h, 'approaches')) },
      { name: 'arrivals', cls: 'c-arr', values: hours.map((h) => sum(h, 'arrivals')) },
    ], { values: hours.length <= 12 });
    bars(document.getElementById('an-dwell'), dwell.overall.buckets.map((b) => b.label),
      [{ name: 'zone visits', cls: 'c-dwell', values: dwell.overall.buckets.map((b) => b.count) }], { values: true });
    const zones = dwell.zones.slice(0, 8);
    bars(document.getElementById('an-zones'), zones.map((z) => z.zoneId), [
      { name: 'p50 (s)', cls: 'c-arr', values: zones.map((z) => Math.round((z.p50Ms || 0) / 1000)) },
      { name: 'p90 (s)', cls: 'c-dwell', values: zones.map((z) => Math.round((z.p90Ms || 0) / 1000)) },
    ], { values: true });
    const flows = floors.flows.slice(0, 8);
    bars(document.getElementById('an-floors'), flows.map((f) => 'F' + f.fromFloor + '→F' + f.toFloor),
      [{ name: 'trips', cls: 'c-flow', values: flows.map((f) => f.count) }], { values: true });
  }

  load().catch((err) => { document.getElementById('an-tiles').textContent = 'Analytics unavailable (' + err.message + '); operators and analysts sign in at /staff.'; });
  setInterval(() => load().catch(() => {}), 60000);
})();
`;
