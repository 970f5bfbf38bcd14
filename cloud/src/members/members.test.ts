import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codecs, topics, type MemberKeys } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { createCloud } from '../app.js';
import { createLogger } from '../log.js';
import { tempDir } from '../testing/fixtures.js';
import { connectClient, LogCapture, startTestCloud } from '../testing/harness.js';

const KEY_A = '0123456789abcdef0123456789abcdef';
const KEY_B = 'fedcba9876543210fedcba9876543210';
const CSV = [
  'memberId,name,tier,tags,consent,tokenKey',
  `M1,Li Na,platinum,silk-scarves;handbags,yes,${KEY_A}`,
  `M2,Wang Fang,gold,,no,${KEY_B}`,
  'M3,Bad Tier,diamond,,yes,00112233445566778899aabbccddeeff',
  'M4,Short Key,gold,,yes,abc123',
  'M5,Too,few,columns',
].join('\n');

describe('members', () => {
  it('imports good rows, logs bad rows by line, and is idempotent across restarts', async () => {
    const t = tempDir();
    const csv = join(t.dir, 'members.csv');
    writeFileSync(csv, CSV);
    const logs = new LogCapture();
    const options = { dataDir: join(t.dir, 'data'), membersCsvPath: csv, logger: createLogger({ level: 'debug', destination: logs }) };
    for (let run = 0; run < 2; run++) {
      const cloud = createCloud(options);
      await cloud.start();
      const members = await cloud.store!.listMembers({ limit: 10 });
      expect(members.map((m) => m.memberId)).toEqual(['M1', 'M2']);
      expect(members[0]).toMatchObject({ name: 'Li Na', tier: 'platinum', tags: ['silk-scarves', 'handbags'], consent: true });
      expect(cloud.metrics.get('members.rows_rejected')).toBe(3);
      await cloud.stop();
    }
    const rejected = logs.find('member row rejected');
    expect(rejected.slice(0, 3).map((l) => l.line)).toEqual([4, 5, 6]);
    expect(String(rejected[0]!.error)).toContain('tier');
    expect(logs.find('members imported').map((l) => [l.inserted, l.updated])).toEqual([
      [2, 0],
      [0, 2],
    ]);
    expect(logs.text).not.toContain(KEY_A);
    expect(logs.text).not.toContain('00112233445566778899aabbccddeeff');
    t.cleanup();
  });

  it('publishes retained member keys of consenting members to a provisioned gateway, never in logs or the API', async () => {
    const t0 = tempDir();
    const csv = join(t0.dir, 'members.csv');
    writeFileSync(csv, CSV);
    const t = await startTestCloud({ membersCsvPath: csv });
    try {
      await t.cloud.provisionGateway({ siteId: 'site1', gatewayId: 'gw1', password: 'a-long-password' });
      const gw = await connectClient(t.endpoints.mqttUrl, 'site1.gw1', 'a-long-password');
      const received = new Promise<MemberKeys>((resolve) => {
        gw.on('message', (topic, payload) => {
          const d = codecs.memberKeys.decode(payload);
          if (topic === topics.memberKeys('site1', 'gw1') && d.ok) resolve(d.value);
        });
      });
      await gw.subscribeAsync(topics.memberKeys('site1', 'gw1'), { qos: 1 });
      const keys = await received;
      expect(keys.members).toEqual([{ memberId: 'M1', key: KEY_A }]);
      await gw.endAsync();
      expect(t.logs.text).not.toContain(KEY_A);
      const api = await (await fetch(`${t.endpoints.httpUrl}/api/v1/members`)).text();
      expect(api).toContain('Li Na');
      expect(api).not.toContain(KEY_A);
      expect(api).not.toContain('tokenKey');
    } finally {
      await t.stop();
      t0.cleanup();
    }
  });
});
