import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const fixture = (p: string) => fileURLToPath(new URL(`../../fixtures/wifi/${p}`, import.meta.url));

function decode(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'decode', ...args], { encoding: 'utf8', env: { ...process.env, STORESENSE_SITE_PEPPER: 'test-pepper' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe.skipIf(!existsSync(CLI))('storesense-gateway decode probe reads pcapng (Wireshark default) as well as pcap', { timeout: 60_000 }, () => {
  it('a pcapng gives the same answer as the pcap it was converted from (editcap), MACs pseudonymised', () => {
    const pcap = decode('probe', fixture('probe-requests-3-devices.pcap'));
    const ng = decode('probe', fixture('probe-requests-3-devices.pcapng'));
    expect([pcap.code, ng.code]).toEqual([0, 0]);
    expect(JSON.parse(ng.out)).toEqual(JSON.parse(pcap.out));
    expect(JSON.parse(ng.out)).toMatchObject({ frames: 12, probeRequests: 12, rejected: 0 });
    expect(ng.out).not.toMatch(/3c:22:fb:aa:bb:01|3c22fbaabb01/i);
  });

  it('a mixed-interface pcapng: the radiotap frames decoded, the Ethernet one rejected with its reason', () => {
    const r = decode('probe', fixture('probe-requests-and-ethernet.pcapng'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ frames: 13, probeRequests: 12, rejected: 1 });
    expect(r.out).toContain('interface 1 has linktype 1, not 127 (radiotap)');
  });
});
