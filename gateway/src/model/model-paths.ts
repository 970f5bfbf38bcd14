import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Paths and argument parsing shared by the training and decision-tuning commands. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SIM_CLI = join(ROOT, 'simulators/dist/cli.js');
export const MODEL_DIR = join(ROOT, 'gateway/model');

/** `"1-6"`, `"7,8"`, `"1-3,9"` → seeds; throws on anything else. */
export function seedList(text: string): number[] {
  return text.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    if (!Number.isInteger(a) || (b !== undefined && !Number.isInteger(b))) throw new Error(`bad seed list "${text}"`);
    return b === undefined ? [a!] : Array.from({ length: b - a! + 1 }, (_, i) => a! + i);
  });
}
