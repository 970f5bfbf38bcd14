/**
 * Named counters for everything the cloud drops, refuses or fails on, so a rejection is never
 * only a log line. Served by `GET /api/v1/health`.
 * @example metrics.inc('ingest.invalid')
 */
export class Metrics {
  private readonly counters = new Map<string, number>();

  inc(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  get(name: string): number {
    return this.counters.get(name) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counters.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}
