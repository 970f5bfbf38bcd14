/**
 * The console's entry module. Decides who is looking (a stored session checked with /auth/me,
 * else /api/v1/health says whether this cloud is open), shows the sign-in form when needed, sends
 * staff to /staff, builds the role-aware nav and routes `#/<view>/<param>` to a view module loaded
 * on demand. Each view exports `render(main, params)` and may return a cleanup.
 */
import type { Health, User } from './api.types.js';
import { api, byId, fill, h, onSignedOut, session } from './core.js';
import { currentTimeZone } from './format.js';
import { type MessageKey, t, tOr } from './i18n.js';
import { live } from './live.js';
import { initLocale, localeSwitcher } from './locale.js';
import { type SiteSummary, setSites } from './sites.js';

initLocale();

type Cleanup = () => void;
/** What each view module exports. */
export interface ViewModule {
  render(main: HTMLElement, params: string[]): Promise<Cleanup | undefined | void> | Cleanup | undefined | void;
}

// analystOk: the view is readable by analysts; editing inside a view checks session.can('edit').
const ROUTES: { path: string; label: MessageKey; load: () => Promise<ViewModule>; analystOk: boolean }[] = [
  { path: 'overview', label: 'nav.overview', load: () => import('./overview.js'), analystOk: true },
  { path: 'members', label: 'nav.members', load: () => import('./members.js'), analystOk: false }, // profiles are personal data: operators only
  { path: 'rules', label: 'nav.rules', load: () => import('./rules.js'), analystOk: false },
  { path: 'offers', label: 'nav.offers', load: () => import('./offers.js'), analystOk: true },
  { path: 'analytics', label: 'nav.analytics', load: () => import('./analytics.js'), analystOk: true },
  { path: 'admin', label: 'nav.admin', load: () => import('./admin.js'), analystOk: false },
  { path: 'map', label: 'nav.map', load: () => import('./map.js'), analystOk: true },
  { path: 'receivers', label: 'nav.receivers', load: () => import('./receivers.js'), analystOk: true },
];
const main = byId('main');
let cleanup: Cleanup | null = null;

function allowed(route: (typeof ROUTES)[number]): boolean {
  return session.role === 'operator' || (session.role === 'analyst' && route.analystOk);
}

function nav(): void {
  const current = location.hash.split('/')[1] || 'overview';
  fill(
    byId('nav'),
    ...ROUTES.filter(allowed).map((r) =>
      h('a', { href: `#/${r.path}`, text: t(r.label), 'aria-current': r.path === current ? 'page' : undefined, dataset: { route: r.path } }),
    ),
    h('a', { href: '/staff', text: t('nav.staff'), class: 'aside' }),
  );
}

function runCleanup(): void {
  if (!cleanup) return;
  try {
    cleanup();
  } catch {
    // a view's own problem
  }
  cleanup = null;
}

async function route(): Promise<void> {
  runCleanup();
  const [, path, ...params] = location.hash.split('/');
  const r = ROUTES.find((x) => x.path === (path || 'overview'));
  nav();
  if (!r) {
    fill(
      main,
      h('h1', { text: t('app.notFound') }),
      h('p', {}, t('app.noView'), ' ', h('code', { text: location.hash }), ' · ', h('a', { href: '#/overview', text: t('nav.overview') })),
    );
    return;
  }
  main.dataset.view = r.path;
  delete main.dataset.denied;
  if (!allowed(r)) {
    main.dataset.denied = r.path;
    fill(
      main,
      h('h1', { text: t(r.label) }),
      h('p', {
        class: 'error',
        role: 'alert',
        text: t('app.denied', { view: t(r.label), role: session.role ? tOr(`role.${session.role}`, session.role) : '?' }),
      }),
    );
    return;
  }
  document.title = `storesense: ${t(r.label)}`;
  fill(main, h('p', { class: 'meta', text: t('app.loading') }));
  try {
    const view = await r.load();
    const done = await view.render(main, params.map(decodeURIComponent));
    cleanup = typeof done === 'function' ? done : null;
    // Screen readers start reading the new view, not the nav link that was followed.
    if (document.activeElement?.closest('#nav')) main.focus({ preventScroll: true });
  } catch (err) {
    fill(main, h('h1', { text: t(r.label) }), h('p', { class: 'error', role: 'alert', text: t('app.couldNotLoad', { error: (err as Error).message }) }));
  }
}

async function loadSites(): Promise<void> {
  const res = await api<{ sites: SiteSummary[] }>('GET', '/api/v1/sites');
  if (res.status === 200) setSites(res.body.sites);
  byId('tz').textContent = t('app.times', { zone: currentTimeZone() });
}

async function start(): Promise<void> {
  if (session.role === 'staff') {
    location.replace('/staff');
    return;
  }
  await loadSites();
  byId('login-view').hidden = true;
  byId('app-view').hidden = false;
  byId('who').textContent = session.user ? `${session.user.displayName} · ${tOr(`role.${session.user.role}`, session.user.role)}` : t('app.openMode');
  byId('logout').hidden = !session.user;
  if (!location.hash) history.replaceState(null, '', '#/overview');
  void live.start();
  void route();
}

function showLogin(message: string): void {
  live.stop();
  runCleanup();
  fill(main);
  byId('app-view').hidden = true;
  byId('login-view').hidden = false;
  byId('error').textContent = message || '';
  byId('username').focus();
}

byId('lang-slot').append(localeSwitcher(t('app.language')));
byId('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  byId('error').textContent = '';
  const username = byId<HTMLInputElement>('username').value;
  const password = byId<HTMLInputElement>('password');
  const res = await api<{ token: string; user: User }>('POST', '/api/v1/auth/login', { username, password: password.value });
  if (res.status !== 200) {
    byId('error').textContent = res.body.error || t('login.failed');
    return;
  }
  session.save(res.body.token, res.body.user);
  password.value = '';
  void start();
});
byId('logout').addEventListener('click', async () => {
  await api('POST', '/api/v1/auth/logout');
  session.clear();
  showLogin(t('login.signedOut'));
});
onSignedOut(() => {
  session.clear();
  showLogin(t('login.sessionEnded'));
});
window.addEventListener('hashchange', () => {
  if (!byId('app-view').hidden) void route();
});

void (async () => {
  if (session.token) {
    const me = await api<{ user: User }>('GET', '/api/v1/auth/me');
    if (me.status === 200) {
      session.save(session.token, me.body.user);
      await start();
      return;
    }
    session.clear();
  }
  // No session: /api/v1/health says whether this cloud asks for a sign-in (open mode serves the
  // operator listings without a token), so the console never probes a listing for a 401.
  const health = await api<Health>('GET', '/api/v1/health');
  if (health.body?.auth === 'open') {
    session.open = true;
    await start();
  } else showLogin('');
})();
