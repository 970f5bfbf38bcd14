import { loadMembersCsv } from '@storesense/firmware-config';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CloudStore } from '../store/cloud-store.js';

export interface MembersImportResult {
  inserted: number;
  updated: number;
  errors: { line: number; error: string }[];
}

/**
 * Seeds members from a CSV (firmware-config's parser). Bad rows are logged with their line and
 * skipped, good rows are upserted, so importing the same file on every start is idempotent.
 * Row errors never contain a token key (the parser describes a bad key without echoing it).
 */
export async function importMembersCsv(path: string, deps: { store: CloudStore; clock: Clock; logger: Logger; metrics: Metrics }): Promise<MembersImportResult> {
  const log = deps.logger.child({ module: 'members', file: path });
  const { members, errors } = loadMembersCsv(path);
  for (const e of errors) log.warn({ line: e.line, error: e.error }, 'member row rejected');
  if (errors.length > 0) deps.metrics.inc('members.rows_rejected', errors.length);
  const { inserted, updated } = await deps.store.upsertMembers(members, deps.clock.now());
  log.info({ inserted, updated, rejected: errors.length }, 'members imported');
  return { inserted, updated, errors };
}
