import { ulid, monotonicFactory } from 'ulid';
import { ackSchema, type Ack } from './ack.js';
import { commandResponseSchema, commandSchema } from './command.js';
import { presenceEventSchema, type PresenceEvent } from './event.js';
import { memberKeysSchema } from './member-keys.js';
import { observationSchema } from './observation.js';
import { gapReportSchema } from './gap.js';
import { occupancyReportSchema } from './occupancy.js';
import { configResultSchema, remoteConfigSchema } from './remote-config.js';
import { parseJsonWith, type Result } from './result.js';
import { connStateSchema, gatewayHealthSchema } from './state.js';

/** JSON codecs for every payload: `encode` validates before writing, `decode` never throws. */
function codec<S extends Parameters<typeof parseJsonWith>[0]>(schema: S) {
  return {
    encode(value: unknown): Buffer {
      return Buffer.from(JSON.stringify(schema.parse(value)));
    },
    decode(payload: string | Uint8Array): Result<import('zod').output<S>> {
      return parseJsonWith(schema, payload);
    },
  };
}

export const codecs = {
  event: codec(presenceEventSchema),
  observation: codec(observationSchema),
  ack: codec(ackSchema),
  connState: codec(connStateSchema),
  health: codec(gatewayHealthSchema),
  command: codec(commandSchema),
  response: codec(commandResponseSchema),
  memberKeys: codec(memberKeysSchema),
  occupancy: codec(occupancyReportSchema),
  gap: codec(gapReportSchema),
  remoteConfig: codec(remoteConfigSchema),
  configResult: codec(configResultSchema),
};

export type { PresenceEvent, Ack };

/**
 * ULIDs for event and visit ids. Pass `at` from the event (not the wall clock) so replays are
 * reproducible in their time part; the random part comes from `random` when given.
 */
export function newId(at: number, random?: () => number): string {
  return random ? monotonicFactory(random)(at) : ulid(at);
}
