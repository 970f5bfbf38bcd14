import type { Observation } from '@storesense/protocol';
import { hearAdvert, type RadioParams, type RadioReceiver } from './radio.model.js';
import type { Rng } from './random.js';
import type { SiteLayout } from './site-layout.js';
import { newPose, TrajectoryCursor, type Segment } from './trajectory.js';

/**
 * WiFi probe requests, heard by receivers of kind wifi / ble_wifi / meraki (none in the example
 * sites, so their traces are BLE-only).
 * - Bursts at exponential intervals, mean 45 s (min 5 s): probe rates vary from tens to thousands
 *   per hour with OS and screen state (Freudiger, "How Talkative is your Mobile Device? An
 *   Experimental Study of Wi-Fi Probe Requests", ACM WiSec 2015).
 * - A burst sends a few frames per channel: a receiver misses it only if two tries are lost.
 * - Phones transmit ~12 dB more than BLE (WiFi ~15 dBm vs BLE 0-4 dBm); same path loss model.
 * - MAC randomisation (Martin et al., "A Study of MAC Address Randomization in Mobile Devices and
 *   When it Fails", PoPETs 2017): 90 % of phones probe with a fresh random MAC per burst, so the
 *   gateway sees a new `w_` subject each time, flagged `randomized`; the rest keep one `w_` id.
 * WiFi subjects are never in the truth (the truth follows the BLE subject): they are the extra
 * anonymous identities a real deployment sees.
 */
export interface WifiParams {
  /** Share of phones with WiFi on and probing. */
  share: number;
  burstMeanMs: number;
  burstMinMs: number;
  randomizedShare: number;
  txGainDb: number;
}

export const DEFAULT_WIFI: Readonly<WifiParams> = { share: 0.7, burstMeanMs: 45_000, burstMinMs: 5_000, randomizedShare: 0.9, txGainDb: 12 };

export class WifiProber {
  private readonly cursor: TrajectoryCursor;
  private readonly pose = newPose();
  private nextAt: number;
  private readonly endAt: number;
  private readonly enabled: boolean;
  private readonly randomized: boolean;
  private readonly fixedId: string;

  constructor(
    segments: readonly Segment[],
    private readonly rng: Rng,
    private readonly params: WifiParams,
    private readonly txOffsetDb: number,
  ) {
    this.cursor = new TrajectoryCursor(segments);
    this.enabled = rng.chance(params.share);
    this.randomized = rng.chance(params.randomizedShare);
    this.fixedId = `w_${rng.hex(8)}`;
    this.nextAt = Math.ceil(this.cursor.startAt + rng.uniform(0, params.burstMeanMs));
    this.endAt = this.cursor.endAt;
  }

  get done(): boolean {
    return !this.enabled || this.nextAt > this.endAt;
  }

  emit(fromAt: number, untilAt: number, receivers: readonly RadioReceiver[], layout: SiteLayout, radio: RadioParams, out: Observation[]): void {
    if (!this.enabled || receivers.length === 0) return;
    const { rng, pose, params } = this;
    while (this.nextAt < untilAt && this.nextAt <= this.endAt) {
      const at = this.nextAt;
      this.nextAt += Math.round(Math.max(params.burstMinMs, rng.exponential(params.burstMeanMs)));
      const subject = this.randomized ? `w_${rng.hex(8)}` : this.fixedId;
      this.cursor.poseAt(at, pose);
      if (!pose.present) continue;
      for (const rx of receivers) {
        const tx = this.txOffsetDb + params.txGainDb;
        // Two frames of the burst on this receiver's channel: missed only if both are lost.
        const rssi =
          hearAdvert(rx, pose.x, pose.y, pose.level, tx, radio, rng, pose.hx, pose.hy) ??
          hearAdvert(rx, pose.x, pose.y, pose.level, tx, radio, rng, pose.hx, pose.hy);
        if (rssi === undefined || at < fromAt) continue;
        out.push({ v: 1, at, source: rx.source, receiverId: rx.id, subject, rssiDbm: rssi, randomized: this.randomized });
      }
    }
  }
}
