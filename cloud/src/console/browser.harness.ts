import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from '../testing/fixtures.js';

/** Debian's Chromium, driven by playwright-core (no browser download). */
export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

/**
 * Screenshots for docs/screenshots/ are written only with STORESENSE_SCREENSHOTS=1, so an
 * ordinary test run leaves the work tree clean (times on screen differ on every run).
 */
export const SCREENSHOTS = process.env.STORESENSE_SCREENSHOTS === '1';

/** docs/screenshots/<name>.png, its folder created. */
export function screenshotPath(name: string): string {
  const dir = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.png`);
}

export interface BrowserSession {
  page: Page;
  context: BrowserContext;
  /** Uncaught page errors and console errors (a CSP violation shows up as one), HTTP statuses aside. */
  problems: string[];
  close(): Promise<void>;
}

/** A fresh headless profile (its own sessionStorage) with one page that records its problems; `locale` is the browser's language. */
export async function openBrowser(viewport: { width: number; height: number }, mobile = false, locale = 'en-US'): Promise<BrowserSession> {
  const dir = tempDir('storesense-chromium-');
  const context = await chromium.launchPersistentContext(join(dir.dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport,
    locale,
    ...(mobile ? { deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {}),
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  // HTTP error answers are part of the flows under test (a 400 for a bad rule, the 401 that tells
  // the console sign-in is needed); Chromium logs each as a console error, so those are left out.
  page.on(
    'console',
    (msg) =>
      void (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource: the server responded with a status of') && problems.push(msg.text())),
  );
  return {
    page,
    context,
    problems,
    async close() {
      await context.close().catch(() => undefined);
      try {
        dir.cleanup();
      } catch {
        // Chromium may still be flushing its profile; a temp dir left behind is harmless.
      }
    },
  };
}

/** One axe-core finding, as much as a failing test needs to say. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

let axeSource: string | undefined;
/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA rules plus best practices) on the page as it is now and
 * returns the serious and critical violations. axe is evaluated through the DevTools protocol, so
 * the pages keep their CSP (`script-src 'self'`) while it runs.
 */
export async function axeSerious(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(`${axeSource}\n;undefined`);
  const violations = await page.evaluate<AxeViolation[]>(`
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] })
      .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => String(n.target)) })))`);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
