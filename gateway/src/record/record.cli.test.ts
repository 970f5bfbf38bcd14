import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTrace, type Observation } from '@storesense/protocol';
import { systemClock } from '../clock.js';
import { silentLogger } from '../log.js';
import { createReplaySource } from '../sources/replay/replay.source.js';
import { waitFor } from '../testing/aedes-broker.js';
import { boutiqueConfig } from '../testing/fixtures.js';
import { parseDurationMs, runRecord } from './record.cli.js';
import { sharedFiles } from '@storesense/protocol/testing';

const FIXTURE_PCAP = fileURLToPath(new URL('../../fixtures/wifi/probe-requests-3-devices.pcap', import.meta.url));
const FIXTURE_MACS = ['02005e102030', '3c22fbaabb01', 'daa119e755dc'];
const {
  paths: [SHARED_PCAP, SHARED_CSV],
  skip: noShared,
} = sharedFiles(
  ['fixtures/wifi-probes/lab-position1-2024-03-15.pcap', 'fixtures/wifi-probes/lab-position1-2024-03-15.csv'],
  'the real lab capture recorder test',
);
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const sharedPresent = !noShared;

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

async function recordPcap(pcap: string, maxBytes: number) {
  const dir = mkdtempSync(join(tmpdir(), 'record-cli-'));
  dirs.push(dir);
  const cfgPath = join(dir, 'gateway.json');
  const out = join(dir, 'traces');
  const cfg = boutiqueConfig({
    dataDir: join(dir, 'data'),
    identity: { pepperEnv: 'NO_SUCH_ENV', pepper: 'pepper-0123456789abcdef' },
    sources: [{ kind: 'wifi_probe', receiverId: 'rx-front', pcap, speed: 100_000 }, { kind: 'http_observations' }],
  });
  writeFileSync(cfgPath, JSON.stringify(cfg));
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runRecord(['--config', cfgPath, '--out', out, '--max-bytes', String(maxBytes), '--duration', '20s'], {
    stdout: (t) => stdout.push(t),
    stderr: (t) => stderr.push(t),
    env: {},
    logger: silentLogger(),
  });
  const files = readdirSync(out)
    .sort()
    .map((name) => ({ name, text: readFileSync(join(out, name), 'utf8') }));
  return { code, stdout: stdout.join(''), stderr: stderr.join(''), files, out };
}

/** Every spelling of a MAC a careless writer could produce: aa:bb:…, aa-bb-…, aabb…, either case. */
function macPattern(macs: readonly string[]): RegExp {
  return new RegExp(macs.map((m) => m.toLowerCase().match(/../g)!.join('[:-]?')).join('|'), 'i');
}

describe('storesense-gateway record', () => {
  it('records a wifi_probe pcap source into rotated trace files the protocol codec reads, pseudonymous only', async () => {
    const r = await recordPcap(FIXTURE_PCAP, 4096);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/http_observations#1 not recorded: fed through the status API/);
    const summary = JSON.parse(r.stdout) as { files: string[]; records: number; sources: Record<string, { state: string; observations: number }> };
    expect(summary.records).toBe(12);
    expect(summary.sources['wifi_probe#0']).toMatchObject({ state: 'stopped', observations: 12 });
    expect(summary.files).toEqual(r.files.map((f) => f.name));
    const records: Observation[] = [];
    for (const f of r.files) {
      expect(f.name).toMatch(/^trace-\d{6}-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.ndjson$/);
      const parsed = parseTrace(f.text);
      expect(parsed.ok && parsed.value.rejected).toEqual([]);
      if (parsed.ok) records.push(...parsed.value.records);
    }
    expect(records).toHaveLength(12);
    expect(new Set(records.map((o) => o.subject)).size).toBe(3);
    expect(records.filter((o) => o.randomized).length).toBe(8);
    expect(records.every((o) => o.source === 'wifi' && o.receiverId === 'rx-front' && /^s_[0-9a-f]{16}$/.test(o.subject))).toBe(true);
    expect(r.files.map((f) => f.text).join('')).not.toMatch(macPattern(FIXTURE_MACS));
    // Each file replays on its own through the gateway's replay source.
    const replayed: Observation[] = [];
    for (const f of r.files) {
      const src = createReplaySource({ path: join(r.out, f.name), speed: 100_000, rebase: false, loop: false, clock: systemClock, logger: silentLogger() });
      await src.start((o) => replayed.push(...o));
      await waitFor(() => src.health().state === 'stopped', 5_000, `replay of ${f.name}`);
      expect(src.health().rejected).toBe(0);
    }
    expect(replayed).toEqual(records);
  });

  it.skipIf(!sharedPresent)(
    `the real lab capture: rotation at 64 KiB, every probe recorded, none of its ${'source MACs'} in any file${sharedPresent ? '' : ' (skipped: shared fixtures absent)'}`,
    async () => {
      const r = await recordPcap(SHARED_PCAP!, 65_536);
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.stdout) as { records: number };
      expect(r.files.length).toBeGreaterThan(2);
      const macs = [
        ...new Set(
          readFileSync(SHARED_CSV!, 'utf8')
            .trim()
            .split('\n')
            .slice(1)
            .map((l) => l.split(';')[2]!.replace(/[:-]/g, ''))
            .filter((m) => /^[0-9a-f]{12}$/i.test(m)),
        ),
      ];
      expect(macs.length).toBeGreaterThan(10);
      let total = 0;
      for (const f of r.files) {
        expect(Buffer.byteLength(f.text)).toBeLessThanOrEqual(65_536);
        const parsed = parseTrace(f.text);
        expect(parsed.ok && parsed.value.rejected).toEqual([]);
        total += parsed.ok ? parsed.value.records.length : 0;
      }
      expect(total).toBe(summary.records);
      expect(total).toBeGreaterThan(1000);
      const all = r.files.map((f) => f.text).join('');
      // One regexp over ~4 000 MACs is slow to build; check them in chunks.
      for (let i = 0; i < macs.length; i += 200) expect(all).not.toMatch(macPattern(macs.slice(i, i + 200)));
    },
    60_000,
  );

  it('usage errors exit 2 with the reason', async () => {
    const io = { stdout: () => {}, stderr: (t: string) => errs.push(t), env: {}, logger: silentLogger() };
    const errs: string[] = [];
    expect(await runRecord(['--out', 'x'], io)).toBe(2);
    expect(await runRecord(['--config', 'c', '--out', 'x', '--max-bytes', '100'], io)).toBe(2);
    expect(await runRecord(['--config', 'c', '--out', 'x', '--duration', 'soon'], io)).toBe(2);
    expect(errs.join('')).toMatch(/--config and --out[\s\S]*>= 4096[\s\S]*not a duration/);
  });

  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1500', undefined],
    ['250ms', 250],
    ['0s', undefined],
    ['x', undefined],
  ])('parseDurationMs(%s) = %s', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.skipIf(!existsSync(CLI))(
    'the built CLI records a live tcpdump capture until SIGINT, then closes its files and prints the summary',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'record-sigint-'));
      dirs.push(dir);
      const tcpdump = join(dir, 'tcpdump');
      writeFileSync(tcpdump, `#!/bin/sh\ncat '${FIXTURE_PCAP}'\nexec sleep 30\n`);
      chmodSync(tcpdump, 0o755);
      const cfgPath = join(dir, 'gateway.json');
      writeFileSync(
        cfgPath,
        JSON.stringify(
          boutiqueConfig({
            dataDir: join(dir, 'data'),
            identity: { pepperEnv: 'NO_SUCH_ENV', pepper: 'pepper-0123456789abcdef' },
            sources: [{ kind: 'wifi_probe', receiverId: 'rx-front', interface: 'mon0', tool: 'tcpdump', toolPath: tcpdump }],
          }),
        ),
      );
      const child = spawn(process.execPath, [CLI, 'record', '--config', cfgPath, '--out', join(dir, 'traces')], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      for (let i = 0; i < 200 && !stderr.includes('"msg":"recording"'); i++) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 300)); // the capture's 12 frames arrive
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      const summary = JSON.parse(stdout) as { records: number; files: string[] };
      expect(summary.records).toBe(12);
      const parsed = parseTrace(readFileSync(join(dir, 'traces', summary.files[0]!), 'utf8'));
      expect(parsed.ok && parsed.value.records).toHaveLength(12);
    },
    20_000,
  );
});
