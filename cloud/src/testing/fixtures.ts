import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId, presenceEventSchema, type PresenceEvent, type PresenceEventInput } from '@storesense/protocol';

let counter = 0;

/** A valid PresenceEvent with overrides; ids are unique ULIDs at `at`. For tests only. */
export function makeEvent(overrides: Partial<PresenceEventInput> = {}): PresenceEvent {
  const at = overrides.at ?? 1_700_000_000_000;
  counter++;
  return presenceEventSchema.parse({
    v: 1,
    id: newId(at),
    seq: counter,
    type: 'arrival',
    at,
    siteId: 'site1',
    gatewayId: 'gw1',
    subject: { id: `s_${counter}`, signals: ['ble'] },
    visitId: newId(at),
    confidence: 0.9,
    model: { name: 'rules', version: '1' },
    ...overrides,
  });
}

/** A fresh temp directory and its cleanup. */
export function tempDir(prefix = 'storesense-cloud-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
