import { z } from 'zod';
import { idSchema } from '@storesense/protocol';
import { journeySchema, receiverSchema, storeSchema, terminalSchema, zoneSchema } from './site.schema.js';

/**
 * The configuration one gateway runs on (`storesense-gateway --config F`). `storesense-site render`
 * derives it from a site file: the gateway's own receivers, terminals, store geometry and journey
 * settings, plus deployment settings (broker, data dir, classifier) with defaults.
 */
export const GATEWAY_CONFIG_VERSION = 1 as const;

export const replaySourceSchema = z.object({
  kind: z.literal('replay'),
  path: z.string().min(1).describe('a trace.ndjson file'),
  speed: z.number().positive().max(100_000).default(1).describe('1 = real time; 0 is not allowed, use a large number for "as fast as possible"'),
  rebase: z.boolean().default(true).describe('shift trace times so the first observation happens now'),
  loop: z.boolean().default(false),
});
export const mqttObservationSourceSchema = z.object({
  kind: z.literal('mqtt_observations'),
  url: z.string().url().optional().describe('local broker; defaults to the uplink broker'),
  topic: z.string().optional().describe("defaults to topics.observations(site, gateway)"),
});
export const httpObservationSourceSchema = z.object({
  kind: z.literal('http_observations').describe('POST /api/v1/observations (NDJSON or JSON array) on the gateway status API'),
});
export const sourceSchema = z.discriminatedUnion('kind', [replaySourceSchema, mqttObservationSourceSchema, httpObservationSourceSchema]);
export type SourceConfig = z.infer<typeof sourceSchema>;

export const gatewayConfigSchema = z.object({
  version: z.literal(GATEWAY_CONFIG_VERSION),
  siteId: idSchema,
  gatewayId: idSchema,
  storeId: idSchema.optional(),
  tickMs: z.number().int().min(50).max(5000).default(250),
  floors: z.array(z.object({ level: z.number().int(), name: z.string() })).min(1),
  stores: z.array(storeSchema).default([]).describe('the store(s) this gateway serves, with zones'),
  areas: z.array(zoneSchema).default([]),
  receivers: z.array(receiverSchema).min(1),
  terminals: z.array(terminalSchema).default([]),
  journey: journeySchema,
  memberTokens: z.object({ periodMs: z.number().int().positive() }),
  mqtt: z
    .object({
      url: z.string().default('mqtt://127.0.0.1:1883'),
      username: z.string().optional().describe('defaults to `${siteId}.${gatewayId}` (the cloud broker convention): renderGatewayConfig sets it, and the gateway uses it when absent'),
      password: z.string().optional().describe('prefer passwordEnv; a password here is never logged'),
      passwordEnv: z.string().default('STORESENSE_MQTT_PASSWORD'),
    })
    .default({ url: 'mqtt://127.0.0.1:1883', passwordEnv: 'STORESENSE_MQTT_PASSWORD' }),
  dataDir: z.string().default('./data/gateway'),
  classifier: z
    .object({ kind: z.enum(['rules', 'onnx']).default('rules'), modelPath: z.string().optional() })
    .default({ kind: 'rules' }),
  outbox: z
    .object({
      maxRows: z.number().int().positive().default(1_000_000),
      maxAgeMs: z.number().int().positive().default(7 * 24 * 3_600_000),
    })
    .default({ maxRows: 1_000_000, maxAgeMs: 7 * 24 * 3_600_000 }),
  uplink: z
    .object({
      backlogPerSecond: z.number().positive().default(500).describe('rate limit for replaying the outbox backlog'),
      reconnectMinMs: z.number().int().positive().default(500),
      reconnectMaxMs: z.number().int().positive().default(30_000),
    })
    .default({ backlogPerSecond: 500, reconnectMinMs: 500, reconnectMaxMs: 30_000 }),
  statusApi: z
    .object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(0).describe('0 = ephemeral') })
    .optional(),
  sources: z.array(sourceSchema).default([]),
});
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
