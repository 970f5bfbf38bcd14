import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Observation } from '@storesense/protocol';
import { systemClock } from '../../clock.js';
import { silentLogger } from '../../log.js';
import { waitFor } from '../../testing/aedes-broker.js';
import { decodeProbeCapture } from './probe-capture.decode.js';
import { createWifiProbeSource } from './wifi-probe.source.js';
import { sharedFiles } from '@storesense/protocol/testing';

const FIXTURE_PCAP = fileURLToPath(new URL('../../../fixtures/wifi/probe-requests-3-devices.pcap', import.meta.url));
const {
  paths: [SHARED_PCAP = ''],
  skip: noShared,
} = sharedFiles(['fixtures/wifi-probes/lab-position1-2024-03-15.pcap'], 'the real lab capture tcpdump test');
const sharedPresent = !noShared;
const PATH = process.env['PATH'];

describe('wifi_probe live capture (fake tshark / tcpdump child processes)', () => {
  let dir: string | undefined;
  afterEach(() => {
    process.env['PATH'] = PATH;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('parses the child stdout lines, and when it exits reports unavailable with stderr and respawns with backoff', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fake-tshark-'));
    const counter = join(dir, 'runs');
    const bin = join(dir, 'tshark');
    // Prints two probe lines (one bad), complains on stderr and exits 2, like tshark losing its interface.
    writeFileSync(
      bin,
      `#!/bin/sh\necho run >> '${counter}'\nprintf '1710505811.048203\\tda:a1:19:e7:55:dc\\t-86\\t2462\\t\\n'\nprintf 'garbage\\n'\necho "capture on mon9 failed" >&2\nexit 2\n`,
    );
    chmodSync(bin, 0o755);
    const got: Observation[] = [];
    const src = createWifiProbeSource({
      receiverId: 'rx-front',
      pepper: 'pepper-0123456789abcdef',
      clock: systemClock,
      logger: silentLogger(),
      live: { interface: 'mon9', tool: 'tshark', toolPath: bin },
      retryMinMs: 50,
      retryMaxMs: 200,
    });
    await src.start((o) => got.push(...o));
    await waitFor(() => got.length >= 2, 5_000, 'two runs');
    expect(got[0]).toMatchObject({ source: 'wifi', receiverId: 'rx-front', rssiDbm: -86, randomized: true, at: 1710505811048 });
    expect(JSON.stringify(got)).not.toMatch(/da:?a1:?19/i);
    await waitFor(() => src.health().state === 'unavailable', 2_000, 'unavailable');
    expect(src.health().detail).toMatch(/exited \(code 2\).*capture on mon9 failed/);
    expect(src.health().rejected).toBeGreaterThanOrEqual(1);
    src.stop();
    expect(src.health().state).toBe('stopped');
  });

  it('tcpdump (a fake on PATH that cats a real-format pcap, then dies): pcap stream parsed, exit reported, respawned', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fake-tcpdump-'));
    const runs = join(dir, 'runs');
    // Like tcpdump -w - losing its interface: the capture so far on stdout, the reason on stderr, exit 1.
    writeFileSync(
      join(dir, 'tcpdump'),
      `#!/bin/sh\necho "$@" >> '${runs}'\ncat '${FIXTURE_PCAP}'\necho "tcpdump: pcap_loop: The interface disappeared" >&2\nexit 1\n`,
    );
    chmodSync(join(dir, 'tcpdump'), 0o755);
    process.env['PATH'] = `${dir}:${PATH}`;
    const got: Observation[] = [];
    const src = createWifiProbeSource({
      receiverId: 'rx-front',
      pepper: 'pepper-0123456789abcdef',
      clock: systemClock,
      logger: silentLogger(),
      live: { interface: 'mon0', tool: 'tcpdump' },
      retryMinMs: 50,
      retryMaxMs: 200,
    });
    await src.start((o) => got.push(...o));
    await waitFor(() => got.length >= 24, 5_000, 'two runs of 12 probes');
    expect(readFileSync(runs, 'utf8').split('\n')[0]).toBe('-i mon0 -I -y IEEE802_11_RADIO -U -w - type mgt subtype probe-req');
    const first = got.slice(0, 12);
    expect(first.map((o) => o.at - first[0]!.at)).toEqual(Array.from({ length: 12 }, (_, i) => i * 500));
    expect(first[0]).toMatchObject({ source: 'wifi', receiverId: 'rx-front', at: Date.UTC(2024, 2, 15, 12), rssiDbm: -60, randomized: true });
    expect(new Set(first.map((o) => o.subject)).size).toBe(3);
    expect(JSON.stringify(got)).not.toMatch(/02:?00:?5e:?10|3c:?22:?fb:?aa|da:?a1:?19:?e7/i);
    await waitFor(() => src.health().state === 'unavailable', 2_000, 'unavailable');
    expect(src.health().detail).toMatch(/tcpdump exited \(code 1\).*interface disappeared/);
    src.stop();
    expect(src.health().state).toBe('stopped');
  });

  it('tcpdump on an interface that is not in monitor mode (Ethernet link type) is refused with the reason', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fake-tcpdump-'));
    const ether = Uint8Array.from(readFileSync(FIXTURE_PCAP));
    new DataView(ether.buffer).setUint32(20, 1, true); // LINKTYPE_ETHERNET
    writeFileSync(join(dir, 'ether.pcap'), ether);
    writeFileSync(join(dir, 'tcpdump'), `#!/bin/sh\ncat '${join(dir, 'ether.pcap')}'\nexec sleep 5\n`);
    chmodSync(join(dir, 'tcpdump'), 0o755);
    const got: Observation[] = [];
    const src = createWifiProbeSource({
      receiverId: 'rx-front',
      pepper: 'pepper-0123456789abcdef',
      clock: systemClock,
      logger: silentLogger(),
      live: { interface: 'eth0', tool: 'tcpdump', toolPath: join(dir, 'tcpdump') },
      retryMinMs: 10_000,
    });
    await src.start((o) => got.push(...o));
    await waitFor(() => src.health().state === 'unavailable', 5_000, 'unavailable');
    expect(src.health().detail).toMatch(/link type 1, not radiotap \(127\): is eth0 in monitor mode/);
    expect(got).toEqual([]);
    src.stop();
  });

  it.skipIf(!sharedPresent)(
    `tcpdump streaming the real lab capture through a pipe gives one observation per probe request${sharedPresent ? '' : ' (skipped: shared fixtures absent)'}`,
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'fake-tcpdump-'));
      // Small, odd-sized writes: records are cut at arbitrary points on the way through the pipe.
      writeFileSync(join(dir, 'tcpdump'), `#!/bin/sh\ndd if='${SHARED_PCAP}' bs=1000 status=none\nexec sleep 5\n`);
      chmodSync(join(dir, 'tcpdump'), 0o755);
      const decoded = decodeProbeCapture(readFileSync(SHARED_PCAP));
      const probes = decoded.ok ? decoded.value.frames.filter((f) => 'probe' in f).length : -1;
      const got: Observation[] = [];
      const src = createWifiProbeSource({
        receiverId: 'rx-front',
        pepper: 'pepper-0123456789abcdef',
        clock: systemClock,
        logger: silentLogger(),
        live: { interface: 'mon0', tool: 'tcpdump', toolPath: join(dir, 'tcpdump') },
      });
      await src.start((o) => got.push(...o));
      await waitFor(() => got.length >= probes, 10_000, `${probes} observations`);
      expect(got).toHaveLength(probes);
      expect(src.health()).toMatchObject({ state: 'ok', observations: probes });
      src.stop();
    },
  );
});
