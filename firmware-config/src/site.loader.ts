import { readFileSync } from 'node:fs';
import { formatPath, safeParseWith, type Result } from '@storesense/protocol';
import { crossCheckSite, lenientSiteSchema } from './site.cross-check.js';
import { siteSchema, type Site } from './site.schema.js';

/**
 * Validates an already-parsed site object: every problem is reported at once with its path, e.g.
 * `stores[0].zones[3].floor: floor 7 is not declared in floors`. Defaults are applied to the value.
 * @example const r = validateSite(JSON.parse(text)); if (!r.ok) console.error(r.issues.join('\n'));
 */
export function validateSite(json: unknown): Result<Site> {
  const result = safeParseWith(siteSchema, json);
  if (result.ok) return result;
  // zod skips the cross-reference refinement once any field fails; run it on what can be read so
  // dangling references show up in the same report (see site.cross-check.ts).
  const seen = new Set(result.issues);
  const extra = crossCheckSite(lenientSiteSchema.parse(json))
    .map(({ path, message }) => `${formatPath(path)}: ${message}`)
    .filter((issue) => !seen.has(issue));
  if (extra.length === 0) return result;
  const issues = [...result.issues, ...extra];
  return { ok: false, error: issues.join('; '), issues };
}

/** Parses site JSON text then validates it; malformed JSON is reported with line and column. */
export function parseSiteText(text: string): Result<Site> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const msg = `malformed JSON: ${describeJsonError(text, err as Error)}`;
    return { ok: false, error: msg, issues: [msg] };
  }
  return validateSite(raw);
}

/**
 * Reads and validates a site file. Never throws: an unreadable file, malformed JSON or an invalid
 * site all come back as `{ ok: false, error, issues }`, each issue prefixed by its path.
 * @example const r = loadSiteFile(exampleSitePath('boutique')); if (r.ok) console.log(r.value.stores.length);
 */
export function loadSiteFile(path: string): Result<Site> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const msg = `cannot read site file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    return { ok: false, error: msg, issues: [msg] };
  }
  // A UTF-8 BOM (some Windows editors write one) is not JSON whitespace.
  return parseSiteText(text.replace(/^\uFEFF/, ''));
}

/** V8 reports `... at position N`; editors think in lines and columns, so add them. */
function describeJsonError(text: string, err: Error): string {
  const m = /at position (\d+)/.exec(err.message);
  if (m === null) return err.message;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `${err.message} (line ${line}, column ${column})`;
}
