import { z } from 'zod';

/**
 * A member tag: one to forty lower-case letters (any script: `silk-scarves`, `丝巾`, `écharpes`),
 * digits and combining marks, words joined by `-` or `_`, starting with a letter or digit. Letters
 * that have case must be lower-case (so `Hand-Bags` and `HAND` are refused, one spelling per tag);
 * letters without case (Chinese, Japanese kana, ...) are accepted as they are. No spaces: a tag is
 * one token in a CSV cell list (`;`-separated) and in a rule's `memberTags`. Compared after NFC
 * normalisation, so a precomposed and a decomposed `é` are the same tag.
 * @example isValidTag('丝巾') // true
 */
export const TAG_PATTERN = /^[\p{Ll}\p{Lm}\p{Lo}\p{Nd}][\p{Ll}\p{Lm}\p{Lo}\p{Nd}\p{Mn}\p{Mc}_-]{0,39}$/u;
export const TAG_RULE = 'a tag is 1-40 lower-case letters (any script, e.g. silk-scarves or 丝巾), digits, "-" or "_"';

/** The one spelling a tag is stored and compared in (NFC, trimmed). */
export function normaliseTag(tag: string): string {
  return tag.normalize('NFC').trim();
}

export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag.normalize('NFC'));
}

export const tagSchema = z
  .string()
  .trim()
  .normalize('NFC')
  .regex(TAG_PATTERN, TAG_RULE)
  .describe('lower-case letters of any script, digits, "-" or "_" (1-40), e.g. silk-scarves or 丝巾');
