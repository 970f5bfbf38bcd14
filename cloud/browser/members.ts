/**
 * Members: search (GET /api/v1/members?q=&tier=&limit=&offset=), a profile with purchases and the
 * staff recommendation (GET /api/v1/members/:id), and, for operators, a CSV import whose per-row
 * errors are listed (POST /api/v1/members/import) and erasure from the profile (DELETE
 * /api/v1/members/:id).
 */
import type { MemberImportReport, MemberSummary, Purchase, Recommendation } from './api.types.js';
import { api, errorBox, fill, fmt, get, h, session, t, table, tile, tOr } from './core.js';

const PAGE = 25;
const state = { q: '', tier: '', offset: 0, tiers: new Set<string>() };

/** Consent as stored may be flags ({marketing: true, ...}) or one boolean; show what is granted. */
function consentText(c: MemberSummary['consent']): string {
  if (c === undefined || c === null) return '–';
  if (typeof c === 'boolean') return c ? t('consent.yes') : t('consent.no');
  const on = Object.keys(c).filter((k) => c[k] === true);
  return on.length ? fmt.list(on.map((k) => tOr(`consent.${k}`, k))) : t('consent.none');
}

const tierName = (tier: string): string => tOr(`tier.${tier}`, tier);
const memberLink = (id: string, label?: string): HTMLElement => h('a', { href: `#/members/${encodeURIComponent(id)}`, text: label || id });

function importForm(): HTMLElement {
  const file = h('input', { type: 'file', id: 'import-file', accept: '.csv,text/csv', required: true });
  const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const form = h(
    'form',
    { id: 'import-form', class: 'inline-form' },
    h('label', { for: 'import-file', text: t('members.import') }),
    file,
    h('button', { type: 'submit', text: t('members.importButton') }),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) {
      fill(result, errorBox(t('members.chooseFile')));
      return;
    }
    fill(result, h('p', { class: 'meta', text: t('members.importing') }));
    const res = await api<MemberImportReport>('POST', '/api/v1/members/import', await chosen.text(), 'text/csv');
    if (res.status !== 200) {
      fill(
        result,
        errorBox(
          t('members.importRefused', {
            error: `${res.body.error || t('error.http', { status: res.status })}${res.body.issues ? `: ${res.body.issues.join('; ')}` : ''}`,
          }),
        ),
      );
      return;
    }
    const r = res.body;
    fill(
      result,
      h('p', {
        role: 'status',
        class: r.rejected ? 'warn-text' : 'ok-text',
        text: t('members.imported', { imported: r.imported, updated: r.updated, rejected: r.rejected }),
      }),
      r.errors.length
        ? table(
            [
              { label: t('members.row'), cell: (x) => String(x.row) },
              { label: t('members.field'), cell: (x) => x.field || '–' },
              { label: t('members.problem'), cell: (x) => x.message },
            ],
            r.errors,
            { label: t('members.importErrors'), cls: 'import-errors' },
          )
        : null,
    );
    state.offset = 0;
    void loadList();
  });
  return h('section', { class: 'panel' }, form, result);
}

let listBox: HTMLElement | null = null;
let pager: HTMLElement | null = null;
let tierSelect: HTMLSelectElement | null = null;

async function loadList(): Promise<void> {
  if (!listBox || !pager || !tierSelect) return;
  const qs = new URLSearchParams({ limit: String(PAGE), offset: String(state.offset) });
  if (state.q) qs.set('q', state.q);
  if (state.tier) qs.set('tier', state.tier);
  let body: { members: MemberSummary[]; total?: number };
  try {
    body = await get(`/api/v1/members?${qs}`);
  } catch (err) {
    fill(listBox, errorBox(t('members.unavailable', { error: (err as Error).message })));
    return;
  }
  const members = body.members;
  const total = typeof body.total === 'number' ? body.total : members.length;
  for (const m of members)
    if (m.tier && !state.tiers.has(m.tier)) {
      state.tiers.add(m.tier);
      tierSelect.append(h('option', { value: m.tier, text: tierName(m.tier) }));
    }
  fill(
    listBox,
    table<MemberSummary>(
      [
        { label: t('members.member'), cell: (m) => [memberLink(m.id, m.name || m.id), h('div', { class: 'meta', text: m.id })] },
        { label: t('members.tier'), cell: (m) => (m.tier ? tierName(m.tier) : '–') },
        { label: t('members.tags'), cls: 'hide-narrow', cell: (m) => fmt.list(m.tags) },
        { label: t('members.consent'), cls: 'hide-narrow', cell: (m) => consentText(m.consent) },
        { label: t('members.visits'), cell: (m) => (m.visits === undefined ? '–' : String(m.visits)) },
        { label: t('members.lastSeen'), cls: 'hide-narrow', cell: (m) => fmt.dateTime(m.lastSeenAt) },
        { label: t('members.spend'), cell: (m) => fmt.money(m.totalSpend, m.currency) },
      ],
      members,
      { label: t('members.title'), empty: state.q || state.tier ? t('members.noMatch') : t('members.none'), rowAttrs: (m) => ({ dataset: { member: m.id } }) },
    ),
  );
  const to = state.offset + members.length;
  fill(
    pager,
    h('button', {
      type: 'button',
      class: 'secondary',
      text: t('members.previous'),
      disabled: state.offset === 0,
      onclick: () => {
        state.offset = Math.max(0, state.offset - PAGE);
        void loadList();
      },
    }),
    h('span', { class: 'meta', text: total ? t('members.page', { from: state.offset + 1, to, total }) : t('members.zero') }),
    h('button', {
      type: 'button',
      class: 'secondary',
      text: t('members.next'),
      disabled: to >= total,
      onclick: () => {
        state.offset += PAGE;
        void loadList();
      },
    }),
  );
}

function listView(main: HTMLElement): Promise<void> {
  const q = h('input', { type: 'search', id: 'member-q', value: state.q, placeholder: t('members.searchPlaceholder'), autocomplete: 'off' });
  const tiers = h(
    'select',
    { id: 'member-tier' },
    h('option', { value: '', text: t('members.anyTier') }),
    [...state.tiers].map((x) => h('option', { value: x, text: tierName(x), selected: x === state.tier })),
  );
  tierSelect = tiers;
  const search = h(
    'form',
    { id: 'member-search', class: 'inline-form', role: 'search' },
    h('label', { for: 'member-q', text: t('members.search') }),
    q,
    h('label', { for: 'member-tier', text: t('members.tier') }),
    tiers,
    h('button', { type: 'submit', text: t('members.search') }),
  );
  search.addEventListener('submit', (e) => {
    e.preventDefault();
    state.q = q.value.trim();
    state.tier = tiers.value;
    state.offset = 0;
    void loadList();
  });
  tiers.addEventListener('change', () => {
    state.tier = tiers.value;
    state.offset = 0;
    void loadList();
  });
  listBox = h('div', { id: 'members-list' }, h('p', { class: 'meta', text: t('members.loading') }));
  pager = h('div', { class: 'pager' });
  fill(main, h('h1', { text: t('members.title') }), session.can('edit-members') ? importForm() : null, search, listBox, pager);
  return loadList();
}

async function profileView(main: HTMLElement, id: string): Promise<void> {
  fill(main, h('p', { class: 'meta', text: t('members.loadingOne') }));
  const res = await api<{ member: MemberSummary; purchases: Purchase[]; recommendation?: Recommendation }>('GET', `/api/v1/members/${encodeURIComponent(id)}`);
  if (res.status !== 200) {
    fill(
      main,
      h('h1', { text: t('members.memberId', { id }) }),
      errorBox(res.body.error || t('error.http', { status: res.status })),
      h('a', { href: '#/members', text: t('members.all') }),
    );
    return;
  }
  const { member, purchases, recommendation } = res.body;
  const spend = purchases.reduce((n, p) => n + (Number(p.amount) || 0), 0);
  const currency = purchases[0]?.currency ?? '';
  const rec = recommendation || { headline: '', items: [] };
  const prefs = Object.entries(member.preferences || {});
  fill(
    main,
    h('p', {}, h('a', { href: '#/members', text: t('members.back') })),
    h(
      'h1',
      { id: 'member-name' },
      member.name || member.id,
      member.nickname ? ` (${member.nickname})` : '',
      ' ',
      h('span', { class: 'chip ok', text: member.tier ? tierName(member.tier) : t('members.noTier') }),
    ),
    h(
      'div',
      { class: 'tiles' },
      tile(member.id, t('members.tileId')),
      tile(fmt.list(member.tags), t('members.tileTags')),
      tile(consentText(member.consent), t('members.tileConsent')),
      tile(String(member.visits ?? '–'), t('members.tileVisits')),
      tile(fmt.dateTime(member.lastSeenAt), t('members.tileLastSeen')),
      tile(String(purchases.length), t('members.tilePurchases')),
      tile(fmt.money(member.totalSpend ?? spend, member.currency || currency), t('members.tileSpend')),
      member.devices ? tile(String(member.devices.length), t('members.tileDevices')) : null,
    ),
    prefs.length
      ? h('p', { class: 'meta', id: 'member-preferences', text: t('members.preferences', { list: prefs.map(([k, v]) => `${k}: ${v}`).join(' · ') }) })
      : null,
    h(
      'section',
      { class: 'panel recommendation', id: 'recommendation', 'aria-labelledby': 'rec-title' },
      h('h2', { id: 'rec-title', text: t('members.whatToShow', { headline: rec.headline || t('members.noRecommendation') }) }),
      rec.items.length ? h('ul', {}, ...rec.items.map((i) => h('li', {}, h('b', { text: i.label }), ' — ', i.reason))) : null,
    ),
    h('h2', { text: t('members.purchases') }),
    table<Purchase>(
      [
        { label: t('members.when'), cell: (p) => fmt.dateTime(p.at) },
        { label: t('members.store'), cell: (p) => p.storeId || '–' },
        { label: t('members.amount'), cell: (p) => fmt.money(p.amount, p.currency) },
        { label: t('members.offer'), cls: 'hide-narrow', cell: (p) => p.offerId || '–' },
      ],
      purchases,
      { label: t('members.purchases'), cls: 'purchases', empty: t('members.noPurchases'), rowAttrs: () => ({ class: 'purchase' }) },
    ),
    session.can('edit-members') ? erasePanel(member) : null,
  );
}

/**
 * Erasure (DELETE /api/v1/members/:id), operators only, two clicks like rule deletion: the profile
 * and token key go, events and offers keep their figures under a random pseudonym.
 */
function erasePanel(member: MemberSummary): HTMLElement {
  const status = h('p', { role: 'status', class: 'meta', id: 'erase-status' });
  const b = h('button', { type: 'button', class: 'secondary danger', id: 'erase-member', text: t('members.erase') });
  b.addEventListener('click', async () => {
    if (b.dataset.armed !== 'yes') {
      b.dataset.armed = 'yes';
      b.textContent = t('members.confirmErase', { name: member.name || member.id });
      return;
    }
    b.disabled = true;
    const res = await api('DELETE', `/api/v1/members/${encodeURIComponent(member.id)}`);
    if (res.status === 204) {
      status.textContent = t('members.erased', { name: member.name || member.id });
      b.remove();
      return;
    }
    b.disabled = false;
    status.textContent = t('members.notErased', { error: res.body.error || res.status });
  });
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'erase-title' },
    h('h2', { id: 'erase-title', text: t('members.erasureTitle') }),
    h('p', {
      class: 'meta',
      text: t('members.erasureText'),
    }),
    b,
    status,
  );
}

export function render(main: HTMLElement, params: string[]): Promise<void> {
  listBox = null;
  return params[0] ? profileView(main, params[0]) : listView(main);
}
