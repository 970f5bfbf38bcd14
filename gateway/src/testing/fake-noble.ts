import { EventEmitter } from 'node:events';
import type { NobleLike } from '../sources/ble/ble.adapter.js';

/** A noble-like fake (tests only): powers on when told, records scans, and the test emits 'discover'. */
export class FakeNoble extends EventEmitter implements NobleLike {
  state = 'unknown';
  scans: { uuids: string[]; dup: boolean }[] = [];
  stops = 0;
  async startScanningAsync(uuids: string[], allowDuplicates: boolean): Promise<void> {
    this.scans.push({ uuids, dup: allowDuplicates });
  }
  async stopScanningAsync(): Promise<void> {
    this.stops += 1;
  }
  powerOn(): void {
    this.state = 'poweredOn';
    this.emit('stateChange', 'poweredOn');
  }
}
