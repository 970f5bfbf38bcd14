/**
 * `storesense-gateway enroll --cloud URL --code C [--out DIR]` (decision 130): trades an operator's
 * one-time enrolment code for this gateway's MQTT credentials and rendered config, and writes
 * `DIR/gateway-config.json` (0600: it holds the MQTT password) for `storesense-gateway --config`.
 * From then on the cloud keeps the config current over the retained `config` topic. The code and
 * the password are never printed or logged. Exit 1 when the cloud refuses or cannot be reached, 2
 * on usage errors.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gatewayConfigSchema } from '@storesense/firmware-config';
import { formatIssues } from '@storesense/protocol';
import { z } from 'zod';

export const ENROLL_USAGE = `Usage: storesense-gateway enroll --cloud URL --code C [--out DIR] [--data-dir D] [--force]

  --cloud URL     the cloud's HTTP address (e.g. https://cloud.example.com)
  --code C        the one-time enrolment code the operator got when registering this gateway
                  (or $STORESENSE_ENROLMENT_CODE, which keeps it out of the shell history)
  --out DIR       where to write gateway-config.json (default .)
  --data-dir D    the gateway's data directory (outbox, applied configs; default DIR/data)
  --force         replace an existing DIR/gateway-config.json

Then: storesense-gateway --config DIR/gateway-config.json`;

export const ENROLMENT_CODE_ENV = 'STORESENSE_ENROLMENT_CODE';

const enrolmentSchema = z.object({
  siteId: z.string(),
  gatewayId: z.string(),
  mqtt: z.object({ url: z.string().min(1), username: z.string().min(1), password: z.string().min(1) }),
  configVersion: z.number().int(),
  config: z.record(z.string(), z.unknown()),
});

export interface EnrollIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

export async function runEnroll(argv: string[], io: EnrollIo): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        cloud: { type: 'string' },
        code: { type: 'string' },
        out: { type: 'string' },
        'data-dir': { type: 'string' },
        force: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (err) {
    io.stderr(`${(err as Error).message}\n\n${ENROLL_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(`${ENROLL_USAGE}\n`);
    return 0;
  }
  const code = values.code ?? io.env[ENROLMENT_CODE_ENV];
  if (!values.cloud || !code) {
    io.stderr(`enroll needs --cloud and --code (or $${ENROLMENT_CODE_ENV})\n\n${ENROLL_USAGE}\n`);
    return 2;
  }
  let base: URL;
  try {
    base = new URL(values.cloud);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    io.stderr(`--cloud must be an http:// or https:// URL, got ${JSON.stringify(values.cloud)}\n`);
    return 2;
  }
  const out = resolve(values.out ?? '.');
  const file = join(out, 'gateway-config.json');
  if (existsSync(file) && !values.force) {
    io.stderr(`${file} exists; pass --force to replace it (the gateway it configures loses its credentials)\n`);
    return 1;
  }

  let res: Response;
  try {
    res = await (io.fetch ?? fetch)(new URL('/api/v1/gateways/enroll', base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    io.stderr(
      `storesense-gateway enroll: cannot reach ${base.origin}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}\n`,
    );
    return 1;
  }
  const text = await res.text();
  if (!res.ok) {
    let reason = text.slice(0, 300);
    try {
      reason = (JSON.parse(text) as { error?: string }).error ?? reason;
    } catch {
      // not JSON: the raw text (a proxy's page) says enough
    }
    io.stderr(`storesense-gateway enroll: the cloud refused (${res.status}): ${reason}\n`);
    return 1;
  }
  const parsed = enrolmentSchema.safeParse(safeJson(text));
  if (!parsed.success) {
    io.stderr(`storesense-gateway enroll: unexpected answer from ${base.origin}: ${formatIssues(parsed.error.issues).slice(0, 3).join('; ')}\n`);
    return 1;
  }
  const e = parsed.data;
  const dataDir = resolve(values['data-dir'] ?? join(out, 'data'));
  const raw = e.config as { mqtt?: Record<string, unknown> };
  const configInput = { ...e.config, dataDir, mqtt: { ...(raw.mqtt ?? {}), url: e.mqtt.url, username: e.mqtt.username, password: e.mqtt.password } };
  const config = gatewayConfigSchema.safeParse(configInput);
  if (!config.success) {
    io.stderr(
      `storesense-gateway enroll: the cloud's config does not validate here:\n${formatIssues(config.error.issues)
        .map((i) => `  ${i}`)
        .join('\n')}\n`,
    );
    return 1;
  }
  mkdirSync(out, { recursive: true });
  // Written whole then renamed: a crash never leaves half a config; 0600 since it holds the password.
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(configInput, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  io.stdout(
    `enrolled ${e.siteId}.${e.gatewayId} (config version ${e.configVersion}, broker ${e.mqtt.url})\n` +
      `wrote ${file} (mode 0600: it holds the MQTT password)\n` +
      `start it: storesense-gateway --config ${file}\n`,
  );
  return 0;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
