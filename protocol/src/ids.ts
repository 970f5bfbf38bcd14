import { z } from 'zod';

/**
 * Identifiers that appear in topics (site, gateway, store, zone, receiver ids).
 * MQTT forbids `+`, `#` and `/` inside a level (MQTT 3.1.1 §4.7.1); we are stricter so an id is
 * also safe in a URL path, a file name and a log field.
 * @example idSchema.parse('dept-store_01')
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const idSchema = z
  .string()
  .regex(ID_PATTERN, 'expected an id of 1-64 characters: letters, digits, "-" or "_", starting with a letter or digit');

export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}
