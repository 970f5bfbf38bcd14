/**
 * The staff view at `/staff`, made for a phone: log in, then one card per visit of the staff
 * member's stores (staff-cards.ts) that follows the shopper (where they are, how far they got) with
 * Claim / Done and who has it; cards of shoppers who left, or gone quiet, grey and sink. A claim
 * that cannot reach the cloud says so on its card and is retried; a banner says when the view is
 * offline. Data is only ever inserted as text. The session token lives in sessionStorage (this tab
 * only, the console's keys); the socket gets a fresh single-use ticket on every (re)connect and
 * resumes from the last seq it saw, and the list is re-read after a reconnect (updates missed
 * while away).
 */
import type { AlertMemberSummary, StaffAlert, StaffFrame } from '@storesense/protocol';
import { alertTitle } from './alert-text.js';
import type { User } from './api.types.js';
import { fmt } from './format.js';
import { type MessageKey, t, tn, tOr } from './i18n.js';
import { initLocale, localeSwitcher } from './locale.js';
import { type SiteSummary, floorName, setSites, siteOf, siteZone, storeName, zoneOf } from './sites.js';
import { type Card, cards, STAGES } from './staff-cards.js';

initLocale();

const $ = <E extends HTMLElement = HTMLElement>(id: string): E => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page has no #${id}`);
  return el as E;
};
const alertsEl = $('alerts');
const statusEl = $('status');
const offlineEl = $('offline');
const alerts = new Map<string, StaffAlert>();
let token = sessionStorage.getItem('storesense.token');
let me = JSON.parse(sessionStorage.getItem('storesense.user') || 'null') as User | null;
let lastSeq = 0;
let ws: WebSocket | null = null;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let socketDown = false;
/** Cards seen already (a new one flashes once). */
const seen = new Set<string>();
/** Per card: the last action problem to show, and a pending retry. */
const notes = new Map<string, { text: string; cls: string }>();
const retries = new Map<string, ReturnType<typeof setTimeout>>();
const MAX_ALERTS = 300;
const NOTIFY_KEY = 'storesense.notify';

/**
 * Sound, vibration and system notifications for a new card, only when the staff member turned
 * them on (`#notify`; kept in localStorage). Notifications also need the browser's permission,
 * asked for on that click; when it is refused the button says so and sound and vibration stay.
 */
const notify = {
  on: localStorage.getItem(NOTIFY_KEY) === 'on',
  audio: null as AudioContext | null,
  label(): void {
    const b = $('notify');
    const blocked = this.on && 'Notification' in window && Notification.permission === 'denied';
    b.textContent = t(!this.on ? 'staff.notifyOff' : blocked ? 'staff.notifyBlocked' : 'staff.notifyOn');
    b.setAttribute('aria-pressed', String(this.on));
    b.dataset.permission = 'Notification' in window ? Notification.permission : 'unsupported';
  },
  async toggle(): Promise<void> {
    this.on = !this.on;
    localStorage.setItem(NOTIFY_KEY, this.on ? 'on' : 'off');
    if (this.on) {
      this.audio ??= typeof AudioContext === 'function' ? new AudioContext() : null; // created on the click: browsers allow sound after a gesture
      if ('Notification' in window && Notification.permission === 'default') await Notification.requestPermission();
    }
    this.label();
  },
  /** Told about each card that is new on screen. */
  announce(a: StaffAlert, title: string, body: string): void {
    if (!this.on) return;
    if (this.audio) {
      const osc = this.audio.createOscillator();
      const gain = this.audio.createGain();
      gain.gain.value = 0.15;
      osc.frequency.value = 880;
      osc.connect(gain).connect(this.audio.destination);
      osc.start();
      osc.stop(this.audio.currentTime + 0.18);
    }
    navigator.vibrate?.([180, 80, 180]);
    if ('Notification' in window && Notification.permission === 'granted') {
      new Notification(title, { body, tag: a.visitId ?? a.id, lang: document.documentElement.lang, icon: '/assets/console/icon.svg' });
      document.body.dataset.notified = String(Number(document.body.dataset.notified ?? 0) + 1);
    }
  },
};

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
function showOffline(): void {
  offlineEl.hidden = !(token && (socketDown || !navigator.onLine));
}

interface Answer {
  status: number;
  body: { error?: string; message?: string; alert?: StaffAlert; ticket?: string; token?: string; user?: User; alerts?: StaffAlert[] };
}

/** JSON request; throws only when the cloud cannot be reached (the caller says so and retries). */
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

/** "Maison Lune boutique · Ground floor · Silk scarves · entrance main-door". */
function where(c: Card): string {
  const a = c.lead;
  const zone = zoneOf(a.siteId, c.visit.zoneId ?? a.zoneId);
  const floor = c.visit.floor ?? a.floor ?? zone?.floor;
  const store = siteOf(a.siteId)?.stores.find((s) => s.id === a.storeId);
  const doors = store?.entrances.filter((e) => floor === undefined || e.floor === floor) ?? [];
  const door = c.stageIndex <= 1 && doors.length === 1 ? t('staff.entrance', { id: doors[0]!.id }) : undefined;
  return [storeName(a.siteId, a.storeId) ?? a.storeId, floorName(a.siteId, floor), zone?.name ?? c.visit.zoneId, door].filter(Boolean).join(' · ');
}

function stageStrip(c: Card): HTMLElement {
  const ol = text('ol', 'stages', '');
  ol.setAttribute('aria-label', t('staff.stages'));
  STAGES.forEach((s, i) => {
    const li = text('li', i < c.stageIndex ? 'done' : i === c.stageIndex ? 'now' : '', tOr(`event.${s}`, s));
    if (i === c.stageIndex) li.setAttribute('aria-current', 'step');
    ol.append(li);
  });
  return ol;
}

function renderCard(c: Card): HTMLElement {
  const a = c.lead;
  const li = document.createElement('li');
  li.dataset.alertId = a.id;
  li.dataset.visit = c.key;
  li.dataset.status = c.status;
  li.dataset.stage = c.visit.stage;
  if (c.retired) li.dataset.retired = c.retired;
  li.className = `alert ${c.status}${c.retired ? ' retired' : ''}${seen.has(c.key) ? '' : ' fresh'}`;
  seen.add(c.key);
  const title = alertTitle({ ...a, eventType: c.visit.stage, ...(c.visit.zoneId ? { zoneId: c.visit.zoneId } : {}) });
  const zone = siteZone(a.siteId);
  li.append(text('div', 'msg', title), text('div', 'where', where(c)), stageStrip(c));
  const facts = [fmt.time(c.visit.at, zone), fmt.list(a.tags)];
  if (c.visit.amount !== undefined) facts.push(fmt.money(c.visit.amount, c.visit.currency));
  li.append(text('div', 'meta', facts.filter((x) => x && x !== '–').join(' · ')));
  if (c.retired)
    li.append(
      text(
        'div',
        'retired-note',
        c.retired === 'exit'
          ? t('staff.left', { time: fmt.time(c.visit.exitedAt, zone) })
          : t('staff.quiet', { n: Math.round((Date.now() - c.activityAt) / 60_000) }),
      ),
    );
  if (a.member) li.append(text('div', 'summary', memberSummary(a.member)));
  if (!c.retired && a.recommendation && (a.recommendation.headline || a.recommendation.items.length)) {
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
  if (c.status !== 'open')
    li.append(text('div', 'claimed-by', t(c.status === 'acked' ? 'alert.doneBy' : 'alert.claimedBy', { name: c.claimedBy || t('alert.someone') })));
  const mine = c.claimedBy === me?.displayName;
  const actions = text('div', 'actions', '');
  const pending = retries.has(c.key);
  if (c.status === 'open' && !c.retired) actions.append(button(t('alert.claim'), 'claim', c, pending));
  if (c.status === 'open' || (c.status === 'claimed' && mine)) actions.append(button(t('alert.done'), 'ack', c, pending));
  if (actions.children.length) li.append(actions);
  const note = notes.get(c.key);
  if (note) li.append(text('div', `note ${note.cls}`, note.text));
  return li;
}

function render(): void {
  const list = cards(alerts.values(), Date.now());
  if (list.length === 0) {
    alertsEl.replaceChildren(text('li', 'meta empty', t('staff.noAlerts')));
    return;
  }
  alertsEl.replaceChildren(...list.slice(0, 100).map(renderCard));
}

// "12 visits · last seen 3 days ago · spent ¥2,480.00": what staff need at a glance.
function memberSummary(m: AlertMemberSummary): string {
  const parts = [tn('alert.visits', m.visits)];
  parts.push(m.lastSeenAt ? t('alert.lastSeen', { ago: fmt.days(m.lastSeenAt) }) : t('alert.firstVisit'));
  if (m.totalSpend > 0) parts.push(t('alert.spent', { amount: fmt.money(m.totalSpend, m.currency) }));
  return parts.join(' · ');
}

function button(label: string, action: 'claim' | 'ack', c: Card, pending: boolean): HTMLButtonElement {
  const b = text('button', action, label) as HTMLButtonElement;
  b.type = 'button';
  b.disabled = pending;
  b.onclick = () => {
    b.disabled = true;
    void act(action, c.key, 0);
  };
  return b;
}

const note = (key: string, msg: MessageKey, params: Record<string, string | number>, cls: string): void => {
  notes.set(key, { text: t(msg, params), cls });
  render();
};

/**
 * Claims (or finishes) every alert of a card it applies to. A conflict (someone else was quicker)
 * is shown and final; a cloud that cannot be reached, or fails, is shown and retried with backoff
 * (2, 4, 8, 16, 30 s) until it answers.
 */
async function act(action: 'claim' | 'ack', key: string, attempt: number): Promise<void> {
  retries.delete(key);
  const targets = [...alerts.values()].filter(
    (a) => (a.visitId ?? a.id) === key && (a.status === 'open' || (action === 'ack' && a.status === 'claimed' && a.claimedBy === me?.displayName)),
  );
  for (const a of targets) {
    let res: Answer;
    try {
      res = await api('POST', `/api/v1/alerts/${encodeURIComponent(a.id)}/${action}`);
    } catch (err) {
      return retry(action, key, attempt, (err as Error).message || t('staff.unreachable'));
    }
    if (res.body.alert) upsert(res.body.alert);
    if (res.status === 409) return note(key, 'staff.failed', { error: res.body.error ?? t('staff.conflict') }, 'conflict');
    if (res.status >= 500 || res.status === 0) return retry(action, key, attempt, res.body.error ?? t('error.http', { status: res.status }));
    if (res.status !== 200) return note(key, 'staff.failed', { error: res.body.error ?? t('error.http', { status: res.status }) }, 'failed');
  }
  notes.delete(key);
  render();
}

function retry(action: 'claim' | 'ack', key: string, attempt: number, error: string): void {
  const s = Math.min(30, 2 ** (attempt + 1));
  retries.set(
    key,
    setTimeout(() => void act(action, key, attempt + 1), s * 1000),
  );
  note(key, 'staff.retrying', { error, n: s }, 'retrying');
}

function upsert(a: StaffAlert): void {
  alerts.set(a.id, a);
  lastSeq = Math.max(lastSeq, a.seq);
  if (alerts.size > MAX_ALERTS) {
    const oldest = [...alerts.values()].sort((x, y) => x.seq - y.seq)[0];
    if (oldest) alerts.delete(oldest.id);
  }
}

async function loadAlerts(): Promise<void> {
  const res = await api('GET', '/api/v1/alerts?limit=100').catch(() => null);
  if (res?.status === 200) for (const a of res.body.alerts ?? []) upsert(a);
  render();
}

async function connect(): Promise<void> {
  clearTimeout(retryTimer);
  if (!token) return;
  setStatus(t('status.connecting'), false);
  const ticket = await api('POST', '/api/v1/alerts/ticket').catch(() => null);
  if (!token) return;
  if (ticket?.status !== 200 || !ticket.body.ticket) {
    socketDown = true;
    showOffline();
    setStatus(t('status.offline'), false);
    retryTimer = setTimeout(() => void connect(), 3000);
    return;
  }
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(`${proto}//${location.host}/api/v1/alerts/ws?since=${lastSeq}&ticket=${encodeURIComponent(ticket.body.ticket)}`);
  ws = socket;
  socket.onmessage = (m: MessageEvent<string>) => {
    const f = JSON.parse(m.data) as StaffFrame;
    if (f.type === 'hello') {
      setStatus(t('status.live'), true);
      if (socketDown) void loadAlerts(); // progress and claims that changed while we were away
      socketDown = false;
      showOffline();
    } else if (f.type === 'alert' || f.type === 'alert_update') {
      const isNewCard = f.type === 'alert' && !seen.has(f.alert.visitId ?? f.alert.id);
      upsert(f.alert);
      render();
      if (isNewCard) {
        const card = cards(alerts.values(), Date.now()).find((c) => c.key === (f.alert.visitId ?? f.alert.id));
        if (card && !card.retired) notify.announce(f.alert, alertTitle({ ...card.lead, eventType: card.visit.stage }), where(card));
      }
    }
  };
  socket.onclose = (e) => {
    ws = null;
    if (!token) return;
    socketDown = true;
    showOffline();
    setStatus(e.code >= 4000 ? t('status.refused', { reason: e.reason || e.code }) : t('status.reconnecting'), false);
    retryTimer = setTimeout(() => void connect(), e.code >= 4000 ? 5000 : 2000);
  };
}

async function start(user: User): Promise<void> {
  $('login-view').hidden = true;
  $('alerts-view').hidden = false;
  $('who').textContent = `${user.displayName} · ${user.storeIds.length ? user.storeIds.join(', ') : tOr(`role.${user.role}`, user.role)}`;
  $('console-link').hidden = user.role === 'staff';
  const known = await fetch('/api/v1/sites', { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
  if (known?.ok) setSites(((await known.json()) as { sites: SiteSummary[] }).sites);
  await loadAlerts();
  void connect();
}

function signOut(message?: string): void {
  token = null;
  me = null;
  sessionStorage.removeItem('storesense.token');
  sessionStorage.removeItem('storesense.user');
  clearTimeout(retryTimer);
  for (const r of retries.values()) clearTimeout(r);
  retries.clear();
  notes.clear();
  if (ws) {
    ws.onclose = null;
    ws.close();
    ws = null;
  }
  alerts.clear();
  lastSeq = 0;
  socketDown = false;
  showOffline();
  render();
  $('alerts-view').hidden = true;
  $('login-view').hidden = false;
  $('error').textContent = message || '';
  setStatus(t('status.signedOut'), false);
}

$('lang-slot').append(localeSwitcher(t('app.language')));
notify.label();
$('notify').onclick = () => void notify.toggle();
// The installable app: its worker serves the shell when the network is gone (sw.ts).
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/staff-sw.js', { scope: '/staff', type: 'module' }).catch(() => undefined);
$('login').onsubmit = async (e) => {
  e.preventDefault();
  $('error').textContent = '';
  const password = $<HTMLInputElement>('password');
  const res = await api('POST', '/api/v1/auth/login', { username: $<HTMLInputElement>('username').value, password: password.value }).catch(() => null);
  if (!res || res.status !== 200 || !res.body.token || !res.body.user) {
    $('error').textContent = res?.body.error || (res ? t('login.failed') : t('staff.unreachable'));
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
window.addEventListener('online', showOffline);
window.addEventListener('offline', showOffline);
// Quiet cards retire by time: re-read the clock now and then.
setInterval(() => {
  if (token) render();
}, 15_000);
if (token && me) void start(me);
