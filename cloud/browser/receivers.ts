/**
 * Receivers with calibration (operators and analysts): per site, the site model's receivers with
 * the RSSI offset the site file declares, beside what each gateway listening to them reports of
 * its auto-calibration (decision 57) in its last health report: learning or applied, the learned
 * correction, the offset it now removes, the evidence behind it, and how old that report is
 * (stale after STALE_MS, as the overview's gateway verdicts). GET /api/v1/sites/{siteId}/receivers.
 */
import { chip, errorBox, fill, fmt, get, h, t, table, tOr } from './core.js';
import { STALE_MS } from './gateway-verdict.js';
import { floorName, siteOf, sites, storeName, zoneOf } from './sites.js';

interface ReceiverCalibration {
  declaredDb: number;
  learnedDb: number;
  offsetDb: number;
  evidence: number;
  applied: boolean;
}
interface ReceiverRow {
  id: string;
  kind: string;
  role: string;
  floor: number;
  storeId?: string;
  zoneId?: string;
  declaredOffsetDb: number;
  gateways: { gatewayId: string; reportedAt?: number; state?: string; calibration?: ReceiverCalibration }[];
}

const db = (n: number): string => `${n > 0 ? '+' : ''}${n.toFixed(1)} dB`;

function gatewayCell(r: ReceiverRow, now: number): HTMLElement[] {
  return r.gateways.map((g) => {
    const stale = g.reportedAt === undefined || now - g.reportedAt > STALE_MS;
    const c = g.calibration;
    const state = c ? (c.applied ? 'applied' : 'learning') : g.state === 'off' ? 'off' : 'none';
    return h(
      'div',
      { class: 'receiver-gw', dataset: { gateway: g.gatewayId, state, stale: String(stale) } },
      h('b', { text: g.gatewayId }),
      ' ',
      chip(tOr(`rx.state.${state}`, state), state === 'applied' ? 'ok' : state === 'learning' ? 'warn' : 'idle'),
      stale ? chip(g.reportedAt === undefined ? t('rx.noReport') : t('rx.stale', { ago: fmt.ago(g.reportedAt, now) }), 'bad') : null,
      c
        ? h('div', {
            class: 'meta',
            text: t('rx.figures', { learned: db(c.learnedDb), offset: db(c.offsetDb), n: c.evidence }),
          })
        : null,
      c && c.declaredDb !== r.declaredOffsetDb ? h('div', { class: 'warn-text', text: t('rx.declaredDiffers', { db: db(c.declaredDb) }) }) : null,
      !stale && g.reportedAt !== undefined ? h('div', { class: 'meta', text: t('rx.reported', { ago: fmt.ago(g.reportedAt, now) }) }) : null,
    );
  });
}

export async function render(main: HTMLElement, params: string[]): Promise<() => void> {
  const all = sites();
  const siteId = params[0] && siteOf(params[0]) ? params[0] : all[0]?.id;
  const box = h('div', { id: 'receivers' });
  const picker = h(
    'select',
    { id: 'rx-site', onchange: (e: Event) => void (location.hash = `#/receivers/${encodeURIComponent((e.target as HTMLSelectElement).value)}`) },
    ...all.map((s) => h('option', { value: s.id, text: `${s.name} (${s.id})`, selected: s.id === siteId })),
  );
  fill(
    main,
    h('h1', { text: t('nav.receivers') }),
    h('p', { class: 'meta', text: t('rx.intro') }),
    h('div', { class: 'inline-form' }, h('label', { for: 'rx-site', text: t('rx.site') }), picker),
    box,
  );
  if (!siteId) {
    fill(box, h('p', { class: 'meta', text: t('rx.noSites') }));
    return () => undefined;
  }
  async function load(): Promise<void> {
    try {
      const body = await get<{ receivers: ReceiverRow[] }>(`/api/v1/sites/${encodeURIComponent(siteId!)}/receivers`);
      const now = Date.now();
      fill(
        box,
        table<ReceiverRow>(
          [
            { label: t('rx.receiver'), cell: (r) => [h('b', { text: r.id }), h('div', { class: 'meta', text: `${r.kind} · ${r.role}` })] },
            {
              label: t('rx.place'),
              cls: 'hide-narrow',
              cell: (r) =>
                [floorName(siteId!, r.floor), storeName(siteId!, r.storeId) ?? r.storeId, zoneOf(siteId!, r.zoneId)?.name ?? r.zoneId]
                  .filter(Boolean)
                  .join(' · '),
            },
            { label: t('rx.declared'), cell: (r) => db(r.declaredOffsetDb) },
            { label: t('rx.gateways'), cell: (r) => (r.gateways.length ? gatewayCell(r, now) : h('span', { class: 'meta', text: t('rx.noGateway') })) },
          ],
          body.receivers,
          { label: t('nav.receivers'), rowAttrs: (r) => ({ class: 'receiver', dataset: { receiver: r.id } }) },
        ),
      );
      // On a phone the calibration column may still scroll sideways: keyboard users reach it too.
      const wrap = box.querySelector('.table-wrap');
      wrap?.setAttribute('tabindex', '0');
      wrap?.setAttribute('role', 'region');
      wrap?.setAttribute('aria-label', t('nav.receivers'));
    } catch (err) {
      fill(box, errorBox((err as Error).message));
    }
  }
  await load();
  const timer = setInterval(() => void load(), 10_000);
  return () => clearInterval(timer);
}
