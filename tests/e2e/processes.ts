/**
 * Real processes for fault injection: the built CLIs as children of the test, on loopback ports
 * chosen up front (so a restarted process comes back on the same ones), killed with real signals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A port free right now on 127.0.0.1 (the kernel picks it; we reuse it across restarts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const addr = probe.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Output kept per process: the tail is enough to explain a failure and bounds memory. */
const KEEP_CHARS = 256 * 1024;

export class Child {
  readonly proc: ChildProcess;
  private out = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    argv: string[],
    env: Record<string, string> = {},
  ) {
    this.proc = spawn(process.execPath, argv, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => {
      this.out += d.toString('utf8');
      if (this.out.length > KEEP_CHARS * 2) this.out = this.out.slice(-KEEP_CHARS);
    };
    this.proc.stdout!.on('data', keep);
    this.proc.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
  }

  output(): string {
    return this.out;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async waitFor(re: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const m = re.exec(this.out);
      if (m) return m;
      if (!this.running) throw new Error(`${this.name} exited (${this.proc.exitCode ?? this.proc.signalCode}) before ${re}:\n${this.out.slice(-3000)}`);
      await sleep(50);
    }
    throw new Error(`${this.name}: no ${re} within ${timeoutMs} ms:\n${this.out.slice(-3000)}`);
  }

  /** kill -9: no handler runs, nothing is flushed or closed. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait for the exit; SIGKILL after `graceMs` so a hung stop cannot hang the test. */
  async stop(graceMs = 15_000): Promise<number | null> {
    if (!this.running) return this.proc.exitCode;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  freeze(): void {
    this.proc.kill('SIGSTOP');
  }

  thaw(): void {
    this.proc.kill('SIGCONT');
  }
}
