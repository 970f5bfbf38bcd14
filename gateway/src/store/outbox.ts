import type { PresenceEvent } from '@storesense/protocol';
import type { JourneyChanges, SavedJourney } from '../journey/journey-journal.js';

/** An event before the outbox gives it its per-gateway `seq`. */
export type EventDraft = Omit<PresenceEvent, 'seq'>;

/** One stored event awaiting the cloud's application ack. */
export interface OutboxRow {
  seq: number;
  id: string;
  createdAt: number;
  /** When it was last handed to the uplink; undefined = not (re)sent yet. */
  sentAt: number | undefined;
  attempts: number;
  event: PresenceEvent;
}

/**
 * A durable record of events the outbox dropped undelivered (by its row cap or age bound), kept
 * until the cloud acks its `id`: the uplink publishes it as a protocol GapReport.
 */
export interface OutboxGap {
  id: string;
  at: number;
  reason: 'max_rows' | 'max_age';
  count: number;
  fromSeq: number;
  toSeq: number;
  fromAt: number;
  toAt: number;
}

/**
 * The store-and-forward queue between the journey machine and the uplink (architecture §3.6).
 * Events are appended BEFORE publishing and deleted only on the cloud's application ack.
 * @example
 * const [e] = outbox.append([draft]); uplink.publishLive([e]); // later: outbox.ack([e.id])
 */
export interface Outbox {
  /**
   * Stores drafts in one transaction, assigning increasing `seq`s; returns the stored events. The
   * tick's journey changes, when given, are written in the same transaction: a crash keeps both or
   * neither, so a restored journey never disagrees with the events already sent.
   */
  append(drafts: readonly EventDraft[], journeys?: JourneyChanges): PresenceEvent[];
  /** The journeys saved by earlier appends (open visits), for the pipeline to resume at start. */
  loadJourneys(): SavedJourney[];
  /** Rows not handed to the uplink yet (or re-queued), oldest first. */
  pending(limit: number): OutboxRow[];
  markSent(seqs: readonly number[], at: number): void;
  /** Re-queues rows sent before `before` and still unacked (ack timeout); returns how many. */
  requeueSentBefore(before: number): number;
  /** Re-queues every sent-but-unacked row (after a reconnect); returns how many. */
  requeueAll(): number;
  /** Deletes acked rows and gap records; unknown ids are ignored. Returns event rows deleted. */
  ack(ids: readonly string[]): number;
  /** Gap records not handed to the uplink yet (or re-queued by the requeue calls), oldest first. */
  pendingGaps(limit: number): OutboxGap[];
  markGapsSent(ids: readonly string[], at: number): void;
  /** Gap records the cloud has not acked yet. */
  undeliveredGaps(): number;
  depth(): number;
  /** Creation time of the oldest stored row, or undefined when empty. */
  oldestAt(): number | undefined;
  /** Rows dropped by the size/age bounds since the outbox was created (persisted). */
  dropped(): number;
  close(): void;
}
