import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EVENT_TYPES } from '@storesense/protocol';
import type { Hono } from 'hono';
import { ruleSchema } from '../rules/rule.schema.js';
import { OFFER_STATUSES } from '../store/cloud-store.js';
import { CONSOLE_CSP, CONSOLE_HTML } from './console.page.js';
import { CONSOLE_CSS } from './console.style.js';
import { STAFF_CSP, STAFF_CSS, STAFF_HTML } from './staff.page.js';

/**
 * Where the console's browser modules are built: `cloud/browser/*.ts` compiled by `tsc -b`
 * (cloud/browser/tsconfig.json: lib DOM, ES modules, one file per module, no bundler) into
 * `cloud/dist/browser/`. The same relative path holds from `src/console/` (tests run the sources)
 * and `dist/console/` (the built cloud), so both serve the one build (decision 151).
 */
export const BROWSER_BUILD_DIR = fileURLToPath(new URL('../../dist/browser/', import.meta.url));

/**
 * Values of the wire contract the views need (`cloud/browser/contract.d.ts` declares them), built
 * here from the schemas the API validates with, so the browser has no copy that could drift.
 */
export function contractModule(): string {
  const values = { EVENT_TYPES, RULE_AUDIENCES: ruleSchema.shape.audience.options, OFFER_STATUSES };
  return `${Object.entries(values)
    .map(([name, value]) => `export const ${name} = Object.freeze(${JSON.stringify(value)});`)
    .join('\n')}\n`;
}

/**
 * The console's front-end: native ES modules and the DOM, no framework and no run-time build.
 * The modules are the compiled `.js` files of `BROWSER_BUILD_DIR`, read once; the style sheets and
 * the contract module are made here. A missing build leaves only the style sheets (the pages then
 * fail to load their modules, and the assets test says to run `npx tsc -b`).
 */
export function loadConsoleAssets(dir = BROWSER_BUILD_DIR): Record<string, string> {
  const assets: Record<string, string> = { 'console.css': CONSOLE_CSS, 'staff.css': STAFF_CSS, 'contract.js': contractModule(), 'icon.svg': ICON_SVG };
  if (!existsSync(dir)) return assets;
  for (const name of readdirSync(dir).sort()) if (name.endsWith('.js')) assets[name] = readFileSync(`${dir}${name}`, 'utf8');
  return assets;
}

let cached: Readonly<Record<string, string>> | undefined;
/** The served assets, loaded on first use (the build does not change under a running cloud). */
export function consoleAssets(): Readonly<Record<string, string>> {
  cached ??= Object.freeze(loadConsoleAssets());
  return cached;
}

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };

/** The app icon (home screen, notifications): a location pin on the brand blue, scalable. */
export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><rect width="512" height="512" rx="96" fill="#0b5cad"/><path d="M256 96c-66 0-120 52-120 117 0 88 120 203 120 203s120-115 120-203c0-65-54-117-120-117zm0 164a46 46 0 1 1 0-92 46 46 0 0 1 0 92z" fill="#fff"/></svg>
`;

/**
 * The staff view as an installable web app: standalone, opening at /staff (the service worker
 * `/staff-sw.js`, built from cloud/browser/sw.ts, lets it open without a network).
 */
export const STAFF_MANIFEST = {
  name: 'storesense staff alerts',
  short_name: 'storesense',
  description: 'Live alerts for store staff: who is arriving, where they are, what to show them.',
  start_url: '/staff',
  scope: '/staff',
  display: 'standalone',
  background_color: '#ffffff',
  theme_color: '#0b5cad',
  icons: [{ src: '/assets/console/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
};

/**
 * Mounts the console pages: `/` (operator/analyst console), `/staff` (phone view) and
 * `/assets/console/*`. Assets carry an ETag and `no-cache`, so a browser revalidates and an
 * upgraded cloud never runs a stale module against a newer API.
 */
export function registerConsoleRoutes(app: Hono): void {
  const assets = consoleAssets();
  const etags = new Map(Object.entries(assets).map(([name, body]) => [name, `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`]));
  const pageHeaders = (csp: string): Record<string, string> => ({
    'Content-Security-Policy': csp,
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
  });

  app.get('/', (c) => c.html(CONSOLE_HTML, 200, pageHeaders(CONSOLE_CSP)));
  app.get('/staff', (c) => c.html(STAFF_HTML, 200, pageHeaders(STAFF_CSP)));
  app.get('/favicon.ico', (c) => c.body(null, 204)); // browsers ask; a 404 would be noise
  app.get('/staff.webmanifest', (c) => c.body(JSON.stringify(STAFF_MANIFEST), 200, { 'Content-Type': 'application/manifest+json' }));
  // At the root so its scope may be /staff (a worker controls only pages under its own path).
  app.get('/staff-sw.js', (c) => {
    const body = assets['sw.js'];
    if (body === undefined) return c.json({ error: 'console assets not built' }, 404);
    return c.body(body, 200, { 'Content-Type': TYPES.js!, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
  });
  app.get('/assets/console/:file', (c) => {
    const name = c.req.param('file');
    const body = Object.hasOwn(assets, name) ? assets[name] : undefined;
    if (body === undefined) return c.json({ error: `no console asset ${name}` }, 404);
    const etag = etags.get(name)!;
    const headers = { ETag: etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
    return c.body(body, 200, { ...headers, 'Content-Type': TYPES[name.split('.').pop()!]! });
  });
}
