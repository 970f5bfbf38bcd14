/**
 * The live console at `/`: static HTML and vanilla JS, no build step, kept as a string in a TS
 * module so it ships inside dist/. Lists recent alerts (REST), appends live ones (websocket,
 * resuming from the last seq after a reconnect), shows a small table of recent events and the
 * analytics section (`console.analytics.ts`).
 */
import { ANALYTICS_CSS, ANALYTICS_HTML, ANALYTICS_SCRIPT } from './console.analytics.js';

export const CONSOLE_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>storesense: live</title>
<style>
  :root { font-family: system-ui, sans-serif; color-scheme: light dark; }
  body { margin: 0; padding: 12px; max-width: 900px; margin-inline: auto; }
  h1 { font-size: 1.2rem; margin: 0 0 8px; display: flex; gap: 8px; align-items: center; }
  #status { font-size: .8rem; padding: 2px 8px; border-radius: 10px; background: #888; color: #fff; }
  #status.live { background: #1a7f37; }
  h2 { font-size: 1rem; margin: 16px 0 6px; }
  ul { list-style: none; padding: 0; margin: 0; }
  li.alert { border: 1px solid #8884; border-left: 6px solid #d4a017; border-radius: 6px; padding: 8px 10px; margin-bottom: 6px; }
  li.alert.arrival { border-left-color: #1a7f37; }
  li.alert.fresh { animation: flash 1.5s ease-out; }
  @keyframes flash { from { background: #d4a01744; } to { background: transparent; } }
  .msg { font-weight: 600; }
  .meta { font-size: .8rem; opacity: .75; }
  table { width: 100%; border-collapse: collapse; font-size: .85rem; }
  th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #8883; }
  @media (max-width: 600px) { .hide-narrow { display: none; } }
${ANALYTICS_CSS}
</style>
</head>
<body>
<h1>storesense <span id="status">connecting</span> <a href="/staff" style="font-size:.8rem;font-weight:400">staff view</a></h1>
<h2>Staff alerts</h2>
<ul id="alerts"><li class="meta">No alerts yet.</li></ul>
<h2>Recent events</h2>
<table><thead><tr><th>time</th><th>type</th><th class="hide-narrow">site</th><th>store / zone</th><th>member</th></tr></thead>
<tbody id="events"></tbody></table>
${ANALYTICS_HTML}
<script>
(() => {
  const alertsEl = document.getElementById('alerts');
  const eventsEl = document.getElementById('events');
  const statusEl = document.getElementById('status');
  let lastSeq = 0;
  const seen = new Set();
  // Signed in at /staff in this tab (operator or analyst): the same session token, same origin.
  const token = sessionStorage.getItem('storesense.token');
  const authed = (path, init) => fetch(path, { ...init, headers: token ? { authorization: 'Bearer ' + token } : {} });
  const time = (ms) => new Date(ms).toLocaleTimeString();
  const text = (tag, cls, value) => { const el = document.createElement(tag); if (cls) el.className = cls; el.textContent = value; return el; };

  function addAlert(a, fresh) {
    if (seen.has(a.seq)) return;
    seen.add(a.seq);
    lastSeq = Math.max(lastSeq, a.seq);
    if (alertsEl.firstElementChild && alertsEl.firstElementChild.classList.contains('meta')) alertsEl.innerHTML = '';
    const li = document.createElement('li');
    li.className = 'alert ' + a.eventType + (fresh ? ' fresh' : '');
    li.append(text('div', 'msg', a.message));
    li.append(text('div', 'meta', time(a.eventAt) + ' · ' + a.eventType + ' · ' + (a.storeId || a.siteId) + (a.tags.length ? ' · ' + a.tags.join(', ') : '')));
    alertsEl.prepend(li);
    while (alertsEl.children.length > 100) alertsEl.lastElementChild.remove();
  }

  async function loadAlerts() {
    const res = await authed('/api/v1/alerts?limit=50');
    const body = await res.json();
    body.alerts.slice().reverse().forEach((a) => addAlert(a, false));
  }

  async function loadEvents() {
    try {
      const res = await authed('/api/v1/events?limit=20');
      if (res.status === 401 || res.status === 403) { statusEl.textContent = 'sign in as operator or analyst at /staff'; return; }
      const body = await res.json();
      eventsEl.innerHTML = '';
      for (const e of body.events) {
        const tr = document.createElement('tr');
        tr.append(text('td', '', time(e.at)), text('td', '', e.type), text('td', 'hide-narrow', e.siteId),
          text('td', '', [e.storeId, e.zoneId].filter(Boolean).join(' / ')), text('td', '', e.subject.memberId || ''));
        eventsEl.append(tr);
      }
    } catch { /* next refresh */ }
  }

  async function connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let ticket = '';
    if (token) {
      const res = await authed('/api/v1/alerts/ticket', { method: 'POST' }).catch(() => null);
      if (res && res.ok) ticket = '&ticket=' + encodeURIComponent((await res.json()).ticket);
    }
    const ws = new WebSocket(proto + '//' + location.host + '/api/v1/alerts/ws?since=' + lastSeq + ticket);
    ws.onmessage = (m) => {
      const frame = JSON.parse(m.data);
      if (frame.type === 'hello') { statusEl.textContent = 'live'; statusEl.className = 'live'; }
      if (frame.type === 'alert') { addAlert(frame.alert, true); loadEvents(); }
    };
    ws.onclose = (e) => {
      // 4401/4403: this cloud requires staff sign-in (tickets); the staff view at /staff does that.
      const refused = e.code >= 4000;
      statusEl.textContent = refused ? 'alerts need sign-in: /staff' : 'reconnecting';
      statusEl.className = '';
      setTimeout(connect, refused ? 30000 : 2000);
    };
  }

  loadAlerts().catch(() => {}).finally(connect);
  loadEvents();
  setInterval(loadEvents, 5000);
})();
</script>
<script>${ANALYTICS_SCRIPT}</script>
</body>
</html>
`;
