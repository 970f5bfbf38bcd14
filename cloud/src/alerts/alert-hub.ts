import type { StaffAlert } from '@storesense/protocol';

/** A new alert, or a change of an earlier one (claimed, acknowledged). */
export interface AlertChange {
  type: 'alert' | 'alert_update';
  alert: StaffAlert;
}
export type AlertListener = (change: AlertChange) => void;

/** Listeners served per turn of the event loop while fanning out (ingest callbacks run in between). */
const LISTENERS_PER_TURN = 500;
const frames = new WeakMap<AlertChange, Buffer>();

/**
 * The frame of a change as UTF-8 bytes, serialised once however many sockets send it (a change
 * object is shared by every listener of one publish). Sent with `binary: false` it is a text frame.
 */
export function frameOf(change: AlertChange): Buffer {
  let f = frames.get(change);
  if (!f) frames.set(change, (f = Buffer.from(JSON.stringify(change))));
  return f;
}

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
 * Off the ingest path (decision 122): `push` only queues a change; the fan-out runs from
 * `setImmediate`, every change of the turn to each listener back to back (a socket corks its
 * writes for the turn, so several alerts go out in one write), `LISTENERS_PER_TURN` listeners per
 * turn. Order per listener is the push order. Used by every hub (in-process and cross-node).
 */
export class DeferredFanout {
  private pending: AlertChange[] = [];
  private scheduled = false;

  constructor(private readonly listeners: ReadonlySet<AlertListener>) {}

  push(change: AlertChange): void {
    this.pending.push(change);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    const changes = this.pending;
    this.pending = [];
    this.scheduled = false;
    this.deliver(changes, [...this.listeners], 0);
  }

  private deliver(changes: readonly AlertChange[], listeners: readonly AlertListener[], from: number): void {
    const end = Math.min(listeners.length, from + LISTENERS_PER_TURN);
    for (let i = from; i < end; i++) {
      const l = listeners[i]!;
      if (!this.listeners.has(l)) continue; // unsubscribed meanwhile
      for (const change of changes) {
        try {
          l(change);
        } catch {
          // A broken socket must not stop the others; the socket's own handler logs and closes it.
        }
      }
    }
    if (end < listeners.length) setImmediate(() => this.deliver(changes, listeners, end));
  }
}

/**
 * In-process fan-out of alert changes to live sockets (the embedded default), deferred past the
 * publisher by `DeferredFanout`.
 */
export class AlertHub implements AlertFanout {
  private readonly listeners = new Set<AlertListener>();
  private readonly fanout = new DeferredFanout(this.listeners);

  subscribe(listener: AlertListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(alert: StaffAlert): void {
    this.fanout.push({ type: 'alert', alert });
  }

  publishUpdate(alert: StaffAlert): void {
    this.fanout.push({ type: 'alert_update', alert });
  }

  get size(): number {
    return this.listeners.size;
  }
}
