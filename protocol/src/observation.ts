import { z } from 'zod';
import { idSchema, pseudonymSchema } from './ids.js';
import { PROTOCOL_VERSION } from './version.js';

export const OBSERVATION_SOURCES = ['ble', 'wifi', 'terminal', 'espresense', 'meraki'] as const;
export type ObservationSource = (typeof OBSERVATION_SOURCES)[number];

export const TERMINAL_KINDS = ['entrance_camera', 'pos', 'kiosk'] as const;
export type TerminalKind = (typeof TERMINAL_KINDS)[number];
export const TERMINAL_ACTIONS = ['enter', 'exit', 'purchase', 'scan', 'count'] as const;
export type TerminalAction = (typeof TERMINAL_ACTIONS)[number];

export const terminalDetectionSchema = z.object({
  kind: z.enum(TERMINAL_KINDS),
  action: z.enum(TERMINAL_ACTIONS),
  memberId: z.string().min(1).max(64).optional().describe('the terminal recognised a member (card, QR, face match)'),
  confidence: z.number().min(0).max(1).optional(),
  amount: z.number().nonnegative().optional(),
  currency: z.string().length(3).optional(),
  count: z.number().int().nonnegative().optional().describe('anonymous people count (cameras)'),
});
export type TerminalDetection = z.infer<typeof terminalDetectionSchema>;

/**
 * One sighting of one subject by one receiver or terminal, after identity: `subject` is already
 * pseudonymous (keyed hash of a MAC with a daily salt, or a simulator's id). Raw MACs never get here.
 * @example
 * observationSchema.parse({ v: 1, at: 1700000000250, source: 'ble', receiverId: 'rx-entrance',
 *   subject: 'b_9f2c01aa', rssiDbm: -71, token: '5a1f0c3e9b7d2a40' })
 */
export const observationSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  at: z.number().int().nonnegative().describe('ms since epoch, when it was heard'),
  source: z.enum(OBSERVATION_SOURCES),
  receiverId: idSchema.describe('the site receiver or terminal that heard it'),
  subject: pseudonymSchema,
  rssiDbm: z.number().min(-127).max(20).optional(),
  randomized: z.boolean().optional().describe('seen through a locally administered (randomised) MAC'),
  seq: z
    .number()
    .int()
    .min(0)
    .max(4095)
    .optional()
    .describe("WiFi: the frame's 802.11 sequence number (IEEE 802.11-2020 §9.2.4.4); links one device across MAC rotations"),
  ieFp: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .optional()
    .describe("WiFi: keyed hash (site pepper, UTC day) of the probe's information-element layout, a device-model fingerprint; never the layout itself"),
  token: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .optional()
    .describe('rotating member token as advertised on air (see memberToken), resolved by the gateway'),
  terminal: terminalDetectionSchema.optional(),
});
export type Observation = z.infer<typeof observationSchema>;
