import { z } from 'zod';
import { siteSchema, SITE_SCHEMA_VERSION } from './site.schema.js';

/**
 * The JSON Schema of a site file, for editors (`"$schema": "../site.schema.json"` in a site file).
 * Generated from the zod schema as the *input* side, so fields with defaults are optional. The
 * cross-reference checks (declared floors, unique and resolvable ids) are not expressible in JSON
 * Schema: `storesense-site validate` remains the authority.
 */
export function siteJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(siteSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema, ...body } = generated;
  return {
    $schema,
    $id: 'https://storesense.dev/schemas/site.schema.json',
    title: `storesense site file, version ${SITE_SCHEMA_VERSION}`,
    description: 'One mall or stand-alone store: floors, stores, zones, receivers, terminals and gateways. Coordinates are metres (x east, y north) per floor.',
    ...body,
  };
}

/** The schema as committed in `site.schema.json`: two-space indent and a final newline. */
export function siteJsonSchemaText(): string {
  return `${JSON.stringify(siteJsonSchema(), null, 2)}\n`;
}
