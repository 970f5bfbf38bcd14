import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.js';

/**
 * Remote configuration (architecture §4, topic `config`, retained, cloud -> gateway): the gateway's
 * rendered config (firmware-config's `renderGatewayConfig` of its site) with a version the cloud
 * raises whenever the rendering changes. `config` is checked on the gateway with
 * `gatewayConfigSchema` (firmware-config; the protocol package imports nothing of ours), so here it
 * is only an object. Never carries a credential: the gateway keeps its own MQTT settings, data
 * directory and identity settings (decision 131).
 */
export const remoteConfigSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  version: z.number().int().positive().describe('raised by the cloud on every change of the rendered config'),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest')
    .describe('of the JSON of `config` as sent'),
  issuedAt: z.number().int().nonnegative(),
  config: z.record(z.string(), z.unknown()),
});
export type RemoteConfig = z.infer<typeof remoteConfigSchema>;

/**
 * The gateway's answer to a remote config, on `response/config` (up, QoS 1, not retained): applied
 * (with what it restarted) or refused (with every reason, `path: message`); a refused config leaves
 * the gateway on the one it had.
 */
export const configResultSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  version: z.number().int().positive(),
  status: z.enum(['applied', 'unchanged', 'refused']),
  at: z.number().int().nonnegative(),
  reasons: z.array(z.string().max(500)).max(50).default([]),
  restarted: z.array(z.string().max(100)).max(100).default([]).describe('sources (and "pipeline") restarted to apply it'),
});
export type ConfigResult = z.infer<typeof configResultSchema>;

/** The command response name the config result uses (`response/config`). */
export const CONFIG_RESULT_NAME = 'config';

/** What health reports about remote configuration: the version running and the last refusal. */
export const configHealthSchema = z.object({
  version: z.number().int().nonnegative().describe('0 = the local config file, never a remote one'),
  appliedAt: z.number().int().nonnegative().optional(),
  sha256: z.string().optional(),
  refused: z.object({ version: z.number().int().positive(), at: z.number().int().nonnegative(), reasons: z.array(z.string().max(500)).max(50) }).optional(),
});
export type ConfigHealth = z.infer<typeof configHealthSchema>;
