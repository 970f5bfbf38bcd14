/**
 * Members: search (GET /api/v1/members?q=&tier=&limit=&offset=), a profile with purchases and the
 * staff recommendation (GET /api/v1/members/:id), and, for operators, a CSV import whose per-row
 * errors are listed (POST /api/v1/members/import) and erasure from the profile (DELETE
 * /api/v1/members/:id).
 */
import type { MemberImportReport, MemberSummary, Purchase, Recommendation } from './api.types.js';
import { api, errorBox, fill, fmt, get, h, session, table, tile } from './core.js';

const PAGE = 25;
const state = { q: '', tier: '', offset: 0, tiers: new Set<string>() };

/** Consent as stored may be flags ({marketing: true, ...}) or one boolean; show what is granted. */
function consentText(c: MemberSummary['consent']): string {
  if (c === undefined || c === null) return '–';
  if (typeof c === 'boolean') return c ? 'yes' : 'no';
  const on = Object.keys(c).filter((k) => c[k] === true);
  return on.length ? on.join(', ') : 'none';
}

const memberLink = (id: string, label?: string): HTMLElement => h('a', { href: `#/members/${encodeURIComponent(id)}`, text: label || id });

function importForm(): HTMLElement {
  const file = h('input', { type: 'file', id: 'import-file', accept: '.csv,text/csv', required: true });
  const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const form = h(
    'form',
    { id: 'import-form', class: 'inline-form' },
    h('label', { for: 'import-file', text: 'Import members (CSV)' }),
    file,
    h('button', { type: 'submit', text: 'Import' }),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) {
      fill(result, errorBox('Choose a CSV file first.'));
      return;
    }
    fill(result, h('p', { class: 'meta', text: 'Importing…' }));
    const res = await api<MemberImportReport>('POST', '/api/v1/members/import', await chosen.text(), 'text/csv');
    if (res.status !== 200) {
      fill(result, errorBox(`Import refused: ${res.body.error || `HTTP ${res.status}`}${res.body.issues ? `: ${res.body.issues.join('; ')}` : ''}`));
      return;
    }
    const r = res.body;
    fill(
      result,
      h('p', { role: 'status', class: r.rejected ? 'warn-text' : 'ok-text', text: `${r.imported} imported, ${r.updated} updated, ${r.rejected} rejected` }),
      r.errors.length
        ? table(
            [
              { label: 'Row', cell: (x) => String(x.row) },
              { label: 'Field', cell: (x) => x.field || '–' },
              { label: 'Problem', cell: (x) => x.message },
            ],
            r.errors,
            { label: 'import errors', cls: 'import-errors' },
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
    fill(listBox, errorBox(`Members unavailable: ${(err as Error).message}`));
    return;
  }
  const members = body.members;
  const total = typeof body.total === 'number' ? body.total : members.length;
  for (const m of members)
    if (m.tier && !state.tiers.has(m.tier)) {
      state.tiers.add(m.tier);
      tierSelect.append(h('option', { value: m.tier, text: m.tier }));
    }
  fill(
    listBox,
    table<MemberSummary>(
      [
        { label: 'Member', cell: (m) => [memberLink(m.id, m.name || m.id), h('div', { class: 'meta', text: m.id })] },
        { label: 'Tier', cell: (m) => m.tier || '–' },
        { label: 'Tags', cls: 'hide-narrow', cell: (m) => fmt.list(m.tags) },
        { label: 'Consent', cls: 'hide-narrow', cell: (m) => consentText(m.consent) },
        { label: 'Visits', cell: (m) => (m.visits === undefined ? '–' : String(m.visits)) },
        { label: 'Last seen', cls: 'hide-narrow', cell: (m) => fmt.dateTime(m.lastSeenAt) },
        { label: 'Spend', cell: (m) => fmt.money(m.totalSpend, m.currency) },
      ],
      members,
      { label: 'members', empty: state.q || state.tier ? 'No member matches.' : 'No members yet.', rowAttrs: (m) => ({ dataset: { member: m.id } }) },
    ),
  );
  const to = state.offset + members.length;
  fill(
    pager,
    h('button', {
      type: 'button',
      class: 'secondary',
      text: 'Previous',
      disabled: state.offset === 0,
      onclick: () => {
        state.offset = Math.max(0, state.offset - PAGE);
        void loadList();
      },
    }),
    h('span', { class: 'meta', text: total ? `${state.offset + 1}–${to} of ${total}` : '0 members' }),
    h('button', {
      type: 'button',
      class: 'secondary',
      text: 'Next',
      disabled: to >= total,
      onclick: () => {
        state.offset += PAGE;
        void loadList();
      },
    }),
  );
}

function listView(main: HTMLElement): Promise<void> {
  const q = h('input', { type: 'search', id: 'member-q', value: state.q, placeholder: 'name, id or tag', autocomplete: 'off' });
  const tiers = h(
    'select',
    { id: 'member-tier' },
    h('option', { value: '', text: 'any tier' }),
    [...state.tiers].map((t) => h('option', { value: t, text: t, selected: t === state.tier })),
  );
  tierSelect = tiers;
  const search = h(
    'form',
    { id: 'member-search', class: 'inline-form', role: 'search' },
    h('label', { for: 'member-q', text: 'Search' }),
    q,
    h('label', { for: 'member-tier', text: 'Tier' }),
    tiers,
    h('button', { type: 'submit', text: 'Search' }),
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
  listBox = h('div', { id: 'members-list' }, h('p', { class: 'meta', text: 'Loading members…' }));
  pager = h('div', { class: 'pager' });
  fill(main, h('h2', { text: 'Members' }), session.can('edit-members') ? importForm() : null, search, listBox, pager);
  return loadList();
}

async function profileView(main: HTMLElement, id: string): Promise<void> {
  fill(main, h('p', { class: 'meta', text: 'Loading member…' }));
  const res = await api<{ member: MemberSummary; purchases: Purchase[]; recommendation?: Recommendation }>('GET', `/api/v1/members/${encodeURIComponent(id)}`);
  if (res.status !== 200) {
    fill(main, h('h2', { text: `Member ${id}` }), errorBox(res.body.error || `HTTP ${res.status}`), h('a', { href: '#/members', text: 'All members' }));
    return;
  }
  const { member, purchases, recommendation } = res.body;
  const spend = purchases.reduce((n, p) => n + (Number(p.amount) || 0), 0);
  const currency = purchases[0]?.currency ?? '';
  const rec = recommendation || { headline: '', items: [] };
  const prefs = Object.entries(member.preferences || {});
  fill(
    main,
    h('p', {}, h('a', { href: '#/members', text: '← All members' })),
    h(
      'h2',
      { id: 'member-name' },
      member.name || member.id,
      member.nickname ? ` (${member.nickname})` : '',
      ' ',
      h('span', { class: 'chip ok', text: member.tier || 'no tier' }),
    ),
    h(
      'div',
      { class: 'tiles' },
      tile(member.id, 'member id'),
      tile(fmt.list(member.tags), 'tags'),
      tile(consentText(member.consent), 'consent'),
      tile(String(member.visits ?? '–'), 'visits'),
      tile(fmt.dateTime(member.lastSeenAt), 'last seen'),
      tile(String(purchases.length), 'purchases'),
      tile(fmt.money(member.totalSpend ?? spend, member.currency || currency), 'total spend'),
      member.devices ? tile(String(member.devices.length), 'registered devices') : null,
    ),
    prefs.length ? h('p', { class: 'meta', id: 'member-preferences', text: `Preferences: ${prefs.map(([k, v]) => `${k}: ${v}`).join(' · ')}` }) : null,
    h(
      'section',
      { class: 'panel recommendation', id: 'recommendation', 'aria-labelledby': 'rec-title' },
      h('h3', { id: 'rec-title', text: `What to show: ${rec.headline || 'no recommendation yet'}` }),
      rec.items.length ? h('ul', {}, ...rec.items.map((i) => h('li', {}, h('b', { text: i.label }), ' — ', i.reason))) : null,
    ),
    h('h3', { text: 'Purchases' }),
    table<Purchase>(
      [
        { label: 'When', cell: (p) => fmt.dateTime(p.at) },
        { label: 'Store', cell: (p) => p.storeId || '–' },
        { label: 'Amount', cell: (p) => fmt.money(p.amount, p.currency) },
        { label: 'Offer', cls: 'hide-narrow', cell: (p) => p.offerId || '–' },
      ],
      purchases,
      { label: 'purchases', cls: 'purchases', empty: 'No purchases yet.', rowAttrs: () => ({ class: 'purchase' }) },
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
  const b = h('button', { type: 'button', class: 'secondary danger', id: 'erase-member', text: 'Erase member' });
  b.addEventListener('click', async () => {
    if (b.dataset.armed !== 'yes') {
      b.dataset.armed = 'yes';
      b.textContent = `Confirm erasure of ${member.name || member.id}`;
      return;
    }
    b.disabled = true;
    const res = await api('DELETE', `/api/v1/members/${encodeURIComponent(member.id)}`);
    if (res.status === 204) {
      status.textContent = `${member.name || member.id} erased.`;
      b.remove();
      return;
    }
    b.disabled = false;
    status.textContent = `Not erased: ${res.body.error || res.status}`;
  });
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'erase-title' },
    h('h3', { id: 'erase-title', text: 'Right to erasure' }),
    h('p', {
      class: 'meta',
      text: 'Deletes the profile and token key; visits, purchases and offers stay in the figures under a random pseudonym. Remove the member from the members CSV too, or the next start imports them again.',
    }),
    b,
    status,
  );
}

export function render(main: HTMLElement, params: string[]): Promise<void> {
  listBox = null;
  return params[0] ? profileView(main, params[0]) : listView(main);
}
