import { z } from 'zod';
import { observationSchema, terminalDetectionSchema } from '@storesense/protocol';

/**
 * What a smart terminal posts (HTTP body entry or MQTT message): a protocol Observation narrowed to
 * terminals (`source: "terminal"`, `terminal` required, no radio fields). Published as JSON Schema
 * at docs/schemas/terminal-observation.schema.json for terminal vendors; a test keeps it in step.
 */
export const terminalObservationSchema = observationSchema.omit({ rssiDbm: true, randomized: true, seq: true, ieFp: true }).extend({
  source: z.literal('terminal'),
  receiverId: observationSchema.shape.receiverId.describe("the terminal's own id (it may post only as itself)"),
  subject: observationSchema.shape.subject.describe('an id the terminal picks for what it saw, e.g. "t_<terminal>_<at>"; never a MAC, card number or name'),
  token: observationSchema.shape.token.describe('a member token shown by the member app (QR) or read from a card: the gateway resolves it to the member'),
  terminal: terminalDetectionSchema,
});

export function terminalObservationJsonSchemaText(): string {
  return `${JSON.stringify({ title: 'storesense terminal observation', ...z.toJSONSchema(terminalObservationSchema, { io: 'input' }) }, null, 2)}\n`;
}
