import type { StaffAlert } from '@storesense/protocol';

/** A new alert, or a change of an earlier one (claimed, acknowledged). */
export interface AlertChange {
  type: 'alert' | 'alert_update';
  alert: StaffAlert;
}
export type AlertListener = (change: AlertChange) => void;

/**
 * Fan-out of alert changes to this node's live sockets: `AlertHub` in process (the embedded
 * default), `PubSubAlertHub` through Redis across nodes (cluster/pubsub-alert-hub.ts, decision 102).
 * Listeners receive new alerts in seq order.
 */
export interface AlertFanout {
  subscribe(listener: AlertListener): () => void;
  publish(alert: StaffAlert): void;
  publishUpdate(alert: StaffAlert): void;
}

/**
 * In-process fan-out of alert changes to live sockets. The seam for scale-out (architecture §5): a Redis
 * or LISTEN/NOTIFY hub implements the same methods.
 */
export class AlertHub implements AlertFanout {
  private readonly listeners = new Set<AlertListener>();

  subscribe(listener: AlertListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(alert: StaffAlert): void {
    this.emit({ type: 'alert', alert });
  }

  publishUpdate(alert: StaffAlert): void {
    this.emit({ type: 'alert_update', alert });
  }

  private emit(change: AlertChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // A broken socket must not stop the others; the socket's own handler logs and closes it.
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
