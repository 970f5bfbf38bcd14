import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { terminalObservationJsonSchemaText, terminalObservationSchema } from './terminal.json-schema.js';

const DOC = new URL('../../../../docs/schemas/terminal-observation.schema.json', import.meta.url);

describe('terminal observation JSON Schema', () => {
  it('docs/schemas/terminal-observation.schema.json is up to date (regenerate with terminalObservationJsonSchemaText())', () => {
    expect(readFileSync(DOC, 'utf8')).toBe(terminalObservationJsonSchemaText());
  });

  it('accepts the documented examples of each terminal kind and refuses radio fields', () => {
    const base = { v: 1, at: 1767607200000, subject: 't_x_1', source: 'terminal' };
    for (const o of [
      { ...base, receiverId: 'cam-door', terminal: { kind: 'entrance_camera', action: 'enter', memberId: 'M0001', confidence: 0.87 } },
      { ...base, receiverId: 'cam-door', terminal: { kind: 'entrance_camera', action: 'count', count: 3 } },
      { ...base, receiverId: 'pos-1', terminal: { kind: 'pos', action: 'purchase', amount: 42.5, currency: 'EUR', memberId: 'M0001' } },
      { ...base, receiverId: 'pos-1', token: '5a1f0c3e9b7d2a40', terminal: { kind: 'pos', action: 'purchase', amount: 9.99, currency: 'EUR' } },
      { ...base, receiverId: 'kiosk-1', token: '5a1f0c3e9b7d2a40', terminal: { kind: 'kiosk', action: 'scan' } },
    ])
      expect(terminalObservationSchema.safeParse(o).success, JSON.stringify(o)).toBe(true);
    expect(terminalObservationSchema.safeParse({ ...base, receiverId: 'pos-1', source: 'ble', terminal: { kind: 'pos', action: 'purchase' } }).success).toBe(
      false,
    );
    expect(terminalObservationSchema.safeParse({ ...base, receiverId: 'pos-1' }).success).toBe(false);
  });
});
