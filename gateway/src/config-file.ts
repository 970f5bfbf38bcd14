import { readFileSync } from 'node:fs';
import { gatewayConfigSchema, type GatewayConfig } from '@storesense/firmware-config';
import { formatIssues } from '@storesense/protocol';

/**
 * Loads and validates a gateway config file; returns every problem with its path
 * (`receivers[0].floor: expected number`), never a partial config.
 */
export function loadGatewayConfig(path: string): { ok: true; config: GatewayConfig } | { ok: false; errors: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { ok: false, errors: [`${path}: ${(err as Error).message}`] };
  }
  const parsed = gatewayConfigSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: formatIssues(parsed.error.issues) };
  return { ok: true, config: parsed.data };
}
