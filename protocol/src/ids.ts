import { z } from 'zod';

/**
 * Identifiers that appear in topics (site, gateway, store, zone, receiver ids).
 * MQTT forbids `+`, `#` and `/` inside a level (MQTT 3.1.1 §4.7.1); we are stricter so an id is
 * also safe in a URL path, a file name and a log field.
 * @example idSchema.parse('dept-store_01')
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const idSchema = z.string().regex(ID_PATTERN, 'expected an id of 1-64 characters: letters, digits, "-" or "_", starting with a letter or digit');

export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/**
 * A subject id must be a pseudonym, never a device address. Refused: an id that is a MAC in any
 * common spelling (`aa:bb:cc:dd:ee:ff`, `aa-bb-…`, `aabb.ccdd.eeff`, bare `aabbccddeeff`), that
 * contains a colon- or dash-separated one, or that holds a run of exactly 12 hex digits (a bare MAC
 * behind a prefix, `t_aabbccddeeff`). Our pseudonyms (`s_` + 16 hex of a keyed hash, simulator ids
 * `s_` + 8 hex, terminal ids `t_<terminal>_<at>`) never match; a 12-hex-digit run is kept out of
 * them on purpose. A check at every door (gateway ingest, trace files, the cloud) rather than trust
 * in each source: an HTTP client posting a raw MAC as `subject` got it into the outbox and cloud.db.
 */
const MAC_SEPARATED = /(?:^|[^0-9a-f])(?:[0-9a-f]{2}([:-])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2})(?![0-9a-f])/i;
const MAC_DOTTED = /(?:^|[^0-9a-f])[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}(?![0-9a-f])/i;
const HEX12_RUN = /(?:^|[^0-9a-f])[0-9a-f]{12}(?![0-9a-f])/i;

export function looksLikeMac(id: string): boolean {
  return MAC_SEPARATED.test(id) || MAC_DOTTED.test(id) || HEX12_RUN.test(id);
}

export const PSEUDONYM_ERROR = 'subject looks like a MAC address: only pseudonymous ids may leave ingest';

export const pseudonymSchema = z
  .string()
  .min(1)
  .max(64)
  .refine((id) => !looksLikeMac(id), { message: PSEUDONYM_ERROR })
  .describe('pseudonymous subject id; never a MAC address in any spelling');
