/**
 * Admin (operators): the gateway fleet through the fleet API (GET /api/v1/fleet; register a
 * gateway of the site model and show its one-time enrolment code once, POST /api/v1/gateways; a new
 * code; run a command and show its answer; revoke, two clicks) and the staff accounts within the
 * operator's reach (GET /api/v1/staff, read only: accounts come from the staff file).
 */
import type { GatewayRow } from './api.types.js';
import { api, errorBox, fill, fmt, get, h, session, t, table, tOr } from './core.js';
import { sites } from './sites.js';

interface FleetRow {
  siteId: string;
  gatewayId: string;
  registeredAt: number;
  enrolledAt?: number;
  revokedAt?: number;
  codeExpiresAt?: number;
  config?: { version: number; publishedAt: number };
  lastResult?: { version: number; status: string; reasons: string[]; at: number };
}
interface StaffRow {
  username: string;
  displayName: string;
  role: string;
  siteId?: string;
  storeIds: string[];
}

const path = (g: FleetRow): string => `/api/v1/gateways/${encodeURIComponent(g.siteId)}/${encodeURIComponent(g.gatewayId)}`;

function state(g: FleetRow): { text: string; level: string; key: string } {
  if (g.revokedAt) return { key: 'revoked', level: 'bad', text: t('admin.revoked', { at: fmt.dateTime(g.revokedAt) }) };
  if (g.enrolledAt) return { key: 'enrolled', level: 'ok', text: t('admin.enrolled', { at: fmt.dateTime(g.enrolledAt) }) };
  if (g.codeExpiresAt && g.codeExpiresAt > Date.now()) return { key: 'pending', level: 'warn', text: t('admin.pending', { at: fmt.time(g.codeExpiresAt) }) };
  return { key: 'expired', level: 'idle', text: t('admin.codeExpired') };
}

export async function render(main: HTMLElement): Promise<void> {
  if (!session.can('edit')) {
    fill(main, h('h1', { text: t('nav.admin') }), errorBox(t('rules.operatorOnly')));
    return;
  }
  const status = h('div', { id: 'admin-status', role: 'status', 'aria-live': 'polite' });
  const fleetBox = h('div', { id: 'fleet' }, h('p', { class: 'meta', text: t('app.loading') }));
  const staffBox = h('div', { id: 'staff-accounts' });
  const say = (...children: (Node | string)[]): void => void fill(status, ...children);

  const site = h('select', { id: 'reg-site' }, ...sites().map((s) => h('option', { value: s.id, text: `${s.name} (${s.id})` })));
  const gw = h('input', { id: 'reg-gateway', autocomplete: 'off', required: true, placeholder: 'gw-…' });
  const form = h(
    'form',
    { id: 'register-form', class: 'inline-form' },
    h('label', { for: 'reg-site', text: t('admin.site') }),
    site,
    h('label', { for: 'reg-gateway', text: t('admin.gatewayId') }),
    gw,
    h('button', { type: 'submit', text: t('admin.register') }),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const res = await api<{ code: string; expiresAt: number }>('POST', '/api/v1/gateways', { siteId: site.value, gatewayId: gw.value.trim() });
    if (res.status !== 201) return say(errorBox(t('admin.failed', { error: res.body.error ?? res.status })));
    showCode(`${site.value} / ${gw.value.trim()}`, res.body.code, res.body.expiresAt);
    await loadFleet();
  });

  function showCode(which: string, code: string, expiresAt: number): void {
    say(
      h(
        'p',
        { class: 'panel', id: 'enrol-code' },
        t('admin.codeFor', { gateway: which }),
        ' ',
        h('code', { text: code }),
        ' ',
        h('span', { class: 'meta', text: t('admin.codeOnce', { at: fmt.time(expiresAt) }) }),
      ),
    );
  }

  async function command(g: FleetRow, name: string, args: Record<string, string> = {}): Promise<void> {
    say(h('p', { class: 'meta', text: t('admin.running', { name, gateway: g.gatewayId }) }));
    const res = await api<{ status: string; result?: unknown; error?: string; ms?: number }>('POST', `${path(g)}/commands/${name}`, { args, timeoutMs: 5000 });
    if (res.status !== 200 || res.body.status !== 'ok')
      return say(errorBox(t('admin.commandFailed', { name, gateway: g.gatewayId, error: res.body.error ?? res.status })));
    say(
      h('p', { class: 'ok-text', text: t('admin.commandOk', { name, gateway: g.gatewayId, ms: res.body.ms ?? '–' }) }),
      h('pre', { class: 'command-result', text: JSON.stringify(res.body.result, null, 2) }),
    );
  }

  function actions(g: FleetRow): HTMLElement {
    const box = h('div', { class: 'buttons' });
    if (g.revokedAt) return box;
    const code = h('button', { type: 'button', class: 'secondary', text: t('admin.newCode') });
    code.addEventListener('click', async () => {
      const res = await api<{ code: string; expiresAt: number }>('POST', `${path(g)}/enrolment-code`);
      if (res.status !== 201) return say(errorBox(t('admin.failed', { error: res.body.error ?? res.status })));
      showCode(`${g.siteId} / ${g.gatewayId}`, res.body.code, res.body.expiresAt);
      await loadFleet();
    });
    const ping = h('button', { type: 'button', class: 'secondary ping', text: t('admin.ping') });
    ping.addEventListener('click', () => void command(g, 'ping'));
    // The other commands a gateway answers (model-promote / -rollback belong to the model rollout).
    const pick = h(
      'select',
      { class: 'command-pick', 'aria-label': t('admin.commandPick', { gateway: g.gatewayId }) },
      ...['stats', 'health', 'flush-status', 'reload-model', 'restart-source'].map((c) => h('option', { value: c, text: c })),
    );
    const run = h('button', { type: 'button', class: 'secondary run', text: t('admin.run') });
    run.addEventListener('click', () => {
      const name = pick.value;
      const source = name === 'restart-source' ? prompt(t('admin.sourcePrompt'))?.trim() : undefined;
      if (name === 'restart-source' && !source) return;
      void command(g, name, source ? { source } : {});
    });
    const revoke = h('button', {
      type: 'button',
      class: 'secondary danger revoke',
      text: t('admin.revoke'),
      'aria-label': t('admin.revokeLabel', { gateway: g.gatewayId }),
    });
    revoke.addEventListener('click', async () => {
      if (revoke.dataset.armed !== 'yes') {
        revoke.dataset.armed = 'yes';
        revoke.textContent = t('admin.confirmRevoke');
        return;
      }
      const res = await api('DELETE', path(g));
      say(
        res.status === 200
          ? h('p', { text: t('admin.revokedNow', { gateway: g.gatewayId }) })
          : errorBox(t('admin.failed', { error: res.body.error ?? res.status })),
      );
      await loadFleet();
    });
    box.append(code, ping, pick, run, revoke);
    return box;
  }

  async function loadFleet(): Promise<void> {
    try {
      const [{ gateways }, retained] = await Promise.all([get<{ gateways: FleetRow[] }>('/api/v1/fleet'), get<{ gateways: GatewayRow[] }>('/api/v1/gateways')]);
      const heard = new Map(retained.gateways.map((x) => [`${x.siteId}.${x.gatewayId}`, Math.max(x.conn?.receivedAt ?? 0, x.health?.receivedAt ?? 0)]));
      const now = Date.now();
      fill(
        fleetBox,
        table<FleetRow>(
          [
            { label: t('gw.gateway'), cell: (g) => [h('b', { text: g.gatewayId }), h('div', { class: 'meta', text: g.siteId })] },
            { label: t('gw.state'), cell: (g) => h('span', { class: `chip ${state(g).level}`, text: state(g).text }) },
            {
              label: t('admin.config'),
              cell: (g) =>
                g.config
                  ? `v${g.config.version}${g.lastResult ? ` · ${tOr(`admin.result.${g.lastResult.status}`, g.lastResult.status)}${g.lastResult.reasons.length ? `: ${g.lastResult.reasons.join('; ')}` : ''}` : ''}`
                  : '–',
            },
            {
              label: t('gw.lastSeen'),
              cell: (g) => {
                const at = heard.get(`${g.siteId}.${g.gatewayId}`);
                return h('span', { class: 'last-seen', text: at ? fmt.ago(at, now) : t('admin.neverHeard') });
              },
            },
            { label: t('admin.actions'), cell: (g) => actions(g) },
          ],
          gateways,
          {
            label: t('admin.fleet'),
            empty: t('admin.noFleet'),
            rowAttrs: (g) => ({ class: 'fleet-row', dataset: { gateway: g.gatewayId, state: state(g).key } }),
          },
        ),
      );
    } catch (err) {
      fill(fleetBox, errorBox(t('admin.failed', { error: (err as Error).message })));
    }
  }

  async function loadStaff(): Promise<void> {
    try {
      const { staff } = await get<{ staff: StaffRow[] }>('/api/v1/staff');
      fill(
        staffBox,
        table<StaffRow>(
          [
            { label: t('admin.username'), cell: (s) => s.username },
            { label: t('admin.name'), cell: (s) => s.displayName },
            { label: t('admin.role'), cell: (s) => tOr(`role.${s.role}`, s.role) },
            { label: t('admin.site'), cell: (s) => s.siteId ?? t('admin.everySite') },
            { label: t('admin.stores'), cell: (s) => fmt.list(s.storeIds) },
          ],
          staff,
          { label: t('admin.staff'), rowAttrs: (s) => ({ class: 'staff-row', dataset: { username: s.username } }) },
        ),
      );
    } catch (err) {
      fill(staffBox, errorBox(t('admin.failed', { error: (err as Error).message })));
    }
  }

  fill(
    main,
    h('h1', { text: t('nav.admin') }),
    h('h2', { text: t('admin.fleet') }),
    form,
    status,
    fleetBox,
    h('h2', { text: t('admin.staff') }),
    h('p', { class: 'meta', text: t('admin.staffHint') }),
    staffBox,
  );
  await Promise.all([loadFleet(), loadStaff()]);
}
