import { Writable } from 'node:stream';
import mqtt from 'mqtt';
import { filters, topics, type Observation } from '@storesense/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../log.js';
import { startAedes, waitFor, type TestBroker } from '../../testing/aedes-broker.js';
import { ble } from '../../testing/fixtures.js';
import { createMqttObservationSource } from './mqtt-observations.source.js';

const SITE = 'shop-1';
const GW = 'gw-1';

function terminalObs(at: number, receiverId: string, terminal: Observation['terminal']): Observation {
  return { v: 1, at, source: 'terminal', receiverId, subject: `t_${receiverId}_${at}`, terminal };
}

describe('smart terminals over MQTT: per-terminal topics, only as themselves', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startAedes();
  });
  afterAll(async () => {
    await broker.close();
  });

  it("takes a terminal's own detections on its topic and drops whole messages that are not its own", async () => {
    const lines: string[] = [];
    const logger = createLogger(
      { level: 'debug' },
      new Writable({
        write(c, _e, cb) {
          lines.push(String(c));
          cb();
        },
      }),
    );
    const got: Observation[] = [];
    const source = createMqttObservationSource({
      url: broker.url,
      topic: topics.observations(SITE, GW),
      clientId: 'obs-test',
      reconnectMinMs: 100,
      reconnectMaxMs: 1000,
      logger,
      terminalTopics: {
        filter: filters.terminalObservations(SITE, GW),
        terminals: [
          { id: 'pos-1', kind: 'pos' },
          { id: 'cam-door', kind: 'entrance_camera' },
        ],
      },
    });
    source.start((obs) => got.push(...obs));
    await waitFor(() => source.health().state === 'ok', 10_000);
    const pub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const send = (topic: string, body: unknown) => pub.publishAsync(topic, JSON.stringify(body), { qos: 1 });
    const own = terminalObs(1, 'pos-1', { kind: 'pos', action: 'purchase', amount: 12, memberId: 'M0001' });
    await send(topics.terminalObservations(SITE, GW, 'pos-1'), own);
    // as another terminal, as a radio, from an unknown terminal: each message dropped whole
    await send(topics.terminalObservations(SITE, GW, 'pos-1'), [own, terminalObs(2, 'cam-door', { kind: 'entrance_camera', action: 'count', count: 2 })]);
    await send(topics.terminalObservations(SITE, GW, 'pos-1'), ble(3, 'rx-door', 's1', -60));
    await send(topics.terminalObservations(SITE, GW, 'pos-9'), terminalObs(4, 'pos-9', { kind: 'pos', action: 'purchase', amount: 1 }));
    // the camera on its own topic, and the plain obs topic (bridges, simulator) still work
    const count = terminalObs(5, 'cam-door', { kind: 'entrance_camera', action: 'count', count: 3 });
    await send(topics.terminalObservations(SITE, GW, 'cam-door'), count);
    await send(topics.observations(SITE, GW), ble(6, 'rx-door', 's1', -60));
    await waitFor(() => got.length >= 3, 10_000);
    await pub.endAsync();
    await source.stop();
    expect(got.map((o) => o.at)).toEqual([1, 5, 6]);
    expect(source.health().rejected).toBe(4);
    const text = lines.join('');
    expect(text).toContain(String.raw`cannot post as \"cam-door\"`);
    expect(text).toContain('"terminalId":"pos-9"');
  });
});
