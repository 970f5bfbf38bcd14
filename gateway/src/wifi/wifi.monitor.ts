import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { systemTimers, type Timers } from '../sources/timers.js';
import { loadNodeWifi, type WifiBackend } from './node-wifi.adapter.js';
import { buildSurvey, presentConnection, type WifiStatus } from './wifi.survey.js';

export interface WifiMonitorOptions {
  clock: Clock;
  logger: Logger;
  /** Default: node-wifi (nmcli). */
  load?: () => Promise<WifiBackend>;
  timers?: Timers;
  /** How often the uplink and the survey are read again; default 5 min. */
  refreshMs?: number;
}

/**
 * Keeps the gateway's last WiFi uplink reading and site survey for the status API. Reads at start
 * and every `refreshMs`; a host without NetworkManager gives `available: false` with the reason
 * (never an error). BSSIDs are masked to their OUI; nothing here logs a BSSID.
 */
export class WifiMonitor {
  private readonly log: Logger;
  private readonly timers: Timers;
  private backend: Promise<WifiBackend> | undefined;
  private last: WifiStatus = { available: false, reason: 'not checked yet' };
  private inFlight: Promise<WifiStatus> | undefined;
  private timer: unknown;
  private running = false;

  constructor(private readonly opts: WifiMonitorOptions) {
    this.log = opts.logger.child({ module: 'wifi' });
    this.timers = opts.timers ?? systemTimers;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const loop = () => {
      void this.refresh().finally(() => {
        if (this.running) this.timer = this.timers.setTimeout(loop, this.opts.refreshMs ?? 300_000);
      });
    };
    loop();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  status(): WifiStatus {
    return this.last;
  }

  /** Reads the uplink and a survey now (one read at a time; concurrent callers share it). */
  refresh(): Promise<WifiStatus> {
    this.inFlight ??= this.read().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async read(): Promise<WifiStatus> {
    const at = this.opts.clock.now();
    try {
      this.backend ??= (this.opts.load ?? loadNodeWifi)();
      const backend = await this.backend;
      const connections = await backend.currentConnections();
      const aps = await backend.scan();
      const connection = connections[0];
      this.last = {
        available: true,
        checkedAt: at,
        ...(connection ? { connection: presentConnection(connection) } : {}),
        survey: buildSurvey(at, aps, connection),
      };
    } catch (err) {
      const reason = (err as Error).message;
      // Info, not warn: an Ethernet-only gateway without NetworkManager is a normal setup.
      if (this.last.reason !== reason) this.log.info({ reason }, 'wifi status unavailable');
      // Keep the last good survey: an installer still sees what was there before nmcli went away.
      const { connection: _c, ...rest } = this.last;
      this.last = { ...rest, available: false, reason, checkedAt: at };
      if (/not installed/.test(reason)) this.backend = undefined;
    }
    return this.last;
  }
}
