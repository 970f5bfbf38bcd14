/**
 * The staff view's service worker (`/staff-sw.js`, scope `/staff`): makes the staff view an
 * installable web app that opens without a network. Pages and modules are fetched network-first
 * (an upgraded cloud is never shadowed by a stale copy) and kept in a cache that answers when the
 * network is gone; the page then says it is offline and reconnects by itself. API calls and the
 * alert socket are never cached: alerts are live or visibly absent.
 */
export {};

interface LifecycleEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchLikeEvent extends LifecycleEvent {
  readonly request: Request;
  respondWith(r: Promise<Response>): void;
}
interface WorkerScope {
  addEventListener(type: 'install' | 'activate', fn: (e: LifecycleEvent) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchLikeEvent) => void): void;
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
  readonly location: Location;
}
const worker = self as unknown as WorkerScope;

const CACHE = 'storesense-staff-v1';
/** The staff view's shell: the page, its style, its modules and icon. */
export const SHELL = [
  '/staff',
  '/assets/console/staff.css',
  '/assets/console/staff.js',
  '/assets/console/alert-text.js',
  '/assets/console/format.js',
  '/assets/console/i18n.js',
  '/assets/console/locale.js',
  '/assets/console/messages.en.js',
  '/assets/console/messages.zh-CN.js',
  '/assets/console/sites.js',
  '/assets/console/staff-cards.js',
  '/assets/console/icon.svg',
];

worker.addEventListener('install', (e) => {
  e.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(SHELL))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener('activate', (e) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => worker.clients.claim()),
  );
});

worker.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== worker.location.origin || url.pathname.startsWith('/api/')) return;
  e.respondWith(
    fetch(e.request)
      .then(async (res) => {
        if (res.ok) await (await caches.open(CACHE)).put(e.request, res.clone());
        return res;
      })
      .catch(async () => (await caches.match(e.request, { ignoreSearch: true })) ?? Response.error()),
  );
});
