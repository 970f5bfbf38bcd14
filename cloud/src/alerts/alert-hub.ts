import type { StaffAlert } from '@storesense/protocol';

export type AlertListener = (alert: StaffAlert) => void;

/**
 * In-process fan-out of new alerts to live sockets. The seam for scale-out (DESIGN §5): a Redis
 * or LISTEN/NOTIFY hub implements the same two methods.
 */
export class AlertHub {
  private readonly listeners = new Set<AlertListener>();

  subscribe(listener: AlertListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(alert: StaffAlert): void {
    for (const l of this.listeners) {
      try {
        l(alert);
      } catch {
        // A broken socket must not stop the others; the socket's own handler logs and closes it.
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
