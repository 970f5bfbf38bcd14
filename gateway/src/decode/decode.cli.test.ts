import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sharedFiles } from '@storesense/protocol/testing';

/** Spawns the built CLI (`npx tsc -b` first), as an installer would run it. */
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const fixture = (p: string) => fileURLToPath(new URL(`../../fixtures/${p}`, import.meta.url));
const hexOf = (p: string) =>
  readFileSync(fixture(p), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('')
    .replace(/\s/g, '');
const {
  paths: [REAL_PCAP],
  skip: noRealPcap,
} = sharedFiles(['fixtures/wifi-probes/lab-position1-2024-03-15.pcap'], 'the real lab capture decode test');

function decode(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'decode', ...args], { encoding: 'utf8', env: { ...process.env, STORESENSE_SITE_PEPPER: 'test-pepper' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe.skipIf(!existsSync(CLI))('storesense-gateway decode (dist)', { timeout: 60_000 }, () => {
  it('ble: prints the advert and the member token; the address is pseudonymised unless --show-mac', () => {
    const hex = hexOf('ble/eddystone-eid-member-token.hex');
    const r = decode('ble', hex, '--address', '7A:11:22:33:44:55');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { token: string; address: string; advert: { eddystone: { frame: string } } };
    expect(out.token).toBe('5a1f0c3e9b7d2a40');
    expect(out.advert.eddystone.frame).toBe('eid');
    expect(out.address).toMatch(/^s_[0-9a-f]{16}$/);
    expect(r.out.toLowerCase()).not.toContain('7a:11:22');
    expect((JSON.parse(decode('ble', hex, '--address', '7A:11:22:33:44:55', '--show-mac').out) as { address: string }).address).toBe('7a1122334455');
  });
  it('ble: a malformed advert exits 1 with the reason', () => {
    const r = decode('ble', '05ff4c00');
    expect(r.code).toBe(1);
    expect(r.err).toContain('AD structure at 0 declares 5 bytes, 3 remain');
    expect(decode('ble', 'xyz').code).toBe(1);
  });
  it('probe: a pcap built from the radiotap fixture', () => {
    const dir = mkdtempSync(join(tmpdir(), 'decode-probe-'));
    try {
      const frame = Buffer.from(hexOf('wifi/radiotap-ext-bitmaps-probe-fcs.hex'), 'hex');
      const head = Buffer.alloc(24);
      head.writeUInt32LE(0xa1b2c3d4, 0);
      head.writeUInt16LE(2, 4);
      head.writeUInt16LE(4, 6);
      head.writeUInt32LE(65535, 16);
      head.writeUInt32LE(127, 20);
      const rec = Buffer.alloc(16);
      rec.writeUInt32LE(1_767_607_200, 0);
      rec.writeUInt32LE(frame.length, 8);
      rec.writeUInt32LE(frame.length, 12);
      const path = join(dir, 'one.pcap');
      writeFileSync(path, Buffer.concat([head, rec, frame]));
      const r = decode('probe', path);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.out) as { frames: number; decoded: { signalDbm: number; probe: { sourceMac: string; sequenceNumber: number } }[] };
      expect(out.frames).toBe(1);
      expect(out.decoded[0]).toMatchObject({ signalDbm: -60, probe: { sequenceNumber: 100, sourceMac: expect.stringMatching(/^s_/) } });
      expect(r.out).not.toContain('02005e102030');
      writeFileSync(path, Buffer.from('not a pcap at all, not at all'));
      expect(decode('probe', path)).toMatchObject({ code: 1, err: expect.stringContaining('not a pcap file') });
      expect(decode('probe', join(dir, 'missing.pcap'))).toMatchObject({ code: 1, err: expect.stringContaining('ENOENT') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('probe: a slow pipe gets every byte a file gets (output flushed before exit, far past the 64 KiB pipe buffer)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'decode-pipe-'));
    try {
      const frame = Buffer.from(hexOf('wifi/radiotap-ext-bitmaps-probe-fcs.hex'), 'hex');
      const head = Buffer.alloc(24);
      head.writeUInt32LE(0xa1b2c3d4, 0);
      head.writeUInt16LE(2, 4);
      head.writeUInt16LE(4, 6);
      head.writeUInt32LE(65535, 16);
      head.writeUInt32LE(127, 20);
      const records = Array.from({ length: 3000 }, (_, i) => {
        const rec = Buffer.alloc(16);
        rec.writeUInt32LE(1_767_607_200 + i, 0);
        rec.writeUInt32LE(frame.length, 8);
        rec.writeUInt32LE(frame.length, 12);
        return Buffer.concat([rec, frame]);
      });
      const path = join(dir, 'many.pcap');
      writeFileSync(path, Buffer.concat([head, ...records]));
      const env = { ...process.env, STORESENSE_SITE_PEPPER: 'test-pepper' };
      const outFile = join(dir, 'out.json');
      const fd = openSync(outFile, 'w');
      spawnSync(process.execPath, [CLI, 'decode', 'probe', path], { stdio: ['ignore', fd, 'ignore'], env });
      closeSync(fd);
      const viaFile = readFileSync(outFile);
      expect(viaFile.length).toBeGreaterThan(256 * 1024);
      // A reader that starts late and reads slowly, like `| jq` on a busy box.
      const child = spawn(process.execPath, [CLI, 'decode', 'probe', path], { stdio: ['ignore', 'pipe', 'ignore'], env });
      child.stdout.pause();
      const chunks: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => chunks.push(d));
      const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.stdout.resume();
      expect(await exited).toBe(0);
      expect(Buffer.concat(chunks).equals(viaFile)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it.skipIf(noRealPcap)('probe: the real lab capture, first 2 frames', () => {
    const r = decode('probe', REAL_PCAP!, '--limit', '2');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ frames: 4926, rejected: 0, decoded: [{ signalDbm: -86, channelFrequencyMhz: 2462 }, { signalDbm: -88 }] });
    expect(r.out).not.toContain('da:a1:19');
  });
  it('espresense: parses topic and payload; the device id is pseudonymised; a bad payload exits 1', () => {
    const r = decode('espresense', 'espresense/devices/58b1294494d3/office', '{"id":"58b1294494d3","rssi":"-70","rssi@1m":-59}');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ room: 'office', rssiDbm: -70, rssiAt1mDbm: -59, deviceId: expect.stringMatching(/^s_/) });
    expect(r.out).not.toContain('58b1294494d3');
    expect(decode('espresense', 'espresense/devices/a/office', '{"id":"a"}')).toMatchObject({ code: 1, err: expect.stringContaining('rssi missing') });
  });
  it('meraki: v3 body with and without the secret', () => {
    const path = fixture('meraki/v3-wifi-strings.json');
    const r = decode('meraki', path, '--secret', 'shop-secret-1');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ version: '3.0', secretChecked: true, sightings: [{ rssiDbm: -62 }, { rssiDbm: -75 }, { rssiDbm: -80 }] });
    expect(r.out.toLowerCase()).not.toContain('00:00:5e:00:53:01');
    expect(decode('meraki', path, '--secret', 'wrong')).toMatchObject({ code: 1, err: expect.stringContaining('secret mismatch') });
  });
  it('usage errors exit 2', () => {
    expect(decode('nope', 'x').code).toBe(2);
    expect(decode('ble').code).toBe(2);
  });
});
