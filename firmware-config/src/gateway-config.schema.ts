import { z } from 'zod';
import { idSchema } from '@storesense/protocol';
import { isKnownTimeZone, openingHoursSchema } from './opening-hours.js';
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
  topic: z.string().optional().describe('defaults to topics.observations(site, gateway)'),
  terminalTopics: z
    .boolean()
    .optional()
    .describe(
      "also take smart terminals on topics.terminalObservations(site, gateway, terminalId): each message must hold only that terminal's own detections (the broker ACL lets terminal user {id} write only its own topic)",
    ),
});
export const httpObservationSourceSchema = z.object({
  kind: z.literal('http_observations').describe('POST /api/v1/observations (NDJSON or JSON array) on the gateway status API'),
  terminals: z
    .record(idSchema, z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'))
    .optional()
    .describe(
      "terminal id -> environment variable holding its bearer token. When set, every POST needs `Authorization: Bearer <token>` and may carry only that terminal's own detections (401/403 otherwise); absent: open ingest for lab and simulator use",
    ),
});
const receiverMap = z.record(z.string().min(1), idSchema);
export const espresenseSourceSchema = z.object({
  kind: z.literal('espresense').describe('ESPresense nodes publishing espresense/devices/{id}/{room} on a broker'),
  url: z.string().url().optional().describe('the broker the nodes publish to; defaults to the uplink broker (or point the nodes at a local one)'),
  topic: z.string().default('espresense/devices/#').describe('subscription; its prefix before /devices is the ESPresense base topic'),
  rooms: receiverMap.default({}).describe('ESPresense room -> receiver id; a room not listed is used as the receiver id when it is a valid id'),
});
export const merakiSourceSchema = z.object({
  kind: z.literal('meraki').describe('Cisco Meraki Scanning API receiver: GET/POST /api/v1/meraki on the status API'),
  validator: z.string().min(1).describe('the validator string Meraki shows in the dashboard; GET answers it'),
  secret: z.string().optional().describe('prefer secretEnv; never logged'),
  secretEnv: z.string().default('STORESENSE_MERAKI_SECRET').describe('environment variable holding the shared secret'),
  apReceivers: receiverMap.default({}).describe('AP MAC (any format) -> receiver id; unlisted APs become `ap-<12 hex>`'),
});
export const wifiProbeSourceSchema = z.union([
  z.object({
    kind: z.literal('wifi_probe'),
    receiverId: idSchema.describe('the receiver the capture stands for'),
    pcap: z.string().min(1).describe('replay a radiotap pcap file (paced by its timestamps)'),
    speed: z.number().positive().max(100_000).default(1),
  }),
  z.object({
    kind: z.literal('wifi_probe'),
    receiverId: idSchema,
    interface: z.string().min(1).default('mon0').describe('a monitor-mode interface (iw dev wlan0 interface add mon0 type monitor)'),
    tool: z
      .enum(['tshark', 'tcpdump'])
      .default('tshark')
      .describe('capture child process: tshark (field lines on stdout) or tcpdump (a pcap stream on stdout, -w -)'),
    toolPath: z.string().optional().describe('the capture binary; defaults to the tool name on PATH'),
  }),
]);
export const bleSourceSchema = z.object({
  kind: z.literal('ble').describe('a local Bluetooth adapter scanned passively'),
  adapter: z.literal('noble').default('noble'),
  receiverId: idSchema.describe('the receiver this adapter stands for'),
  silenceRestartMs: z.number().int().positive().default(120_000).describe('no advertisement for this long -> health degraded and the scan restarts'),
});
export const sourceSchema = z.union([
  replaySourceSchema,
  mqttObservationSourceSchema,
  httpObservationSourceSchema,
  espresenseSourceSchema,
  merakiSourceSchema,
  wifiProbeSourceSchema,
  bleSourceSchema,
]);
/** Source kinds that see raw MACs and so need the site pepper. */
export const MAC_SOURCE_KINDS = ['espresense', 'meraki', 'wifi_probe', 'ble'] as const;
export type SourceConfig = z.infer<typeof sourceSchema>;

/**
 * Staff and fixed devices (gateway tracking/device-roles.ts): registered badges, and the learning
 * of devices present for hours or while the store is closed. Every duration has a default there.
 */
export const staffBeaconSchema = z.object({
  uuid: z.string().regex(/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/, 'expected an iBeacon proximity UUID'),
  major: z.number().int().min(0).max(65535),
  minor: z.number().int().min(0).max(65535),
  label: z.string().max(60).optional().describe('for the installer only (e.g. "counter badge"); never a person\'s name'),
});
export const devicesSchema = z
  .object({
    learn: z.boolean().default(true).describe('learn staff and fixed devices from presence (hours, stillness, closed hours); false = registered badges only'),
    staffBeacons: z
      .array(staffBeaconSchema)
      .default([])
      .describe(
        'staff badges (iBeacon uuid/major/minor): the BLE and ESPresense ingest maps each to a staff_ pseudonym, so its sightings never start a journey',
      ),
    stillForMs: z
      .number()
      .int()
      .min(60_000)
      .optional()
      .describe('a device this long at one spot (steady signal) is fixed or staff (default 90 min: longer than a fitting room or a meal)'),
    counterStillForMs: z
      .number()
      .int()
      .min(60_000)
      .optional()
      .describe('the same where a checkout receiver is the strongest: a phone or beacon on the counter (default 20 min)'),
    repeatStillForMs: z
      .number()
      .int()
      .min(60_000)
      .optional()
      .describe('a second still run this long in one presence (counter, then stockroom) is staff (default 25 min)'),
    doorStillForMs: z
      .number()
      .int()
      .min(60_000)
      .optional()
      .describe('the same where a door receiver is the strongest: nobody shopping stands still in a doorway this long (default 10 min)'),
    presentForMs: z.number().int().min(60_000).optional().describe('a device heard this long without a break is staff, moving or not (default 4 h)'),
    offHoursMinMs: z.number().int().min(0).optional().describe('a device first heard while closed is staff after this long (default 5 min)'),
    closingGraceMs: z.number().int().min(0).optional().describe('after closing, shoppers still inside for this long are not yet staff (default 30 min)'),
  })
  .default({ learn: true, staffBeacons: [] });
export type DevicesConfig = z.infer<typeof devicesSchema>;

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
  timezone: z
    .string()
    .refine(isKnownTimeZone, { message: 'not an IANA time zone this runtime knows' })
    .default('UTC')
    .describe("the site's time zone (opening hours are local times)"),
  openingHours: openingHoursSchema.optional().describe("the served store's opening hours (or the site's); absent = always open"),
  devices: devicesSchema,
  mqtt: z
    .object({
      url: z.string().default('mqtt://127.0.0.1:1883'),
      username: z
        .string()
        .optional()
        .describe('defaults to `${siteId}.${gatewayId}` (the cloud broker convention): renderGatewayConfig sets it, and the gateway uses it when absent'),
      password: z.string().optional().describe('prefer passwordEnv; a password here is never logged'),
      passwordEnv: z.string().default('STORESENSE_MQTT_PASSWORD'),
      tls: z
        .object({
          caFile: z
            .string()
            .min(1)
            .describe(
              'PEM file of the CA (or the broker certificate itself) to trust for this broker, and only it: the system trust store is not used (pinning)',
            ),
          certFile: z.string().min(1).optional().describe('PEM client certificate, when the broker asks for one'),
          keyFile: z.string().min(1).optional().describe('PEM private key of certFile'),
          serverName: z.string().min(1).optional().describe('the name the broker certificate must carry, when it differs from the URL host'),
        })
        .strict()
        .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { message: 'certFile and keyFile go together' })
        .optional()
        .describe('for mqtts:// URLs: the CA to pin and an optional client certificate'),
    })
    .refine((m) => m.tls === undefined || /^(mqtts|wss):\/\//.test(m.url), { message: 'tls is set but the url is not mqtts:// (or wss://)', path: ['tls'] })
    .default({ url: 'mqtt://127.0.0.1:1883', passwordEnv: 'STORESENSE_MQTT_PASSWORD' }),
  dataDir: z.string().default('./data/gateway'),
  classifier: z
    .object({
      kind: z.enum(['rules', 'onnx']).default('rules'),
      modelPath: z.string().optional(),
      outsideDomain: z
        .enum(['rules', 'onnx'])
        .optional()
        .describe(
          "what runs when the site is outside the onnx model's training domain: rules (the default, the baseline valid anywhere) or onnx (forced; env STORESENSE_OUTSIDE_DOMAIN overrides)",
        ),
    })
    .default({ kind: 'rules' }),
  outbox: z
    .object({
      maxRows: z.number().int().positive().default(1_000_000),
      maxAgeMs: z
        .number()
        .int()
        .positive()
        .default(7 * 24 * 3_600_000),
    })
    .default({ maxRows: 1_000_000, maxAgeMs: 7 * 24 * 3_600_000 }),
  uplink: z
    .object({
      backlogPerSecond: z.number().positive().default(500).describe('rate limit for replaying the outbox backlog'),
      reconnectMinMs: z.number().int().positive().default(500),
      reconnectMaxMs: z.number().int().positive().default(30_000),
    })
    .default({ backlogPerSecond: 500, reconnectMinMs: 500, reconnectMaxMs: 30_000 }),
  statusApi: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(0).describe('0 = ephemeral') }).optional(),
  sources: z.array(sourceSchema).default([]),
  calibration: z
    .object({
      auto: z
        .boolean()
        .default(true)
        .describe('learn per-receiver RSSI offsets from phones heard by several receivers and apply them on top of the site file (docs/decisions.md 57)'),
    })
    .default({ auto: true }),
  record: z
    .object({
      dir: z.string().min(1).describe('trace files (protocol trace NDJSON, header per file) go here: trace-000001-<start>.ndjson, …'),
      maxBytes: z
        .number()
        .int()
        .min(4096)
        .default(64 * 1024 * 1024)
        .describe('rotate before a file would exceed this size'),
    })
    .optional()
    .describe('also record every observation the gateway ingests (pseudonymous) for storesense-sim replay/evaluate'),
  identity: z
    .object({
      pepperEnv: z.string().default('STORESENSE_SITE_PEPPER').describe('environment variable holding the site pepper (HMAC key for MAC pseudonyms)'),
      pepper: z
        .string()
        .min(16)
        .optional()
        .describe(
          'prefer pepperEnv; stays on the gateway, never logged. Missing with a MAC source configured: generated and kept in dataDir/site-pepper (0600)',
        ),
    })
    .default({ pepperEnv: 'STORESENSE_SITE_PEPPER' }),
});
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
