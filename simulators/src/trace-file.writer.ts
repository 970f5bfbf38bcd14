import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { encodeLine, traceHeaderSchema, truthHeaderSchema } from '@storesense/protocol';
import { encodeObservationLine, encodeTruthLine } from './trace-codec.js';
import { createWorld, type WorldOptions } from './world.js';

/**
 * Writes text to a file in ~1 MiB chunks, waiting for 'drain' when the stream's buffer is full,
 * so hours of observations never become one giant string or an unbounded buffer.
 */
export class ChunkedFileWriter {
  private readonly stream: WriteStream;
  private buffer = '';
  private failure: Error | undefined;
  bytes = 0;

  constructor(
    readonly path: string,
    private readonly chunkChars = 1 << 20,
  ) {
    this.stream = createWriteStream(path, { encoding: 'utf8' });
    this.stream.on('error', (err) => {
      this.failure = err;
    });
  }

  async write(text: string): Promise<void> {
    this.buffer += text;
    if (this.buffer.length >= this.chunkChars) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.buffer === '') return;
    const chunk = this.buffer;
    this.buffer = '';
    this.bytes += Buffer.byteLength(chunk);
    if (!this.stream.write(chunk)) await this.drained();
    if (this.failure) throw this.failure;
  }

  /** Resolves on 'drain' or on an error (recorded in `failure`); listeners are removed either way. */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('error', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('error', done);
    });
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await Promise.race([once(this.stream, 'finish'), once(this.stream, 'error')]);
    if (this.failure) throw this.failure;
  }
}

export interface GenerateOptions extends WorldOptions {
  /** Directory for trace.ndjson and truth.ndjson (created if missing). */
  outDir: string;
  /** Told after each batch written: simulated ms done so far, observations written. */
  onProgress?: (simulatedMs: number, observations: number) => void;
}

export interface GenerateResult {
  traceFile: string;
  truthFile: string;
  /** `{outDir}/receivers.truth.json` (declared vs real receiver biases), written when `calibration` is set. */
  receiversFile?: string;
  observations: number;
  truthEvents: number;
  shoppers: number;
  members: number;
  traceBytes: number;
  startAt: number;
  durationMs: number;
}

/**
 * Generates a world and streams it to `{outDir}/trace.ndjson` (header + observations by `at`) and
 * `{outDir}/truth.ndjson` (header + true journey events by `at`).
 * @example await generateWorld({ site, seed: 7, durationMs: 600_000, outDir: 'out/' })
 */
export async function generateWorld(options: GenerateOptions): Promise<GenerateResult> {
  const world = createWorld(options);
  // Never write a file our own reader would refuse (e.g. a site file name over 500 characters).
  traceHeaderSchema.parse(world.header);
  truthHeaderSchema.parse(world.truthHeader);
  mkdirSync(options.outDir, { recursive: true });
  const traceFile = join(options.outDir, 'trace.ndjson');
  const truthFile = join(options.outDir, 'truth.ndjson');
  const trace = new ChunkedFileWriter(traceFile);
  let observations = 0;
  try {
    await trace.write(encodeLine(world.header));
    for (const batch of world.observationBatches()) {
      let text = '';
      for (const o of batch) text += encodeObservationLine(o);
      observations += batch.length;
      await trace.write(text);
      const last = batch[batch.length - 1];
      if (last !== undefined) options.onProgress?.(last.at - world.header.startedAt, observations);
    }
  } finally {
    await trace.close();
  }
  const truth = world.truth();
  const truthWriter = new ChunkedFileWriter(truthFile);
  try {
    await truthWriter.write(encodeLine(world.truthHeader));
    for (const e of truth) await truthWriter.write(encodeTruthLine(e));
  } finally {
    await truthWriter.close();
  }
  let receiversFile: string | undefined;
  if (options.calibration !== undefined) {
    // What a calibration must recover; offsets only, no identifiers of people.
    receiversFile = join(options.outDir, 'receivers.truth.json');
    const offsets = world.receiverOffsets.map((r) => ({ ...r, trueOffsetDb: Math.round(r.trueOffsetDb * 1000) / 1000 }));
    writeFileSync(receiversFile, `${JSON.stringify({ siteId: world.header.siteId, seed: world.header.seed, receivers: offsets }, null, 2)}\n`);
  }
  return {
    traceFile,
    truthFile,
    ...(receiversFile !== undefined ? { receiversFile } : {}),
    observations,
    truthEvents: truth.length,
    shoppers: world.shoppers.length,
    members: world.shoppers.filter((s) => s.memberId !== undefined).length,
    traceBytes: trace.bytes,
    startAt: world.header.startedAt,
    durationMs: world.header.durationMs ?? 0,
  };
}
