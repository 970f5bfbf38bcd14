import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.js';

/** Request on `.../command/{name}`; the gateway answers on `.../response/{name}` with the same requestId. */
export const commandSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  requestId: z.string().min(1).max(64),
  args: z.record(z.string(), z.unknown()).default({}),
});
export type Command = z.infer<typeof commandSchema>;

export const commandResponseSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  requestId: z.string().min(1).max(64),
  status: z.enum(['ok', 'error']),
  result: z.unknown().optional(),
  error: z.string().max(2000).optional(),
});
export type CommandResponse = z.infer<typeof commandResponseSchema>;
