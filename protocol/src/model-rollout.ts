import { z } from 'zod';

/**
 * Model rollout (decision 133): the cloud hands a gateway a model in the `model-shadow` command's
 * args; the gateway verifies it, runs it in shadow beside the active classifier and reports how
 * often the two agree; `model-promote` makes it active (the previous one is kept), `model-rollback`
 * goes back to the previous one.
 */
export const MODEL_SHADOW_COMMAND = 'model-shadow';
/** Larger models are refused (the command travels as one MQTT message, base64). */
export const MAX_MODEL_BYTES = 1024 * 1024;

export const modelVersionSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected a model version of 1-64 letters, digits, ".", "_" or "-"');

export const modelShadowArgsSchema = z.object({
  version: modelVersionSchema,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest'),
  /** The ONNX file, base64. */
  onnx: z
    .string()
    .min(1)
    .max(Math.ceil((MAX_MODEL_BYTES * 4) / 3) + 4),
  /** The training domain (firmware-config's trainingDomainSchema), checked on the gateway against its layout. */
  domain: z.record(z.string(), z.unknown()).optional(),
});
export type ModelShadowArgs = z.infer<typeof modelShadowArgsSchema>;

const modelRefSchema = z.object({ version: z.string().max(64), sha256: z.string().max(64).optional() });

/** What health reports about rollout: the shadow and its agreement with the active model, and the fallback kept. */
export const rolloutHealthSchema = z.object({
  active: modelRefSchema.optional().describe('a model promoted by rollout (absent: the configured classifier)'),
  previous: modelRefSchema.optional().describe('kept to roll back to ("config": the configured classifier)'),
  shadow: modelRefSchema
    .extend({
      since: z.number().int().nonnegative(),
      compared: z.number().int().nonnegative().describe('subject-ticks both models classified'),
      agreed: z.number().int().nonnegative().describe('of those, where both chose the same location class'),
      agreement: z.number().min(0).max(1).optional(),
      errors: z.number().int().nonnegative(),
    })
    .optional(),
});
export type RolloutHealth = z.infer<typeof rolloutHealthSchema>;
