import { Duplex, Transform, type TransformCallback } from 'node:stream';
import type { Socket } from 'node:net';

/**
 * Refuses MQTT packets larger than `maxPacketBytes` while they stream in, before the broker
 * buffers them. aedes 1.x has no packet size limit: a single 100 MB PUBLISH was parsed whole
 * (685 MB RSS). The guard follows the MQTT framing on the byte stream (fixed header: one type byte,
 * then the Remaining Length as a variable byte integer of 1-4 bytes, MQTT 3.1.1 §2.2.3 / 5.0
 * §2.1.4), passes bytes through unchanged, and destroys the connection as soon as a header
 * announces a packet over the limit (MQTT 5.0 §4.13: a server may close the connection when a
 * packet exceeds its Maximum Packet Size; 3.1.1 has no other way to refuse). A malformed length
 * (a fifth continuation byte) closes it too.
 */
export class MqttPacketGuard extends Transform {
  private state: 'type' | 'length' | 'body' = 'type';
  private remaining = 0;
  private multiplier = 1;
  private lengthBytes = 0;

  constructor(
    private readonly maxPacketBytes: number,
    private readonly onRefused: (reason: string) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'type') {
        i += 1;
        this.state = 'length';
        this.remaining = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.state === 'length') {
        const b = chunk[i]!;
        i += 1;
        this.remaining += (b & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes += 1;
        if (this.remaining + 1 + this.lengthBytes > this.maxPacketBytes)
          return this.refuse(`packet of ${this.remaining} bytes exceeds ${this.maxPacketBytes}`, done);
        if ((b & 0x80) === 0) this.state = this.remaining === 0 ? 'type' : 'body';
        else if (this.lengthBytes === 4) return this.refuse('malformed remaining length', done);
      } else {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.state = 'type';
      }
    }
    done(null, chunk);
  }

  private refuse(reason: string, done: TransformCallback): void {
    this.onRefused(reason);
    done(new Error(reason));
  }
}

/**
 * The stream aedes handles for one socket: reads pass through the guard, writes go straight to
 * the socket; destroying either end destroys the socket.
 */
export function guardedConnection(socket: Socket, maxPacketBytes: number, onRefused: (reason: string) => void): Duplex {
  const guard = new MqttPacketGuard(maxPacketBytes, onRefused);
  socket.pipe(guard);
  guard.on('error', () => socket.destroy());
  const conn = Duplex.from({ readable: guard, writable: socket });
  conn.on('close', () => socket.destroy());
  socket.on('close', () => conn.destroy());
  socket.on('error', () => conn.destroy());
  return conn;
}
