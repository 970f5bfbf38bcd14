import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { CliIo } from './cli.shared.js';
import { scenarioJsonSchemaText } from './scenario-file.js';

/** `storesense-sim scenario-schema [--out F]`: the JSON Schema of scenario files. */
export function scenarioSchemaCommand(args: string[], io: CliIo): number {
  const { values } = parseArgs({ args, strict: true, options: { out: { type: 'string' } } });
  const text = scenarioJsonSchemaText();
  if (values.out === undefined) io.stdout(text);
  else writeFileSync(values.out, text);
  return 0;
}
