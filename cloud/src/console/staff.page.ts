import { createHash } from 'node:crypto';

/**
 * The staff view at `/staff`, made for a phone: log in, then live alerts of the staff member's
 * stores with Claim / Done buttons and who has each one. Static HTML and vanilla JS in a string
 * (ships inside dist/, no build step). Data is only ever inserted with textContent.
 * Alert cards show the member summary and the recommendation when the alert carries them.
 * The session token lives in sessionStorage (this tab only); the socket gets a fresh single-use
 * ticket on every (re)connect and resumes from the last seq it saw.
 */
export const STAFF_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>storesense: staff alerts</title>
<style>
  :root { font-family: system-ui, sans-serif; color-scheme: light dark; }
  body { margin: 0; padding: 12px; max-width: 640px; margin-inline: auto; }
  header { display: flex; gap: 8px; align-items: center; justify-content: space-between; margin-bottom: 10px; }
  h1 { font-size: 1.15rem; margin: 0; }
  #status { font-size: .8rem; padding: 2px 8px; border-radius: 10px; background: #888; color: #fff; }
  #status.live { background: #1a7f37; }
  #who { font-size: .85rem; opacity: .8; }
  form { display: grid; gap: 10px; margin-top: 24px; }
  input, button { font: inherit; padding: 12px; border-radius: 8px; border: 1px solid #8886; }
  button { cursor: pointer; background: #0b5cad; color: #fff; border: none; min-height: 44px; }
  button.secondary { background: transparent; color: inherit; border: 1px solid #8886; padding: 6px 10px; min-height: 32px; }
  #error { color: #c62828; min-height: 1.2em; }
  ul { list-style: none; padding: 0; margin: 0; }
  li.alert { border: 1px solid #8884; border-left: 6px solid #d4a017; border-radius: 8px; padding: 10px; margin-bottom: 8px; }
  li.alert.claimed { border-left-color: #0b5cad; }
  li.alert.acked { border-left-color: #1a7f37; opacity: .6; }
  li.alert.fresh { animation: flash 1.5s ease-out; }
  @keyframes flash { from { background: #d4a01744; } to { background: transparent; } }
  .msg { font-weight: 600; }
  .meta, .claimed-by { font-size: .85rem; opacity: .8; margin-top: 4px; }
  .claimed-by { font-weight: 600; opacity: 1; }
  .actions { display: flex; gap: 8px; margin-top: 8px; }
  .actions button { flex: 1; }
  .note { font-size: .85rem; color: #c62828; margin-top: 4px; }
  .summary { font-size: .85rem; margin-top: 4px; }
  .rec { margin-top: 6px; padding: 6px 8px; border-radius: 6px; background: #0b5cad14; font-size: .9rem; overflow-wrap: anywhere; }
  .rec-headline { font-weight: 600; }
  .rec ul { margin: 4px 0 0; padding-left: 18px; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header><h1>Staff alerts</h1><span id="status">signed out</span></header>
<section id="login-view">
  <form id="login">
    <input id="username" name="username" autocomplete="username" placeholder="username" required>
    <input id="password" name="password" type="password" autocomplete="current-password" placeholder="password" required>
    <button type="submit">Sign in</button>
    <div id="error" role="alert"></div>
  </form>
</section>
<section id="alerts-view" hidden>
  <div style="display:flex;justify-content:space-between;align-items:center;margin-bottom:8px">
    <span id="who"></span><a id="console-link" href="/" hidden>console</a><button id="logout" class="secondary" type="button">Sign out</button>
  </div>
  <ul id="alerts"><li class="meta empty">No alerts yet.</li></ul>
</section>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  const alertsEl = $('alerts'), statusEl = $('status');
  const alerts = new Map(); // id -> alert
  let token = sessionStorage.getItem('storesense.token');
  let me = JSON.parse(sessionStorage.getItem('storesense.user') || 'null');
  let lastSeq = 0, ws = null, retryTimer = null;
  const text = (tag, cls, value) => { const el = document.createElement(tag); if (cls) el.className = cls; el.textContent = value; return el; };
  const time = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const setStatus = (label, live) => { statusEl.textContent = label; statusEl.className = live ? 'live' : ''; };

  async function api(method, path, body) {
    const res = await fetch(path, { method, headers: { 'content-type': 'application/json', ...(token ? { authorization: 'Bearer ' + token } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const json = res.status === 204 ? {} : await res.json().catch(() => ({}));
    if (res.status === 401 && path !== '/api/v1/auth/login') signOut('Session ended; sign in again.');
    return { status: res.status, body: json };
  }

  function render(a, fresh) {
    let li = alertsEl.querySelector('li[data-alert-id="' + CSS.escape(a.id) + '"]');
    const isNew = !li;
    if (isNew) { li = document.createElement('li'); li.dataset.alertId = a.id; }
    li.className = 'alert ' + a.status + (fresh && isNew ? ' fresh' : '');
    li.dataset.status = a.status;
    li.replaceChildren(text('div', 'msg', a.message),
      text('div', 'meta', time(a.eventAt) + ' · ' + (a.storeId || a.siteId) + (a.tier ? ' · ' + a.tier : '') + (a.tags.length ? ' · ' + a.tags.join(', ') : '')));
    if (a.member) li.append(text('div', 'summary', memberSummary(a.member)));
    if (a.recommendation && (a.recommendation.headline || a.recommendation.items.length)) {
      const rec = document.createElement('div'); rec.className = 'rec';
      rec.append(text('div', 'rec-headline', a.recommendation.headline));
      if (a.recommendation.items.length) {
        const ul = document.createElement('ul');
        for (const i of a.recommendation.items) { const item = text('li', '', ''); item.append(text('b', '', i.label), ' — ' + i.reason); ul.append(item); }
        rec.append(ul);
      }
      li.append(rec);
    }
    if (a.status !== 'open') li.append(text('div', 'claimed-by', (a.status === 'acked' ? 'Done by ' : 'Claimed by ') + (a.claimedBy || 'someone')));
    const mine = a.claimedBy === me?.displayName;
    const actions = document.createElement('div'); actions.className = 'actions';
    if (a.status === 'open') actions.append(button('Claim', 'claim', a));
    if (a.status === 'open' || (a.status === 'claimed' && mine)) actions.append(button('Done', 'ack', a));
    if (actions.children.length) li.append(actions);
    if (isNew) {
      alertsEl.querySelector('.empty')?.remove();
      const after = [...alertsEl.children].find((x) => (alerts.get(x.dataset.alertId)?.seq ?? 0) < a.seq);
      alertsEl.insertBefore(li, after || null);
      while (alertsEl.children.length > 100) alertsEl.lastElementChild.remove();
    }
  }

  // "12 visits · last seen 3 days ago · spent 2,480 CNY": what staff need at a glance.
  function memberSummary(m) {
    const parts = [m.visits + (m.visits === 1 ? ' visit' : ' visits')];
    if (m.lastSeenAt) {
      const days = Math.floor((Date.now() - m.lastSeenAt) / 86400000);
      parts.push('last seen ' + (days < 1 ? 'today' : days === 1 ? 'yesterday' : days + ' days ago'));
    } else parts.push('first visit');
    if (m.totalSpend > 0) parts.push('spent ' + Math.round(m.totalSpend).toLocaleString() + (m.currency ? ' ' + m.currency : ''));
    return parts.join(' · ');
  }

  function button(label, action, a) {
    const b = text('button', action, label);
    b.type = 'button';
    b.onclick = async () => {
      b.disabled = true;
      const res = await api('POST', '/api/v1/alerts/' + encodeURIComponent(a.id) + '/' + action);
      if (res.body.alert) upsert(res.body.alert, false);
      if (res.status === 409) {
        const li = alertsEl.querySelector('li[data-alert-id="' + CSS.escape(a.id) + '"]');
        li?.append(text('div', 'note', res.body.error));
      } else b.disabled = false;
    };
    return b;
  }

  function upsert(a, fresh) {
    alerts.set(a.id, a);
    lastSeq = Math.max(lastSeq, a.seq);
    render(a, fresh);
  }

  async function connect() {
    clearTimeout(retryTimer);
    if (!token) return;
    setStatus('connecting', false);
    const t = await api('POST', '/api/v1/alerts/ticket').catch(() => null);
    if (!token) return;
    if (!t || t.status !== 200) { retryTimer = setTimeout(connect, 3000); return; }
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(proto + '//' + location.host + '/api/v1/alerts/ws?since=' + lastSeq + '&ticket=' + encodeURIComponent(t.body.ticket));
    ws.onmessage = (m) => {
      const f = JSON.parse(m.data);
      if (f.type === 'hello') setStatus('live', true);
      else if (f.type === 'alert') upsert(f.alert, true);
      else if (f.type === 'alert_update') upsert(f.alert, false);
    };
    ws.onclose = (e) => {
      ws = null;
      if (!token) return;
      setStatus(e.code >= 4000 ? 'refused: ' + e.reason : 'reconnecting', false);
      retryTimer = setTimeout(connect, e.code >= 4000 ? 5000 : 2000);
    };
  }

  async function start() {
    $('login-view').hidden = true; $('alerts-view').hidden = false;
    $('who').textContent = me.displayName + ' · ' + (me.storeIds.length ? me.storeIds.join(', ') : me.role);
    $('console-link').hidden = me.role === 'staff';
    const res = await api('GET', '/api/v1/alerts?limit=50');
    if (res.status === 200) res.body.alerts.slice().reverse().forEach((a) => upsert(a, false));
    connect();
  }

  function signOut(message) {
    token = null; me = null;
    sessionStorage.removeItem('storesense.token'); sessionStorage.removeItem('storesense.user');
    clearTimeout(retryTimer);
    if (ws) { ws.onclose = null; ws.close(); ws = null; }
    alerts.clear(); lastSeq = 0;
    alertsEl.replaceChildren(text('li', 'meta empty', 'No alerts yet.'));
    $('alerts-view').hidden = true; $('login-view').hidden = false;
    $('error').textContent = message || '';
    setStatus('signed out', false);
  }

  $('login').onsubmit = async (e) => {
    e.preventDefault();
    $('error').textContent = '';
    const res = await api('POST', '/api/v1/auth/login', { username: $('username').value, password: $('password').value });
    if (res.status !== 200) { $('error').textContent = res.body.error || 'Sign-in failed'; return; }
    token = res.body.token; me = res.body.user;
    sessionStorage.setItem('storesense.token', token); sessionStorage.setItem('storesense.user', JSON.stringify(me));
    $('password').value = '';
    start();
  };
  $('logout').onclick = async () => { await api('POST', '/api/v1/auth/logout').catch(() => {}); signOut(); };
  if (token && me) start();
})();
</script>
</body>
</html>
`;

const inlineScript = /<script>([\s\S]*)<\/script>/.exec(STAFF_HTML)?.[1] ?? '';

/**
 * Content-Security-Policy of the staff page: only its own inline script (by hash) runs, it talks
 * only to its own origin, and no other site may frame it (a framed Claim button is clickjacking).
 * The session token sits in sessionStorage, so keeping foreign script out is what protects it.
 */
export const STAFF_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${createHash('sha256').update(inlineScript).digest('base64')}'`,
  "style-src 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
