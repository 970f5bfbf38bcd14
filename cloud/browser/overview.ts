/**
 * Overview: cloud health (GET /api/v1/health), sites and their gateways with the state each last
 * published on its retained `state/conn` and `state/health` topics (GET /api/v1/gateways; verdicts
 * from gateway-verdict.ts), live staff alerts and recent events.
 */
import type { GatewayRow, Health, PresenceEvent } from './api.types.js';
import { chip, errorBox, fill, fmt, get, h, session, t, table, tile, tn, tOr } from './core.js';
import { gatewayVerdict } from './gateway-verdict.js';
import { live } from './live.js';
import { type Card, cards } from './staff-cards.js';
import { alertTitle, place } from './alert-text.js';
import { siteOf, siteZone } from './sites.js';

const siteNameOf = (siteId: string): string | undefined => siteOf(siteId)?.name;

function gatewayRows(gateways: GatewayRow[], now: number): HTMLElement {
  return table<GatewayRow>(
    [
      { label: t('gw.gateway'), cell: (g) => h('b', { text: g.gatewayId }) },
      {
        label: t('gw.state'),
        cell: (g) => {
          const v = gatewayVerdict(g, now);
          return [chip(tOr(`verdict.${v.label}`, v.label), v.level), v.reasons.length ? h('div', { class: 'meta', text: v.reasons.join('; ') }) : null];
        },
      },
      { label: t('gw.lastSeen'), cell: (g) => fmt.ago(Math.max(g.conn ? g.conn.receivedAt : 0, g.health ? g.health.receivedAt : 0), now) },
      {
        label: t('gw.backlog'),
        cell: (g) => {
          if (!g.health) return '–';
          const o = g.health.value.outbox;
          return o.oldestUnsentAgeMs ? t('gw.oldest', { n: o.depth, age: fmt.secs(o.oldestUnsentAgeMs) }) : String(o.depth);
        },
      },
      {
        label: t('gw.sources'),
        cls: 'hide-narrow',
        cell: (g) =>
          g.health
            ? Object.entries(g.health.value.sources).map(([n, s]) =>
                chip(`${n}: ${s.state}`, s.state === 'ok' ? 'ok' : s.state === 'stopped' ? 'idle' : 'warn'),
              )
            : '–',
      },
      { label: t('gw.subjects'), cls: 'hide-narrow', cell: (g) => (g.health ? String(g.health.value.subjects) : '–') },
      {
        label: t('gw.version'),
        cls: 'hide-narrow',
        cell: (g) => (g.conn ? g.conn.version : '–') + (g.health ? ` · ${g.health.value.model.name} ${g.health.value.model.version}` : ''),
      },
    ],
    gateways,
    {
      label: t('ov.gateways'),
      empty: t('gw.empty'),
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
  const brokerText = b.connected ? b.kind + (b.clients !== undefined ? ` · ${tn('health.clients', b.clients)}` : '') : t('health.down');
  return h(
    'div',
    { class: 'tiles', id: 'health' },
    tile(health.ok ? t('health.ok') : t('health.degraded'), t('health.cloud'), health.ok ? 'ok' : 'bad'),
    tile(health.db.ok ? t('health.ok') : t('health.down'), t('health.database'), health.db.ok ? 'ok' : 'bad'),
    tile(brokerText, t('health.broker'), b.connected ? 'ok' : 'bad'),
    tile(String(c.gateways ?? '–'), t('health.gateways')),
    tile(String(c.events ?? '–'), t('health.events')),
    tile(String(c.members ?? '–'), t('health.members')),
    tile(String(c.alerts ?? '–'), t('health.alerts')),
    tile(String(c.offers ?? '–'), t('health.offers')),
  );
}

const siteOfName = (siteId: string): string => {
  const name = siteNameOf(siteId);
  return name && name !== siteId ? `${name} (${siteId})` : siteId;
};

function alertItem(c: Card, fresh: boolean): HTMLElement {
  const a = c.lead;
  const by = c.claimedBy || t('alert.someone');
  const meta = [
    fmt.time(a.eventAt, siteZone(a.siteId)),
    tOr(`event.${a.eventType}`, a.eventType),
    place(a.siteId, a.storeId, a.zoneId),
    a.tags.join(', '),
    c.status === 'claimed' ? t('alert.byStatus.claimed', { name: by }) : c.status === 'acked' ? t('alert.byStatus.acked', { name: by }) : '',
  ];
  const title = alertTitle({ ...a, eventType: c.visit.stage, ...(c.visit.zoneId ? { zoneId: c.visit.zoneId } : {}) });
  return h(
    'li',
    {
      class: `alert ${a.eventType} ${c.status}${c.retired ? ' retired' : ''}${fresh ? ' fresh' : ''}`,
      dataset: { alertId: a.id, status: c.status, stage: c.visit.stage },
    },
    h('div', { class: 'msg', text: title }),
    a.message && a.message !== title ? h('div', { class: 'meta rule-msg', text: a.message }) : null,
    h('div', { class: 'meta', text: meta.filter(Boolean).join(' · ') }),
    a.member
      ? h('div', {
          class: 'meta summary',
          text: [
            tn('alert.visits', a.member.visits),
            t('alert.spent', { amount: fmt.money(a.member.totalSpend, a.member.currency) }),
            t('alert.lastSeen', { ago: fmt.ago(a.member.lastSeenAt) }),
          ].join(' · '),
        })
      : null,
    a.recommendation?.headline ? h('div', { class: 'rec-headline', text: t('alert.show', { headline: a.recommendation.headline }) }) : null,
  );
}

export async function render(main: HTMLElement): Promise<() => void> {
  const healthBox = h('div', {}, h('p', { class: 'meta', text: t('ov.loadingHealth') }));
  const sitesBox = h('div', { id: 'sites' });
  const alertsList = h('ul', { id: 'alerts', class: 'alerts', 'aria-live': 'polite' });
  const eventsBox = h('div', {});
  fill(
    main,
    h('h1', { text: t('nav.overview') }),
    h('h2', { text: t('ov.cloud') }),
    healthBox,
    h('h2', { text: t('ov.sites') }),
    sitesBox,
    h(
      'div',
      { class: 'cols' },
      h('section', {}, h('h2', { text: t('ov.alerts') }), alertsList),
      h('section', {}, h('h2', { text: t('ov.events') }), eventsBox),
    ),
  );

  function drawAlerts(): void {
    // One entry per visit, saying where it has got to (as the staff view's cards do).
    const all = cards(live.alerts.values(), Date.now()).slice(0, 30);
    fill(alertsList, ...(all.length ? all.map((c) => alertItem(c, false)) : [h('li', { class: 'meta', text: t('ov.noAlerts') })]));
  }
  const unsubscribe = live.subscribe(() => {
    drawAlerts();
    void loadEvents();
  });
  drawAlerts();

  // Health is what the cloud answered just now, never an old answer left on screen: when it does not
  // answer, the tiles say so with the time of the last answer (issue 14: tiles stayed green while it was down).
  let lastAnswerAt = 0;
  async function loadHealth(): Promise<void> {
    let health: Health;
    try {
      health = (await fetch('/api/v1/health').then((r) => r.json())) as Health;
      lastAnswerAt = Date.now();
      fill(healthBox, healthTiles(health));
    } catch {
      fill(
        healthBox,
        h(
          'div',
          { class: 'tiles', id: 'health', dataset: { stale: 'yes' } },
          tile(t('health.unreachable'), t('health.cloud'), 'bad'),
          tile(lastAnswerAt ? fmt.time(lastAnswerAt) : '–', t('health.lastAnswer')),
        ),
      );
      for (const row of sitesBox.querySelectorAll('section.site')) row.classList.add('stale');
      return;
    }
    try {
      const gws = await get<{ gateways: GatewayRow[] }>('/api/v1/gateways');
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
                h('h3', {}, siteOfName(siteId), ' ', chip(t('ov.up', { n: online, total: list.length }), worst)),
                gatewayRows(list, now),
              );
            })
          : [h('p', { class: 'meta', text: t('ov.noGateways') })]),
      );
    } catch (err) {
      fill(sitesBox, errorBox(t('ov.gatewaysUnavailable', { error: (err as Error).message })));
    }
  }

  async function loadEvents(): Promise<void> {
    try {
      const body = await get<{ events: PresenceEvent[] }>('/api/v1/events?limit=15');
      fill(
        eventsBox,
        table<PresenceEvent>(
          [
            { label: t('ev.time'), cell: (e) => fmt.time(e.at, siteZone(e.siteId)) },
            { label: t('ev.type'), cell: (e) => tOr(`event.${e.type}`, e.type) },
            { label: t('ev.place'), cell: (e) => place(e.siteId, e.storeId, e.zoneId) },
            {
              label: t('ev.member'),
              cell: (e) =>
                !e.subject.memberId
                  ? ''
                  : !session.can('edit')
                    ? e.subject.memberId
                    : h('a', { href: `#/members/${encodeURIComponent(e.subject.memberId)}`, text: e.subject.memberId }),
            },
          ],
          body.events,
          { label: t('ov.recentEvents'), empty: t('ev.empty'), rowAttrs: () => ({ class: 'event' }) },
        ),
      );
      const tbody = eventsBox.querySelector('tbody');
      if (tbody) tbody.id = 'events';
    } catch (err) {
      fill(eventsBox, errorBox(t('ov.eventsUnavailable', { error: (err as Error).message })));
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
