/**
 * The staff view at `/staff`, made for a phone: log in, then live alerts of the staff member's
 * stores with Claim / Done buttons and who has each one. Alert cards show the member summary and
 * the recommendation when the alert carries them. Data is only ever inserted as text. The session
 * token lives in sessionStorage (this tab only, the console's keys); the socket gets a fresh
 * single-use ticket on every (re)connect and resumes from the last seq it saw.
 */
import type { AlertMemberSummary, StaffAlert, StaffFrame } from '@storesense/protocol';
import { alertTitle, place } from './alert-text.js';
import type { User } from './api.types.js';
import { fmt } from './format.js';
import { t, tn } from './i18n.js';
import { initLocale, localeSwitcher } from './locale.js';
import { type SiteSummary, setSites, siteZone } from './sites.js';

initLocale();

const $ = <E extends HTMLElement = HTMLElement>(id: string): E => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page has no #${id}`);
  return el as E;
};
const alertsEl = $('alerts');
const statusEl = $('status');
const alerts = new Map<string, StaffAlert>();
let token = sessionStorage.getItem('storesense.token');
let me = JSON.parse(sessionStorage.getItem('storesense.user') || 'null') as User | null;
let lastSeq = 0;
let ws: WebSocket | null = null;
let retryTimer: ReturnType<typeof setTimeout> | undefined;

const text = (tag: string, cls: string, value: string): HTMLElement => {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  el.textContent = value;
  return el;
};
const setStatus = (label: string, isLive: boolean): void => {
  statusEl.textContent = label;
  statusEl.className = isLive ? 'live' : '';
};
const cardOf = (id: string): HTMLElement | null => alertsEl.querySelector(`li[data-alert-id="${CSS.escape(id)}"]`);

interface Answer {
  status: number;
  body: { error?: string; message?: string; alert?: StaffAlert; ticket?: string; token?: string; user?: User; alerts?: StaffAlert[] };
}

async function api(method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(path, {
    method,
    headers: { 'content-type': 'application/json', 'accept-language': document.documentElement.lang, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (res.status === 204 ? {} : await res.json().catch(() => ({}))) as Answer['body'];
  if (typeof json.message === 'string') json.error = json.message; // the error in our language (Accept-Language)
  if (res.status === 401 && path !== '/api/v1/auth/login') signOut(t('login.sessionEnded'));
  return { status: res.status, body: json };
}

function render(a: StaffAlert, fresh: boolean): void {
  let li = cardOf(a.id);
  const isNew = !li;
  if (!li) {
    li = document.createElement('li');
    li.dataset.alertId = a.id;
  }
  li.className = `alert ${a.status}${fresh && isNew ? ' fresh' : ''}`;
  li.dataset.status = a.status;
  li.replaceChildren(
    text('div', 'msg', alertTitle(a)),
    text(
      'div',
      'meta',
      [fmt.time(a.eventAt, siteZone(a.siteId)), place(a.siteId, a.storeId, a.zoneId), fmt.list(a.tags)].filter((x) => x && x !== '–').join(' · '),
    ),
  );
  if (a.member) li.append(text('div', 'summary', memberSummary(a.member)));
  if (a.recommendation && (a.recommendation.headline || a.recommendation.items.length)) {
    const rec = text('div', 'rec', '');
    rec.append(text('div', 'rec-headline', a.recommendation.headline));
    if (a.recommendation.items.length) {
      const ul = document.createElement('ul');
      for (const i of a.recommendation.items) {
        const item = text('li', '', '');
        item.append(text('b', '', i.label), ` — ${i.reason}`);
        ul.append(item);
      }
      rec.append(ul);
    }
    li.append(rec);
  }
  if (a.status !== 'open')
    li.append(text('div', 'claimed-by', t(a.status === 'acked' ? 'alert.doneBy' : 'alert.claimedBy', { name: a.claimedBy || t('alert.someone') })));
  const mine = a.claimedBy === me?.displayName;
  const actions = text('div', 'actions', '');
  if (a.status === 'open') actions.append(button(t('alert.claim'), 'claim', a));
  if (a.status === 'open' || (a.status === 'claimed' && mine)) actions.append(button(t('alert.done'), 'ack', a));
  if (actions.children.length) li.append(actions);
  if (isNew) {
    alertsEl.querySelector('.empty')?.remove();
    const after = [...alertsEl.children].find((x) => (alerts.get((x as HTMLElement).dataset.alertId ?? '')?.seq ?? 0) < a.seq);
    alertsEl.insertBefore(li, after || null);
    while (alertsEl.children.length > 100) alertsEl.lastElementChild?.remove();
  }
}

// "12 visits · last seen 3 days ago · spent 2,480 CNY": what staff need at a glance.
function memberSummary(m: AlertMemberSummary): string {
  const parts = [tn('alert.visits', m.visits)];
  parts.push(m.lastSeenAt ? t('alert.lastSeen', { ago: fmt.days(m.lastSeenAt) }) : t('alert.firstVisit'));
  if (m.totalSpend > 0) parts.push(t('alert.spent', { amount: fmt.money(m.totalSpend, m.currency) }));
  return parts.join(' · ');
}

function button(label: string, action: 'claim' | 'ack', a: StaffAlert): HTMLButtonElement {
  const b = text('button', action, label) as HTMLButtonElement;
  b.type = 'button';
  b.onclick = async () => {
    b.disabled = true;
    const res = await api('POST', `/api/v1/alerts/${encodeURIComponent(a.id)}/${action}`);
    if (res.body.alert) upsert(res.body.alert, false);
    if (res.status === 409) cardOf(a.id)?.append(text('div', 'note', res.body.error ?? t('staff.conflict')));
    else b.disabled = false;
  };
  return b;
}

function upsert(a: StaffAlert, fresh: boolean): void {
  alerts.set(a.id, a);
  lastSeq = Math.max(lastSeq, a.seq);
  render(a, fresh);
}

async function connect(): Promise<void> {
  clearTimeout(retryTimer);
  if (!token) return;
  setStatus(t('status.connecting'), false);
  const ticket = await api('POST', '/api/v1/alerts/ticket').catch(() => null);
  if (!token) return;
  if (ticket?.status !== 200 || !ticket.body.ticket) {
    retryTimer = setTimeout(() => void connect(), 3000);
    return;
  }
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(`${proto}//${location.host}/api/v1/alerts/ws?since=${lastSeq}&ticket=${encodeURIComponent(ticket.body.ticket)}`);
  ws = socket;
  socket.onmessage = (m: MessageEvent<string>) => {
    const f = JSON.parse(m.data) as StaffFrame;
    if (f.type === 'hello') setStatus(t('status.live'), true);
    else if (f.type === 'alert') upsert(f.alert, true);
    else if (f.type === 'alert_update') upsert(f.alert, false);
  };
  socket.onclose = (e) => {
    ws = null;
    if (!token) return;
    setStatus(e.code >= 4000 ? t('status.refused', { reason: e.reason || e.code }) : t('status.reconnecting'), false);
    retryTimer = setTimeout(() => void connect(), e.code >= 4000 ? 5000 : 2000);
  };
}

async function start(user: User): Promise<void> {
  $('login-view').hidden = true;
  $('alerts-view').hidden = false;
  $('who').textContent = `${user.displayName} · ${user.storeIds.length ? user.storeIds.join(', ') : user.role}`;
  $('console-link').hidden = user.role === 'staff';
  const known = await fetch('/api/v1/sites', { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
  if (known?.ok) setSites(((await known.json()) as { sites: SiteSummary[] }).sites);
  const res = await api('GET', '/api/v1/alerts?limit=50');
  if (res.status === 200) for (const a of (res.body.alerts ?? []).slice().reverse()) upsert(a, false);
  void connect();
}

function signOut(message?: string): void {
  token = null;
  me = null;
  sessionStorage.removeItem('storesense.token');
  sessionStorage.removeItem('storesense.user');
  clearTimeout(retryTimer);
  if (ws) {
    ws.onclose = null;
    ws.close();
    ws = null;
  }
  alerts.clear();
  lastSeq = 0;
  alertsEl.replaceChildren(text('li', 'meta empty', t('staff.noAlerts')));
  $('alerts-view').hidden = true;
  $('login-view').hidden = false;
  $('error').textContent = message || '';
  setStatus(t('status.signedOut'), false);
}

$('lang-slot').append(localeSwitcher(t('app.language')));
$('login').onsubmit = async (e) => {
  e.preventDefault();
  $('error').textContent = '';
  const password = $<HTMLInputElement>('password');
  const res = await api('POST', '/api/v1/auth/login', { username: $<HTMLInputElement>('username').value, password: password.value });
  if (res.status !== 200 || !res.body.token || !res.body.user) {
    $('error').textContent = res.body.error || t('login.failed');
    return;
  }
  token = res.body.token;
  me = res.body.user;
  sessionStorage.setItem('storesense.token', token);
  sessionStorage.setItem('storesense.user', JSON.stringify(me));
  password.value = '';
  void start(me);
};
$('logout').onclick = async () => {
  await api('POST', '/api/v1/auth/logout').catch(() => undefined);
  signOut();
};
if (token && me) void start(me);
