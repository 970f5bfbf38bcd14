import { Writable } from 'node:stream';
import type { Observation } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../log.js';
import { createStatusApp } from '../../status/status.api.js';
import { ble } from '../../testing/fixtures.js';
import { createHttpObservationSource } from './http-observations.source.js';
import { terminalCredentials } from './terminal-auth.js';

const POS_TOKEN = 'pos-1-token-0123456789abcdef';
const CAM_TOKEN = 'cam-door-token-0123456789abcdef';

function terminalObs(at: number, receiverId: string, terminal: Observation['terminal'], extra: Partial<Observation> = {}): Observation {
  return { v: 1, at, source: 'terminal', receiverId, subject: `t_${receiverId}_${at}`, terminal, ...extra };
}

function setup() {
  const lines: string[] = [];
  const logger = createLogger(
    { level: 'debug' },
    new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  );
  const got: Observation[] = [];
  const source = createHttpObservationSource({
    logger,
    terminals: terminalCredentials(
      { 'pos-1': 'POS_1_TOKEN', 'cam-door': 'CAM_TOKEN' },
      [
        { id: 'pos-1', kind: 'pos' },
        { id: 'cam-door', kind: 'entrance_camera' },
      ],
      { POS_1_TOKEN: POS_TOKEN, CAM_TOKEN },
    ),
  });
  source.start((obs) => got.push(...obs));
  const app = createStatusApp({
    health: () => ({ v: 1, at: 1, version: 't', sources: {}, outbox: { depth: 0, dropped: 0 }, model: { name: 'rules', version: '1' }, subjects: 0 }),
    observations: source,
    logger,
  });
  const post = (body: unknown, token?: string) =>
    app.request('/api/v1/observations', {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  return { got, post, lines, source };
}

describe('smart terminals over HTTP: authenticated, and only as themselves', () => {
  it('a POS posts its own purchase (with a member id or a member token) -> 200', async () => {
    const { got, post } = setup();
    const purchase = terminalObs(1, 'pos-1', { kind: 'pos', action: 'purchase', amount: 42.5, currency: 'EUR', memberId: 'M0001' });
    const byToken = terminalObs(2, 'pos-1', { kind: 'pos', action: 'purchase', amount: 9 }, { token: '0123456789abcdef' });
    const res = await post([purchase, byToken], POS_TOKEN);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 2 });
    expect(got).toEqual([purchase, byToken]);
  });

  it('no token or an unknown token -> 401, nothing kept', async () => {
    const { got, post } = setup();
    const obs = terminalObs(1, 'pos-1', { kind: 'pos', action: 'purchase', amount: 1 });
    expect((await post([obs])).status).toBe(401);
    expect((await post([obs], 'not-a-terminal-token')).status).toBe(401);
    expect(got).toEqual([]);
  });

  it('posting as another terminal, as a radio receiver or as another kind -> 403, nothing kept', async () => {
    const { got, post, source } = setup();
    const own = terminalObs(1, 'pos-1', { kind: 'pos', action: 'purchase', amount: 1 });
    const asCamera = terminalObs(2, 'cam-door', { kind: 'entrance_camera', action: 'count', count: 3 });
    const res = await post([own, asCamera], POS_TOKEN);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: 'terminal "pos-1" may only post its own detections',
      forbidden: [{ at: '[1].receiverId', error: 'terminal "pos-1" cannot post as "cam-door"' }],
    });
    expect((await post([ble(3, 'rx-door', 's1', -60)], POS_TOKEN)).status).toBe(403);
    const wrongKind = await post([terminalObs(4, 'pos-1', { kind: 'kiosk', action: 'scan' })], POS_TOKEN);
    expect(await wrongKind.json()).toMatchObject({ forbidden: [{ at: '[0].terminal.kind', error: 'terminal "pos-1" is a pos, not a kiosk' }] });
    expect(got).toEqual([]);
    expect(source.health()).toMatchObject({ rejected: 3, detail: '2 terminal(s), bearer token required' });
    // the camera's own count goes through with the camera's token
    expect((await post([asCamera], CAM_TOKEN)).status).toBe(200);
    expect(got).toEqual([asCamera]);
  });

  it('logs say who and why, never a token', async () => {
    const { post, lines } = setup();
    await post([terminalObs(1, 'cam-door', { kind: 'entrance_camera', action: 'count', count: 1 })], POS_TOKEN);
    await post([], 'guess-0123456789');
    const text = lines.join('');
    expect(text).toContain('terminal post refused');
    expect(text).toContain('"terminalId":"pos-1"');
    for (const secret of [POS_TOKEN, CAM_TOKEN, 'guess-0123456789']) expect(text).not.toContain(secret);
  });

  it('config errors name the terminal or the variable (the source then reports unavailable)', () => {
    expect(() => terminalCredentials({ 'pos-9': 'X' }, [{ id: 'pos-1', kind: 'pos' }], {})).toThrow(
      'http_observations.terminals: "pos-9" is not a terminal of this gateway (known: pos-1)',
    );
    expect(() => terminalCredentials({ 'pos-1': 'POS_TOKEN' }, [{ id: 'pos-1', kind: 'pos' }], { POS_TOKEN: 'short' })).toThrow(
      'http_observations.terminals.pos-1: environment variable POS_TOKEN is unset or shorter than 16 characters',
    );
    expect(terminalCredentials(undefined, [], {})).toEqual([]);
  });

  it('without terminals configured the ingest stays open (simulator, lab)', async () => {
    const got: Observation[] = [];
    const source = createHttpObservationSource({ logger: createLogger({ level: 'silent' }) });
    source.start((obs) => got.push(...obs));
    expect(source.acceptRequest(undefined, JSON.stringify([ble(1, 'rx-a', 's1', -60)]))).toEqual({ status: 200, body: { accepted: 1 } });
  });
});
