import { loadMembersCsv, parseMembersCsvReport } from '@storesense/firmware-config';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CloudStore } from '../store/cloud-store.js';

export interface MembersImportResult {
  inserted: number;
  updated: number;
  errors: { line: number; error: string }[];
}

/** The per-row answer of `POST /api/v1/members/import`: `row` is the 1-based CSV line (header = 1). */
export interface MembersImportReport {
  imported: number;
  updated: number;
  rejected: number;
  errors: { row: number; field: string; message: string }[];
}

type ImportDeps = { store: CloudStore; clock: Clock; logger: Logger; metrics: Metrics };

/**
 * Seeds members from a CSV (firmware-config's parser). Bad rows are logged with their line and
 * skipped, good rows are upserted, so importing the same file on every start is idempotent.
 * Row errors never contain a token key (the parser describes a bad key without echoing it).
 */
export async function importMembersCsv(path: string, deps: ImportDeps): Promise<MembersImportResult> {
  const log = deps.logger.child({ module: 'members', file: path });
  const { members, errors } = loadMembersCsv(path);
  for (const e of errors) log.warn({ line: e.line, error: e.error }, 'member row rejected');
  if (errors.length > 0) deps.metrics.inc('members.rows_rejected', errors.length);
  const { inserted, updated } = await deps.store.upsertMembers(members, deps.clock.now());
  log.info({ inserted, updated, rejected: errors.length }, 'members imported');
  return { inserted, updated, errors };
}

/**
 * Imports CSV text (the API upload): good rows land even when others fail; each problem of a
 * rejected row is reported with its line and column. Same upsert as the start-up import.
 */
export async function importMembersCsvText(text: string, deps: ImportDeps): Promise<MembersImportReport> {
  const log = deps.logger.child({ module: 'members', source: 'api' });
  const { members, errors } = parseMembersCsvReport(text);
  const report = errors.flatMap((e) => e.problems.map((p) => ({ row: e.line, field: p.field, message: p.message })));
  if (errors.length > 0) deps.metrics.inc('members.rows_rejected', errors.length);
  const { inserted, updated } = members.length > 0 ? await deps.store.upsertMembers(members, deps.clock.now()) : { inserted: 0, updated: 0 };
  log.info({ inserted, updated, rejected: errors.length }, 'members imported');
  return { imported: inserted, updated, rejected: errors.length, errors: report };
}
