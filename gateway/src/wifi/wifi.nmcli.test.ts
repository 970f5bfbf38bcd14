import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGateway } from '../app.js';
import { silentLogger } from '../log.js';
import { boutiqueConfig } from '../testing/fixtures.js';
import { createStatusApp } from '../status/status.api.js';
import { TestClock } from '../testing/test-clock.js';
import { loadNodeWifi } from './node-wifi.adapter.js';
import { runWifi } from './wifi.cli.js';
import { WifiMonitor } from './wifi.monitor.js';
import type { WifiStatus, WifiSurvey } from './wifi.survey.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/wifi/${name}`, import.meta.url));
const SCAN = fixture('nmcli-device-wifi-list.terse.txt');
const CURRENT = fixture('nmcli-device-wifi.current.terse.txt');
const PATH = process.env['PATH'];
const SCAN_ARGS = '--terse --fields active,ssid,bssid,mode,chan,freq,signal,security,wpa-flags,rsn-flags device wifi list';
const CURRENT_ARGS = '--terse --fields active,ssid,bssid,mode,chan,freq,signal,security,wpa-flags,rsn-flags,device device wifi';

let dir: string;
let argsLog: string;
/** Puts a fake `nmcli` first on PATH; the real node-wifi runs it (it spawns `nmcli` by name). */
function fakeNmcli(body: string) {
  writeFileSync(join(dir, 'nmcli'), `#!/bin/sh\necho "$*" >> '${argsLog}'\n${body}\n`);
  chmodSync(join(dir, 'nmcli'), 0o755);
  process.env['PATH'] = `${dir}:${PATH}`;
}
const realFormat = `case "$*" in\n  *rsn-flags,device*) cat '${CURRENT}' ;;\n  *) cat '${SCAN}' ;;\nesac`;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), nowMs: () => 1_700_000_000_000 } };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fake-nmcli-'));
  argsLog = join(dir, 'args');
});
afterEach(() => {
  process.env['PATH'] = PATH;
  rmSync(dir, { recursive: true, force: true });
});

describe('wifi via the real node-wifi and a fake nmcli', () => {
  it('wifi status: the uplink SSID, signal and frequency; BSSID shown as its vendor prefix', async () => {
    fakeNmcli(realFormat);
    const t = io();
    expect(await runWifi(['status'], t.io)).toBe(0);
    expect(t.out.join('')).toBe('connected to "store-uplink" (a0:b1:c2:…) on wlan0, channel 36, 5180 MHz, signal 81% (~-59.5 dBm), security WPA2 WPA3\n');
    expect(readFileSync(argsLog, 'utf8').trim()).toBe(CURRENT_ARGS);
    const j = io();
    expect(await runWifi(['status', '--json', '--show-bssid'], j.io)).toBe(0);
    expect(JSON.parse(j.out.join(''))).toMatchObject({
      connected: true,
      connection: { ssid: 'store-uplink', bssid: 'a0:b1:c2:d3:e4:f5', iface: 'wlan0', channel: 36, frequencyMhz: 5180, signalPercent: 81 },
    });
  });

  it("wifi scan --json: strongest first, the uplink marked, the hidden SSID kept, the SSID with ':' flagged instead of shown wrong", async () => {
    fakeNmcli(realFormat);
    const t = io();
    expect(await runWifi(['scan', '--json'], t.io)).toBe(0);
    const survey = JSON.parse(t.out.join('')) as WifiSurvey;
    expect(readFileSync(argsLog, 'utf8').trim().split('\n')).toEqual([CURRENT_ARGS, SCAN_ARGS]);
    expect(survey.accessPoints.map((a) => a.ssid)).toEqual(['Linksys01777', 'store-uplink', '', 'Cafe:…']);
    expect(survey.accessPoints[0]).toEqual({
      ssid: 'Linksys01777',
      bssid: '31:23:03:…',
      mode: 'Infra',
      channel: 11,
      frequencyMhz: 2462,
      signalPercent: 100,
      signalDbm: -50,
      security: 'WPA2',
    });
    expect(survey.accessPoints[1]).toMatchObject({ ssid: 'store-uplink', connected: true, channel: 36 });
    expect(survey.accessPoints[2]).toMatchObject({ ssid: '', channel: 1, security: 'none' });
    expect(survey.accessPoints[3]).toMatchObject({ bssid: '3c:22:fb:…', misparsed: expect.stringMatching(/SSID contains ':'/) });
    expect(survey.accessPoints[3]!.channel).toBeUndefined();
    expect(t.out.join('')).not.toMatch(/d3:?e4:?f5|aa:?bb:?01/i);
  });

  it('wifi scan: a table for installers; --iface is passed to nmcli', async () => {
    fakeNmcli(realFormat);
    const t = io();
    expect(await runWifi(['scan', '--iface', 'wlan1'], t.io)).toBe(0);
    const table = t.out.join('');
    expect(table).toMatch(/^SSID +BSSID +CH +MHz +SIGNAL +SECURITY\n/);
    expect(table).toMatch(/\n\* store-uplink +a0:b1:c2:… +36 +5180 81% ~-59\.5 d… WPA2 WPA3\n/);
    expect(table).toMatch(/\n\(hidden\) /);
    expect(table).toMatch(/4 access point\(s\); \* = the gateway's uplink\n$/);
    expect(readFileSync(argsLog, 'utf8')).toMatch(/device wifi list ifname wlan1\n$/);
  });

  it('no nmcli (NetworkManager not installed) -> exit 1 with the reason; not running -> its reason', async () => {
    process.env['PATH'] = dir; // an empty dir: no nmcli anywhere
    const t = io();
    expect(await runWifi(['status'], t.io)).toBe(1);
    expect(t.err.join('')).toMatch(/wifi status: nmcli not found: NetworkManager is not installed/);
    fakeNmcli('echo "Error: NetworkManager is not running." >&2\nexit 8');
    const u = io();
    expect(await runWifi(['scan'], u.io)).toBe(1);
    expect(u.err.join('')).toMatch(/NetworkManager is not running/);
  });

  it('usage errors exit 2', async () => {
    const t = io();
    expect(await runWifi([], t.io)).toBe(2);
    expect(await runWifi(['connect', 'x'], t.io)).toBe(2);
    expect(await runWifi(['scan', '--bogus'], t.io)).toBe(2);
  });

  it('the status API shows `wifi`: available:false with the reason without NetworkManager, then the uplink and the last survey', async () => {
    process.env['PATH'] = dir;
    const clock = new TestClock();
    const monitor = new WifiMonitor({ clock, timers: clock, logger: silentLogger(), load: () => loadNodeWifi(), refreshMs: 60_000 });
    const app = createStatusApp({
      health: () => ({ v: 1, at: 1, version: 't', sources: {}, outbox: { depth: 0, dropped: 0 }, model: { name: 'rules', version: '1' }, subjects: 0 }),
      wifi: monitor,
      logger: silentLogger(),
    });
    expect(((await (await app.request('/api/v1/health')).json()) as { wifi: WifiStatus }).wifi).toEqual({ available: false, reason: 'not checked yet' });
    monitor.start();
    await clock.advance(0);
    await monitor.refresh();
    const off = (await (await app.request('/api/v1/wifi')).json()) as WifiStatus;
    expect(off).toMatchObject({ available: false, reason: expect.stringMatching(/nmcli not found/) });
    fakeNmcli(realFormat);
    const on = (await (await app.request('/api/v1/wifi?refresh=1')).json()) as WifiStatus;
    expect(on).toMatchObject({ available: true, connection: { ssid: 'store-uplink', bssid: 'a0:b1:c2:…', signalPercent: 81, frequencyMhz: 5180 } });
    expect(on.survey!.accessPoints).toHaveLength(4);
    rmSync(join(dir, 'nmcli')); // NetworkManager goes away: the last survey stays, marked unavailable
    process.env['PATH'] = dir;
    await clock.advance(60_000);
    await monitor.refresh();
    const later = ((await (await app.request('/api/v1/health')).json()) as { wifi: WifiStatus }).wifi;
    expect(later).toMatchObject({ available: false, reason: expect.stringMatching(/nmcli not found/) });
    expect(later.survey!.accessPoints).toHaveLength(4);
    expect(later.connection).toBeUndefined();
    monitor.stop();
  });

  it('a running gateway with its status API reports wifi unavailable (no NetworkManager) and keeps running', async () => {
    process.env['PATH'] = dir;
    const gw = createGateway(boutiqueConfig({ dataDir: dir, statusApi: { host: '127.0.0.1', port: 0 } }), { logger: silentLogger(), uplink: false });
    await gw.start();
    try {
      const url = `${gw.statusUrl()}/api/v1/wifi`;
      let body: WifiStatus = { available: false, reason: 'not checked yet' };
      for (let i = 0; i < 100 && body.reason === 'not checked yet'; i++) {
        body = (await (await fetch(url)).json()) as WifiStatus;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(body).toMatchObject({ available: false, reason: expect.stringMatching(/nmcli not found/) });
      const health = (await (await fetch(`${gw.statusUrl()}/api/v1/health`)).json()) as { wifi: WifiStatus; v: number };
      expect(health).toMatchObject({ v: 1, wifi: { available: false } });
    } finally {
      await gw.stop();
    }
  });
});
