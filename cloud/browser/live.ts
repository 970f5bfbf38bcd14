/**
 * The staff alert socket, shared by every console view: keeps the newest alerts (by id) and tells
 * subscribers about each new or updated one. Reconnects with a fresh single-use ticket and
 * resumes from the last seq it saw. Analysts get no ticket (alerts name members): no socket.
 */
import type { StaffAlert, StaffFrame } from '@storesense/protocol';
import { api, session } from './core.js';
import { t } from './i18n.js';

function setStatus(label: string, cls?: string): void {
  const el = document.getElementById('status');
  if (!el) return;
  el.textContent = label;
  el.className = cls || '';
}

type Subscriber = (alert: StaffAlert, fresh: boolean) => void;

export const live = {
  alerts: new Map<string, StaffAlert>(),
  lastSeq: 0,
  ws: null as WebSocket | null,
  timer: undefined as ReturnType<typeof setTimeout> | undefined,
  subscribers: new Set<Subscriber>(),
  subscribe(fn: Subscriber): () => void {
    this.subscribers.add(fn);
    return () => void this.subscribers.delete(fn);
  },
  put(alert: StaffAlert, fresh: boolean): void {
    this.alerts.set(alert.id, alert);
    this.lastSeq = Math.max(this.lastSeq, alert.seq);
    if (this.alerts.size > 200) {
      const oldest = this.alerts.keys().next().value;
      if (oldest !== undefined) this.alerts.delete(oldest);
    }
    for (const fn of this.subscribers) fn(alert, fresh);
  },
  async start(): Promise<void> {
    this.stop();
    if (session.role === 'analyst') {
      setStatus(t('status.analyst'), 'idle');
      return;
    }
    const res = await api<{ alerts: StaffAlert[] }>('GET', '/api/v1/alerts?limit=50');
    if (res.status === 200) for (const a of res.body.alerts.slice().reverse()) this.put(a, false);
    void this.connect();
  },
  async connect(): Promise<void> {
    clearTimeout(this.timer);
    setStatus(t('status.connecting'), '');
    let ticket = '';
    if (session.token) {
      const t = await api<{ ticket: string }>('POST', '/api/v1/alerts/ticket');
      if (!session.token) return;
      if (t.status !== 200) {
        this.timer = setTimeout(() => void this.connect(), 5000);
        return;
      }
      ticket = `&ticket=${encodeURIComponent(t.body.ticket)}`;
    }
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/alerts/ws?since=${this.lastSeq}${ticket}`);
    this.ws = ws;
    ws.onmessage = (m: MessageEvent<string>) => {
      const f = JSON.parse(m.data) as StaffFrame;
      if (f.type === 'hello') setStatus(t('status.live'), 'live');
      else if (f.type === 'alert') this.put(f.alert, true);
      else if (f.type === 'alert_update') this.put(f.alert, false);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      // 4401/4403: refused (sign-in needed or no longer valid); retry slower.
      setStatus(e.code >= 4000 ? t('status.refused', { reason: e.reason || e.code }) : t('status.reconnecting'), '');
      this.timer = setTimeout(() => void this.connect(), e.code >= 4000 ? 30000 : 2000);
    };
  },
  stop(): void {
    clearTimeout(this.timer);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close();
    }
    this.alerts.clear();
    this.lastSeq = 0;
    setStatus(t('status.signedOut'), '');
  },
};
