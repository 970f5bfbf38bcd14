/**
 * Rules: the declarative rules (GET/POST/PUT/DELETE /api/v1/rules). The list toggles enabled and
 * deletes (two clicks, no confirm() dialog); the editor is a form for the rule's own fields plus a
 * JSON box for its actions. The API's 400 `issues` (`path: message`) are shown next to the field
 * the path starts with, so the server's zod schema stays the one validator. Event types and
 * audiences come from the wire contract (contract.js, served by the cloud).
 */
import type { Rule } from './api.types.js';
import { EVENT_TYPES, RULE_AUDIENCES } from './contract.js';
import { api, errorBox, fill, fmt, get, h, session, t, table, tOr } from './core.js';
import type { MessageKey } from './i18n.js';

type ListKey = 'siteIds' | 'storeIds' | 'zoneIds' | 'memberTiers' | 'memberTags';
const LISTS: [ListKey, MessageKey][] = [
  ['siteIds', 'rules.list.siteIds'],
  ['storeIds', 'rules.list.storeIds'],
  ['zoneIds', 'rules.list.zoneIds'],
  ['memberTiers', 'rules.list.memberTiers'],
  ['memberTags', 'rules.list.memberTags'],
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

/** A value's name for people, with the value itself when the two differ ("进场 (arrival)"): rules are written in values. */
const named = (key: string, value: string): string => {
  const name = tOr(key, value);
  return name === value ? value : `${name} (${value})`;
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
    h('legend', { text: t('rules.f.eventTypes') }),
    EVENT_TYPES.map((e) =>
      h('label', {}, h('input', { type: 'checkbox', name: 'eventTypes', value: e, checked: rule.eventTypes.includes(e) }), ` ${named(`event.${e}`, e)}`),
    ),
  );
  const audience = h(
    'select',
    { name: 'audience' },
    RULE_AUDIENCES.map((a) => h('option', { value: a, text: named(`audience.${a}`, a), selected: rule.audience === a })),
  );
  const actions = h('textarea', { name: 'actions', rows: 6, spellcheck: 'false' });
  actions.value = JSON.stringify(rule.actions, null, 2);
  const top = h('div', { id: 'rule-errors' });
  const form = h(
    'form',
    { id: 'rule-form', class: 'rule-form', novalidate: true },
    top,
    field('id', t('rules.f.id'), input('id', rule.id, { disabled: !isNew, required: true }), isNew ? t('rules.f.idHint') : t('rules.f.idFixed')),
    field('name', t('rules.f.name'), input('name', rule.name, { required: true })),
    h(
      'div',
      { class: 'field' },
      h('label', {}, h('input', { type: 'checkbox', name: 'enabled', id: 'f-enabled', checked: rule.enabled }), ` ${t('rules.f.enabled')}`),
    ),
    h(
      'div',
      { class: 'field', dataset: { field: 'eventTypes' } },
      types,
      h('p', { class: 'field-error', id: 'err-eventTypes', dataset: { field: 'eventTypes' } }),
    ),
    field('audience', t('rules.f.audience'), audience, t('rules.f.audienceHint')),
    LISTS.map(([key, label]) => field(key, t(label), input(key, (rule[key] || []).join(', ')), t('rules.f.listHint'))),
    field(
      'timeOfDay',
      t('rules.f.timeOfDay'),
      h(
        'span',
        { class: 'pair' },
        input('timeFrom', rule.timeOfDay ? rule.timeOfDay.from : '', { 'aria-label': t('rules.f.from'), placeholder: t('rules.f.from') }),
        input('timeTo', rule.timeOfDay ? rule.timeOfDay.to : '', { 'aria-label': t('rules.f.to'), placeholder: t('rules.f.to') }),
      ),
    ),
    field('minDwellMs', t('rules.f.minDwell'), input('minDwellMs', rule.minDwellMs, { inputmode: 'numeric' })),
    field('cooldownMs', t('rules.f.cooldown'), input('cooldownMs', rule.cooldownMs, { inputmode: 'numeric' })),
    field('actions', t('rules.f.actions'), actions, t('rules.f.actionsHint')),
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'submit', text: isNew ? t('rules.create') : t('rules.save') }),
      h('a', { href: '#/rules', text: t('rules.cancel') }),
    ),
  );

  function showIssues(error: string, issues: string[], cls = 'issue'): void {
    for (const p of form.querySelectorAll('.field-error')) p.textContent = '';
    for (const x of form.querySelectorAll('[aria-invalid]')) x.removeAttribute('aria-invalid');
    const loose: string[] = [];
    for (const issue of issues) {
      const slot = form.querySelector(`.field-error[data-field="${fieldOf(issue)}"]`);
      if (!slot) {
        loose.push(issue);
        continue;
      }
      slot.append(h('span', { class: cls, text: issue }));
      const control = form.querySelector(`#f-${fieldOf(issue)}`);
      if (control) control.setAttribute('aria-invalid', 'true');
    }
    const marked = issues.length - loose.length;
    fill(
      top,
      ...(error ? [errorBox(`${t('rules.notSavedBox', { error })}${loose.length ? `: ${loose.join('; ')}` : ''}${marked ? t('rules.seeMarked') : ''}`)] : []),
    );
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (name: string): string => (form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value;
    let parsedActions: unknown;
    try {
      parsedActions = JSON.parse(actions.value);
    } catch (err) {
      showIssues(t('rules.fixForm'), [t('rules.badJson', { error: (err as Error).message })]);
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
      const warnings = (res.body as { warnings?: string[] }).warnings ?? [];
      if (warnings.length === 0) {
        location.hash = '#/rules';
        return;
      }
      // Saved, but it names places no site has: it would never match. Say so next to the fields.
      showIssues('', warnings, 'warning');
      fill(
        top,
        h(
          'p',
          { class: 'warn-text', role: 'alert', id: 'rule-warnings' },
          t('rules.savedWithWarnings'),
          ' ',
          h('a', { href: '#/rules', text: t('rules.backToList') }),
        ),
      );
      return;
    }
    showIssues(res.body.error || t('error.http', { status: res.status }), res.body.issues || []);
  });

  fill(main, h('h1', { text: isNew ? t('rules.new') : t('rules.edit', { id: rule.id }) }), form);
}

function summary(r: Rule): string {
  const parts: string[] = [];
  for (const [key, label] of LISTS) {
    const values = r[key];
    if (values) parts.push(`${t(label).split(/ \(|（/)[0]}: ${values.join(', ')}`);
  }
  if (r.timeOfDay) parts.push(`${r.timeOfDay.from}–${r.timeOfDay.to}`);
  if (r.minDwellMs) parts.push(t('rules.dwellAtLeast', { secs: fmt.secs(r.minDwellMs) }));
  return parts.join(' · ') || t('rules.everywhere');
}

async function listView(main: HTMLElement): Promise<void> {
  const box = h('div', {}, h('p', { class: 'meta', text: t('rules.loading') }));
  const status = h('p', { class: 'meta', role: 'status', id: 'rules-status' });
  fill(
    main,
    h('div', { class: 'title-row' }, h('h1', { text: t('rules.title') }), h('a', { class: 'button', href: '#/rules/new', text: t('rules.new') })),
    status,
    box,
  );
  async function load(): Promise<void> {
    const { rules } = await get<{ rules: Rule[] }>('/api/v1/rules');
    fill(
      box,
      table<Rule>(
        [
          {
            label: t('rules.on'),
            cell: (r) =>
              h('input', {
                type: 'checkbox',
                checked: r.enabled,
                'aria-label': t('rules.enabledLabel', { name: r.name }),
                class: 'toggle',
                onchange: () => void toggle(r),
              }),
          },
          {
            label: t('rules.colRule'),
            cell: (r) => [h('a', { href: `#/rules/${encodeURIComponent(r.id)}`, text: r.name }), h('div', { class: 'meta', text: r.id })],
          },
          { label: t('rules.when'), cell: (r) => `${r.eventTypes.map((e) => tOr(`event.${e}`, e)).join(', ')} · ${tOr(`audience.${r.audience}`, r.audience)}` },
          { label: t('rules.whereWho'), cls: 'hide-narrow', cell: (r) => summary(r) },
          { label: t('rules.cooldown'), cls: 'hide-narrow', cell: (r) => fmt.secs(r.cooldownMs) },
          { label: t('rules.actions'), cell: (r) => r.actions.map((a) => a.kind + (a.offerKind ? ` ${a.offerKind}` : '')).join(', ') },
          { label: '', cell: (r) => deleteButton(r) },
        ],
        rules,
        { label: t('rules.title'), empty: t('rules.none'), rowAttrs: (r) => ({ dataset: { rule: r.id }, class: r.enabled ? '' : 'disabled' }) },
      ),
    );
  }
  async function toggle(r: Rule): Promise<void> {
    const res = await api('PUT', `/api/v1/rules/${encodeURIComponent(r.id)}`, { ...r, enabled: !r.enabled });
    status.textContent =
      res.status === 200
        ? t(r.enabled ? 'rules.disabledNow' : 'rules.enabledNow', { name: r.name })
        : t('rules.notSaved', { error: res.body.error || res.status });
    await load();
  }
  function deleteButton(r: Rule): HTMLElement {
    const b = h('button', { type: 'button', class: 'secondary danger', text: t('rules.delete'), 'aria-label': t('rules.deleteLabel', { name: r.name }) });
    b.addEventListener('click', async () => {
      if (b.dataset.armed !== 'yes') {
        b.dataset.armed = 'yes';
        b.textContent = t('rules.confirmDelete');
        return;
      }
      const res = await api('DELETE', `/api/v1/rules/${encodeURIComponent(r.id)}`);
      status.textContent = res.status === 204 ? t('rules.deleted', { name: r.name }) : t('rules.notDeleted', { error: res.body.error || res.status });
      await load();
    });
    return b;
  }
  await load().catch((err: Error) => fill(box, errorBox(t('rules.unavailable', { error: err.message }))));
}

export async function render(main: HTMLElement, params: string[]): Promise<void> {
  if (!session.can('edit')) {
    fill(main, h('h1', { text: t('rules.title') }), errorBox(t('rules.operatorOnly')));
    return;
  }
  const id = params[0];
  if (!id) return listView(main);
  if (id === 'new') return editor(main, TEMPLATE, true);
  const res = await api<{ rule: Rule }>('GET', `/api/v1/rules/${encodeURIComponent(id)}`);
  if (res.status !== 200) {
    fill(main, h('h1', { text: t('rules.rule', { id }) }), errorBox(res.body.error || t('error.http', { status: res.status })));
    return;
  }
  editor(main, res.body.rule, false);
}
