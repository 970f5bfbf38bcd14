/**
 * Counts what a fault-injection run must not have: events produced by the gateway but not stored
 * by the cloud, events stored twice, and cut visits.
 *
 * Why `seq` counts "produced" exactly: the gateway's outbox numbers every event it appends with an
 * SQLite `INTEGER PRIMARY KEY AUTOINCREMENT`, which never reuses or skips a value (a transaction a
 * kill -9 interrupts rolls back whole, its numbers with it), and the high-water mark survives the
 * rows' deletion on ack (`sqlite_sequence`). So after the run the gateway produced exactly events
 * 1..N with N read from its own outbox.db, and the cloud must hold each of those seqs once. Event
 * ids cannot do this: a lost event leaves no id behind, and an offline rerun mints other ids.
 */
export interface StoredEvent {
  id: string;
  seq: number;
  type: string;
  at: number;
  detectedAt?: number;
  visitId: string;
  subject: string;
  phase?: string;
  zoneId?: string;
  toFloor?: number;
}

export interface CutVisit {
  visitId: string;
  subject: string;
  reason: string;
}

export interface JourneyAudit {
  produced: number;
  stored: number;
  /** seqs 1..produced the cloud does not hold. */
  lost: number[];
  /** seqs held more than once, or outside 1..produced (another run's, or invented). */
  duplicateSeqs: number[];
  unknownSeqs: number[];
  /** The same event (visit, type, phase, zone, floor, time) stored under two ids: a re-emission. */
  duplicateEvents: string[];
  visits: number;
  visitsWithArrival: number;
  cut: CutVisit[];
}

export function auditJourneys(produced: number, events: readonly StoredEvent[]): JourneyAudit {
  const seqCount = new Map<number, number>();
  for (const e of events) seqCount.set(e.seq, (seqCount.get(e.seq) ?? 0) + 1);
  const lost: number[] = [];
  for (let s = 1; s <= produced; s++) if (!seqCount.has(s)) lost.push(s);
  const duplicateSeqs = [...seqCount].filter(([, n]) => n > 1).map(([s]) => s);
  const unknownSeqs = [...seqCount.keys()].filter((s) => s < 1 || s > produced);

  const byContent = new Map<string, number>();
  for (const e of events) {
    const key = [e.visitId, e.type, e.phase ?? '', e.zoneId ?? '', e.toFloor ?? '', e.at].join('|');
    byContent.set(key, (byContent.get(key) ?? 0) + 1);
  }
  const duplicateEvents = [...byContent].filter(([, n]) => n > 1).map(([k]) => k);

  const visits = new Map<string, StoredEvent[]>();
  for (const e of events) {
    const list = visits.get(e.visitId) ?? [];
    list.push(e);
    visits.set(e.visitId, list);
  }
  const cut: CutVisit[] = [];
  // Per subject, the [arrival, exit] span of each visit that arrived: two may not overlap.
  const spans = new Map<string, { visitId: string; from: number; to: number }[]>();
  for (const [visitId, list] of visits) {
    const subject = list[0]!.subject;
    const arrivals = list.filter((e) => e.type === 'arrival');
    const exits = list.filter((e) => e.type === 'exit');
    if (new Set(list.map((e) => e.subject)).size > 1) cut.push({ visitId, subject, reason: 'one visit, several subjects' });
    if (arrivals.length > 1) cut.push({ visitId, subject, reason: `${arrivals.length} arrivals in one visit` });
    // Every shopper has left by the end of the run (the trace ends, the gateway stops hearing
    // them), so every visit that arrived must have closed with exactly one exit. A visit that only
    // approached ends without one (the journey machine exits only from inside).
    if (exits.length > 1) cut.push({ visitId, subject, reason: `${exits.length} exits` });
    if (arrivals.length > 0 && exits.length === 0) cut.push({ visitId, subject, reason: 'arrival without exit' });
    const exit = exits[0];
    if (exit && list.some((e) => e.at > exit.at)) cut.push({ visitId, subject, reason: 'event after its exit' });
    const arrival = arrivals[0];
    if (arrival) {
      const s = spans.get(subject) ?? [];
      s.push({ visitId, from: arrival.at, to: exit?.at ?? Number.POSITIVE_INFINITY });
      spans.set(subject, s);
    }
  }
  for (const [subject, s] of spans) {
    s.sort((a, b) => a.from - b.from);
    for (let i = 1; i < s.length; i++) {
      if (s[i]!.from < s[i - 1]!.to) cut.push({ visitId: s[i]!.visitId, subject, reason: 'second arrival while already inside' });
    }
  }
  return {
    produced,
    stored: events.length,
    lost,
    duplicateSeqs,
    unknownSeqs,
    duplicateEvents,
    visits: visits.size,
    visitsWithArrival: [...visits.values()].filter((l) => l.some((e) => e.type === 'arrival')).length,
    cut,
  };
}
