/**
 * Every real source, end to end: one gateway runs the ESPresense-shop install example with all its
 * sources at once (ESPresense nodes on a local broker, a BLE dongle through a fake noble, a Meraki
 * Scanning API receiver, a recorded probe-request pcap, smart terminals over HTTP and over their
 * own MQTT topics), uplinks to a real cloud (aedes on a loopback port, SQLite file), and the test
 * reads what the cloud stored through its API. Time is scaled like the other e2e tests; every wait
 * is on a condition with a generous timeout, never on the wall clock.
 */
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cloud } from '@storesense/cloud';
import {
  exampleSitePath,
  loadSiteFile,
  renderEsp32Nodes,
  renderGatewayConfig,
  type GatewayConfig,
  type Receiver,
  type Site,
} from '@storesense/firmware-config';
import { createGateway, silentLogger, type Gateway, type NobleLike, type NoblePeripheralLike } from '@storesense/gateway';
import { memberToken, topics, type Observation, type PresenceEvent } from '@storesense/protocol';
import { cloudEvents, ScaledClock, SPEED, startCloud, TICK_MS, tempDir, waitFor } from './harness.js';
import { sharedFiles } from '@storesense/protocol/testing';

const KEYS = {
  M1: '1111aaaa2222bbbb3333cccc4444dddd', // legacy card holder (ESPresense hears the card)
  M2: '5555eeee6666ffff7777000088881111', // member app (Eddystone-EID through the BLE dongle)
  M3: '9999222233334444aaaabbbbccccdddd', // pays at the POS with the app's token (MQTT terminal topic)
  M4: 'abcdef0123456789abcdef0123456789', // has a card but no consent: must never resolve
};
const CARD_UUID = 'e2c56db5-dffb-48d2-b060-d0f5a71096e0';
const CARD_M1 = `iBeacon:${CARD_UUID}-100-1`;
const CARD_M4 = `iBeacon:${CARD_UUID}-100-4`;
const MEMBERS_CSV = [
  'memberId,name,tier,tags,consent,tokenKey,legacyBeacon',
  `M1,Card Holder,gold,,yes,${KEYS.M1},${CARD_UUID}:100:1`,
  `M2,App User,silver,,yes,${KEYS.M2},`,
  `M3,Token Payer,basic,,yes,${KEYS.M3},`,
  `M4,No Consent,basic,,no,${KEYS.M4},${CARD_UUID}:100:4`,
].join('\n');
const POS_TOKEN = 'pos-1-e2e-token-0123456789';
const CAM_TOKEN = 'cam-door-e2e-token-0123456789';
const MERAKI_SECRET = 'meraki-e2e-secret';
const PEPPER = 'e2e-sources-pepper-0123456789abcdef';
/** Meraki AP MACs, one per receiver of the site (documentation range). */
const AP: Record<string, string> = {
  'esp-window': '00:00:5e:00:53:a1',
  'esp-door': '00:00:5e:00:53:a2',
  'esp-shelves': '00:00:5e:00:53:a3',
  'esp-till': '00:00:5e:00:53:a4',
};
const MERAKI_CLIENT = '3c:22:fb:10:20:30';

const REPO_PCAP = fileURLToPath(new URL('../../gateway/fixtures/wifi/probe-requests-3-devices.pcap', import.meta.url));
const {
  paths: [LAB_PCAP = '', MERAKI_V2 = ''],
  skip: noShared,
} = sharedFiles(
  ['fixtures/wifi-probes/lab-position1-2024-03-15.pcap', 'fixtures/meraki/v2.0-devices-seen-wifi.json'],
  'the real captures in the sources e2e test',
);
const sharedMeraki = !noShared;

/** A noble-like BLE stack the test drives (the gateway's only noble file takes any NobleLike). */
class TestNoble extends EventEmitter implements NobleLike {
  state = 'unknown';
  async startScanningAsync(): Promise<void> {}
  async stopScanningAsync(): Promise<void> {}
  powerOn(): void {
    this.state = 'poweredOn';
    this.emit('stateChange', 'poweredOn');
  }
}

/** The store's local broker (Mosquitto in a real store): ESPresense nodes and terminals publish here. */
async function startLocalBroker(): Promise<{ url: string; close(): Promise<void> }> {
  const aedes = await Aedes.createBroker({});
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    aedes.handle(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

interface Waypoint {
  t: number;
  x: number;
  y: number;
}
/** Walks through street -> door -> shelves (dwell) -> till -> door -> street, then leaves radio range. */
const SHOPPER_WALK: Waypoint[] = [
  { t: 0, x: 5, y: -3 },
  { t: 6_000, x: 5, y: -3 },
  { t: 9_000, x: 5, y: 1 },
  { t: 11_000, x: 3, y: 4 },
  { t: 36_000, x: 3, y: 4 },
  { t: 39_000, x: 8, y: 7 },
  { t: 46_000, x: 8, y: 7 },
  { t: 49_000, x: 5, y: 1 },
  { t: 51_000, x: 5, y: -3 },
  { t: 54_000, x: 5, y: -3 },
];
const WALK_END_MS = 54_000;

function positionAt(walk: Waypoint[], t: number): { x: number; y: number } | undefined {
  if (t < walk[0]!.t || t > walk[walk.length - 1]!.t) return undefined;
  for (let i = 1; i < walk.length; i++) {
    const a = walk[i - 1]!;
    const b = walk[i]!;
    if (t <= b.t) {
      const f = b.t === a.t ? 1 : (t - a.t) / (b.t - a.t);
      return { x: a.x + f * (b.x - a.x), y: a.y + f * (b.y - a.y) };
    }
  }
  return undefined;
}

/**
 * What a receiver reports for a phone at `p`: log-distance path loss with the receiver's own
 * calibration (its reporting bias included, as a real node would show it), 3 dB through the shop
 * front, and a little deterministic jitter.
 */
function rssiAt(site: Site, r: Receiver, p: { x: number; y: number }, jitter: number): number {
  const shop = site.stores[0]!.shape;
  const inside = (q: { x: number; y: number }) =>
    'rect' in shop && q.x >= shop.rect.x && q.x <= shop.rect.x + shop.rect.w && q.y >= shop.rect.y && q.y <= shop.rect.y + shop.rect.h;
  const d = Math.max(0.5, Math.hypot(r.position.x - p.x, r.position.y - p.y));
  const wall = inside(p) !== inside(r.position) ? 3 : 0;
  const c = r.calibration;
  return Math.round(c.refRssiAt1mDbm + c.rssiOffsetDb - 10 * c.pathLossExponent * Math.log10(d) - wall + jitter);
}

describe('every source end to end into events at the cloud (espresense-shop)', () => {
  const tmp = tempDir('e2e-sources');
  const site = ((): Site => {
    const r = loadSiteFile(exampleSitePath('espresense-shop'));
    if (!r.ok) throw new Error(r.error);
    return r.value;
  })();
  const gatewayId = site.gateways[0]!.id;
  let cloud: Cloud | undefined;
  let httpUrl = '';
  let local: Awaited<ReturnType<typeof startLocalBroker>> | undefined;
  let gateway: Gateway | undefined;
  let nodes: MqttClient | undefined;
  let config: GatewayConfig;
  const clock = new ScaledClock(Date.now(), SPEED);
  const noble = new TestNoble();
  const answers: Record<string, number> = {};
  let merakiV2Accepted: number | undefined;
  let stored: PresenceEvent[] = [];

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${gateway!.statusUrl()}${path}`, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const terminalObs = (receiverId: string, terminal: Observation['terminal'], extra: Partial<Observation> = {}): Observation => {
    const at = clock.now();
    return { v: 1, at, source: 'terminal', receiverId, subject: `t_${receiverId}_${at}`, terminal, ...extra };
  };

  beforeAll(async () => {
    const csv = `${tmp.dir}/members.csv`;
    writeFileSync(csv, MEMBERS_CSV);
    const started = await startCloud(`${tmp.dir}/cloud`, { sites: [site], membersCsvPath: csv });
    cloud = started.cloud;
    httpUrl = started.endpoints.httpUrl;
    await cloud.provisionGateway({ siteId: site.id, gatewayId, password: 'e2e-sources-secret' });
    local = await startLocalBroker();

    // The ESPresense rooms come from the installer's render (task: node settings and gateway agree).
    const esp = renderEsp32Nodes(site, { mqttUrl: local.url });
    const rendered = renderGatewayConfig(site, gatewayId, { mqtt: { url: started.endpoints.mqttUrl }, dataDir: `${tmp.dir}/gateway` });
    config = {
      ...rendered,
      tickMs: TICK_MS,
      statusApi: { host: '127.0.0.1', port: 0 },
      identity: { pepperEnv: 'UNSET_E2E_PEPPER', pepper: PEPPER },
      sources: [
        { kind: 'espresense', url: local.url, topic: 'espresense/devices/#', rooms: esp.gatewaySources[0]!.source.rooms },
        { kind: 'ble', adapter: 'noble', receiverId: 'esp-window', silenceRestartMs: 600_000 },
        {
          kind: 'meraki',
          validator: 'e2e-validator',
          secretEnv: 'E2E_MERAKI_SECRET',
          apReceivers: Object.fromEntries(Object.entries(AP).map(([rx, mac]) => [mac, rx])),
        },
        { kind: 'wifi_probe', receiverId: 'esp-door', pcap: existsSync(LAB_PCAP) ? LAB_PCAP : REPO_PCAP, speed: 100_000 },
        { kind: 'http_observations', terminals: { 'pos-1': 'E2E_POS_TOKEN', 'cam-door': 'E2E_CAM_TOKEN' } },
        { kind: 'mqtt_observations', url: local.url, terminalTopics: true },
      ],
    };
    gateway = createGateway(config, {
      clock,
      mqttPassword: 'e2e-sources-secret',
      logger: silentLogger(),
      noble: async () => noble,
      env: { E2E_MERAKI_SECRET: MERAKI_SECRET, E2E_POS_TOKEN: POS_TOKEN, E2E_CAM_TOKEN: CAM_TOKEN },
    });
    await gateway.start();
    noble.powerOn();
    await waitFor('every source up', () => {
      const s = gateway!.health().sources;
      return ['espresense', 'ble', 'meraki', 'wifi_probe', 'http_observations', 'mqtt_observations'].every(
        (n) => s[n]?.state === 'ok' || (n === 'wifi_probe' && s[n]?.observations),
      );
    });
    nodes = await mqtt.connectAsync(local.url, { clientId: 'espresense-nodes-and-terminals', reconnectPeriod: 0 });

    // Real Meraki v2 body (2015 timestamps: counted as observations, too old to be anyone's visit).
    if (sharedMeraki) {
      const body = JSON.parse(readFileSync(MERAKI_V2, 'utf8')) as Record<string, unknown>;
      const r = await post('/api/v1/meraki', { ...body, secret: MERAKI_SECRET });
      merakiV2Accepted = r.status === 200 ? Number(r.body.accepted) : -1;
    }

    // Smart terminals: refusals first (nothing may land), then the posts that must become events.
    answers.noToken = (await post('/api/v1/observations', [terminalObs('pos-1', { kind: 'pos', action: 'purchase', amount: 1 })])).status;
    answers.asCamera = (
      await post('/api/v1/observations', [terminalObs('cam-door', { kind: 'entrance_camera', action: 'count', count: 9 })], {
        authorization: `Bearer ${POS_TOKEN}`,
      })
    ).status;
    answers.cameraCount = (
      await post('/api/v1/observations', [terminalObs('cam-door', { kind: 'entrance_camera', action: 'count', count: 1 })], {
        authorization: `Bearer ${CAM_TOKEN}`,
      })
    ).status;
    // M3 pays with the app's token over the POS's own MQTT topic, before anyone is in the shop.
    await nodes.publishAsync(
      topics.terminalObservations(site.id, gatewayId, 'pos-1'),
      JSON.stringify(
        terminalObs(
          'pos-1',
          { kind: 'pos', action: 'purchase', amount: 9.99, currency: 'EUR' },
          { token: memberToken(KEYS.M3, clock.now(), site.memberTokens.periodMs) },
        ),
      ),
      { qos: 1 },
    );
    // ...and a message on pos-1's topic pretending to be the kiosk is dropped whole.
    await nodes.publishAsync(
      topics.terminalObservations(site.id, gatewayId, 'pos-1'),
      JSON.stringify(terminalObs('kiosk-1', { kind: 'kiosk', action: 'scan', memberId: 'M2' })),
      { qos: 1 },
    );

    // The walk: one loop, scaled time; every iteration is one report per node per phone.
    const t0 = clock.now();
    let seed = 7;
    const jitter = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 4;
    let purchased = false;
    for (let el = 0; el <= WALK_END_MS; el = clock.now() - t0) {
      const cardPos = positionAt(SHOPPER_WALK, el);
      const merakiPos = positionAt(SHOPPER_WALK, el - 2_000);
      if (cardPos) {
        for (const r of site.receivers) {
          const rssi = rssiAt(site, r, cardPos, jitter());
          if (rssi < -95) continue;
          const room = esp.nodes.find((n) => n.receiverId === r.id)!.room;
          await nodes.publishAsync(`espresense/devices/${CARD_M1}/${room}`, JSON.stringify({ id: CARD_M1, idType: 1, 'rssi@1m': -59, rssi, distance: 2 }));
        }
      }
      // M4's card (no consent) lingers at the window for a while: tracked, never resolved.
      if (el < 8_000) await nodes.publishAsync(`espresense/devices/${CARD_M4}/esp_window`, JSON.stringify({ id: CARD_M4, rssi: -62 }));
      if (merakiPos) {
        const rssiRecords = site.receivers.map((r) => ({ apMac: AP[r.id]!, rssi: rssiAt(site, r, merakiPos, jitter()) })).filter((x) => x.rssi >= -95);
        const time = new Date(clock.now()).toISOString();
        const res = await post('/api/v1/meraki', {
          version: '3.0',
          secret: MERAKI_SECRET,
          type: 'BLE',
          data: {
            networkId: 'N_e2e',
            observations: [
              { clientMac: MERAKI_CLIENT, latestRecord: { time, nearestApMac: AP['esp-door'], nearestApRssi: -70 }, locations: [{ time, rssiRecords }] },
            ],
          },
        });
        if (res.status !== 200) throw new Error(`meraki POST ${res.status}`);
      }
      // M2's phone passes the window: Eddystone-EID adverts heard by the gateway's own dongle.
      if (el < 8_000) {
        const token = memberToken(KEYS.M2, clock.now(), site.memberTokens.periodMs);
        const data = Uint8Array.from(`30f6${token}`.match(/../g)!.map((b) => Number.parseInt(b, 16)));
        noble.emit('discover', {
          address: '5e:10:20:30:40:50',
          rssi: -58,
          advertisement: { serviceUuids: ['feaa'], serviceData: [{ uuid: 'feaa', data }] },
        } satisfies NoblePeripheralLike);
      }
      // M1 pays at the till: the POS names the member it scanned.
      if (!purchased && el >= 42_000) {
        purchased = true;
        answers.purchase = (
          await post('/api/v1/observations', [terminalObs('pos-1', { kind: 'pos', action: 'purchase', amount: 42.5, currency: 'EUR', memberId: 'M1' })], {
            authorization: `Bearer ${POS_TOKEN}`,
          })
        ).status;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitFor(
      "the shoppers' exits at the cloud",
      async () => {
        stored = await cloudEvents(httpUrl, site.id);
        const exits = stored.filter((e) => e.type === 'exit').map((e) => e.subject.memberId ?? 'anon');
        return exits.includes('M1') && exits.includes('anon') && gateway!.health().outbox.depth === 0;
      },
      120_000,
    );
    stored = await cloudEvents(httpUrl, site.id);
    if (process.env.E2E_DEBUG)
      console.log(
        stored
          .map(
            (e) =>
              `${e.type}${e.phase ? `:${e.phase}` : ''} ${e.subject.id} ${e.subject.memberId ?? ''} [${e.subject.signals.join(',')}] ${e.zoneId ?? ''} ${e.terminalId ?? ''}`,
          )
          .join('\n'),
      );
  }, 300_000);

  afterAll(async () => {
    await nodes?.endAsync();
    await gateway?.stop();
    await local?.close();
    await cloud?.stop();
    tmp.cleanup();
  });

  const of = (memberId: string | undefined) => stored.filter((e) => e.subject.memberId === memberId);
  const kinds = (events: PresenceEvent[]) => events.map((e) => (e.phase ? `${e.type}:${e.phase}` : e.type));

  it("ESPresense: a legacy member card walking through the nodes is the member's whole visit", () => {
    const m1 = of('M1').filter((e) => e.type !== 'purchase');
    expect(kinds(m1)).toEqual(expect.arrayContaining(['approach', 'arrival', 'dwell:start', 'exit']));
    expect(m1.find((e) => e.type === 'dwell' && e.phase === 'start')?.zoneId).toBe('shelves');
    for (const e of m1) expect(e.subject.signals).toContain('ble');
    // the card's static id never reaches the cloud
    expect(JSON.stringify(stored)).not.toContain(CARD_UUID);
  });

  it('ESPresense: a card of a member without consent is tracked but never resolved', async () => {
    expect(stored.some((e) => e.subject.memberId === 'M4')).toBe(false);
    expect(gateway!.health().sources['espresense']?.observations ?? 0).toBeGreaterThan(100);
  });

  it('Meraki: a BLE client seen by the APs is an anonymous visit', () => {
    const anon = stored.filter((e) => e.subject.memberId === undefined && e.type !== 'purchase' && e.subject.signals.includes('ble'));
    const visit = anon.filter((e) => e.type === 'arrival' || e.type === 'exit');
    expect(visit.map((e) => e.type)).toEqual(expect.arrayContaining(['arrival', 'exit']));
    expect(new Set(visit.map((e) => e.subject.id)).size).toBe(1);
    expect(visit[0]!.subject.id).toMatch(/^s_[0-9a-f]{16}$/);
    expect(gateway!.health().sources['meraki']!.observations).toBeGreaterThan(50);
  });

  it.skipIf(!sharedMeraki)('Meraki: the real v2.0 body is accepted with the shared secret', () => {
    expect(merakiV2Accepted).toBeGreaterThan(0);
  });

  it("BLE: the member app's rotating token heard by the dongle gives an event for that member", () => {
    const m2 = of('M2');
    expect(m2.length).toBeGreaterThan(0);
    expect(kinds(m2)).toContain('approach');
  });

  it('terminal webhook: the POS purchase naming a member lands once, on that member', () => {
    expect(answers.purchase).toBe(200);
    const sales = stored.filter((e) => e.type === 'purchase' && e.amount === 42.5);
    expect(sales).toHaveLength(1);
    expect(sales[0]).toMatchObject({ terminalId: 'pos-1', currency: 'EUR', subject: { memberId: 'M1' } });
  });

  it('terminal webhook: 401 without a token, 403 posting as another terminal; a camera posts as itself', () => {
    expect(answers.noToken).toBe(401);
    expect(answers.asCamera).toBe(403);
    expect(answers.cameraCount).toBe(200);
    expect(stored.some((e) => e.type === 'purchase' && e.amount === 1)).toBe(false);
  });

  it('terminal MQTT topic: a sale paid with a member token resolves to that member; a message posing as another terminal is dropped', () => {
    const sale = stored.filter((e) => e.type === 'purchase' && e.amount === 9.99);
    expect(sale).toHaveLength(1);
    expect(sale[0]).toMatchObject({ terminalId: 'pos-1', subject: { memberId: 'M3' } });
    expect(gateway!.health().sources['mqtt_observations']!.rejected).toBeGreaterThanOrEqual(1);
  });

  it('WiFi probes: the pcap replay is counted at the gateway and in the health the cloud holds; WiFi alone starts no journey', async () => {
    const probes = gateway!.health().sources['wifi_probe']!;
    expect(probes.observations).toBeGreaterThan(0);
    const seen = await waitFor(
      'gateway health with probe counts at the cloud',
      async () => {
        const res = await fetch(`${httpUrl}/api/v1/gateways`);
        const body = (await res.json()) as { gateways: { gatewayId: string; health?: { value: { sources: Record<string, { observations: number }> } } }[] };
        const g = body.gateways.find((x) => x.gatewayId === gatewayId);
        const n = g?.health?.value.sources['wifi_probe']?.observations ?? 0;
        return n > 0 ? n : undefined;
      },
      60_000,
    );
    expect(seen).toBeGreaterThan(0);
    expect(stored.some((e) => e.subject.signals.length === 1 && e.subject.signals[0] === 'wifi')).toBe(false);
  });
});
