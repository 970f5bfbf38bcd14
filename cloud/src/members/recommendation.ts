import type { PresenceEvent, Recommendation } from '@storesense/protocol';

/** A zone of a store as the recommendation sees it (from the site model). */
export interface CatalogueZone {
  id: string;
  name: string;
  /** Zone kind from the site model: `sales`, `fitting`, `window`, `entrance`, ... */
  kind: string;
  storeId: string;
}

/** Everything `recommend` looks at; the caller gathers it, so the decision stays pure. */
export interface RecommendationInput {
  member: { name: string; nickname?: string | undefined; tier: string; tags: readonly string[]; preferences?: Readonly<Record<string, string>> | undefined };
  /** The member's recent events (any order): dwell events say where they browsed, purchases what they bought. */
  events: readonly PresenceEvent[];
  /** Zones of the site's stores. */
  catalogue: readonly CatalogueZone[];
  /** The store the member is at now: suggestions prefer its zones. Absent: any store. */
  storeId?: string | undefined;
  now: number;
}

const DAY_MS = 86_400_000;
const MIN_MS = 60_000;
/** Browsing shorter than this is passing through, not interest. */
const MIN_BROWSE_MS = 2 * MIN_MS;
const MAX_ITEMS = 5;
const PREMIUM_TIERS = ['gold', 'platinum'];

/** `silk-scarves` -> `silk scarves`. */
export function humanTag(tag: string): string {
  return tag.replace(/[-_]+/g, ' ').trim();
}

function singular(w: string): string {
  // English plurals only: other scripts (and Latin words outside a-z) are kept as written.
  if (!/^[a-z]+$/.test(w) || w.length < 4) return w;
  if (w.endsWith('ss')) return w;
  if (w.endsWith('sses')) return w.slice(0, -2);
  if (w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  return w.endsWith('s') ? w.slice(0, -1) : w;
}

/**
 * Scripts written without spaces between words (Chinese, Japanese kana): each character is a
 * token, because a word boundary cannot be read off the text and dictionary segmentation
 * (`Intl.Segmenter`) splits an unknown word like 丝巾 differently alone and in a name. A
 * character there is a morpheme, so "whole characters in order" is the honest unit.
 */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const TOKEN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{M}\p{N}])+/gu;

/**
 * The words of a tag or zone name, compared as whole tokens: NFKC (full-width Latin becomes ASCII),
 * lower-case in every script, apostrophes dropped (`Men's` = `mens`), `-` `_` and punctuation
 * separate words, English plurals made singular ("Silk scarves" = `silk-scarves`, "Handbags" =
 * `handbag`), and each Chinese or kana character a token of its own (see `UNSPACED`).
 * @example words('Silk scarves 丝巾') // ['silk', 'scarve', '丝', '巾'], as words('silk-scarves;丝巾')
 */
export function words(text: string): string[] {
  const plain = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/['\u2019]/g, '');
  return (plain.match(TOKEN) ?? []).map((w) => (UNSPACED.test(w) ? w : singular(w)));
}

/** True when `needle` occurs in `hay` as a run of whole tokens. */
function containsRun(hay: readonly string[], needle: readonly string[]): boolean {
  if (needle.length === 0 || needle.length > hay.length) return false;
  for (let i = 0; i + needle.length <= hay.length; i++) if (needle.every((w, j) => hay[i + j] === w)) return true;
  return false;
}

/**
 * A tag matches a zone when one's words are a run of whole words of the other: `silk-scarves` ~
 * "Silk scarves", `leather-handbags` ~ "Handbags", `丝巾` ~ "丝巾专柜"; never `menswear` ~
 * "Womenswear" (the substring match this replaced told staff to show womenswear to men).
 */
export function tagMatchesZone(tag: string, zoneName: string): boolean {
  const t = words(tag);
  const z = words(zoneName);
  return containsRun(z, t) || containsRun(t, z);
}

function ago(at: number, now: number): string {
  const days = Math.floor(Math.max(0, now - at) / DAY_MS);
  return days === 0 ? 'today' : days === 1 ? 'yesterday' : `${days} days ago`;
}

const minutes = (ms: number): string => `${Math.max(1, Math.round(ms / MIN_MS))} min`;

/**
 * Browsing per zone: the longest dwell reported per visit and zone (start/update/end of one
 * dwell repeat the running total), summed over visits.
 */
function browsing(events: readonly PresenceEvent[]): { byZone: Map<string, number>; byVisit: Map<string, Map<string, number>> } {
  const byVisit = new Map<string, Map<string, number>>();
  for (const e of events) {
    if (e.type !== 'dwell' || e.zoneId === undefined) continue;
    const zones = byVisit.get(e.visitId) ?? new Map<string, number>();
    zones.set(e.zoneId, Math.max(zones.get(e.zoneId) ?? 0, e.dwellMs ?? 0));
    byVisit.set(e.visitId, zones);
  }
  const byZone = new Map<string, number>();
  for (const zones of byVisit.values()) for (const [z, ms] of zones) byZone.set(z, (byZone.get(z) ?? 0) + ms);
  return { byZone, byVisit };
}

/** What a purchase was probably about: the sales zone browsed longest in the same visit. */
function purchaseZone(p: PresenceEvent, byVisit: Map<string, Map<string, number>>, zones: Map<string, CatalogueZone>): CatalogueZone | undefined {
  let best: CatalogueZone | undefined;
  let bestMs = 0;
  for (const [zoneId, ms] of byVisit.get(p.visitId) ?? []) {
    const z = zones.get(zoneId);
    if (z?.kind === 'sales' && ms > bestMs) [best, bestMs] = [z, ms];
  }
  const own = p.zoneId !== undefined ? zones.get(p.zoneId) : undefined;
  return best ?? (own?.kind === 'sales' ? own : undefined);
}

/**
 * Pure: what staff should show this member, from their tags, preferences, browsing and purchase
 * history and the store's zones. Deterministic for the same input (ties broken by name).
 * @example recommend({ member: { name: 'Li Na', tier: 'gold', tags: ['silk-scarves'] }, events, catalogue, storeId: 'boutique', now })
 * // { headline: 'likes silk scarves; last bought handbags 12 days ago; gold tier: offer a private fitting', items: [...] }
 */
export function recommend(input: RecommendationInput): Recommendation {
  const { member, now } = input;
  const here = input.catalogue.filter((z) => input.storeId === undefined || z.storeId === input.storeId);
  const zones = new Map(input.catalogue.map((z) => [z.id, z]));
  const { byZone, byVisit } = browsing(input.events);
  const items: Recommendation['items'] = [];
  const headline: string[] = [];
  const shown = new Set<string>();

  // 1. Declared interests (tags) that this store can show.
  const liked: string[] = [];
  for (const tag of member.tags) {
    const zone = here.filter((z) => z.kind === 'sales' || z.kind === 'window').find((z) => tagMatchesZone(tag, z.name));
    liked.push(humanTag(tag));
    if (!zone || shown.has(zone.id)) continue;
    shown.add(zone.id);
    const spent = byZone.get(zone.id) ?? 0;
    items.push({
      label: `Show ${zone.name}`,
      reason: `likes ${humanTag(tag)}${spent >= MIN_BROWSE_MS ? `; spent ${minutes(spent)} there on past visits` : ''}`,
    });
  }
  if (liked.length > 0) headline.push(`likes ${liked.slice(0, 2).join(', ')}`);

  // 2. The last purchase, and what it was probably about.
  const purchases = input.events.filter((e) => e.type === 'purchase' && e.at <= now).sort((a, b) => b.at - a.at || a.id.localeCompare(b.id));
  const last = purchases[0];
  if (last) {
    const zone = purchaseZone(last, byVisit, zones);
    const what = zone ? zone.name.toLowerCase() : undefined;
    if (zone) shown.add(zone.id); // the follow-up already points there
    const amount = last.amount !== undefined ? ` (${last.amount}${last.currency ? ` ${last.currency}` : ''})` : '';
    headline.push(what ? `last bought ${what} ${ago(last.at, now)}` : `last purchase ${ago(last.at, now)}`);
    items.push(
      what
        ? { label: `Follow up on the ${what}`, reason: `bought after browsing ${zone!.name} ${ago(last.at, now)}${amount}` }
        : {
            label: 'Ask about the last purchase',
            reason: `purchase ${ago(last.at, now)}${amount}; ${purchases.length} purchase${purchases.length === 1 ? '' : 's'} on record`,
          },
    );
  }

  // 3. Tier service.
  if (PREMIUM_TIERS.includes(member.tier)) {
    const fitting = here.find((z) => z.kind === 'fitting');
    const perk = fitting ? 'offer a private fitting' : 'offer priority service';
    headline.push(`${member.tier} tier: ${perk}`);
    items.push({ label: fitting ? `Offer a private fitting (${fitting.name})` : 'Offer priority service', reason: `${member.tier} tier` });
  }

  // 4. Where they browse without having said so (a lead the tags miss).
  const browsed = [...byZone.entries()]
    .map(([id, ms]) => ({ zone: zones.get(id), ms }))
    .filter((b): b is { zone: CatalogueZone; ms: number } => b.zone?.kind === 'sales' && b.ms >= MIN_BROWSE_MS && !shown.has(b.zone.id))
    .filter((b) => input.storeId === undefined || b.zone.storeId === input.storeId)
    .sort((a, b) => b.ms - a.ms || a.zone.name.localeCompare(b.zone.name));
  if (browsed[0]) items.push({ label: `Show ${browsed[0].zone.name}`, reason: `browsed it ${minutes(browsed[0].ms)} on past visits (not in their tags)` });

  // 5. Stated preferences, verbatim.
  const prefs = Object.entries(member.preferences ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (prefs.length > 0)
    items.push({
      label: 'Mind their preferences',
      reason: prefs
        .map(([k, v]) => `${k}: ${v}`)
        .join(' · ')
        .slice(0, 300),
    });

  if (headline.length === 0)
    headline.push(input.events.length === 0 ? 'first visit on record: greet and offer help' : 'no purchases or interests on record yet: greet and offer help');
  return {
    headline: headline.join('; ').slice(0, 300),
    items: items.slice(0, MAX_ITEMS).map((i) => ({ label: i.label.slice(0, 160), reason: i.reason.slice(0, 300) })),
  };
}
