import { randomBytes } from 'node:crypto';
import type { Site } from '@storesense/firmware-config';
import type { AlertMemberSummary, PresenceEvent, Recommendation } from '@storesense/protocol';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CloudStore, MemberProfile, MemberSearch, MemberUpsert, MemberWithActivity } from '../store/cloud-store.js';
import { importMembersCsvText, type MembersImportReport } from './members.import.js';
import { recommend, type CatalogueZone } from './recommendation.js';

/** A row of `GET /api/v1/members`. Never carries token keys. */
export interface MemberSummary {
  id: string;
  name: string;
  tier: string;
  tags: string[];
  consent: { presence: boolean; marketing: boolean };
  visits: number;
  lastSeenAt: number | null;
  totalSpend: number;
  currency?: string;
}

/** `GET /api/v1/members/:id`'s `member`: the summary plus the rest of the profile (still no keys). */
export interface MemberView extends MemberSummary {
  nickname?: string;
  preferences: Record<string, string>;
  devices: NonNullable<MemberProfile['devices']>;
  updatedAt: number;
}

export interface MemberPurchase {
  at: number;
  storeId: string | null;
  amount: number;
  currency: string | null;
  eventId: string;
  offerId?: string;
}

export interface MembersServiceOptions {
  store: CloudStore;
  sites: ReadonlyMap<string, Site>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Told after profiles or keys changed (import, put, erase): the key publisher republishes. */
  onMembersChanged?: () => void;
}

/** How far back the recommendation looks (events of the member, newest first). */
const HISTORY_EVENTS = 500;

/**
 * Member profiles for the API and staff alerts: summaries with activity, detail with purchase
 * history and a recommendation, upsert, CSV import and erasure.
 */
export class MembersService {
  private readonly log: Logger;

  constructor(private readonly o: MembersServiceOptions) {
    this.log = o.logger.child({ module: 'members' });
  }

  async list(q: MemberSearch): Promise<{ members: MemberSummary[]; total: number }> {
    const { members, total } = await this.o.store.searchMembers(q);
    return { members: members.map(toSummary), total };
  }

  /**
   * One member with purchases and a recommendation. With `siteId` (a site-scoped reader) only a
   * member seen at that site is found, and activity, purchases and the recommendation come from
   * that site's events and stores only.
   */
  async detail(memberId: string, siteId?: string): Promise<{ member: MemberView; purchases: MemberPurchase[]; recommendation: Recommendation } | undefined> {
    const profile = await this.o.store.getMember(memberId);
    if (!profile) return undefined;
    const [activity, events] = await Promise.all([
      this.o.store.memberActivity(memberId, siteId),
      this.o.store.listMemberEvents(memberId, { types: ['dwell', 'purchase'], limit: HISTORY_EVENTS, siteId }),
    ]);
    if (siteId !== undefined && activity.lastSeenAt === null) return undefined;
    const buys = events.filter((e) => e.type === 'purchase');
    const redeemed = await this.o.store.offersRedeemedBy(buys.map((e) => e.id));
    const purchases = buys.map((e) => {
      const offerId = redeemed.get(e.id);
      return {
        at: e.at,
        storeId: this.storeOf(e) ?? null,
        amount: e.amount ?? 0,
        currency: e.currency ?? null,
        eventId: e.id,
        ...(offerId ? { offerId } : {}),
      };
    });
    const recommendation = recommend({ member: profile, events, catalogue: this.catalogue(siteId), now: this.o.clock.now() });
    const summary = toSummary({ ...profile, ...activity });
    const member: MemberView = {
      ...summary,
      ...(profile.nickname ? { nickname: profile.nickname } : {}),
      preferences: profile.preferences ?? {},
      devices: profile.devices ?? [],
      updatedAt: profile.updatedAt,
    };
    return { member, purchases, recommendation };
  }

  async put(member: MemberUpsert): Promise<{ created: boolean }> {
    const result = await this.o.store.putMember(member, this.o.clock.now());
    this.log.info({ memberId: member.memberId, created: result.created, keyChanged: member.tokenKey !== undefined }, 'member saved');
    this.o.onMembersChanged?.();
    return result;
  }

  /** Erasure (GDPR art. 17 / PIPL art. 47): the profile and key go, events keep a random pseudonym. */
  async erase(memberId: string): Promise<{ erased: boolean; events: number }> {
    // Random, not a hash of the id: member ids are short and guessable, a hash could be reversed.
    const pseudonym = `erased-${randomBytes(8).toString('hex')}`;
    const result = await this.o.store.eraseMember(memberId, pseudonym);
    if (result.erased) {
      this.o.metrics.inc('members.erased');
      this.log.info({ memberId, events: result.events }, 'member erased');
      this.o.onMembersChanged?.();
    }
    return result;
  }

  async importCsv(text: string): Promise<MembersImportReport> {
    const report = await importMembersCsvText(text, this.o);
    if (report.imported + report.updated > 0) this.o.onMembersChanged?.();
    return report;
  }

  /**
   * What a staff alert carries about the member at this event: the summary (`lastSeenAt` is the
   * last sighting before this visit) and what to show them at this store. Counted from this
   * site's events only: the alert goes to this site's staff, who see no other site (decision 68).
   */
  async forAlert(
    event: PresenceEvent,
    member: MemberProfile,
    storeId: string | undefined,
  ): Promise<{ member: AlertMemberSummary; recommendation: Recommendation }> {
    const [activity, history] = await Promise.all([
      this.o.store.memberActivity(member.memberId, event.siteId),
      this.o.store.listMemberEvents(member.memberId, { limit: HISTORY_EVENTS, siteId: event.siteId }),
    ]);
    const before = history.filter((e) => e.visitId !== event.visitId && e.at <= event.at);
    const lastSeenAt = before.reduce<number | null>((m, e) => (m === null || e.at > m ? e.at : m), null);
    const summary: AlertMemberSummary = {
      id: member.memberId,
      name: member.nickname ?? member.name,
      tier: member.tier,
      tags: member.tags,
      visits: activity.visits,
      lastSeenAt,
      totalSpend: activity.totalSpend,
      ...(activity.currency ? { currency: activity.currency } : {}),
    };
    const catalogue = this.catalogue(event.siteId);
    const recommendation = recommend({ member, events: history.filter((e) => e.type === 'dwell' || e.type === 'purchase'), catalogue, storeId, now: event.at });
    return { member: summary, recommendation };
  }

  /** Zones of every store of the known sites (or of one site). */
  private catalogue(siteId?: string): CatalogueZone[] {
    const sites = siteId !== undefined ? [this.o.sites.get(siteId)].filter((s): s is Site => s !== undefined) : [...this.o.sites.values()];
    return sites.flatMap((s) => s.stores.flatMap((st) => st.zones.map((z) => ({ id: z.id, name: z.name, kind: z.kind, storeId: st.id }))));
  }

  private storeOf(e: PresenceEvent): string | undefined {
    return e.storeId ?? this.o.sites.get(e.siteId)?.gateways.find((g) => g.id === e.gatewayId)?.storeId;
  }
}

export function toSummary(m: MemberWithActivity): MemberSummary {
  return {
    id: m.memberId,
    name: m.name,
    tier: m.tier,
    tags: m.tags,
    consent: { presence: m.consent, marketing: m.marketingConsent === true },
    visits: m.visits,
    lastSeenAt: m.lastSeenAt,
    totalSpend: m.totalSpend,
    ...(m.currency ? { currency: m.currency } : {}),
  };
}
