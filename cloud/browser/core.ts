/**
 * What every console view shares. A small `h()` element builder (instead of a UI library: see
 * decision 151), the session (token + user in sessionStorage, the same keys as the staff page so
 * one sign-in serves both), a fetch wrapper that returns `{status, body}` and signs out on a 401,
 * formatters and a table builder. Data only ever reaches the DOM as text nodes or attribute
 * values, never as HTML.
 */
import type { ApiError, User } from './api.types.js';
import { locale, t } from './i18n.js';

export { fmt } from './format.js';
export { t, tn, tOr } from './i18n.js';

const TOKEN_KEY = 'storesense.token';
const USER_KEY = 'storesense.user';

export const session = {
  token: sessionStorage.getItem(TOKEN_KEY),
  user: JSON.parse(sessionStorage.getItem(USER_KEY) || 'null') as User | null,
  /** True when the cloud runs without sign-in (open mode): everything is open. */
  open: false,
  save(token: string, user: User): void {
    this.token = token;
    this.user = user;
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(user));
  },
  clear(): void {
    this.token = null;
    this.user = null;
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
  },
  get role(): User['role'] | null {
    return this.user ? this.user.role : this.open ? 'operator' : null;
  },
  can(what: 'edit' | 'edit-members' | 'read'): boolean {
    const role = this.role;
    if (what === 'edit') return role === 'operator';
    // Member profiles are shared by every site: a site's operator reads them but cannot write them (decision 68).
    if (what === 'edit-members') return role === 'operator' && !this.user?.siteId;
    return role === 'operator' || role === 'analyst';
  },
};

/** A child of `h()` / `fill()`: nodes and text; null, undefined and false are skipped; arrays are flattened. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];
type PropValue = string | number | boolean | null | undefined | ((e: never) => unknown) | Record<string, string>;
export type Props = Record<string, PropValue>;

/** `h('svg:rect', ...)` builds an SVG element; any other tag an HTML one. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: `svg:${string}`, props?: Props | null, ...children: Child[]): SVGElement;
/** Builds an element: props are attributes, except on* (listeners), class, text and dataset. */
export function h(tag: string, props?: Props | null, ...children: Child[]): Element {
  const svg = tag.startsWith('svg:');
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'class') el.setAttribute('class', String(v));
    else if (k === 'dataset' && typeof v === 'object') Object.assign((el as HTMLElement).dataset, v);
    else if (!svg && k in el && typeof v !== 'string') (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** Replaces an element's children; null, undefined and false children are skipped (unlike replaceChildren). */
export function fill<E extends Element>(el: E, ...children: Child[]): E {
  el.replaceChildren();
  append(el, children);
  return el;
}

function append(el: Element, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** `document.getElementById` that fails loudly: the page shells always carry the ids the modules use. */
export function byId<E extends HTMLElement = HTMLElement>(id: string): E {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page has no #${id}`);
  return el as E;
}

const listeners = new Set<() => void>();
/** Told when a request comes back 401 (the session ended). */
export const onSignedOut = (fn: () => void): void => void listeners.add(fn);

/** An API answer: `status` 0 when the network failed (the body then says so in `error`). */
export interface ApiResult<T> {
  status: number;
  body: T & ApiError;
}

/** JSON (or CSV text) request with the session's bearer token; never throws on HTTP errors. */
// biome-ignore lint/suspicious/noExplicitAny: callers name the answer type; the default is unchecked JSON.
export async function api<T = any>(method: string, path: string, body?: unknown, contentType?: string): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { 'accept-language': locale() };
  if (session.token) headers.authorization = `Bearer ${session.token}`;
  let payload: string | undefined;
  if (body !== undefined) {
    headers['content-type'] = contentType || 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  } catch (err) {
    return { status: 0, body: { error: t('error.network', { error: (err as Error).message }) } as T & ApiError };
  }
  const json = (res.status === 204 ? {} : await res.json().catch(() => ({ error: res.statusText }))) as T & ApiError;
  // Error answers carry `message`, the error in the language we asked for (Accept-Language): that is what people read.
  if (typeof json.message === 'string') json.error = json.message;
  if (res.status === 401 && session.token && path !== '/api/v1/auth/login') for (const fn of listeners) fn();
  return { status: res.status, body: json };
}

/** GET that throws with the API's message, for views that cannot go on without the data. */
// biome-ignore lint/suspicious/noExplicitAny: as api().
export async function get<T = any>(path: string): Promise<T> {
  const res = await api<T>('GET', path);
  if (res.status !== 200) throw new Error(res.body?.error || t('error.http', { status: res.status }));
  return res.body;
}

export interface Column<R> {
  label: string;
  cell: (row: R) => Child;
  cls?: string;
}

/** A table: columns are {label, cell(row) -> node or text, cls?}; rowAttrs(row) may add a class or data attributes to each row. */
export function table<R>(
  columns: Column<R>[],
  rows: readonly R[],
  opts?: { label?: string; cls?: string; empty?: string; rowAttrs?: (row: R) => Props },
): HTMLElement {
  const o = opts || {};
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: o.cls, 'aria-label': o.label },
      h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col', class: c.cls, text: c.label })))),
      h(
        'tbody',
        {},
        rows.length === 0
          ? h('tr', {}, h('td', { colspan: columns.length, class: 'meta', text: o.empty || t('table.empty') }))
          : rows.map((r) => h('tr', o.rowAttrs ? o.rowAttrs(r) : {}, ...columns.map((c) => h('td', { class: c.cls }, c.cell(r))))),
      ),
    ),
  );
}

/** A labelled tile: big value, small caption. */
export const tile = (value: string, label: string, cls?: string): HTMLElement =>
  h('div', { class: `tile${cls ? ` ${cls}` : ''}` }, h('b', { text: value }), h('span', { text: label }));

/** A status chip: ok / warn / bad / idle. */
export const chip = (label: string, level?: string): HTMLElement => h('span', { class: `chip ${level || 'idle'}`, text: label });

/** A message box for errors (role=alert so screen readers announce it). */
export const errorBox = (message: string): HTMLElement => h('p', { class: 'error', role: 'alert', text: message });

export interface ReportRange {
  siteId: string;
  from: number;
  to: number;
  query: string;
}

/**
 * The site and time range a report covers: ?site= / ?from= / ?to= (ms) when given, else the
 * newest stored event's site and the span up to it (a replayed day from the past still shows).
 * untilNow ends the range now at the latest: offers carry the cloud's issue time, not the event's.
 */
export async function reportRange(spanMs?: number, untilNow?: boolean): Promise<ReportRange | null> {
  const params = new URLSearchParams(location.search);
  let siteId = params.get('site');
  let to = Number(params.get('to')) || 0;
  if (!siteId || !to) {
    const newest = (await get<{ events: { siteId: string; at: number }[] }>('/api/v1/events?limit=1')).events[0];
    if (!newest) return null;
    siteId = siteId || newest.siteId;
    to = to || (untilNow ? Math.max(newest.at + 1, Date.now()) : newest.at + 1);
  }
  const from = Number(params.get('from')) || to - (spanMs || 24 * 3600 * 1000);
  return { siteId, from, to, query: `siteId=${encodeURIComponent(siteId)}&from=${from}&to=${to}` };
}
