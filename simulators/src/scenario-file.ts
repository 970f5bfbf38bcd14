import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { safeParseWith, type Result } from '@storesense/protocol';
import { z } from 'zod';
import { INTENTS } from './shopper.plan.js';
import type { WorldOptions } from './world.js';

/**
 * A scenario file (`generate --scenario F`): the world's realism settings in one JSON object, so
 * a harsh evaluation run is a file in the repository rather than a long command line. Every key is
 * optional; absent keys keep the simulator defaults, whose sources are cited where they are defined
 * (radio.model.ts, world.wifi.ts, shopper.plan.ts, world.ts). Unknown keys are errors (a typo must
 * not silently run the defaults). `--set path=value` sets any key from the command line.
 */

const share = z.number().min(0).max(1);
const nonNegative = z.number().min(0);
const db = z.number().min(-60).max(60);

const radioSchema = z
  .object({
    sensitivityDbm: z.number().min(-120).max(-50),
    shadowingSigmaDb: z.number().min(0).max(20).describe('log-normal shadowing sigma, dB (default 4)'),
    floorAttenuationDb: nonNegative.max(60),
    floorHeightM: z.number().positive().max(20),
    phoneHeightM: nonNegative.max(3),
    receiverHeightM: nonNegative.max(20),
    baseLossRate: z.number().min(0).max(0.95).describe('share of adverts lost even at a strong level (default 0.1)'),
    lossKneeDb: nonNegative.max(30),
    wallAttenuationDb: nonNegative.max(60).describe('loss of a store wall whose store sets no wallAttenuationDb (default 3)'),
    bodyLossDb: nonNegative.max(30),
    phoneTxSigmaDb: nonNegative.max(15),
    calibrationErrorSigmaDb: nonNegative.max(15).describe("sigma of every receiver's small hidden calibration error (default 1)"),
  })
  .partial()
  .strict();

const wifiSchema = z
  .object({
    share: share.describe('share of phones probing WiFi (default 0.7)'),
    burstMeanMs: z.number().positive(),
    burstMinMs: nonNegative,
    randomizedShare: share,
    txGainDb: db,
  })
  .partial()
  .strict();

const planSchema = z
  .object({
    escalatorRideMs: z.number().positive(),
    browseMedianMs: z.number().positive(),
    checkoutMedianMs: z.number().positive(),
    basketMedian: z.number().positive(),
    returnAwayMinMs: nonNegative,
    returnAwayMaxMs: nonNegative,
    throughShare: share,
    shortcutShare: share,
    windowAnywhereShare: share,
    crossShare: share,
    longDwellShare: share,
    longDwellMedianMs: z.number().positive(),
    longDwellSigma: nonNegative.max(3),
    longDwellKinds: z.array(z.enum(['entrance', 'sales', 'fitting', 'checkout', 'escalator', 'window', 'corridor', 'service'])).min(1),
  })
  .partial()
  .strict();

/** Staff and fixed devices (world.staff.ts); the same fields as its StaffDeviceSpec. */
const staffSchema = z
  .object({
    kind: z.enum(['phone', 'fixed']),
    placements: z.array(z.enum(['door', 'counter', 'stockroom'])).min(1),
    storeId: z.string().min(1),
    fromMs: z.number(),
    shiftMs: z.number().positive(),
    stayMs: z.number().positive(),
    advertIntervalMs: z.number().int().min(20).max(10_240),
    rotationMs: nonNegative,
    registered: z.boolean(),
  })
  .partial()
  .strict();

export const scenarioFileSchema = z
  .object({
    $schema: z.string().optional(),
    description: z.string().max(2000).optional(),
    shoppersPerHour: nonNegative.max(100_000).optional(),
    memberShare: share.optional(),
    bleShare: share.optional().describe('share of background phones advertising BLE (default 1)'),
    bleRotationMs: nonNegative
      .optional()
      .describe('anonymous BLE address rotation period, ms (default 0 = off; Bluetooth Core Spec TGAP(private_addr_int) 15 min = 900000)'),
    // Keys are advertising intervals in ms: 20 ms-10.24 s is the legacy advertising range (Bluetooth Core Spec v5.3 Vol 6 Part B §4.4.2.2.1).
    advertIntervalMix: z
      .record(z.string().regex(/^\d+$/, 'expected an interval in ms, e.g. "1000"'), nonNegative)
      .refine((m) => Object.keys(m).every((k) => Number(k) >= 20 && Number(k) <= 10_240), 'intervals must be 20-10240 ms')
      .refine((m) => Object.values(m).some((w) => w > 0), 'needs a positive weight')
      .optional(),
    intentMix: z
      .object(Object.fromEntries(INTENTS.map((i) => [i, nonNegative])) as Record<(typeof INTENTS)[number], typeof nonNegative>)
      .partial()
      .strict()
      .optional(),
    radio: radioSchema.optional(),
    wifi: wifiSchema.optional(),
    plan: planSchema.optional(),
    calibration: z
      .object({
        offsetErrorDb: nonNegative.max(30).describe("each receiver's real bias is off the declared one by a uniform draw in ±offsetErrorDb"),
        trueOffsetsDb: z.record(z.string().min(1), db).describe('exact real biases by receiver id'),
      })
      .partial()
      .strict()
      .optional(),
    staff: z.array(staffSchema).optional(),
  })
  .strict();
export type ScenarioFile = z.infer<typeof scenarioFileSchema>;

/** The world options a scenario sets (the caller adds site, seed, duration). */
export type ScenarioWorldOptions = Pick<
  WorldOptions,
  'shoppersPerHour' | 'memberShare' | 'bleShare' | 'bleRotationMs' | 'advertIntervalMix' | 'intentMix' | 'radio' | 'wifi' | 'plan' | 'calibration' | 'staff'
>;

/** Validates a parsed scenario; every problem with its path (`radio.shadowingSigmaDb: Too big ...`). */
export function validateScenario(json: unknown): Result<ScenarioFile> {
  return safeParseWith(scenarioFileSchema, json);
}

/**
 * Applies `--set path=value` assignments to a raw scenario object before validation, so a bad
 * value is reported like one in the file. The value is JSON when it parses (6, 0.5, true,
 * ["fitting"]), else a string.
 * @example applySets({}, ['radio.shadowingSigmaDb=6']) // { radio: { shadowingSigmaDb: 6 } }
 */
export function applySets(raw: Record<string, unknown>, sets: readonly string[]): Record<string, unknown> {
  const out = structuredClone(raw);
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new ScenarioFileError(`--set "${set}" is not path=value (e.g. radio.shadowingSigmaDb=6)`);
    const path = set.slice(0, eq).split('.');
    if (path.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype')) throw new ScenarioFileError(`--set "${set}": bad path`);
    const text = set.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // a plain string
    }
    let node: Record<string, unknown> = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return out;
}

/** The world options of a valid scenario; receiver ids in `calibration.trueOffsetsDb` are checked against the site. */
export function scenarioWorldOptions(s: ScenarioFile, receiverIds: readonly string[]): Result<ScenarioWorldOptions> {
  const known = new Set(receiverIds);
  const issues = Object.keys(s.calibration?.trueOffsetsDb ?? {})
    .filter((id) => !known.has(id))
    .map((id) => `calibration.trueOffsetsDb.${id}: unknown receiver "${id}"`);
  if (issues.length > 0) return { ok: false, error: issues.join('; '), issues };
  const { $schema: _s, description: _d, ...rest } = s;
  const out: ScenarioWorldOptions = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return { ok: true, value: out };
}

export class ScenarioFileError extends Error {
  override name = 'ScenarioFileError';
}

/** The presets shipped in `simulators/scenarios/` (e.g. harsh.json), usable by name. */
export const scenarioPresetDir: string = fileURLToPath(new URL('../scenarios/', import.meta.url));

export function scenarioPresetNames(): string[] {
  if (!existsSync(scenarioPresetDir)) return [];
  return readdirSync(scenarioPresetDir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/**
 * Reads a scenario file (a path, or a preset name such as `harsh`), applies `--set`s and
 * validates it. Never throws: every problem comes back with its path, prefixed by the file.
 */
export function loadScenarioFile(pathOrPreset: string, sets: readonly string[] = []): Result<ScenarioFile> {
  const path = existsSync(pathOrPreset) || !scenarioPresetNames().includes(pathOrPreset) ? pathOrPreset : `${scenarioPresetDir}${pathOrPreset}.json`;
  const fail = (msg: string): Result<ScenarioFile> => ({ ok: false, error: msg, issues: [msg] });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(
      code !== undefined ? `cannot read scenario file ${pathOrPreset}: ${code}` : `scenario file ${pathOrPreset}: malformed JSON: ${(err as Error).message}`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(`scenario file ${pathOrPreset}: expected a JSON object`);
  let merged: Record<string, unknown>;
  try {
    merged = applySets(raw as Record<string, unknown>, sets);
  } catch (err) {
    return fail((err as Error).message);
  }
  return validateScenario(merged);
}

/** `--set`s alone, without a file: the same validation. */
export function scenarioFromSets(sets: readonly string[]): Result<ScenarioFile> {
  try {
    return validateScenario(applySets({}, sets));
  } catch (err) {
    const msg = (err as Error).message;
    return { ok: false, error: msg, issues: [msg] };
  }
}

/** The JSON Schema of scenario files, for editors (`"$schema": "./scenario.schema.json"` in a preset). */
export function scenarioJsonSchemaText(): string {
  const generated = z.toJSONSchema(scenarioFileSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema, ...body } = generated;
  const schema = {
    $schema,
    $id: 'https://storesense.dev/schemas/scenario.schema.json',
    title: 'storesense-sim scenario file',
    description: 'Realism settings for storesense-sim generate --scenario: every key optional, unknown keys are errors.',
    ...body,
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
