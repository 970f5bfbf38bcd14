import type { Receiver } from '@storesense/firmware-config';
import type { Rng } from './random.js';
import { wallLossDb, wallsAround, type StoreWalls } from './radio.walls.js';
import { storeAtPoint, type SiteLayout } from './site-layout.js';

/**
 * BLE radio between a phone and the site's receivers.
 *
 * Mean received power follows the log-distance path loss model with log-normal shadowing
 * (Rappaport, "Wireless Communications: Principles and Practice", 2nd ed., §4.9):
 *   RSSI = refRssiAt1m - 10 n log10(d) - floors * floorAttenuation - wall + X(0, sigma) + offset
 * with the receiver's own refRssiAt1mDbm and pathLossExponent from the site's calibration.
 * - Shadowing sigma 4 dB: BLE RSSI spreads of several dB at a fixed spot are reported by Faragher &
 *   Harle, "Location Fingerprinting With Bluetooth Low Energy Beacons", IEEE JSAC 33(11), 2015;
 *   published indoor log-normal sigmas for BLE are mostly 3-6 dB.
 * - Floor attenuation 18 dB per slab: ITU-R P.1238 gives floor penetration loss of about 15 dB for
 *   one floor in offices at 1.8-2 GHz (+4 dB per further floor); the brief asks for 15-20 dB.
 * - Store walls: the direct path loses each footprint edge it crosses (COST 231 multi-wall model,
 *   radio.walls.ts); an edge's loss is its store's `wallAttenuationDb` (0 = open storefront or
 *   kiosk), else wallAttenuationDb = 3 dB (order of magnitude of glass/plasterboard at 2.4 GHz in
 *   ITU-R P.2040). A single rectangular store thus costs 3 dB between inside and outside, as before.
 * - Sensitivity -95 dBm: typical BLE 1M PHY receivers list -93 to -97 dBm.
 * - Packet loss: a base 10 % (advertising-channel collisions, scanner duty cycle), rising to ~100 %
 *   near sensitivity along a logistic curve (PER grows steeply in the last few dB above sensitivity).
 * - Body shadowing: a phone carried in front of the body loses up to bodyLossDb towards receivers
 *   behind the carrier, scaled by the cosine of the angle (on-body 2.4 GHz measurements report
 *   several dB, sometimes over 10 dB, of torso loss; 5 dB at 180 degrees is a conservative middle).
 * - Per-phone transmit offset N(0, 2 dB) (handset heterogeneity) and a per-receiver calibration error
 *   N(0, 1 dB) on top of the declared rssiOffsetDb, so a gateway never sees a perfectly calibrated site.
 * The receiver's declared calibration.rssiOffsetDb is its reporting bias: readings include it, a
 * gateway that knows the site can subtract it.
 */
export interface RadioParams {
  sensitivityDbm: number;
  shadowingSigmaDb: number;
  floorAttenuationDb: number;
  floorHeightM: number;
  phoneHeightM: number;
  receiverHeightM: number;
  baseLossRate: number;
  /** Loss reaches ~55 % this many dB above sensitivity. */
  lossKneeDb: number;
  /** Loss of a store wall whose store does not set `wallAttenuationDb`. */
  wallAttenuationDb: number;
  /** Extra loss towards a receiver straight behind the carrier (0 in front, cosine in between). */
  bodyLossDb: number;
  phoneTxSigmaDb: number;
  calibrationErrorSigmaDb: number;
}

export const DEFAULT_RADIO: Readonly<RadioParams> = {
  sensitivityDbm: -95,
  shadowingSigmaDb: 4,
  floorAttenuationDb: 18,
  floorHeightM: 4.5,
  phoneHeightM: 1.2,
  receiverHeightM: 2.7,
  baseLossRate: 0.1,
  lossKneeDb: 6,
  wallAttenuationDb: 3,
  bodyLossDb: 5,
  phoneTxSigmaDb: 2,
  calibrationErrorSigmaDb: 1,
};

/** A receiver flattened for the hot loop. */
export interface RadioReceiver {
  id: string;
  /** The observation source its reports carry ('ble', or the bridge that relays them). */
  source: 'ble' | 'wifi' | 'espresense' | 'meraki';
  floor: number;
  x: number;
  y: number;
  refDbm: number;
  exponent: number;
  /** Declared offset plus this receiver's hidden calibration error. */
  offsetDb: number;
  /** Store whose footprint contains the receiver on its floor, or ''. */
  storeId: string;
  /** The walls of the stores on the receiver's floor (radio.walls.ts). */
  walls: readonly StoreWalls[];
}

/** Receiver kinds that hear BLE, and the source their observations carry; 'wifi' only hears probes. */
const BLE_SOURCE: Readonly<Record<Receiver['kind'], RadioReceiver['source'] | undefined>> = {
  ble: 'ble',
  ble_wifi: 'ble',
  espresense: 'espresense',
  meraki: 'meraki',
  wifi: undefined,
};

/** Receiver kinds that capture WiFi probe requests (Meraki's scanning API reports both radios). */
const WIFI_SOURCE: Readonly<Record<Receiver['kind'], RadioReceiver['source'] | undefined>> = {
  ble: undefined,
  ble_wifi: 'wifi',
  espresense: undefined,
  meraki: 'meraki',
  wifi: 'wifi',
};

export interface ReceiverSets {
  ble: RadioReceiver[];
  wifi: RadioReceiver[];
}

/**
 * How far the receivers' real reporting biases are from what the site file declares, on top of
 * the small N(0, calibrationErrorSigmaDb) error every receiver has: an installer who never
 * calibrated, or a file copied from another store. The gateway reads the declared offsets, so a
 * world with these settings is a miscalibrated site (issue 10: "receivers off by ±6 dB").
 */
export interface CalibrationTruth {
  /** Each receiver's bias is off by a uniform draw in [-offsetErrorDb, +offsetErrorDb] (per receiver, site order). */
  offsetErrorDb?: number;
  /** Exact real biases by receiver id, dB, replacing declared offset and every error. */
  trueOffsetsDb?: Readonly<Record<string, number>>;
}

/** A receiver's declared and real reporting bias (what a calibration should recover). */
export interface ReceiverOffsetTruth {
  id: string;
  declaredOffsetDb: number;
  trueOffsetDb: number;
}

/**
 * The site's receivers that hear BLE adverts and those that hear WiFi probes, with their hidden
 * calibration errors: one draw per receiver in site order, whatever its kind, so changing one
 * receiver's kind never reshuffles the others. `truth` moves the real biases further away from the
 * declared ones; its draws come from a child stream forked after the usual ones, so the small
 * errors stay the same with and without it.
 */
export function buildReceiverSets(layout: SiteLayout, params: RadioParams, rng: Rng, truth: CalibrationTruth = {}): ReceiverSets {
  const sets: ReceiverSets = { ble: [], wifi: [] };
  const receivers = layout.site.receivers;
  const errorsDb = receivers.map(() => rng.normal(0, params.calibrationErrorSigmaDb));
  const spread = truth.offsetErrorDb ?? 0;
  if (spread > 0) {
    const extra = rng.fork();
    receivers.forEach((_r, i) => (errorsDb[i]! += extra.uniform(-spread, spread)));
  }
  receivers.forEach((r, i) => {
    const exact = truth.trueOffsetsDb?.[r.id];
    const errorDb = exact !== undefined ? exact - r.calibration.rssiOffsetDb : errorsDb[i]!;
    const ble = BLE_SOURCE[r.kind];
    const wifi = WIFI_SOURCE[r.kind];
    if (ble !== undefined) sets.ble.push(flatten(layout, r, ble, errorDb, params));
    if (wifi !== undefined) sets.wifi.push(flatten(layout, r, wifi, errorDb, params));
  });
  return sets;
}

/** Declared and real bias of every receiver of the site, in site order. */
export function receiverOffsetTruth(layout: SiteLayout, sets: ReceiverSets): ReceiverOffsetTruth[] {
  const real = new Map([...sets.ble, ...sets.wifi].map((r) => [r.id, r.offsetDb]));
  return layout.site.receivers.map((r) => ({
    id: r.id,
    declaredOffsetDb: r.calibration.rssiOffsetDb,
    trueOffsetDb: real.get(r.id) ?? r.calibration.rssiOffsetDb,
  }));
}

/** The BLE-capable receivers (see buildReceiverSets). */
export function buildRadioReceivers(layout: SiteLayout, params: RadioParams, rng: Rng): RadioReceiver[] {
  return buildReceiverSets(layout, params, rng).ble;
}

function flatten(layout: SiteLayout, r: Receiver, source: RadioReceiver['source'], errorDb: number, params: RadioParams): RadioReceiver {
  return {
    id: r.id,
    source,
    floor: r.floor,
    x: r.position.x,
    y: r.position.y,
    refDbm: r.calibration.refRssiAt1mDbm,
    exponent: r.calibration.pathLossExponent,
    offsetDb: r.calibration.rssiOffsetDb + errorDb,
    storeId: storeAtPoint(layout, r.floor, r.position)?.id ?? '',
    walls: wallsAround(layout.site, r.floor, r.position, params.wallAttenuationDb),
  };
}

/**
 * Mean RSSI (no shadowing) from a phone at (x, y, level), its carrier facing (hx, hy) (0, 0 =
 * unknown, no body loss).
 */
export function meanRssiDbm(rx: RadioReceiver, x: number, y: number, level: number, txOffsetDb: number, p: RadioParams, hx = 0, hy = 0): number {
  const dx = x - rx.x;
  const dy = y - rx.y;
  // cos of the angle between facing and the direction to the receiver: -1 = receiver right behind.
  const horiz = Math.sqrt(dx * dx + dy * dy);
  const cos = horiz > 1e-6 ? -(dx * hx + dy * hy) / horiz : 0;
  const body = cos < 0 ? -cos * p.bodyLossDb : 0;
  const dz = (level - rx.floor) * p.floorHeightM + p.phoneHeightM - p.receiverHeightM;
  const d2 = Math.max(0.25, dx * dx + dy * dy + dz * dz);
  // Slabs between phone and receiver: a phone on a ride counts the slab once it is past halfway.
  const floors = Math.abs(Math.round(level) - rx.floor);
  const wall = floors === 0 ? wallLossDb(rx.walls, rx.x, rx.y, x, y) : 0;
  // 10 n log10(d) = 5 n log10(d^2): one log, no sqrt.
  return rx.refDbm + txOffsetDb - 5 * rx.exponent * Math.log10(d2) - floors * p.floorAttenuationDb - wall - body + rx.offsetDb;
}

/** Probability an advert above sensitivity is lost anyway. */
export function lossProbability(rssiDbm: number, p: RadioParams): number {
  return p.baseLossRate + (1 - p.baseLossRate) / (1 + Math.exp((rssiDbm - (p.sensitivityDbm + p.lossKneeDb)) / 1.5));
}

/**
 * One advert at one receiver: the reported integer RSSI, or undefined when not heard. Receivers
 * whose mean is more than 4 sigma below sensitivity are skipped without drawing (speed; the
 * truncated tail is < 1e-4).
 */
export function hearAdvert(
  rx: RadioReceiver,
  x: number,
  y: number,
  level: number,
  txOffsetDb: number,
  p: RadioParams,
  rng: Rng,
  hx = 0,
  hy = 0,
): number | undefined {
  const mean = meanRssiDbm(rx, x, y, level, txOffsetDb, p, hx, hy);
  if (mean + 4 * p.shadowingSigmaDb < p.sensitivityDbm) return undefined;
  const rssi = Math.round(mean + rng.normal(0, p.shadowingSigmaDb));
  if (rssi < p.sensitivityDbm) return undefined;
  if (rng.next() < lossProbability(rssi, p)) return undefined;
  return Math.min(20, rssi);
}

/** Floor differences covered by a cull table; farther receivers are checked the slow way. */
export const CULL_FLOORS = 8;

/**
 * Per phone: for each receiver and floor difference k, the squared distance beyond which the
 * phone's mean RSSI (before wall and body losses, which only lower it) is more than 4 sigma under
 * sensitivity. `hearAdvert` would skip such a receiver without drawing, so skipping it earlier with
 * one multiply-add instead of a log10 changes nothing but speed.
 */
export function cullTable(receivers: readonly RadioReceiver[], txOffsetDb: number, p: RadioParams): Float64Array {
  const table = new Float64Array(receivers.length * CULL_FLOORS);
  receivers.forEach((rx, i) => {
    for (let k = 0; k < CULL_FLOORS; k++) {
      const budgetDb = rx.refDbm + txOffsetDb + rx.offsetDb + 4 * p.shadowingSigmaDb - p.sensitivityDbm - k * p.floorAttenuationDb;
      table[i * CULL_FLOORS + k] = 10 ** (budgetDb / (5 * rx.exponent));
    }
  });
  return table;
}

/** The clamped squared 3D distance meanRssiDbm uses. */
export function distance2(rx: RadioReceiver, x: number, y: number, level: number, p: RadioParams): number {
  const dx = x - rx.x;
  const dy = y - rx.y;
  const dz = (level - rx.floor) * p.floorHeightM + p.phoneHeightM - p.receiverHeightM;
  return Math.max(0.25, dx * dx + dy * dy + dz * dz);
}
