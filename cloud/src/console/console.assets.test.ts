import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { BROWSER_BUILD_DIR, consoleAssets, contractModule, registerConsoleRoutes } from './console.assets.js';

const app = new Hono();
registerConsoleRoutes(app);
const assets = consoleAssets();
const scripts = Object.entries(assets).filter(([name]) => name.endsWith('.js'));
const SOURCE_DIR = fileURLToPath(new URL('../../browser/', import.meta.url));
const sources = readdirSync(SOURCE_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));

describe('console assets', () => {
  // tsc -b leaves an unchanged output untouched, so file times cannot tell a stale build; npm test builds first.
  it('every browser module is built (else: run npx tsc -b)', () => {
    for (const src of sources) {
      const built = src.replace(/\.ts$/, '.js');
      expect(Object.keys(assets), `${built} missing from ${BROWSER_BUILD_DIR}: run npx tsc -b`).toContain(built);
    }
  });

  it('every import of a module names a served module and, for the contract, a name it exports', () => {
    let seen = 0;
    for (const [name, body] of scripts) {
      for (const m of body.matchAll(/^(?:import|export)\b[^'\n]*\bfrom '([^']+)'|\bimport\('([^']+)'\)/gm)) {
        const spec = m[1] ?? m[2]!;
        expect(spec, `${name} imports a bare specifier`).toMatch(/^\.\/[\w.-]+\.js$/);
        expect(Object.keys(assets), `${name} imports ${spec}`).toContain(spec.slice(2));
        seen++;
      }
      for (const m of body.matchAll(/import \{([^}]+)\} from '\.\/contract\.js'/g))
        for (const n of m[1]!.split(',').map((x) => x.trim()))
          expect(contractModule(), `${name} imports ${n} from contract.js`).toContain(`export const ${n} =`);
    }
    expect(seen).toBeGreaterThanOrEqual(15); // the pattern does find the imports
  });

  it('no module fetches from another origin or writes HTML from strings', () => {
    for (const [name, body] of Object.entries(assets)) {
      // The SVG namespace is a name, never fetched.
      expect(body.replaceAll('http://www.w3.org/2000/svg', ''), name).not.toMatch(/https?:\/\/|\/\/cdn/);
      expect(body, name).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    }
  });

  it('serves modules with their type and an ETag, answers 304 to a matching If-None-Match, 404 otherwise', async () => {
    const res = await app.request('/assets/console/core.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await res.text()).toBe(assets['core.js']);
    const etag = res.headers.get('etag')!;
    expect((await app.request('/assets/console/core.js', { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await app.request('/assets/console/console.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await app.request('/assets/console/nope.js')).status).toBe(404);
    expect((await app.request('/assets/console/constructor')).status).toBe(404);
    expect(await (await app.request('/assets/console/contract.js')).text()).toMatch(/^export const EVENT_TYPES = Object\.freeze\(\["approach",/);
  });

  for (const [path, entry] of [
    ['/', '/assets/console/app.js'],
    ['/staff', '/assets/console/staff.js'],
  ] as const)
    it(`${path} loads only same-origin modules under a CSP without inline script or style`, async () => {
      const res = await app.request(path);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      const html = await res.text();
      expect(html).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>|<style|style="/); // no inline script or style
      expect(html).toContain(`<script type="module" src="${entry}"></script>`);
      expect(html).not.toMatch(/https?:\/\//); // nothing from another origin
    });
});
