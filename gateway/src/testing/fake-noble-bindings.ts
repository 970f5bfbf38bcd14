import { EventEmitter } from 'node:events';
import type { NobleBindingsLike } from '../sources/ble/ble.adapter.js';

/**
 * Fake noble *bindings* (tests only): what noble's lib/hci-socket/bindings.js would emit, so the
 * real noble (`loadNobleWithBindings`) runs its own state, scan and discover logic on top. Events
 * are emitted on the next tick, as the HCI socket's would be.
 */
export class FakeNobleBindings extends EventEmitter implements NobleBindingsLike {
  inits = 0;
  scans: { uuids: string[] | undefined; dup: boolean }[] = [];
  stops = 0;
  resets = 0;
  /** The next N startScanning calls throw, as bluetooth-hci-socket's write does on a failing adapter. */
  failStarts = 0;
  /** The next N startScanning calls are accepted but never confirmed (no scanStart). */
  unansweredStarts = 0;

  init(): void {
    this.inits += 1;
  }
  startScanning(uuids: string[] | undefined, allowDuplicates: boolean): void {
    this.scans.push({ uuids, dup: allowDuplicates });
    if (this.failStarts > 0) {
      this.failStarts -= 1;
      throw Object.assign(new Error('HCI command LE Set Scan Enable failed: EIO, Input/output error'), { code: 'EIO' });
    }
    if (this.unansweredStarts > 0) {
      this.unansweredStarts -= 1;
      return;
    }
    process.nextTick(() => this.emit('scanStart', !allowDuplicates));
  }
  stopScanning(): void {
    this.stops += 1;
    process.nextTick(() => this.emit('scanStop'));
  }
  reset(): void {
    this.resets += 1;
  }
  setState(state: 'poweredOn' | 'poweredOff' | 'unauthorized' | 'unsupported'): void {
    this.emit('stateChange', state);
  }
  /** One advertising report, as hci-socket's Gap hands it to noble (address lower-case with colons). */
  advertise(address: string, advertisement: object, rssi: number): void {
    this.emit('discover', address.replace(/:/g, ''), address, 'random', true, advertisement, rssi, true);
  }
}
