import { formatPath } from '@storesense/protocol';
import { DOMAIN_FIELDS, trainingDomainSchema, type DomainField, type Range, type SiteDescriptor, type TrainingDomain } from './site.domain.js';

/**
 * One way a site lies outside a model's training domain, in words an installer can act on.
 * `value` is the site's, `domain` what training covered (both formatted with units).
 */
export interface DomainFinding {
  field: string;
  value: string;
  domain: string;
  message: string;
}

const fmt = (x: number) => String(Number(x.toFixed(2)));
const fmtRange = (r: Range, unit: string) => `${r.min === r.max ? fmt(r.min) : `${fmt(r.min)} to ${fmt(r.max)}`}${unit === '' ? '' : ` ${unit}`}`;

/** The trained range widened by the field's slack. */
export function allowedRange(field: DomainField, trained: Range): Range {
  const { rel = 0, abs = 0 } = field.slack;
  return { min: Math.min(trained.min / (1 + rel), trained.min * (1 + rel)) - abs, max: Math.max(trained.max * (1 + rel), trained.max / (1 + rel)) + abs };
}

/**
 * Everything about `d` that the training domain does not cover: numeric fields outside their trained
 * range (plus DOMAIN_FIELDS slack), roles every training layout had but this one lacks, and roles or
 * radios training never saw. An empty list means the site is inside the domain. Pure.
 * @example checkDomain(describeLayout(kiosk), domain)[0].message // 'no receiver with role "inside": every training site had one'
 */
export function checkDomain(d: SiteDescriptor, domain: TrainingDomain): DomainFinding[] {
  const out: DomainFinding[] = [];
  for (const f of DOMAIN_FIELDS) {
    const trained = domain.ranges[f.key];
    if (trained === undefined) continue;
    const v = d[f.key];
    const value: Range = typeof v === 'number' ? { min: v, max: v } : v;
    const allowed = allowedRange(f, trained);
    if (value.min >= allowed.min - 1e-9 && value.max <= allowed.max + 1e-9) continue;
    const slack = f.slack.rel
      ? `, allowing ${Math.round(f.slack.rel * 100)} %`
      : f.slack.abs
        ? `, allowing ${fmt(f.slack.abs)}${f.unit === '' ? '' : ` ${f.unit}`}`
        : '';
    out.push({
      field: f.key,
      value: fmtRange(value, f.unit),
      domain: fmtRange(trained, f.unit),
      message: `${f.label} ${fmtRange(value, f.unit)} is outside the training range ${fmtRange(trained, f.unit)}${slack}`,
    });
  }
  for (const role of domain.rolesAlwaysPresent) {
    if (d.roles.includes(role)) continue;
    out.push({
      field: 'roles',
      value: d.roles.join(', '),
      domain: `always ${domain.rolesAlwaysPresent.join(', ')}`,
      message: `no receiver with role "${role}": every training site had one`,
    });
  }
  for (const role of d.roles) {
    if (domain.rolesSeen.includes(role)) continue;
    out.push({ field: 'roles', value: d.roles.join(', '), domain: domain.rolesSeen.join(', '), message: `receiver role "${role}" never appeared in training` });
  }
  for (const radio of d.radios) {
    if (domain.radiosSeen.includes(radio)) continue;
    out.push({
      field: 'radios',
      value: d.radios.join(', '),
      domain: domain.radiosSeen.join(', '),
      message: `${radio === 'wifi' ? 'WiFi' : 'BLE'} receivers: training saw only ${domain.radiosSeen.join(', ')}`,
    });
  }
  return out;
}

/** A training-domain document that does not parse or validate. */
export class TrainingDomainError extends Error {
  override name = 'TrainingDomainError';
}

/**
 * Parses a TrainingDomain from JSON text (ONNX metadata or a `.domain.json` file); throws
 * TrainingDomainError naming every problem with its path.
 */
export function parseTrainingDomain(text: string, what = 'training domain'): TrainingDomain {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new TrainingDomainError(`${what} is not JSON: ${(err as Error).message}`);
  }
  const r = trainingDomainSchema.safeParse(raw);
  if (!r.success) throw new TrainingDomainError(`${what} is invalid: ${r.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** The domain as the JSON text stored in model metadata and `.domain.json` files (stable key order). */
export function trainingDomainJson(domain: TrainingDomain): string {
  return `${JSON.stringify(trainingDomainSchema.parse(domain), null, 2)}\n`;
}

/** One line per finding, for logs and CLIs. */
export function formatDomainFindings(findings: readonly DomainFinding[]): string[] {
  return findings.map((f) => `outside the training domain: ${f.message}`);
}
