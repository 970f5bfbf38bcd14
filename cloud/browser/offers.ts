/**
 * Offers: issued offers with their delivery and redemption (GET
 * /api/v1/offers?storeId=&status=&memberId=&limit=) and conversion figures per offer kind (GET
 * /api/v1/analytics/offers over `reportRange()`, 7 days by default).
 */
import { bars, chart } from './analytics.js';
import type { Offer, OfferConversion } from './api.types.js';
import { OFFER_STATUSES } from './contract.js';
import { errorBox, fill, fmt, get, h, reportRange, session, t, table, tile, tOr } from './core.js';
import { siteZone } from './sites.js';

const filters = { storeId: '', status: '', memberId: '' };

async function conversion(box: HTMLElement): Promise<void> {
  try {
    const range = await reportRange(7 * 24 * 3600 * 1000, true);
    if (!range) {
      fill(box, h('p', { class: 'meta', text: t('offers.noEvents') }));
      return;
    }
    const r = await get<OfferConversion>(`/api/v1/analytics/offers?${range.query}`);
    const figure = chart('of-kinds', t('offers.chart'));
    const tz = siteZone(range.siteId);
    fill(
      box,
      h('p', { class: 'meta', id: 'of-range', text: `${range.siteId} · ${fmt.dateTime(range.from, tz)} – ${fmt.dateTime(range.to, tz)}` }),
      h(
        'div',
        { class: 'tiles', id: 'of-tiles' },
        tile(String(r.issued), t('offers.issued')),
        tile(String(r.redeemed), t('offers.redeemed')),
        tile(fmt.pct(r.conversion), t('offers.conversion')),
      ),
      r.byKind.length ? h('div', { class: 'charts' }, figure) : null,
    );
    const svg = figure.querySelector('svg');
    if (r.byKind.length && svg)
      bars(
        svg,
        r.byKind.map((k) => k.kind),
        [
          { name: t('offers.issued'), cls: 'c-appr', values: r.byKind.map((k) => k.issued) },
          { name: t('offers.redeemed'), cls: 'c-arr', values: r.byKind.map((k) => k.redeemed) },
        ],
        { values: true },
      );
  } catch (err) {
    fill(box, errorBox(t('offers.conversionUnavailable', { error: (err as Error).message })));
  }
}

const statusLevel = (s: string): string => (s === 'redeemed' ? 'ok' : s === 'failed' ? 'bad' : s === 'expired' ? 'idle' : 'warn');

async function list(box: HTMLElement): Promise<void> {
  const qs = new URLSearchParams({ limit: '200' });
  for (const [k, v] of Object.entries(filters)) if (v) qs.set(k, v);
  try {
    const { offers } = await get<{ offers: Offer[] }>(`/api/v1/offers?${qs}`);
    fill(
      box,
      table<Offer>(
        [
          { label: t('offers.colIssued'), cell: (o) => fmt.dateTime(o.issuedAt) },
          {
            label: t('offers.colOffer'),
            cell: (o) => [h('b', { text: o.title || o.kind || o.id }), h('div', { class: 'meta', text: [o.ruleId, o.id].filter(Boolean).join(' · ') })],
          },
          {
            label: t('offers.colMember'),
            cell: (o) =>
              !o.memberId
                ? o.subject || t('offers.prospect')
                : session.can('edit')
                  ? h('a', { href: `#/members/${encodeURIComponent(o.memberId)}`, text: o.memberId })
                  : o.memberId,
          },
          { label: t('offers.colStore'), cls: 'hide-narrow', cell: (o) => o.storeId || '–' },
          { label: t('offers.colStatus'), cell: (o) => h('span', { class: `chip ${statusLevel(o.status)}`, text: tOr(`offerStatus.${o.status}`, o.status) }) },
          { label: t('offers.colDelivered'), cls: 'hide-narrow', cell: (o) => fmt.dateTime(o.deliveredAt) },
          { label: t('offers.colRedeemed'), cell: (o) => fmt.dateTime(o.redeemedAt) },
          { label: t('offers.colExpires'), cls: 'hide-narrow', cell: (o) => fmt.dateTime(o.expiresAt) },
          { label: t('offers.colAmount'), cls: 'hide-narrow', cell: (o) => fmt.money(o.amount, o.currency) },
        ],
        offers,
        { label: t('offers.title'), empty: t('offers.none'), rowAttrs: (o) => ({ class: 'offer', dataset: { offer: o.id, status: o.status } }) },
      ),
    );
  } catch (err) {
    fill(box, errorBox(t('offers.unavailable', { error: (err as Error).message })));
  }
}

export async function render(main: HTMLElement): Promise<void> {
  const input = (id: string, key: keyof typeof filters, label: string, placeholder: string) => [
    h('label', { for: id, text: label }),
    h('input', {
      id,
      value: filters[key],
      placeholder,
      autocomplete: 'off',
      oninput: (e: Event) => {
        filters[key] = (e.target as HTMLInputElement).value.trim();
      },
    }),
  ];
  const listBox = h('div', { id: 'offers-list' }, h('p', { class: 'meta', text: t('offers.loading') }));
  const status = h(
    'select',
    {
      id: 'of-status',
      onchange: (e: Event) => {
        filters.status = (e.target as HTMLSelectElement).value;
        void list(listBox);
      },
    },
    h('option', { value: '', text: t('offers.anyStatus') }),
    OFFER_STATUSES.map((s) => h('option', { value: s, text: tOr(`offerStatus.${s}`, s), selected: filters.status === s })),
  );
  const form = h(
    'form',
    { class: 'inline-form', id: 'offer-filters', role: 'search' },
    input('of-store', 'storeId', t('offers.store'), t('offers.storePlaceholder')),
    input('of-member', 'memberId', t('offers.member'), t('offers.memberPlaceholder')),
    h('label', { for: 'of-status', text: t('offers.status') }),
    status,
    h('button', { type: 'submit', text: t('offers.filter') }),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void list(listBox);
  });
  const convBox = h('section', { id: 'offer-conversion' }, h('p', { class: 'meta', text: t('offers.loadingConversion') }));
  fill(main, h('h1', { text: t('offers.title') }), convBox, h('h2', { text: t('offers.issuedTitle') }), form, listBox);
  await Promise.all([conversion(convBox), list(listBox)]);
}
