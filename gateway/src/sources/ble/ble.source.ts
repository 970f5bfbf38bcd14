import type { Clock } from '../../clock.js';
import type { StaffBadges } from '../../identity/staff-badges.js';
import type { SitePepper } from '../../identity/mac-pseudonym.js';
import type { Logger } from '../../log.js';
import { SourceCounters, type Emit, type Source } from '../source.js';
import { systemTimers, type Timers } from '../timers.js';
import { advertisementBytes, loadNoble, nobleCacheSize, pruneNobleCaches, type NobleLike, type NoblePeripheralLike } from './ble.adapter.js';
import { bleSightingToObservation, type LegacyCardTable } from './advert.observation.js';
import { parseAdvert } from './advert.parse.js';
import { bleRestartDelayMs } from './ble.restart.js';

export interface BleSourceOptions {
  receiverId: string;
  /** No advertisement for this long -> health degraded and the scan is restarted. */
  silenceRestartMs: number;
  pepper: SitePepper;
  /** Legacy member cards (the gateway's MemberResolver): a registered iBeacon card gets its holder's token. */
  legacyCards?: LegacyCardTable;
  staffBadges?: StaffBadges;
  clock: Clock;
  logger: Logger;
  /** Default: `loadNoble` (the real stack); tests inject a fake noble or the real noble over fake bindings. */
  loadNoble?: () => Promise<NobleLike>;
  /** Timers for restarts and the silence watchdog; default the process timers (tests: TestClock). */
  timers?: Timers;
  /** Backoff between restarts after scan failures (HCI errors, the adapter stopping the scan): min, doubling to max. */
  restartMinMs?: number;
  restartMaxMs?: number;
  /** A scan start (or stop) that noble has not confirmed within this is a failure (noble waits forever). */
  commandTimeoutMs?: number;
  /** noble's peripheral caches are emptied this often, or sooner past `cacheMaxPeripherals` (see pruneNobleCaches). */
  cachePruneMs?: number;
  cacheMaxPeripherals?: number;
}

/** After this many consecutive scan failures, the adapter gets an HCI reset before the next try. */
const RESET_AFTER_FAILURES = 3;

/**
 * A local Bluetooth adapter, scanned passively with duplicates allowed (every advert is an RSSI
 * sample). Addresses are pseudonymised in `bleSightingToObservation`; Eddystone-EID adverts carry
 * the member token. A missing stack makes `start` throw (the gateway marks it unavailable).
 *
 * Health: `unavailable` while the adapter is not powered on (noble's stateChange: poweredOff,
 * unauthorized, unsupported); `degraded` with the reason after a scan failure (an HCI command
 * error, a scan start noble never confirms, the adapter stopping the scan by itself) or after
 * `silenceRestartMs` without an advertisement. Each is followed by an automatic restart: failures
 * back off exponentially (`bleRestartDelayMs`), an HCI reset every third consecutive failure;
 * silence restarts once per silence period. The first advertisement after a restart makes it `ok`.
 */
export function createBleSource(opts: BleSourceOptions): Source {
  const log = opts.logger.child({ module: 'source', source: 'ble', receiverId: opts.receiverId });
  const counters = new SourceCounters();
  const timers = opts.timers ?? systemTimers;
  const restartMinMs = opts.restartMinMs ?? 1_000;
  const restartMaxMs = opts.restartMaxMs ?? 60_000;
  const commandTimeoutMs = opts.commandTimeoutMs ?? 10_000;
  const checkEveryMs = Math.max(100, Math.min(5_000, opts.silenceRestartMs / 4));
  let noble: NobleLike | undefined;
  let emit: Emit | undefined;
  let running = false;
  let poweredOn = false;
  let scanning = false;
  /** True while we stop/start the scan ourselves, so our own 'scanStop' is not taken for a failure. */
  let restarting = false;
  let restartTimer: unknown;
  let watchdogTimer: unknown;
  let lastAdvertAt: number | undefined;
  let scanningSince: number | undefined;
  let failures = 0;
  let restarts = 0;
  let warnings = 0;
  let silent = false;
  let lastPruneAt = opts.clock.now();
  const cachePruneMs = opts.cachePruneMs ?? 10 * 60_000;
  const cacheMaxPeripherals = opts.cacheMaxPeripherals ?? 5_000;

  const setState = (state: 'ok' | 'degraded' | 'unavailable', detail?: string) => {
    counters.state = state;
    counters.detail = detail;
  };

  /** Runs a noble command that resolves on a noble event, failing after commandTimeoutMs. */
  const withTimeout = <T>(what: string, p: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const h = timers.setTimeout(() => reject(new Error(`${what}: no answer from the adapter in ${commandTimeoutMs} ms`)), commandTimeoutMs);
      p.then(
        (v) => {
          timers.clearTimeout(h);
          resolve(v);
        },
        (e: unknown) => {
          timers.clearTimeout(h);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });

  const stopScan = async () => {
    if (!noble) return;
    try {
      if (noble.stopScanningAsync) await withTimeout('stop scan', noble.stopScanningAsync());
      else noble.stopScanning?.();
    } catch {
      // stopping a scan that is not running, or an adapter that does not answer: starting again decides
    }
    scanning = false;
  };

  const startScan = async () => {
    if (!noble || !running || !poweredOn) return;
    try {
      if (failures >= RESET_AFTER_FAILURES && failures % RESET_AFTER_FAILURES === 0 && noble.reset) {
        log.warn({ failures }, 'repeated scan failures; resetting the adapter');
        noble.reset();
      }
      await withTimeout('start scan', noble.startScanningAsync([], true));
      if (!running) return;
      scanning = true;
      scanningSince = opts.clock.now();
      // After a silence restart, stay degraded (with the reason) until an advert is heard again.
      if (!silent) setState('ok');
    } catch (err) {
      scanFailed(`scan failed to start: ${(err as Error).message}`);
    }
  };

  const scheduleRestart = (delayMs: number) => {
    if (restartTimer !== undefined || !running) return;
    restartTimer = timers.setTimeout(() => {
      restartTimer = undefined;
      void restart();
    }, delayMs);
  };

  const restart = async () => {
    if (!running || !poweredOn) return;
    restarting = true;
    restarts += 1;
    try {
      await stopScan();
      await startScan();
    } finally {
      restarting = false;
    }
  };

  const scanFailed = (reason: string) => {
    if (!running) return;
    failures += 1;
    scanning = false;
    const delayMs = bleRestartDelayMs(failures, restartMinMs, restartMaxMs);
    setState('degraded', `${reason}; restart ${failures} in ${Math.round(delayMs / 1000)} s`);
    if (failures <= 5 || failures % 100 === 0) log.warn({ reason, failures, retryInMs: delayMs }, 'ble scan failed; restarting with backoff');
    scheduleRestart(delayMs);
  };

  const onDiscover = (p: NoblePeripheralLike) => {
    try {
      const at = opts.clock.now();
      lastAdvertAt = at;
      const advert = parseAdvert(advertisementBytes(p.advertisement ?? {}));
      const obs = advert.ok
        ? bleSightingToObservation(
            { atMs: at, receiverId: opts.receiverId, addressMac: p.address, rssiDbm: p.rssi, advert: advert.value },
            {
              pepper: opts.pepper,
              ...(opts.legacyCards ? { legacyCards: opts.legacyCards } : {}),
              ...(opts.staffBadges ? { staffBadges: opts.staffBadges } : {}),
            },
          )
        : advert;
      if (!obs.ok) {
        counters.rejected += 1;
        if (counters.rejected <= 10 || counters.rejected % 1000 === 0) log.debug({ reason: obs.reason, rejected: counters.rejected }, 'advert dropped');
        return;
      }
      if (advert.ok && advert.value.trailingBytes !== undefined) {
        counters.flagged += 1;
        if (counters.flagged <= 10 || counters.flagged % 1000 === 0)
          log.debug({ trailingBytes: advert.value.trailingBytes, flagged: counters.flagged }, 'advert decoded with trailing bytes after its last AD structure');
      }
      silent = false;
      failures = 0;
      if (counters.state === 'degraded' && poweredOn) setState('ok');
      counters.accepted([obs.value]);
      emit?.([obs.value]);
    } catch (err) {
      counters.rejected += 1;
      log.warn({ err: (err as Error).message }, 'discover handler failed; advert dropped');
    }
  };

  const onStateChange = (state: string) => {
    try {
      if (state === 'poweredOn') {
        poweredOn = true;
        failures = 0;
        setState('degraded', 'adapter powered on; starting the scan');
        void startScan();
        return;
      }
      // poweredOff / unauthorized (no CAP_NET_RAW) / unsupported / resetting: nothing to scan with.
      poweredOn = false;
      scanning = false;
      if (restartTimer !== undefined) timers.clearTimeout(restartTimer);
      restartTimer = undefined;
      setState(
        'unavailable',
        state === 'unauthorized'
          ? 'bluetooth adapter unauthorized (run as root or setcap cap_net_raw,cap_net_admin+eip on node)'
          : `bluetooth adapter ${state}`,
      );
      log.warn({ state }, 'bluetooth adapter not powered on; waiting');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'stateChange handler failed');
    }
  };

  const onScanStop = () => {
    // noble emits scanStop for our own stops too; only an unrequested stop (HCI reset, adapter
    // power cycle noble has not reported yet) is a failure.
    if (!running || restarting || !scanning || !poweredOn) return;
    scanFailed('the adapter stopped the scan');
  };

  const onWarning = (message: unknown) => {
    warnings += 1;
    // e.g. "Initialization of USB device failed": the adapter will not power on by itself.
    if (!poweredOn) setState('degraded', `waiting for the adapter to power on; noble: ${String(message).slice(0, 200)}`);
    if (warnings <= 10 || warnings % 1000 === 0) log.warn({ warning: String(message).slice(0, 200), warnings }, 'noble warning');
  };

  const pruneCaches = () => {
    if (!noble) return;
    const now = opts.clock.now();
    if (now - lastPruneAt < cachePruneMs && nobleCacheSize(noble) < cacheMaxPeripherals) return;
    lastPruneAt = now;
    const dropped = pruneNobleCaches(noble);
    if (dropped > 0) log.debug({ dropped }, 'noble peripheral caches emptied');
  };

  const checkSilence = () => {
    watchdogTimer = undefined;
    if (!running) return;
    try {
      pruneCaches();
      const since = lastAdvertAt ?? scanningSince;
      if (poweredOn && scanning && since !== undefined && opts.clock.now() - since >= opts.silenceRestartMs) {
        const silentMs = opts.clock.now() - since;
        silent = true;
        setState('degraded', `no advertisement for ${Math.round(silentMs / 1000)} s; scan restarted ${restarts + 1}x`);
        log.warn({ silentMs, restarts: restarts + 1 }, 'no advertisement; restarting the scan');
        lastAdvertAt = opts.clock.now(); // wait a full period before the next restart
        void restart();
      }
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'ble watchdog failed');
    }
    watchdogTimer = timers.setTimeout(checkSilence, checkEveryMs);
  };

  return {
    name: 'ble',
    async start(e: Emit) {
      emit = e;
      noble = await (opts.loadNoble ?? loadNoble)();
      running = true;
      noble.on('discover', onDiscover);
      noble.on('stateChange', onStateChange);
      noble.on('scanStop', onScanStop);
      // A listener of ours also stops noble printing warnings to the console itself.
      noble.on('warning', onWarning);
      setState('degraded', 'waiting for the adapter to power on');
      if (noble.state === 'poweredOn') {
        poweredOn = true;
        await startScan();
      }
      watchdogTimer = timers.setTimeout(checkSilence, checkEveryMs);
    },
    async stop() {
      running = false;
      emit = undefined;
      if (watchdogTimer !== undefined) timers.clearTimeout(watchdogTimer);
      if (restartTimer !== undefined) timers.clearTimeout(restartTimer);
      watchdogTimer = restartTimer = undefined;
      if (scanning) await stopScan();
      // Only our listeners: noble keeps its own (e.g. its console fallback for 'warning').
      noble?.removeListener('discover', onDiscover);
      noble?.removeListener('stateChange', onStateChange);
      noble?.removeListener('scanStop', onScanStop);
      noble?.removeListener('warning', onWarning);
      counters.state = 'stopped';
    },
    health: () => counters.snapshot(),
  };
}
