/**
 * The only file that loads a BLE stack (@abandonware/noble). It is loaded lazily inside a
 * try/catch: the package is optional (not installed on every host), and on a host without
 * Bluetooth its require throws (EAFNOSUPPORT from the HCI socket). Either way the caller gets an
 * Error with the reason and reports the source `unavailable`; the gateway runs on.
 */

/** The part of a noble peripheral we use: address, RSSI and the parsed advertisement. */
export interface NoblePeripheralLike {
  address: string;
  rssi: number;
  advertisement: {
    localName?: string | undefined;
    txPowerLevel?: number | undefined;
    manufacturerData?: Uint8Array | undefined;
    serviceData?: readonly { uuid: string; data: Uint8Array }[] | undefined;
    serviceUuids?: readonly string[] | undefined;
  };
}

/**
 * The part of noble we use (an EventEmitter); tests inject a fake with the same shape, or the real
 * noble over fake bindings (`loadNobleWithBindings`).
 * @example const noble = await loadNoble(); noble.on('discover', (p) => …); await noble.startScanningAsync([], true);
 */
export interface NobleLike {
  readonly state?: string;
  on(event: 'stateChange', listener: (state: string) => void): unknown;
  on(event: 'discover', listener: (p: NoblePeripheralLike) => void): unknown;
  /** noble: 'scanStart' / 'scanStop' (also when the adapter stops a scan by itself), 'warning' (message). */
  on(event: 'scanStart' | 'scanStop' | 'warning', listener: (...args: unknown[]) => void): unknown;
  removeAllListeners(event?: string): unknown;
  removeListener(event: 'stateChange', listener: (state: string) => void): unknown;
  removeListener(event: 'discover', listener: (p: NoblePeripheralLike) => void): unknown;
  removeListener(event: 'scanStart' | 'scanStop' | 'warning', listener: (...args: unknown[]) => void): unknown;
  startScanningAsync(serviceUuids: string[], allowDuplicates: boolean): Promise<void>;
  stopScanningAsync?(): Promise<void>;
  stopScanning?(): void;
  /** HCI reset of the adapter (noble's hci-socket bindings); used after repeated scan failures. */
  reset?(): void;
}

/**
 * What noble's `lib/noble.js` needs from a bindings object (its hci-socket, mac and win bindings
 * all have this shape): an EventEmitter that emits 'stateChange', 'scanStart', 'scanStop' and
 * 'discover' (uuid, address, addressType, connectable, advertisement, rssi, scannable).
 */
export interface NobleBindingsLike {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  init(): void;
  startScanning(serviceUuids: string[] | undefined, allowDuplicates: boolean): void;
  stopScanning(): void;
}

const NOBLE_MODULE = '@abandonware/noble';
// noble's entry that takes the bindings instead of opening an HCI socket (package has no "exports").
const NOBLE_WITH_BINDINGS = '@abandonware/noble/with-bindings.js';

/**
 * The real noble over given bindings (tests drive noble's own state, scan and discover logic with
 * fake bindings; an embedder could pass websocket/distributed bindings). Rejects when noble is not
 * installed.
 */
export async function loadNobleWithBindings(bindings: NobleBindingsLike): Promise<NobleLike> {
  let factory: (b: NobleBindingsLike) => NobleLike;
  try {
    const mod = (await import(NOBLE_WITH_BINDINGS)) as { default: (b: NobleBindingsLike) => NobleLike };
    factory = mod.default;
  } catch (err) {
    throw new Error(`${NOBLE_MODULE} is not installed (see docs/sources.md)`, { cause: err });
  }
  return factory(bindings);
}

/** Loads noble; rejects with a readable reason when the module is missing or the host has no Bluetooth. */
export async function loadNoble(): Promise<NobleLike> {
  try {
    // A variable specifier: the package is optional, so the compiler must not require its types.
    const mod = (await import(NOBLE_MODULE)) as { default?: NobleLike } & NobleLike;
    return mod.default ?? mod;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND')
      throw new Error(`${NOBLE_MODULE} is not installed (see docs/sources.md)`, { cause: err });
    throw new Error(`${NOBLE_MODULE} failed to load: ${e.code ?? ''} ${e.message}`.trim(), { cause: err });
  }
}

const AD_UUID16_COMPLETE = 0x03;
const AD_NAME_COMPLETE = 0x09;
const AD_TX_POWER = 0x0a;
const AD_SERVICE_DATA16 = 0x16;
const AD_MANUFACTURER = 0xff;

/**
 * noble hands the advertisement already split into fields; we rebuild the AD structures (Core
 * Vol 3 Part C §11) so the one byte parser (`parseAdvert`) serves every BLE path.
 */
export function advertisementBytes(adv: NoblePeripheralLike['advertisement']): Uint8Array {
  const parts: number[] = [];
  const push = (type: number, data: ArrayLike<number>) => {
    if (data.length + 1 > 255) return;
    parts.push(data.length + 1, type, ...Array.from(data));
  };
  const uuids16 = (adv.serviceUuids ?? []).filter((u) => /^[0-9a-f]{4}$/i.test(u));
  if (uuids16.length > 0)
    push(
      AD_UUID16_COMPLETE,
      uuids16.flatMap((u) => {
        const n = Number.parseInt(u, 16);
        return [n & 0xff, n >> 8];
      }),
    );
  if (adv.localName) push(AD_NAME_COMPLETE, new TextEncoder().encode(adv.localName));
  if (adv.txPowerLevel !== undefined && Number.isInteger(adv.txPowerLevel) && adv.txPowerLevel >= -127 && adv.txPowerLevel <= 127)
    push(AD_TX_POWER, [adv.txPowerLevel & 0xff]);
  for (const sd of adv.serviceData ?? []) {
    if (!/^[0-9a-f]{4}$/i.test(sd.uuid)) continue;
    const n = Number.parseInt(sd.uuid, 16);
    push(AD_SERVICE_DATA16, [n & 0xff, n >> 8, ...Array.from(sd.data)]);
  }
  if (adv.manufacturerData && adv.manufacturerData.length > 0) push(AD_MANUFACTURER, adv.manufacturerData);
  return Uint8Array.from(parts);
}

// noble's per-peripheral caches (lib/noble.js), its hci-socket bindings' (lib/hci-socket/bindings.js)
// and their Gap's (lib/hci-socket/gap.js), keyed by peripheral uuid or address.
const NOBLE_CACHES = ['_peripherals', '_services', '_characteristics', '_descriptors', '_discoveredPeripheralUUids'];
const BINDINGS_CACHES = ['_addresses', '_addresseTypes', '_connectable', 'scannable'];

type Caches = Record<string, unknown> & { _bindings?: Record<string, unknown> & { _gap?: Record<string, unknown> } };
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How many peripherals noble holds in its cache (0 for a noble-like without one). */
export function nobleCacheSize(noble: NobleLike): number {
  const p = (noble as unknown as Caches)['_peripherals'];
  return isMap(p) ? Object.keys(p).length : 0;
}

/**
 * noble keeps every peripheral it ever heard, in maps at three layers, for the life of the process
 * (noble/noble#636: out of memory after half a day of rotating beacons; abandonware/noble#109). In
 * a store, phones rotate random addresses every few minutes, so these grow without bound. We only
 * read adverts and never connect, so the caches serve us nothing: empty them. Only maps that exist
 * are replaced, so a noble without them (a fake, another version) is left alone. Returns how many
 * peripherals were dropped. Side effect: advert fields noble merged across reports start afresh.
 */
export function pruneNobleCaches(noble: NobleLike): number {
  const n = noble as unknown as Caches;
  const dropped = nobleCacheSize(noble);
  for (const key of NOBLE_CACHES) if (isMap(n[key])) n[key] = {};
  const b = n._bindings;
  if (isMap(b)) {
    for (const key of BINDINGS_CACHES) if (isMap(b[key])) b[key] = {};
    if (isMap(b._gap) && isMap(b._gap['_discoveries'])) b._gap['_discoveries'] = {};
  }
  return dropped;
}
