import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import { CONSOLE_CSP, CONSOLE_HTML } from './console.page.js';
import { CONSOLE_CSS } from './console.style.js';
import { STAFF_CSP, STAFF_HTML } from './staff.page.js';
import { ANALYTICS_JS } from './views/analytics.view.js';
import { CORE_JS } from './views/core.view.js';
import { FORMAT_JS } from './views/format.view.js';
import { GATEWAY_VERDICT_JS } from './views/gateway-verdict.view.js';
import { MEMBERS_JS } from './views/members.view.js';
import { OFFERS_JS } from './views/offers.view.js';
import { OVERVIEW_JS } from './views/overview.view.js';
import { RULES_JS } from './views/rules.view.js';
import { APP_JS, LIVE_JS } from './views/shell.view.js';

/**
 * The console's front-end stack: native ES modules and the DOM, no framework and no build step.
 * Each view is one module kept as a string in a TS file (so it ships inside dist/ and works
 * offline), served from memory here and loaded by the browser with `import()`. A 20-line `h()`
 * in core.js does what a UI library's element factory would; the views render from API data on
 * navigation and redraw only the lists that change, so there is no diffing to need.
 */
export const CONSOLE_ASSETS: Readonly<Record<string, string>> = {
  'console.css': CONSOLE_CSS,
  'app.js': APP_JS,
  'core.js': CORE_JS,
  'format.js': FORMAT_JS,
  'gateway-verdict.js': GATEWAY_VERDICT_JS,
  'live.js': LIVE_JS,
  'overview.js': OVERVIEW_JS,
  'members.js': MEMBERS_JS,
  'rules.js': RULES_JS,
  'offers.js': OFFERS_JS,
  'analytics.js': ANALYTICS_JS,
};

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/**
 * Mounts the console pages: `/` (operator/analyst console), `/staff` (phone view) and
 * `/assets/console/*`. Assets carry an ETag and `no-cache`, so a browser revalidates and an
 * upgraded cloud never runs a stale module against a newer API.
 */
export function registerConsoleRoutes(app: Hono): void {
  const etags = new Map(
    Object.entries(CONSOLE_ASSETS).map(([name, body]) => [name, `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`]),
  );
  const pageHeaders = (csp: string): Record<string, string> => ({
    'Content-Security-Policy': csp,
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
  });

  app.get('/', (c) => c.html(CONSOLE_HTML, 200, pageHeaders(CONSOLE_CSP)));
  app.get('/staff', (c) => c.html(STAFF_HTML, 200, pageHeaders(STAFF_CSP)));
  app.get('/favicon.ico', (c) => c.body(null, 204)); // browsers ask; a 404 would be noise
  app.get('/assets/console/:file', (c) => {
    const name = c.req.param('file');
    const body = Object.hasOwn(CONSOLE_ASSETS, name) ? CONSOLE_ASSETS[name] : undefined;
    if (body === undefined) return c.json({ error: `no console asset ${name}` }, 404);
    const etag = etags.get(name)!;
    const headers = { ETag: etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
    return c.body(body, 200, { ...headers, 'Content-Type': TYPES[name.split('.').pop()!]! });
  });
}
