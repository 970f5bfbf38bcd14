import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Observation } from '@storesense/protocol';
import type { Clock } from '../../clock.js';
import type { SitePepper } from '../../identity/mac-pseudonym.js';
import type { Logger } from '../../log.js';
import { SourceCounters, type Emit, type Source } from '../source.js';
import { captureExitReason } from './capture-failure.js';
import { LINKTYPE_IEEE802_11_RADIOTAP } from './pcap.read.js';
import { PcapStreamReader } from './pcap.stream.js';
import { decodeProbeCapture, decodeRadiotapFrame, type ProbeSighting } from './probe-capture.decode.js';
import { probeToObservation, sightingToProbeInput, type ProbeInput } from './probe.observation.js';
import { parseTsharkProbeLine } from './tshark-fields.parse.js';

export interface WifiProbeSourceOptions {
  receiverId: string;
  pepper: SitePepper;
  clock: Clock;
  logger: Logger;
  /** Replay a radiotap pcap, paced by its timestamps; times are rebased to now and compressed by `speed`. */
  pcap?: { path: string; speed: number };
  /** Live capture: a child process (tshark field lines, or tcpdump's pcap stream on stdout). */
  live?: { interface: string; tool: 'tshark' | 'tcpdump'; toolPath?: string };
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Whether a network interface exists (default: /sys/class/net/<name>, Linux); tests inject it. */
  interfaceExists?: (name: string) => boolean;
}

/** The tshark command of docs/dependencies.md: probe requests only, one tab-separated line per frame. */
export function tsharkArgs(iface: string): string[] {
  return [
    '-i',
    iface,
    '-I',
    '-l',
    '-Y',
    'wlan.fc.type_subtype==4',
    '-T',
    'fields',
    '-e',
    'frame.time_epoch',
    '-e',
    'wlan.sa',
    '-e',
    'radiotap.dbm_antsignal',
    '-e',
    'wlan_radio.frequency',
    '-e',
    'wlan.ssid',
  ];
}

/**
 * The tcpdump command: probe requests only (BPF `type mgt subtype probe-req`), radiotap link type,
 * written as a pcap stream to stdout, flushed per packet (-U) so frames arrive as they are heard.
 */
export function tcpdumpArgs(iface: string): string[] {
  return ['-i', iface, '-I', '-y', 'IEEE802_11_RADIO', '-U', '-w', '-', 'type mgt subtype probe-req'];
}

/**
 * WiFi probe requests, from a pcap replay or a live capture tool (the only file spawning tshark or
 * tcpdump; tshark's field lines and tcpdump's pcap stream are both parsed here).
 * Source MACs are pseudonymised in `probeToObservation`; lines and frames are never logged. A
 * missing binary or an exiting capture is reported as `unavailable` with the reason and retried
 * with exponential backoff; nothing here throws into the gateway.
 */
export function createWifiProbeSource(opts: WifiProbeSourceOptions): Source {
  const log = opts.logger.child({ module: 'source', source: 'wifi_probe', receiverId: opts.receiverId });
  const counters = new SourceCounters();
  const retryMinMs = opts.retryMinMs ?? 1_000;
  const retryMaxMs = opts.retryMaxMs ?? 60_000;
  let emit: Emit | undefined;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let child: ChildProcess | undefined;
  let failures = 0;

  const convert = (p: ProbeInput): Observation | undefined => {
    const o = probeToObservation(p, { receiverId: opts.receiverId, pepper: opts.pepper });
    if (o.ok) return o.value;
    counters.rejected += 1;
    return undefined;
  };
  const deliver = (obs: Observation[]) => {
    if (obs.length === 0 || !emit) return;
    counters.accepted(obs);
    emit(obs);
  };

  const replay = async (path: string, speed: number) => {
    const decoded = decodeProbeCapture(await readFile(path));
    if (!decoded.ok) throw new Error(`pcap ${path}: ${decoded.reason}`);
    const frames = decoded.value.frames.filter((f): f is ProbeSighting => 'probe' in f);
    counters.rejected += decoded.value.frames.length - frames.length;
    const t0 = frames[0]?.atMs ?? 0;
    const startNow = opts.clock.now();
    const rebase = (at: number) => startNow + (at - t0) / speed;
    let i = 0;
    counters.state = 'ok';
    const step = () => {
      timer = undefined;
      if (stopped) return;
      try {
        const now = opts.clock.now();
        const batch: Observation[] = [];
        while (i < frames.length && rebase(frames[i]!.atMs) <= now) {
          const f = frames[i++]!;
          const o = convert({ ...sightingToProbeInput(f), atMs: rebase(f.atMs) });
          if (o) batch.push(o);
        }
        deliver(batch);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'pcap replay step failed; continuing');
      }
      if (i >= frames.length) {
        counters.state = 'stopped';
        counters.detail = 'pcap replay finished';
        log.info({ observations: counters.observations, rejected: counters.rejected }, 'pcap replay finished');
        return;
      }
      const waitMs = Math.max(0, Math.min(1_000, rebase(frames[i]!.atMs) - opts.clock.now()));
      timer = setTimeout(step, waitMs);
    };
    step();
  };

  const unavailable = (reason: string) => {
    if (stopped) return;
    counters.state = 'unavailable';
    counters.detail = reason;
    failures += 1;
    const delayMs = Math.min(retryMaxMs, retryMinMs * 2 ** Math.min(failures - 1, 16));
    if (failures <= 5 || failures % 100 === 0) log.warn({ reason, failures, retryInMs: delayMs }, 'wifi capture unavailable; retrying');
    if (!timer)
      timer = setTimeout(() => {
        timer = undefined;
        spawnCapture();
      }, delayMs);
  };

  /** tshark -T fields: one tab-separated line per probe request. */
  const readTsharkLines = (c: ChildProcess) => {
    const lines = createInterface({ input: c.stdout! });
    lines.on('line', (line) => {
      try {
        const p = parseTsharkProbeLine(line);
        if (!p.ok) {
          counters.rejected += 1;
          return;
        }
        failures = 0;
        const o = convert(p.value);
        if (o) deliver([o]);
      } catch (err) {
        counters.rejected += 1;
        log.warn({ err: (err as Error).message }, 'tshark line handler failed');
      }
    });
  };

  /** tcpdump -w -: a pcap stream cut anywhere by the pipe; each complete record is a radiotap frame. */
  const readPcapStream = (c: ChildProcess, bin: string, fail: (reason: string) => void) => {
    const reader = new PcapStreamReader();
    let linktypeChecked = false;
    c.stdout!.on('data', (chunk: Buffer) => {
      try {
        const out = reader.push(chunk);
        if (!linktypeChecked && reader.header) {
          linktypeChecked = true;
          if (reader.header.linktype !== LINKTYPE_IEEE802_11_RADIOTAP) {
            fail(`${bin}: capture link type ${reader.header.linktype}, not radiotap (127): is ${opts.live!.interface} in monitor mode?`);
            return;
          }
        }
        const batch: Observation[] = [];
        for (const r of out.records) {
          const f = decodeRadiotapFrame(r.atMs, r.data);
          if (!f.ok) {
            counters.rejected += 1;
            continue;
          }
          failures = 0;
          const o = convert(sightingToProbeInput(f.value));
          if (o) batch.push(o);
        }
        deliver(batch);
        if (out.error) fail(`${bin}: unreadable pcap stream: ${out.error}`);
      } catch (err) {
        counters.rejected += 1;
        log.warn({ err: (err as Error).message }, 'tcpdump stream handler failed');
      }
    });
  };

  const spawnCapture = () => {
    const live = opts.live!;
    if (stopped) return;
    const bin = live.toolPath ?? live.tool;
    let stderrTail = '';
    const interfaceExists = opts.interfaceExists ?? ((name: string) => existsSync(`/sys/class/net/${name}`));
    let settled = false;
    const failOnce = (reason: string) => {
      if (settled) return;
      settled = true;
      child = undefined;
      unavailable(reason);
    };
    try {
      const c = spawn(bin, live.tool === 'tcpdump' ? tcpdumpArgs(live.interface) : tsharkArgs(live.interface), { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      c.on('error', (err) => failOnce(`${bin}: ${err.message}`));
      c.on('exit', (code, signal) =>
        failOnce(captureExitReason({ bin, iface: live.interface, interfaceExists: interfaceExists(live.interface), code, signal, stderr: stderrTail })),
      );
      // The last 2 KiB of stderr: enough for the line that says why, bounded however chatty the tool.
      c.stderr?.on('data', (d: Buffer) => {
        stderrTail = (stderrTail + d.toString('utf8')).slice(-2048);
      });
      c.on('spawn', () => {
        counters.state = 'ok';
        counters.detail = `capturing on ${live.interface}`;
      });
      if (live.tool === 'tcpdump')
        readPcapStream(c, bin, (reason) => {
          c.kill('SIGTERM');
          failOnce(reason);
        });
      else readTsharkLines(c);
    } catch (err) {
      failOnce(`${bin}: ${(err as Error).message}`);
    }
  };

  return {
    name: 'wifi_probe',
    async start(e: Emit) {
      emit = e;
      stopped = false;
      counters.state = 'degraded';
      counters.detail = 'starting';
      if (opts.pcap) await replay(opts.pcap.path, opts.pcap.speed);
      else if (opts.live) spawnCapture();
      else throw new Error('wifi_probe needs pcap or live settings');
    },
    stop() {
      stopped = true;
      emit = undefined;
      if (timer) clearTimeout(timer);
      timer = undefined;
      child?.kill('SIGTERM');
      child = undefined;
      counters.state = 'stopped';
    },
    health: () => counters.snapshot(),
  };
}
