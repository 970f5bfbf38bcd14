import type { Observation, SignalKind, TerminalDetection } from '@storesense/protocol';

/** Smoothed signal of one subject at one receiver. */
export interface ReceiverTrack {
  firstSeenAt: number;
  lastSeenAt: number;
  /** Fast EWMA (tau ≈ 1.5 s): follows a walk through a door. */
  fastDbm: number;
  /** Slow EWMA (tau ≈ 6 s): the level the fast one is compared to for trends. */
  slowDbm: number;
  count: number;
}

export interface TerminalSighting {
  at: number;
  terminalId: string;
  detection: TerminalDetection;
}

/** Everything the gateway remembers about one subject (a phone, or an anonymous terminal subject). */
export interface SubjectTrack {
  id: string;
  firstSeenAt: number;
  lastSeenAt: number;
  /** Last radio (BLE/WiFi) sighting; undefined for terminal-only subjects. */
  lastRadioAt: number | undefined;
  receivers: Map<string, ReceiverTrack>;
  signals: Set<SignalKind>;
  memberId: string | undefined;
  randomized: boolean;
  /** The last few terminal sightings, newest last. */
  terminal: TerminalSighting[];
}

export interface TrackerOptions {
  fastTauMs?: number;
  slowTauMs?: number;
  /** Per-receiver correction added to every reported RSSI (see SiteContext.rssiCorrectionDb). */
  rssiCorrectionDb?: ReadonlyMap<string, number>;
  maxTerminalSightings?: number;
}

/** A sample that arrives in the same millisecond (or late) still counts a little. */
const MIN_ALPHA = 0.05;

/**
 * The radio behind an observation. Meraki reports both BLE adverts and WiFi probes under one
 * source; only probes carry `randomized` (a MAC property), so that field tells them apart.
 */
export function signalKindOf(source: Observation['source'], randomized?: boolean): SignalKind {
  if (source === 'terminal') return 'terminal';
  if (source === 'wifi') return 'wifi';
  if (source === 'meraki') return randomized === undefined ? 'ble' : 'wifi';
  return 'ble';
}

/**
 * Per-subject state, updated from observations. Pure with respect to time: the EWMA weights use the
 * observations' own `at`, pruning uses the tick `now`; there is no clock inside.
 * @example tracker.observe(obs, 'm-17'); tracker.prune(now, 10 * 60_000, (id) => idle(id))
 */
export class Tracker {
  private readonly tracks = new Map<string, SubjectTrack>();
  private readonly fastTauMs: number;
  private readonly slowTauMs: number;
  private readonly offsets: ReadonlyMap<string, number>;
  private readonly maxTerminal: number;

  constructor(opts: TrackerOptions = {}) {
    this.fastTauMs = opts.fastTauMs ?? 1_500;
    this.slowTauMs = opts.slowTauMs ?? 6_000;
    this.offsets = opts.rssiCorrectionDb ?? new Map();
    this.maxTerminal = opts.maxTerminalSightings ?? 8;
  }

  /** Folds one observation into the subject's state; `memberId` when identity resolved one. */
  observe(obs: Observation, memberId?: string): SubjectTrack {
    let t = this.tracks.get(obs.subject);
    if (!t) {
      t = {
        id: obs.subject,
        firstSeenAt: obs.at,
        lastSeenAt: obs.at,
        lastRadioAt: undefined,
        receivers: new Map(),
        signals: new Set(),
        memberId: undefined,
        randomized: false,
        terminal: [],
      };
      this.tracks.set(obs.subject, t);
    }
    t.firstSeenAt = Math.min(t.firstSeenAt, obs.at);
    t.lastSeenAt = Math.max(t.lastSeenAt, obs.at);
    t.signals.add(signalKindOf(obs.source, obs.randomized));
    if (obs.randomized) t.randomized = true;
    if (memberId !== undefined) t.memberId = memberId;
    if (obs.source === 'terminal') {
      if (obs.terminal) {
        t.terminal.push({ at: obs.at, terminalId: obs.receiverId, detection: obs.terminal });
        if (t.terminal.length > this.maxTerminal) t.terminal.shift();
      }
      return t;
    }
    if (obs.rssiDbm === undefined) return t;
    t.lastRadioAt = Math.max(t.lastRadioAt ?? obs.at, obs.at);
    const rssi = obs.rssiDbm + (this.offsets.get(obs.receiverId) ?? 0);
    const r = t.receivers.get(obs.receiverId);
    if (!r) {
      t.receivers.set(obs.receiverId, { firstSeenAt: obs.at, lastSeenAt: obs.at, fastDbm: rssi, slowDbm: rssi, count: 1 });
      return t;
    }
    const dtMs = Math.max(0, obs.at - r.lastSeenAt);
    r.fastDbm += alpha(dtMs, this.fastTauMs) * (rssi - r.fastDbm);
    r.slowDbm += alpha(dtMs, this.slowTauMs) * (rssi - r.slowDbm);
    r.firstSeenAt = Math.min(r.firstSeenAt, obs.at);
    r.lastSeenAt = Math.max(r.lastSeenAt, obs.at);
    r.count += 1;
    return t;
  }

  get(subject: string): SubjectTrack | undefined {
    return this.tracks.get(subject);
  }

  /** Finds the most recently seen subject linked to a member. */
  byMember(memberId: string): SubjectTrack | undefined {
    let best: SubjectTrack | undefined;
    for (const t of this.tracks.values()) {
      if (t.memberId === memberId && t.lastRadioAt !== undefined && (!best || t.lastSeenAt > best.lastSeenAt)) best = t;
    }
    return best;
  }

  all(): IterableIterator<SubjectTrack> {
    return this.tracks.values();
  }

  get size(): number {
    return this.tracks.size;
  }

  /**
   * Forgets subjects unseen for `idleMs` whose journey is over (`canForget`), so memory stays
   * bounded in a busy mall. Returns the forgotten ids.
   */
  prune(now: number, idleMs: number, canForget: (id: string) => boolean = () => true): string[] {
    const gone: string[] = [];
    for (const [id, t] of this.tracks) {
      if (now - t.lastSeenAt >= idleMs && canForget(id)) {
        this.tracks.delete(id);
        gone.push(id);
      }
    }
    return gone;
  }
}

/** Time-aware EWMA weight: irregular advert intervals weigh by elapsed time, not by count. */
function alpha(dtMs: number, tauMs: number): number {
  return Math.max(MIN_ALPHA, 1 - Math.exp(-dtMs / tauMs));
}
