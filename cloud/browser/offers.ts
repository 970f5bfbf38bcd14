/**
 * Offers: issued offers with their delivery and redemption (GET
 * /api/v1/offers?storeId=&status=&memberId=&limit=) and conversion figures per offer kind (GET
 * /api/v1/analytics/offers over `reportRange()`, 7 days by default).
 */
import { bars, chart } from './analytics.js';
import type { Offer, OfferConversion } from './api.types.js';
import { OFFER_STATUSES } from './contract.js';
import { errorBox, fill, fmt, get, h, reportRange, session, table, tile } from './core.js';

const filters = { storeId: '', status: '', memberId: '' };

async function conversion(box: HTMLElement): Promise<void> {
  try {
    const range = await reportRange(7 * 24 * 3600 * 1000, true);
    if (!range) {
      fill(box, h('p', { class: 'meta', text: 'No events yet.' }));
      return;
    }
    const r = await get<OfferConversion>(`/api/v1/analytics/offers?${range.query}`);
    const figure = chart('of-kinds', 'Offers issued vs redeemed per kind');
    fill(
      box,
      h('p', { class: 'meta', id: 'of-range', text: `${range.siteId} · ${fmt.dateTime(range.from)} – ${fmt.dateTime(range.to)}` }),
      h(
        'div',
        { class: 'tiles', id: 'of-tiles' },
        tile(String(r.issued), 'issued'),
        tile(String(r.redeemed), 'redeemed'),
        tile(fmt.pct(r.conversion), 'conversion'),
      ),
      r.byKind.length ? h('div', { class: 'charts' }, figure) : null,
    );
    const svg = figure.querySelector('svg');
    if (r.byKind.length && svg)
      bars(
        svg,
        r.byKind.map((k) => k.kind),
        [
          { name: 'issued', cls: 'c-appr', values: r.byKind.map((k) => k.issued) },
          { name: 'redeemed', cls: 'c-arr', values: r.byKind.map((k) => k.redeemed) },
        ],
        { values: true },
      );
  } catch (err) {
    fill(box, errorBox(`Conversion unavailable: ${(err as Error).message}`));
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
          { label: 'Issued', cell: (o) => fmt.dateTime(o.issuedAt) },
          {
            label: 'Offer',
            cell: (o) => [h('b', { text: o.title || o.kind || o.id }), h('div', { class: 'meta', text: [o.ruleId, o.id].filter(Boolean).join(' · ') })],
          },
          {
            label: 'Member',
            cell: (o) =>
              !o.memberId
                ? o.subject || 'prospect'
                : session.can('edit')
                  ? h('a', { href: `#/members/${encodeURIComponent(o.memberId)}`, text: o.memberId })
                  : o.memberId,
          },
          { label: 'Store', cls: 'hide-narrow', cell: (o) => o.storeId || '–' },
          { label: 'Status', cell: (o) => h('span', { class: `chip ${statusLevel(o.status)}`, text: o.status }) },
          { label: 'Delivered', cls: 'hide-narrow', cell: (o) => fmt.dateTime(o.deliveredAt) },
          { label: 'Redeemed', cell: (o) => fmt.dateTime(o.redeemedAt) },
          { label: 'Expires', cls: 'hide-narrow', cell: (o) => fmt.dateTime(o.expiresAt) },
          { label: 'Amount', cls: 'hide-narrow', cell: (o) => fmt.money(o.amount, o.currency) },
        ],
        offers,
        { label: 'offers', empty: 'No offers match.', rowAttrs: (o) => ({ class: 'offer', dataset: { offer: o.id, status: o.status } }) },
      ),
    );
  } catch (err) {
    fill(box, errorBox(`Offers unavailable: ${(err as Error).message}`));
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
  const listBox = h('div', { id: 'offers-list' }, h('p', { class: 'meta', text: 'Loading offers…' }));
  const status = h(
    'select',
    {
      id: 'of-status',
      onchange: (e: Event) => {
        filters.status = (e.target as HTMLSelectElement).value;
        void list(listBox);
      },
    },
    h('option', { value: '', text: 'any status' }),
    OFFER_STATUSES.map((s) => h('option', { value: s, text: s, selected: filters.status === s })),
  );
  const form = h(
    'form',
    { class: 'inline-form', id: 'offer-filters', role: 'search' },
    input('of-store', 'storeId', 'Store', 'store id'),
    input('of-member', 'memberId', 'Member', 'member id'),
    h('label', { for: 'of-status', text: 'Status' }),
    status,
    h('button', { type: 'submit', text: 'Filter' }),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void list(listBox);
  });
  const convBox = h('section', { id: 'offer-conversion' }, h('p', { class: 'meta', text: 'Loading conversion…' }));
  fill(main, h('h2', { text: 'Offers' }), convBox, h('h3', { text: 'Issued offers' }), form, listBox);
  await Promise.all([conversion(convBox), list(listBox)]);
}
