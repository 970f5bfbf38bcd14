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

/**
 * The commands a gateway answers (on `command/{name}`): `ping`, `health`, `stats`, `restart-source`
 * (args `{source}`: a source name as health lists it), `flush-status` (publish health now),
 * `reload-model` (re-read the classifier's model file), `model-promote` / `model-rollback` (decision
 * 133; `model-shadow` carries a model and is sent by the cloud's model route). Anything else is answered with an error.
 */
export const GATEWAY_COMMANDS = ['ping', 'health', 'stats', 'restart-source', 'flush-status', 'reload-model', 'model-promote', 'model-rollback'] as const;
export type GatewayCommandName = (typeof GATEWAY_COMMANDS)[number];
