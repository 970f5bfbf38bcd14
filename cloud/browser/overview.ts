/**
 * Overview: cloud health (GET /api/v1/health), sites and their gateways with the state each last
 * published on its retained `state/conn` and `state/health` topics (GET /api/v1/gateways; verdicts
 * from gateway-verdict.ts), live staff alerts and recent events.
 */
import type { GatewayRow, Health, PresenceEvent, StaffAlert } from './api.types.js';
import { chip, errorBox, fill, fmt, get, h, session, table, tile } from './core.js';
import { gatewayVerdict } from './gateway-verdict.js';
import { live } from './live.js';

function gatewayRows(gateways: GatewayRow[], now: number): HTMLElement {
  return table<GatewayRow>(
    [
      { label: 'Gateway', cell: (g) => h('b', { text: g.gatewayId }) },
      {
        label: 'State',
        cell: (g) => {
          const v = gatewayVerdict(g, now);
          return [chip(v.label, v.level), v.reasons.length ? h('div', { class: 'meta', text: v.reasons.join('; ') }) : null];
        },
      },
      { label: 'Last seen', cell: (g) => fmt.ago(Math.max(g.conn ? g.conn.receivedAt : 0, g.health ? g.health.receivedAt : 0), now) },
      {
        label: 'Outbox backlog',
        cell: (g) => {
          if (!g.health) return '–';
          const o = g.health.value.outbox;
          return String(o.depth) + (o.oldestUnsentAgeMs ? ` (oldest ${fmt.secs(o.oldestUnsentAgeMs)})` : '');
        },
      },
      {
        label: 'Sources',
        cls: 'hide-narrow',
        cell: (g) =>
          g.health
            ? Object.entries(g.health.value.sources).map(([n, s]) =>
                chip(`${n}: ${s.state}`, s.state === 'ok' ? 'ok' : s.state === 'stopped' ? 'idle' : 'warn'),
              )
            : '–',
      },
      { label: 'Subjects', cls: 'hide-narrow', cell: (g) => (g.health ? String(g.health.value.subjects) : '–') },
      {
        label: 'Version / model',
        cls: 'hide-narrow',
        cell: (g) => (g.conn ? g.conn.version : '–') + (g.health ? ` · ${g.health.value.model.name} ${g.health.value.model.version}` : ''),
      },
    ],
    gateways,
    {
      label: 'gateways',
      empty: 'No gateways yet.',
      rowAttrs: (g) => {
        const v = gatewayVerdict(g, now);
        return { class: `gw ${v.level}`, dataset: { gateway: g.gatewayId, state: v.label } };
      },
    },
  );
}

function healthTiles(health: Health): HTMLElement {
  const c = health.counts || {};
  const b = health.broker;
  const brokerText = b.connected ? b.kind + (b.clients !== undefined ? ` · ${b.clients}${b.clients === 1 ? ' client' : ' clients'}` : '') : 'down';
  return h(
    'div',
    { class: 'tiles', id: 'health' },
    tile(health.ok ? 'ok' : 'degraded', 'cloud', health.ok ? 'ok' : 'bad'),
    tile(health.db.ok ? 'ok' : 'down', 'database', health.db.ok ? 'ok' : 'bad'),
    tile(brokerText, 'MQTT broker', b.connected ? 'ok' : 'bad'),
    tile(String(c.gateways ?? '–'), 'gateways'),
    tile(String(c.events ?? '–'), 'events'),
    tile(String(c.members ?? '–'), 'members'),
    tile(String(c.alerts ?? '–'), 'alerts'),
    tile(String(c.offers ?? '–'), 'offers'),
  );
}

function alertItem(a: StaffAlert, fresh: boolean): HTMLElement {
  const meta = [
    fmt.time(a.eventAt),
    a.eventType,
    a.storeId || a.siteId,
    a.tier,
    a.tags.join(', '),
    a.status !== 'open' ? `${a.status} by ${a.claimedBy || 'someone'}` : '',
  ];
  return h(
    'li',
    { class: `alert ${a.eventType} ${a.status}${fresh ? ' fresh' : ''}`, dataset: { alertId: a.id, status: a.status } },
    h('div', { class: 'msg', text: a.message }),
    h('div', { class: 'meta', text: meta.filter(Boolean).join(' · ') }),
    a.member
      ? h('div', {
          class: 'meta summary',
          text: `${a.member.visits}${a.member.visits === 1 ? ' visit' : ' visits'} · spent ${fmt.money(a.member.totalSpend, a.member.currency)} · last seen ${fmt.ago(a.member.lastSeenAt)}`,
        })
      : null,
    a.recommendation?.headline ? h('div', { class: 'rec-headline', text: `Show: ${a.recommendation.headline}` }) : null,
  );
}

export async function render(main: HTMLElement): Promise<() => void> {
  const healthBox = h('div', {}, h('p', { class: 'meta', text: 'Loading health…' }));
  const sitesBox = h('div', { id: 'sites' });
  const alertsList = h('ul', { id: 'alerts', class: 'alerts', 'aria-live': 'polite' });
  const eventsBox = h('div', {});
  fill(
    main,
    h('h2', { text: 'Cloud' }),
    healthBox,
    h('h2', { text: 'Sites and gateways' }),
    sitesBox,
    h(
      'div',
      { class: 'cols' },
      h('section', {}, h('h2', { text: 'Live staff alerts' }), alertsList),
      h('section', {}, h('h2', { text: 'Recent events' }), eventsBox),
    ),
  );

  function drawAlerts(): void {
    const all = [...live.alerts.values()].sort((a, b) => b.seq - a.seq).slice(0, 30);
    fill(alertsList, ...(all.length ? all.map((a) => alertItem(a, false)) : [h('li', { class: 'meta', text: 'No alerts yet.' })]));
  }
  const unsubscribe = live.subscribe(() => {
    drawAlerts();
    void loadEvents();
  });
  drawAlerts();

  async function loadHealth(): Promise<void> {
    try {
      const [health, gws] = await Promise.all([
        fetch('/api/v1/health').then((r) => r.json() as Promise<Health>),
        get<{ gateways: GatewayRow[] }>('/api/v1/gateways'),
      ]);
      fill(healthBox, healthTiles(health));
      const now = Date.now();
      const bySite = new Map<string, GatewayRow[]>();
      for (const g of gws.gateways) bySite.set(g.siteId, [...(bySite.get(g.siteId) ?? []), g]);
      const sites = [...bySite.keys()].sort();
      fill(
        sitesBox,
        ...(sites.length
          ? sites.map((siteId) => {
              const list = bySite.get(siteId) ?? [];
              const levels = list.map((g) => gatewayVerdict(g, now).level);
              const worst = levels.includes('bad') ? 'bad' : levels.includes('warn') ? 'warn' : levels.includes('ok') ? 'ok' : 'idle';
              const online = levels.filter((l) => l !== 'bad' && l !== 'idle').length;
              return h(
                'section',
                { class: 'site', dataset: { site: siteId } },
                h('h3', {}, siteId, ' ', chip(`${online}/${list.length} up`, worst)),
                gatewayRows(list, now),
              );
            })
          : [h('p', { class: 'meta', text: 'No gateways have connected or been provisioned yet.' })]),
      );
    } catch (err) {
      fill(sitesBox, errorBox(`Gateways unavailable: ${(err as Error).message}`));
    }
  }

  async function loadEvents(): Promise<void> {
    try {
      const body = await get<{ events: PresenceEvent[] }>('/api/v1/events?limit=15');
      fill(
        eventsBox,
        table<PresenceEvent>(
          [
            { label: 'Time', cell: (e) => fmt.time(e.at) },
            { label: 'Type', cell: (e) => e.type },
            { label: 'Store / zone', cell: (e) => [e.storeId, e.zoneId].filter(Boolean).join(' / ') || e.siteId },
            {
              label: 'Member',
              cell: (e) =>
                !e.subject.memberId
                  ? ''
                  : !session.can('edit')
                    ? e.subject.memberId
                    : h('a', { href: `#/members/${encodeURIComponent(e.subject.memberId)}`, text: e.subject.memberId }),
            },
          ],
          body.events,
          { label: 'recent events', empty: 'No events yet.', rowAttrs: () => ({ class: 'event' }) },
        ),
      );
      const tbody = eventsBox.querySelector('tbody');
      if (tbody) tbody.id = 'events';
    } catch (err) {
      fill(eventsBox, errorBox(`Events unavailable: ${(err as Error).message}`));
    }
  }

  await Promise.all([loadHealth(), loadEvents()]);
  const timer = setInterval(() => {
    void loadHealth();
    void loadEvents();
  }, 10000);
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}
