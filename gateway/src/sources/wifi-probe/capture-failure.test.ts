import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../clock.js';
import { silentLogger } from '../../log.js';
import { waitFor } from '../../testing/aedes-broker.js';
import { captureExitReason, tellingStderrLine } from './capture-failure.js';
import { createWifiProbeSource } from './wifi-probe.source.js';

// What tshark 3.x/4.x prints when started on an interface that does not exist: the tally comes last.
const TSHARK_NO_DEVICE =
  "Capturing on 'mon0'\ntshark: The capture session could not be initiated on interface 'mon0' (No such device exists).\nPlease check that you have the proper interface or pipe specified.\n0 packets captured\n";

describe('capture failure reasons', () => {
  it('skips the packet tally and banners for the line that says why', () => {
    expect(tellingStderrLine(TSHARK_NO_DEVICE)).toBe('Please check that you have the proper interface or pipe specified.');
    expect(
      tellingStderrLine(
        'tcpdump: listening on mon0, link-type IEEE802_11_RADIO\n3 packets captured\n3 packets received by filter\n0 packets dropped by kernel\n',
      ),
    ).toBe('');
  });

  it('a missing interface is named as such, before the tool exit', () => {
    const reason = captureExitReason({ bin: 'tshark', iface: 'mon0', interfaceExists: false, code: 1, signal: null, stderr: TSHARK_NO_DEVICE });
    expect(reason).toMatch(/^interface mon0 does not exist \(create it: iw dev wlan0 interface add mon0 type monitor\); tshark exited \(code 1\)/);
    expect(reason).not.toContain('0 packets captured');
    expect(
      captureExitReason({
        bin: 'tcpdump',
        iface: 'mon0',
        interfaceExists: true,
        code: 1,
        signal: null,
        stderr: 'tcpdump: pcap_loop: The interface disappeared\n',
      }),
    ).toBe('tcpdump exited (code 1): tcpdump: pcap_loop: The interface disappeared');
  });

  it('the live source reports it in health (a fake tshark printing what the real one does)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-tshark-nodev-'));
    try {
      const bin = join(dir, 'tshark');
      writeFileSync(join(dir, 'stderr.txt'), TSHARK_NO_DEVICE);
      writeFileSync(bin, `#!/bin/sh\ncat '${join(dir, 'stderr.txt')}' >&2\nexit 1\n`);
      chmodSync(bin, 0o755);
      const src = createWifiProbeSource({
        receiverId: 'rx-front',
        pepper: 'pepper-0123456789abcdef',
        clock: systemClock,
        logger: silentLogger(),
        live: { interface: 'mon0', tool: 'tshark', toolPath: bin },
        retryMinMs: 10_000,
        interfaceExists: () => false,
      });
      await src.start(() => undefined);
      await waitFor(() => src.health().state === 'unavailable', 5_000, 'unavailable');
      expect(src.health().detail).toMatch(/^interface mon0 does not exist/);
      expect(src.health().detail).not.toContain('0 packets captured');
      src.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
