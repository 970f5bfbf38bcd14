/**
 * Exiting a CLI without losing output. `process.exit()` ends the process at once, and writes to
 * stdout/stderr that Node has queued but the pipe has not taken yet are lost: when stdout is a
 * pipe whose reader is slower than the writer (`decode probe capture.pcap | jq`), output stopped at
 * exactly the pipe buffer (64 KiB on Linux), while a file redirect got everything. Node's docs on
 * process.exit(): "pending writes to process.stdout ... may be lost"; the fix they give is to set
 * process.exitCode and let the process end, or, where something else keeps it alive (servers,
 * timers, child processes), to wait for the streams first, which is what this does.
 *
 * Imported from `@storesense/protocol/cli` (not the package index: browser code imports the index).
 * @example main(argv).then(exitWhenFlushed, (err) => { process.stderr.write(`x: ${err.message}\n`); exitWhenFlushed(1); });
 */
export function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  void flushStdio().then(() => process.exit(code));
}

/** Resolves once everything written so far to stdout and stderr has been handed to the OS. */
export function flushStdio(): Promise<void> {
  return Promise.all([process.stdout, process.stderr].map(flushed)).then(() => undefined);
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    // The callback of an empty write runs after every earlier write was flushed (writes are in order).
    // A reader that went away (EPIPE) ends the wait too: there is nobody left to deliver to.
    stream.once('error', () => resolve());
    stream.write('', () => resolve());
  });
}

export { LOG_LEVELS, logLevel, type LogLevel } from './log-level.js';
