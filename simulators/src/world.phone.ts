import { memberToken, type Observation } from '@storesense/protocol';
import { CULL_FLOORS, cullTable, distance2, hearAdvert, type RadioParams, type RadioReceiver } from './radio.model.js';
import type { Rng } from './random.js';
import type { SiteLayout } from './site-layout.js';
import { newPose, TrajectoryCursor, type Segment } from './trajectory.js';

/**
 * A shopper's phone advertising BLE along its trajectory. Each advert is heard by each receiver
 * independently (radio.model.ts). The advertising interval is fixed per phone, plus the 0-10 ms
 * pseudo-random advDelay every advertising event adds (Bluetooth Core Spec v5.3, Vol 6, Part B,
 * §4.4.2.2.1), so two phones never stay in lockstep.
 */
export interface PhoneSpec {
  /** The phone's BLE subjects over time (one entry unless its address rotates), sorted by `from`. */
  subjects: readonly { from: number; subject: string }[];
  segments: readonly Segment[];
  advertIntervalMs: number;
  txOffsetDb: number;
  /** Member token key (hex) for consenting members: adverts carry memberToken(key, at, periodMs). */
  tokenKey: string | undefined;
}

export class Phone {
  private readonly cursor: TrajectoryCursor;
  private readonly pose = newPose();
  private nextAt: number;
  readonly endAt: number;
  private tokenCounter = -1;
  private token = '';
  private cull: Float64Array | undefined;
  private subjectIndex = 0;

  constructor(
    private readonly spec: PhoneSpec,
    private readonly rng: Rng,
  ) {
    this.cursor = new TrajectoryCursor(spec.segments);
    this.nextAt = Math.ceil(this.cursor.startAt + rng.uniform(0, spec.advertIntervalMs));
    this.endAt = this.cursor.endAt;
  }

  get done(): boolean {
    return this.nextAt > this.endAt;
  }

  /**
   * Appends the observations of every advert sent in [fromAt, untilAt) to `out`. Adverts before
   * `fromAt` (the trace start) are drawn but not reported, so the radio stream of a phone does not
   * depend on where the trace starts.
   */
  emit(
    fromAt: number,
    untilAt: number,
    receivers: readonly RadioReceiver[],
    layout: SiteLayout,
    radio: RadioParams,
    periodMs: number,
    out: Observation[],
  ): void {
    const { spec, rng, pose } = this;
    const cull = (this.cull ??= cullTable(receivers, spec.txOffsetDb, radio));
    while (this.nextAt < untilAt && this.nextAt <= this.endAt) {
      const at = this.nextAt;
      this.nextAt += spec.advertIntervalMs + rng.int(11);
      this.cursor.poseAt(at, pose);
      if (!pose.present) continue;
      const subjects = spec.subjects;
      while (this.subjectIndex < subjects.length - 1 && subjects[this.subjectIndex + 1]!.from <= at) this.subjectIndex++;
      const subject = subjects[this.subjectIndex]!.subject;
      let token: string | undefined;
      if (spec.tokenKey !== undefined) {
        const counter = Math.floor(at / periodMs);
        if (counter !== this.tokenCounter) {
          this.tokenCounter = counter;
          this.token = memberToken(spec.tokenKey, at, periodMs);
        }
        token = this.token;
      }
      for (let i = 0; i < receivers.length; i++) {
        const rx = receivers[i]!;
        const k = Math.abs(Math.round(pose.level) - rx.floor);
        if (k < CULL_FLOORS && distance2(rx, pose.x, pose.y, pose.level, radio) > cull[i * CULL_FLOORS + k]!) continue;
        const rssi = hearAdvert(rx, pose.x, pose.y, pose.level, spec.txOffsetDb, radio, rng, pose.hx, pose.hy);
        if (rssi === undefined || at < fromAt) continue;
        out.push(
          token === undefined
            ? { v: 1, at, source: rx.source, receiverId: rx.id, subject, rssiDbm: rssi }
            : { v: 1, at, source: rx.source, receiverId: rx.id, subject, rssiDbm: rssi, token },
        );
      }
    }
  }
}
