/**
 * `/assets/console/app.js` (the console's entry module) and `/assets/console/live.js` (the alert
 * socket). app.js decides who is looking (a stored session checked with /auth/me, else a probe:
 * an open-mode cloud answers /gateways without a token), shows the sign-in form when needed,
 * sends staff to /staff, builds the role-aware nav and routes `#/<view>/<param>` to a view
 * module loaded on demand. Each view exports `render(main, params)` and may return a cleanup.
 * Browser JS inside String.raw: it must not contain backticks or dollar-brace.
 */
export const APP_JS = String.raw`
import { api, fill, h, onSignedOut, session } from './core.js';
import { live } from './live.js';

// analystOk: the view is readable by analysts; editing inside a view checks session.can('edit').
const ROUTES = [
  { path: 'overview', label: 'Overview', module: './overview.js', analystOk: true },
  { path: 'members', label: 'Members', module: './members.js', analystOk: false }, // profiles are personal data: operators only
  { path: 'rules', label: 'Rules', module: './rules.js', analystOk: false },
  { path: 'offers', label: 'Offers', module: './offers.js', analystOk: true },
  { path: 'analytics', label: 'Analytics', module: './analytics.js', analystOk: true },
];
const $ = (id) => document.getElementById(id);
const main = $('main');
let cleanup = null;

function allowed(route) {
  return session.role === 'operator' || (session.role === 'analyst' && route.analystOk);
}

function nav() {
  const current = location.hash.split('/')[1] || 'overview';
  fill($('nav'), ...ROUTES.filter(allowed).map((r) =>
    h('a', { href: '#/' + r.path, text: r.label, 'aria-current': r.path === current ? 'page' : undefined, dataset: { route: r.path } })),
    h('a', { href: '/staff', text: 'Staff view', class: 'aside' }));
}

async function route() {
  if (cleanup) { try { cleanup(); } catch { /* a view's own problem */ } cleanup = null; }
  const [, path, ...params] = location.hash.split('/');
  const r = ROUTES.find((x) => x.path === (path || 'overview'));
  nav();
  if (!r) { fill(main, h('h2', { text: 'Not found' }), h('p', {}, 'No view ', h('code', { text: location.hash }), '. ', h('a', { href: '#/overview', text: 'Overview' }))); return; }
  main.dataset.view = r.path;
  delete main.dataset.denied;
  if (!allowed(r)) {
    main.dataset.denied = r.path;
    fill(main, h('h2', { text: r.label }), h('p', { class: 'error', role: 'alert', text: r.label + ' need the operator role; you are signed in as ' + session.role + '.' }));
    return;
  }
  document.title = 'storesense: ' + r.label.toLowerCase();
  fill(main, h('p', { class: 'meta', text: 'Loading…' }));
  try {
    const view = await import(r.module);
    const done = await view.render(main, params.map(decodeURIComponent));
    cleanup = typeof done === 'function' ? done : null;
    // Screen readers start reading the new view, not the nav link that was followed.
    if (document.activeElement && document.activeElement.closest('#nav')) main.focus({ preventScroll: true });
  } catch (err) {
    fill(main, h('h2', { text: r.label }), h('p', { class: 'error', role: 'alert', text: 'Could not load: ' + err.message }));
  }
}

function start() {
  if (session.role === 'staff') { location.replace('/staff'); return; }
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  $('who').textContent = session.user ? session.user.displayName + ' · ' + session.user.role : 'open mode (no sign-in)';
  $('logout').hidden = !session.user;
  if (!location.hash) history.replaceState(null, '', '#/overview');
  live.start();
  route();
}

function showLogin(message) {
  live.stop();
  if (cleanup) { cleanup(); cleanup = null; }
  fill(main);
  $('app-view').hidden = true;
  $('login-view').hidden = false;
  $('error').textContent = message || '';
  $('username').focus();
}

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('error').textContent = '';
  const res = await api('POST', '/api/v1/auth/login', { username: $('username').value, password: $('password').value });
  if (res.status !== 200) { $('error').textContent = res.body.error || 'Sign-in failed'; return; }
  session.save(res.body.token, res.body.user);
  $('password').value = '';
  start();
});
$('logout').addEventListener('click', async () => {
  await api('POST', '/api/v1/auth/logout');
  session.clear();
  showLogin('Signed out.');
});
onSignedOut(() => { session.clear(); showLogin('Session ended; sign in again.'); });
window.addEventListener('hashchange', () => { if (!$('app-view').hidden) route(); });

(async () => {
  if (session.token) {
    const me = await api('GET', '/api/v1/auth/me');
    if (me.status === 200) { session.save(session.token, me.body.user); start(); return; }
    session.clear();
  }
  // No session: /api/v1/health says whether this cloud asks for a sign-in (open mode serves the
  // operator listings without a token), so the console never probes a listing for a 401.
  const health = await api('GET', '/api/v1/health');
  if (health.body && health.body.auth === 'open') { session.open = true; start(); } else showLogin('');
})();
`;

export const LIVE_JS = String.raw`
import { api, session } from './core.js';

const statusEl = () => document.getElementById('status');
function setStatus(label, cls) { const el = statusEl(); el.textContent = label; el.className = cls || ''; }

/**
 * The staff alert socket, shared by every view: keeps the newest alerts (by id) and tells
 * subscribers about each new or updated one. Reconnects with a fresh single-use ticket and
 * resumes from the last seq it saw. Analysts get no ticket (alerts name members): no socket.
 */
export const live = {
  alerts: new Map(),
  lastSeq: 0,
  ws: null,
  timer: null,
  subscribers: new Set(),
  subscribe(fn) { this.subscribers.add(fn); return () => this.subscribers.delete(fn); },
  put(alert, fresh) {
    this.alerts.set(alert.id, alert);
    this.lastSeq = Math.max(this.lastSeq, alert.seq);
    if (this.alerts.size > 200) this.alerts.delete(this.alerts.keys().next().value);
    this.subscribers.forEach((fn) => fn(alert, fresh));
  },
  async start() {
    this.stop();
    if (session.role === 'analyst') { setStatus('no live alerts for analysts', 'idle'); return; }
    const res = await api('GET', '/api/v1/alerts?limit=50');
    if (res.status === 200) res.body.alerts.slice().reverse().forEach((a) => this.put(a, false));
    this.connect();
  },
  async connect() {
    clearTimeout(this.timer);
    setStatus('connecting', '');
    let ticket = '';
    if (session.token) {
      const t = await api('POST', '/api/v1/alerts/ticket');
      if (!session.token) return;
      if (t.status !== 200) { this.timer = setTimeout(() => this.connect(), 5000); return; }
      ticket = '&ticket=' + encodeURIComponent(t.body.ticket);
    }
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(proto + '//' + location.host + '/api/v1/alerts/ws?since=' + this.lastSeq + ticket);
    this.ws = ws;
    ws.onmessage = (m) => {
      const f = JSON.parse(m.data);
      if (f.type === 'hello') setStatus('live', 'live');
      else if (f.type === 'alert') this.put(f.alert, true);
      else if (f.type === 'alert_update') this.put(f.alert, false);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      // 4401/4403: refused (sign-in needed or no longer valid); retry slower.
      setStatus(e.code >= 4000 ? 'alerts refused: ' + (e.reason || e.code) : 'reconnecting', '');
      this.timer = setTimeout(() => this.connect(), e.code >= 4000 ? 30000 : 2000);
    };
  },
  stop() {
    clearTimeout(this.timer);
    if (this.ws) { const ws = this.ws; this.ws = null; ws.close(); }
    this.alerts.clear();
    this.lastSeq = 0;
    setStatus('signed out', '');
  },
};
`;
