import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { connectAsync } from 'mqtt';
import { topics, type Observation } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.commands.js';
import { silentLogger } from './log.js';
import { recordTrace } from './record.js';
import { tempDir } from './testing/fixtures.js';
import { readTraceFile } from './trace-file.reader.js';

const obs = (at: number, subject = 's_0000000a'): Observation => ({ v: 1, at, source: 'ble', receiverId: 'rx-1', subject, rssiDbm: -70 });

async function readAll(path: string): Promise<{ obs: Observation[]; siteId: string }> {
  const t = await readTraceFile(path);
  const out: Observation[] = [];
  for await (const o of t) out.push(o);
  return { obs: out, siteId: t.header.siteId };
}

describe('recordTrace', () => {
  it('writes a sorted trace, counting rejected payload entries and late observations', async () => {
    const file = join(tempDir(), 'live.ndjson');
    let push: (p: string) => void = () => {};
    const stop = new AbortController();
    const done = recordTrace({
      siteId: 'mall-bj-01',
      outFile: file,
      signal: stop.signal,
      reorderMs: 1_000,
      flushEveryMs: 20,
      subscribe: async (onPayload) => {
        push = onPayload;
        return { close: async () => {} };
      },
    });
    await new Promise((r) => setTimeout(r, 30));
    push(JSON.stringify([obs(1_000), obs(1_500)]));
    push(JSON.stringify([obs(1_200, 's_0000000b'), { v: 1, at: 'x' }]));
    push('not json');
    push(`${JSON.stringify(obs(5_000))}\n${JSON.stringify(obs(4_000))}`);
    await new Promise((r) => setTimeout(r, 60));
    push(JSON.stringify(obs(900))); // older than what was written: late
    stop.abort();
    const r = await done;
    expect(r).toMatchObject({ payloads: 5, observations: 5, rejected: 2, late: 1 });
    const { obs: back, siteId } = await readAll(file);
    expect(siteId).toBe('mall-bj-01');
    expect(back.map((o) => o.at)).toEqual([1_000, 1_200, 1_500, 4_000, 5_000]);
  });

  it('records a gateway obs topic from a real MQTT broker through the CLI', async () => {
    const broker = await Aedes.createBroker();
    const server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const file = join(tempDir(), 'rec.ndjson');
      let out = '';
      const cli = runCli(
        ['record', '--from', `mqtt://127.0.0.1:${port}`, '--site-id', 'mall-bj-01', '--gateway-id', 'gw-1', '--out', file, '--duration', '1.5s'],
        {
          stdout: (t) => void (out += t),
          stderr: () => {},
          logger: silentLogger(),
        },
      );
      // Wait until the recorder has subscribed, then publish.
      for (let i = 0; i < 100 && broker.connectedClients < 1; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
      const pub = await connectAsync(`mqtt://127.0.0.1:${port}`);
      await pub.publishAsync(topics.observations('mall-bj-01', 'gw-1'), JSON.stringify([obs(2_000), obs(1_000)]), { qos: 1 });
      await pub.publishAsync(topics.observations('mall-bj-01', 'other-gw'), JSON.stringify([obs(1_500)]), { qos: 1 });
      await pub.endAsync();
      expect(await cli).toBe(0);
      expect(JSON.parse(out)).toMatchObject({ observations: 2, rejected: 0 });
      expect((await readAll(file)).obs.map((o) => o.at)).toEqual([1_000, 2_000]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    }
  });
});
