import { eventTypeSchema, idSchema, tagSchema } from '@storesense/protocol';
import { z } from 'zod';
import { checkWebhookUrl } from '../offers/webhook.client.js';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h)');

/** An action a rule asks for; `message` templates may use {name}, {tier}, {store}, {zone}. */
export const ruleActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('staff_alert'), message: z.string().min(1).max(300).optional() }),
  z.object({
    kind: z.literal('offer'),
    offerKind: z.string().min(1).max(64),
    title: z.string().min(1).max(120).optional().describe('what the member sees; the offer kind when absent'),
    validForMs: z.number().int().positive(),
    dailyBudgetPerStore: z.number().int().nonnegative().optional().describe('offers of this kind per store and site-local day'),
    perMemberCapPerDay: z.number().int().positive().optional().describe('offers of this kind per member (or prospect) and site-local day'),
  }),
  // The static half of the webhook URL policy (offers/webhook.client.ts); private-range targets are refused when sending.
  z.object({
    kind: z.literal('webhook'),
    url: z.url().refine((u) => checkWebhookUrl(u, { allowPrivateNetworks: true }).ok, 'must be https, or http to a loopback host, without credentials'),
  }),
]);

/**
 * A declarative rule, stored as data (rules table) and edited through `/api/v1/rules`. Every
 * filter that is absent matches everything; `timeOfDay` is read in the site's time zone and may
 * wrap midnight (`from` 22:00, `to` 02:00).
 */
export const ruleSchema = z.object({
  id: idSchema,
  name: z.string().min(1).max(120),
  enabled: z.boolean(),
  eventTypes: z.array(eventTypeSchema).min(1),
  siteIds: z.array(idSchema).optional(),
  storeIds: z.array(idSchema).optional(),
  zoneIds: z.array(idSchema).optional(),
  audience: z.enum(['member', 'prospect', 'any']),
  memberTiers: z.array(z.string().min(1)).optional(),
  memberTags: z.array(tagSchema).optional().describe('any one of these tags (member tag rule: any script, lower-case, e.g. 丝巾)'),
  timeOfDay: z.object({ from: hhmm, to: hhmm }).optional().describe('site-local, from inclusive, to exclusive'),
  minDwellMs: z.number().int().nonnegative().optional(),
  cooldownMs: z.number().int().nonnegative(),
  actions: z.array(ruleActionSchema).min(1),
});

export type Rule = z.infer<typeof ruleSchema>;
export type RuleAction = z.infer<typeof ruleActionSchema>;
