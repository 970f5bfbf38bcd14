import type { Clock } from '../../clock.js';
import type { SitePepper } from '../../identity/mac-pseudonym.js';
import type { Logger } from '../../log.js';
import { SourceCounters, type Emit, type Source } from '../source.js';
import { advertisementBytes, loadNoble, type NobleLike, type NoblePeripheralLike } from './ble.adapter.js';
import { bleSightingToObservation } from './advert.observation.js';
import { parseAdvert } from './advert.parse.js';

export interface BleSourceOptions {
  receiverId: string;
  /** No advertisement for this long -> health degraded and the scan is restarted. */
  silenceRestartMs: number;
  pepper: SitePepper;
  clock: Clock;
  logger: Logger;
  /** Default: `loadNoble` (the real stack); tests inject a fake noble-like EventEmitter. */
  loadNoble?: () => Promise<NobleLike>;
}

/**
 * A local Bluetooth adapter, scanned passively with duplicates allowed (every advert is an RSSI
 * sample). Addresses are pseudonymised in `bleSightingToObservation`; Eddystone-EID adverts carry
 * the member token. A missing stack makes `start` throw (the gateway marks it unavailable).
 */
export function createBleSource(opts: BleSourceOptions): Source {
  const log = opts.logger.child({ module: 'source', source: 'ble', receiverId: opts.receiverId });
  const counters = new SourceCounters();
  let noble: NobleLike | undefined;
  let emit: Emit | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  let lastAdvertAt: number | undefined;
  let scanningSince: number | undefined;
  let restarts = 0;
  let silent = false;

  const startScan = async () => {
    if (!noble) return;
    try {
      await noble.startScanningAsync([], true);
      scanningSince = opts.clock.now();
      // After a silence restart, stay degraded (with the reason) until an advert is heard again.
      if (!silent) {
        counters.state = 'ok';
        counters.detail = undefined;
      }
    } catch (err) {
      counters.state = 'degraded';
      counters.detail = `scan failed to start: ${(err as Error).message}`;
    }
  };
  const stopScan = async () => {
    try {
      if (noble?.stopScanningAsync) await noble.stopScanningAsync();
      else noble?.stopScanning?.();
    } catch {
      // stopping a scan that is not running is fine
    }
  };

  const onDiscover = (p: NoblePeripheralLike) => {
    try {
      const at = opts.clock.now();
      lastAdvertAt = at;
      const advert = parseAdvert(advertisementBytes(p.advertisement ?? {}));
      const obs = advert.ok
        ? bleSightingToObservation({ atMs: at, receiverId: opts.receiverId, addressMac: p.address, rssiDbm: p.rssi, advert: advert.value }, { pepper: opts.pepper })
        : advert;
      if (!obs.ok) {
        counters.rejected += 1;
        if (counters.rejected <= 10 || counters.rejected % 1000 === 0) log.debug({ reason: obs.reason, rejected: counters.rejected }, 'advert dropped');
        return;
      }
      silent = false;
      if (counters.state === 'degraded' && scanningSince !== undefined) {
        counters.state = 'ok';
        counters.detail = undefined;
      }
      counters.accepted([obs.value]);
      emit?.([obs.value]);
    } catch (err) {
      counters.rejected += 1;
      log.warn({ err: (err as Error).message }, 'discover handler failed; advert dropped');
    }
  };

  const checkSilence = () => {
    const since = lastAdvertAt ?? scanningSince;
    if (since === undefined) return;
    const silentMs = opts.clock.now() - since;
    if (silentMs < opts.silenceRestartMs) return;
    restarts += 1;
    silent = true;
    counters.state = 'degraded';
    counters.detail = `no advertisement for ${Math.round(silentMs / 1000)} s; scan restarted ${restarts}x`;
    log.warn({ silentMs, restarts }, 'no advertisement; restarting the scan');
    lastAdvertAt = opts.clock.now(); // wait a full period before the next restart
    void stopScan().then(startScan);
  };

  return {
    name: 'ble',
    async start(e: Emit) {
      emit = e;
      noble = await (opts.loadNoble ?? loadNoble)();
      noble.on('discover', onDiscover);
      noble.on('stateChange', (state) => {
        try {
          if (state === 'poweredOn') void startScan();
          else {
            counters.state = 'unavailable';
            counters.detail = `bluetooth adapter ${state}`;
          }
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'stateChange handler failed');
        }
      });
      counters.state = 'degraded';
      counters.detail = 'waiting for the adapter to power on';
      if (noble.state === 'poweredOn') await startScan();
      watchdog = setInterval(checkSilence, Math.max(100, Math.min(5_000, opts.silenceRestartMs / 4)));
    },
    async stop() {
      emit = undefined;
      if (watchdog) clearInterval(watchdog);
      watchdog = undefined;
      await stopScan();
      noble?.removeAllListeners('discover');
      noble?.removeAllListeners('stateChange');
      counters.state = 'stopped';
    },
    health: () => counters.snapshot(),
  };
}
