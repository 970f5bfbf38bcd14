import type { Observation, SourceHealth } from '@storesense/protocol';

/** Hands validated observations to the pipeline. Never throws back into the source. */
export type Emit = (observations: Observation[]) => void;

/**
 * A southbound adapter (architecture §3.1): one per library or device. `start` must not throw for
 * runtime trouble (report it through `health()`); it may throw when it cannot start at all, and
 * the gateway then marks that source unavailable and carries on with the others.
 * @example const s = createReplaySource({...}); await s.start((obs) => gateway.ingest(obs));
 */
export interface Source {
  readonly name: string;
  start(emit: Emit): Promise<void> | void;
  stop(): Promise<void> | void;
  health(): SourceHealth;
}

/** Counters every source keeps for its health report. */
export class SourceCounters {
  state: SourceHealth['state'] = 'stopped';
  detail: string | undefined;
  observations = 0;
  rejected = 0;
  /** Accepted with an oddity worth knowing (see SourceHealth.flagged); shown only once non-zero. */
  flagged = 0;
  lastObservationAt: number | undefined;

  accepted(obs: readonly Observation[]): void {
    this.observations += obs.length;
    const last = obs[obs.length - 1];
    if (last) this.lastObservationAt = Math.max(this.lastObservationAt ?? 0, last.at);
  }

  snapshot(): SourceHealth {
    return {
      state: this.state,
      observations: this.observations,
      rejected: this.rejected,
      ...(this.flagged > 0 ? { flagged: this.flagged } : {}),
      ...(this.detail !== undefined ? { detail: this.detail.slice(0, 500) } : {}),
      ...(this.lastObservationAt !== undefined ? { lastObservationAt: this.lastObservationAt } : {}),
    };
  }
}
