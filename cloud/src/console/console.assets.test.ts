import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/fixtures.js';
import { CONSOLE_ASSETS, registerConsoleRoutes } from './console.assets.js';

const app = new Hono();
registerConsoleRoutes(app);
const scripts = Object.entries(CONSOLE_ASSETS).filter(([name]) => name.endsWith('.js'));

describe('console assets', () => {
  it('every module parses as an ES module (node --check), so a stray quote fails here, not in a browser', () => {
    const dir = tempDir('storesense-console-');
    try {
      for (const [name, body] of scripts) {
        const file = join(dir.dir, name.replace(/\.js$/, '.mjs'));
        writeFileSync(file, body);
        expect(() => execFileSync(process.execPath, ['--check', file], { stdio: 'pipe' }), name).not.toThrow();
      }
    } finally {
      dir.cleanup();
    }
  });

  it('every relative import names a served module', () => {
    for (const [name, body] of scripts) {
      for (const m of body.matchAll(/(?:from|import\(|module:)\s*'\.\/([\w.-]+)'/g))
        expect(Object.keys(CONSOLE_ASSETS), `${name} imports ${m[1]}`).toContain(m[1]);
    }
  });

  it('no module fetches from another origin or writes HTML from strings', () => {
    for (const [name, body] of Object.entries(CONSOLE_ASSETS)) {
      // The SVG namespace is a name, never fetched.
      expect(body.replaceAll('http://www.w3.org/2000/svg', ''), name).not.toMatch(/https?:\/\/|\/\/cdn/);
      expect(body, name).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    }
  });

  it('serves modules with their type and an ETag, answers 304 to a matching If-None-Match, 404 otherwise', async () => {
    const res = await app.request('/assets/console/core.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await res.text()).toBe(CONSOLE_ASSETS['core.js']);
    const etag = res.headers.get('etag')!;
    expect((await app.request('/assets/console/core.js', { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await app.request('/assets/console/console.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await app.request('/assets/console/nope.js')).status).toBe(404);
    expect((await app.request('/assets/console/constructor')).status).toBe(404);
  });

  it('the console page loads only same-origin modules under a CSP without inline script', async () => {
    const res = await app.request('/');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline script body
    expect(html).toContain('<script type="module" src="/assets/console/app.js"></script>');
    expect(html).not.toMatch(/https?:\/\//); // nothing from another origin
  });
});
