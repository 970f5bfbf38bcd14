/**
 * `/assets/console/core.js`: what every console view shares. A ~20-line `h()` element builder
 * (instead of a UI library: see console.assets.ts), the session (token + user in
 * sessionStorage, the same keys as the staff page so one sign-in serves both), a fetch wrapper
 * that returns `{status, body}` and signs out on a 401, formatters and a table builder.
 * Data only ever reaches the DOM as text nodes or attribute values, never as HTML.
 * Browser JS inside String.raw: it must not contain backticks or dollar-brace.
 */
export const CORE_JS = String.raw`
export const session = {
  token: sessionStorage.getItem('storesense.token'),
  user: JSON.parse(sessionStorage.getItem('storesense.user') || 'null'),
  /** True when the cloud runs without sign-in (open mode): everything is open. */
  open: false,
  save(token, user) {
    this.token = token; this.user = user;
    sessionStorage.setItem('storesense.token', token); sessionStorage.setItem('storesense.user', JSON.stringify(user));
  },
  clear() {
    this.token = null; this.user = null;
    sessionStorage.removeItem('storesense.token'); sessionStorage.removeItem('storesense.user');
  },
  get role() { return this.user ? this.user.role : this.open ? 'operator' : null; },
  can(what) {
    const role = this.role;
    if (what === 'edit') return role === 'operator';
    // Member profiles are shared by every site: a site's operator reads them but cannot write them (decision 68).
    if (what === 'edit-members') return role === 'operator' && !(this.user && this.user.siteId);
    return role === 'operator' || role === 'analyst';
  },
};

/** Builds an element: props are attributes, except on* (listeners), class and text. */
export function h(tag, props, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'class') el.setAttribute('class', v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (!svg && k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** Replaces an element's children; null, undefined and false children are skipped (unlike replaceChildren). */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const listeners = new Set();
/** Told when a request comes back 401 (the session ended). */
export const onSignedOut = (fn) => listeners.add(fn);

/** JSON (or CSV text) request with the session's bearer token; never throws on HTTP errors. */
export async function api(method, path, body, contentType) {
  const headers = {};
  if (session.token) headers.authorization = 'Bearer ' + session.token;
  let payload;
  if (body !== undefined) {
    headers['content-type'] = contentType || 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload });
  } catch (err) {
    return { status: 0, body: { error: 'network error: ' + err.message } };
  }
  const json = res.status === 204 ? {} : await res.json().catch(() => ({ error: res.statusText }));
  if (res.status === 401 && session.token && path !== '/api/v1/auth/login') listeners.forEach((fn) => fn());
  return { status: res.status, body: json };
}

/** GET that throws with the API's message, for views that cannot go on without the data. */
export async function get(path) {
  const res = await api('GET', path);
  if (res.status !== 200) throw new Error((res.body && res.body.error) || 'HTTP ' + res.status);
  return res.body;
}

export { fmt } from './format.js';

/**
 * A table: columns are [{label, cell(row) -> node or text, cls?}]; rowAttrs(row) may add a class
 * or data attributes to each row.
 */
export function table(columns, rows, opts) {
  const o = opts || {};
  return h('div', { class: 'table-wrap' },
    h('table', { class: o.cls, 'aria-label': o.label },
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.cls, text: c.label })))),
      h('tbody', {}, rows.length === 0
        ? h('tr', {}, h('td', { colspan: columns.length, class: 'meta', text: o.empty || 'Nothing yet.' }))
        : rows.map((r) => h('tr', o.rowAttrs ? o.rowAttrs(r) : {}, columns.map((c) => h('td', { class: c.cls }, c.cell(r))))))));
}

/** A labelled tile: big value, small caption. */
export const tile = (value, label, cls) => h('div', { class: 'tile' + (cls ? ' ' + cls : '') }, h('b', { text: value }), h('span', { text: label }));

/** A status chip: ok / warn / bad / idle. */
export const chip = (label, level) => h('span', { class: 'chip ' + (level || 'idle'), text: label });

/** A message box for errors (role=alert so screen readers announce it). */
export const errorBox = (message) => h('p', { class: 'error', role: 'alert', text: message });

/**
 * The site and time range a report covers: ?site= / ?from= / ?to= (ms) when given, else the
 * newest stored event's site and the span up to it (a replayed day from the past still shows).
 * untilNow ends the range now at the latest: offers carry the cloud's issue time, not the event's.
 */
export async function reportRange(spanMs, untilNow) {
  const params = new URLSearchParams(location.search);
  let siteId = params.get('site');
  let to = Number(params.get('to')) || 0;
  if (!siteId || !to) {
    const newest = (await get('/api/v1/events?limit=1')).events[0];
    if (!newest) return null;
    siteId = siteId || newest.siteId;
    to = to || (untilNow ? Math.max(newest.at + 1, Date.now()) : newest.at + 1);
  }
  const from = Number(params.get('from')) || to - (spanMs || 24 * 3600 * 1000);
  return { siteId, from, to, query: 'siteId=' + encodeURIComponent(siteId) + '&from=' + from + '&to=' + to };
}
`;
