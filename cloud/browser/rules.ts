/**
 * Rules: the declarative rules (GET/POST/PUT/DELETE /api/v1/rules). The list toggles enabled and
 * deletes (two clicks, no confirm() dialog); the editor is a form for the rule's own fields plus a
 * JSON box for its actions. The API's 400 `issues` (`path: message`) are shown next to the field
 * the path starts with, so the server's zod schema stays the one validator. Event types and
 * audiences come from the wire contract (contract.js, served by the cloud).
 */
import type { Rule } from './api.types.js';
import { EVENT_TYPES, RULE_AUDIENCES } from './contract.js';
import { api, errorBox, fill, fmt, get, h, session, table } from './core.js';

type ListKey = 'siteIds' | 'storeIds' | 'zoneIds' | 'memberTiers' | 'memberTags';
const LISTS: [ListKey, string][] = [
  ['siteIds', 'Sites'],
  ['storeIds', 'Stores'],
  ['zoneIds', 'Zones'],
  ['memberTiers', 'Member tiers'],
  ['memberTags', 'Member tags (any)'],
];
const TEMPLATE: Rule = {
  id: '',
  name: '',
  enabled: true,
  eventTypes: ['arrival'],
  audience: 'member',
  cooldownMs: 1800000,
  actions: [{ kind: 'staff_alert' }],
};

/** The field an issue path belongs to: 'actions[0].validForMs: ...' -> 'actions'. */
export function fieldOf(issue: string): string {
  const m = /^([A-Za-z]+)/.exec(issue);
  return m?.[1] ?? '(root)';
}

// Digits become numbers; anything else goes to the API as typed, so its 400 names the field.
const num = (v: string): number | string => (/^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v);
const list = (v: string): string[] =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

function field(key: string, label: string, control: HTMLElement, hint?: string): HTMLElement {
  control.id = `f-${key}`;
  control.setAttribute('aria-describedby', `err-${key}`);
  return h(
    'div',
    { class: 'field', dataset: { field: key } },
    h('label', { for: control.id, text: label }),
    control,
    hint ? h('small', { class: 'meta', text: hint }) : null,
    h('p', { class: 'field-error', id: `err-${key}`, dataset: { field: key }, 'aria-live': 'polite' }),
  );
}

function editor(main: HTMLElement, rule: Rule, isNew: boolean): void {
  const input = (key: string, value: unknown, attrs?: Record<string, string | boolean>): HTMLInputElement =>
    h('input', { name: key, value: value === undefined ? '' : String(value), autocomplete: 'off', ...(attrs || {}) });
  const types = h(
    'fieldset',
    { class: 'checks', id: 'f-eventTypes', 'aria-describedby': 'err-eventTypes' },
    h('legend', { text: 'Event types' }),
    EVENT_TYPES.map((t) => h('label', {}, h('input', { type: 'checkbox', name: 'eventTypes', value: t, checked: rule.eventTypes.includes(t) }), ` ${t}`)),
  );
  const audience = h(
    'select',
    { name: 'audience' },
    RULE_AUDIENCES.map((a) => h('option', { value: a, text: a, selected: rule.audience === a })),
  );
  const actions = h('textarea', { name: 'actions', rows: 6, spellcheck: 'false' });
  actions.value = JSON.stringify(rule.actions, null, 2);
  const top = h('div', { id: 'rule-errors' });
  const form = h(
    'form',
    { id: 'rule-form', class: 'rule-form', novalidate: true },
    top,
    field('id', 'Id', input('id', rule.id, { disabled: !isNew, required: true }), isNew ? 'letters, digits, - and _' : 'the id cannot change'),
    field('name', 'Name', input('name', rule.name, { required: true })),
    h('div', { class: 'field' }, h('label', {}, h('input', { type: 'checkbox', name: 'enabled', id: 'f-enabled', checked: rule.enabled }), ' Enabled')),
    h(
      'div',
      { class: 'field', dataset: { field: 'eventTypes' } },
      types,
      h('p', { class: 'field-error', id: 'err-eventTypes', dataset: { field: 'eventTypes' } }),
    ),
    field('audience', 'Audience', audience, 'member, prospect (not a member) or any'),
    LISTS.map(([key, label]) => field(key, label, input(key, (rule[key] || []).join(', ')), 'comma-separated; empty matches all')),
    field(
      'timeOfDay',
      'Time of day (site-local, HH:MM – HH:MM)',
      h(
        'span',
        { class: 'pair' },
        input('timeFrom', rule.timeOfDay ? rule.timeOfDay.from : '', { 'aria-label': 'from', placeholder: 'from' }),
        input('timeTo', rule.timeOfDay ? rule.timeOfDay.to : '', { 'aria-label': 'to', placeholder: 'to' }),
      ),
    ),
    field('minDwellMs', 'Minimum dwell (ms)', input('minDwellMs', rule.minDwellMs, { inputmode: 'numeric' })),
    field('cooldownMs', 'Cooldown per subject (ms)', input('cooldownMs', rule.cooldownMs, { inputmode: 'numeric' })),
    field(
      'actions',
      'Actions (JSON)',
      actions,
      'staff_alert {message?}, offer {offerKind, validForMs, dailyBudgetPerStore?, perMemberCapPerDay?}, webhook {url}',
    ),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', text: isNew ? 'Create rule' : 'Save rule' }), h('a', { href: '#/rules', text: 'Cancel' })),
  );

  function showIssues(error: string, issues: string[]): void {
    for (const p of form.querySelectorAll('.field-error')) p.textContent = '';
    for (const x of form.querySelectorAll('[aria-invalid]')) x.removeAttribute('aria-invalid');
    const loose: string[] = [];
    for (const issue of issues) {
      const slot = form.querySelector(`.field-error[data-field="${fieldOf(issue)}"]`);
      if (!slot) {
        loose.push(issue);
        continue;
      }
      slot.append(h('span', { class: 'issue', text: issue }));
      const control = form.querySelector(`#f-${fieldOf(issue)}`);
      if (control) control.setAttribute('aria-invalid', 'true');
    }
    const marked = issues.length - loose.length;
    fill(top, ...(error ? [errorBox(`Not saved (${error})${loose.length ? `: ${loose.join('; ')}` : ''}${marked ? '; see the marked fields.' : ''}`)] : []));
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (name: string): string => (form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value;
    let parsedActions: unknown;
    try {
      parsedActions = JSON.parse(actions.value);
    } catch (err) {
      showIssues('Fix the form', [`actions: not valid JSON (${(err as Error).message})`]);
      return;
    }
    const body: Record<string, unknown> = {
      id: isNew ? v('id').trim() : rule.id,
      name: v('name'),
      enabled: (form.elements.namedItem('enabled') as HTMLInputElement).checked,
      eventTypes: [...form.querySelectorAll<HTMLInputElement>('input[name=eventTypes]:checked')].map((x) => x.value),
      audience: v('audience'),
      cooldownMs: num(v('cooldownMs')),
      actions: parsedActions,
    };
    for (const [key] of LISTS) if (list(v(key)).length) body[key] = list(v(key));
    if (v('timeFrom') || v('timeTo')) body.timeOfDay = { from: v('timeFrom').trim(), to: v('timeTo').trim() };
    if (v('minDwellMs').trim()) body.minDwellMs = num(v('minDwellMs'));
    const res = isNew ? await api('POST', '/api/v1/rules', body) : await api('PUT', `/api/v1/rules/${encodeURIComponent(rule.id)}`, body);
    if (res.status === 200 || res.status === 201) {
      location.hash = '#/rules';
      return;
    }
    showIssues(res.body.error || `HTTP ${res.status}`, res.body.issues || []);
  });

  fill(main, h('h2', { text: isNew ? 'New rule' : `Edit rule ${rule.id}` }), form);
}

function summary(r: Rule): string {
  const parts: string[] = [];
  for (const [key, label] of LISTS) {
    const values = r[key];
    if (values) parts.push(`${(label.split(' (')[0] ?? label).toLowerCase()}: ${values.join(', ')}`);
  }
  if (r.timeOfDay) parts.push(`${r.timeOfDay.from}–${r.timeOfDay.to}`);
  if (r.minDwellMs) parts.push(`dwell ≥ ${fmt.secs(r.minDwellMs)}`);
  return parts.join(' · ') || 'everywhere, any time';
}

async function listView(main: HTMLElement): Promise<void> {
  const box = h('div', {}, h('p', { class: 'meta', text: 'Loading rules…' }));
  const status = h('p', { class: 'meta', role: 'status', id: 'rules-status' });
  fill(main, h('div', { class: 'title-row' }, h('h2', { text: 'Rules' }), h('a', { class: 'button', href: '#/rules/new', text: 'New rule' })), status, box);
  async function load(): Promise<void> {
    const { rules } = await get<{ rules: Rule[] }>('/api/v1/rules');
    fill(
      box,
      table<Rule>(
        [
          {
            label: 'On',
            cell: (r) =>
              h('input', { type: 'checkbox', checked: r.enabled, 'aria-label': `Enabled: ${r.name}`, class: 'toggle', onchange: () => void toggle(r) }),
          },
          { label: 'Rule', cell: (r) => [h('a', { href: `#/rules/${encodeURIComponent(r.id)}`, text: r.name }), h('div', { class: 'meta', text: r.id })] },
          { label: 'When', cell: (r) => `${r.eventTypes.join(', ')} · ${r.audience}` },
          { label: 'Where / who', cls: 'hide-narrow', cell: (r) => summary(r) },
          { label: 'Cooldown', cls: 'hide-narrow', cell: (r) => fmt.secs(r.cooldownMs) },
          { label: 'Actions', cell: (r) => r.actions.map((a) => a.kind + (a.offerKind ? ` ${a.offerKind}` : '')).join(', ') },
          { label: '', cell: (r) => deleteButton(r) },
        ],
        rules,
        { label: 'rules', empty: 'No rules.', rowAttrs: (r) => ({ dataset: { rule: r.id }, class: r.enabled ? '' : 'disabled' }) },
      ),
    );
  }
  async function toggle(r: Rule): Promise<void> {
    const res = await api('PUT', `/api/v1/rules/${encodeURIComponent(r.id)}`, { ...r, enabled: !r.enabled });
    status.textContent = res.status === 200 ? r.name + (r.enabled ? ' disabled' : ' enabled') : `Not saved: ${res.body.error || res.status}`;
    await load();
  }
  function deleteButton(r: Rule): HTMLElement {
    const b = h('button', { type: 'button', class: 'secondary danger', text: 'Delete', 'aria-label': `Delete ${r.name}` });
    b.addEventListener('click', async () => {
      if (b.dataset.armed !== 'yes') {
        b.dataset.armed = 'yes';
        b.textContent = 'Confirm delete';
        return;
      }
      const res = await api('DELETE', `/api/v1/rules/${encodeURIComponent(r.id)}`);
      status.textContent = res.status === 204 ? `${r.name} deleted` : `Not deleted: ${res.body.error || res.status}`;
      await load();
    });
    return b;
  }
  await load().catch((err: Error) => fill(box, errorBox(`Rules unavailable: ${err.message}`)));
}

export async function render(main: HTMLElement, params: string[]): Promise<void> {
  if (!session.can('edit')) {
    fill(main, h('h2', { text: 'Rules' }), errorBox('Rules need the operator role.'));
    return;
  }
  const id = params[0];
  if (!id) return listView(main);
  if (id === 'new') return editor(main, TEMPLATE, true);
  const res = await api<{ rule: Rule }>('GET', `/api/v1/rules/${encodeURIComponent(id)}`);
  if (res.status !== 200) {
    fill(main, h('h2', { text: `Rule ${id}` }), errorBox(res.body.error || `HTTP ${res.status}`));
    return;
  }
  editor(main, res.body.rule, false);
}
