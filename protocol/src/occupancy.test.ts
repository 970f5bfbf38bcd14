import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { occupancyReportJsonSchemaText } from './occupancy.js';

const DOC = new URL('../../docs/schemas/occupancy-report.schema.json', import.meta.url);

describe('occupancy report JSON Schema', () => {
  it('docs/schemas/occupancy-report.schema.json is up to date (regenerate with occupancyReportJsonSchemaText())', () => {
    expect(readFileSync(DOC, 'utf8')).toBe(occupancyReportJsonSchemaText());
  });
});
