import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../app.js';
import { DEFAULT_MODEL_PATH } from '../classify/create-classifier.js';
import { silentLogger } from '../log.js';
import { adverts, boutiqueConfig } from '../testing/fixtures.js';
import { readRollout, withRolloutModel } from './model-rollout.js';

const model = readFileSync(DEFAULT_MODEL_PATH);
const sha256 = createHash('sha256').update(model).digest('hex');
const args = (version: string, over: Record<string, unknown> = {}) => ({ version, sha256, onnx: model.toString('base64'), ...over });

describe('model rollout on the gateway (decision 133)', () => {
  let dir: string;
  let gw: Gateway | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gateway-rollout-'));
  });
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies a model, shadows it with agreement in health, promotes it keeping the previous, rolls back, and survives a restart', async () => {
    const config = boutiqueConfig({ dataDir: join(dir, 'data'), classifier: { kind: 'rules', outsideDomain: 'onnx' } });
    gw = createGateway(config, { logger: silentLogger(), uplink: false, wifi: false });
    await gw.start();
    await expect(gw.command('model-shadow', args('m2', { sha256: 'f'.repeat(64) }))).rejects.toThrow(/sha256 .* does not match/);
    await expect(gw.command('model-shadow', args('bad version!'))).rejects.toThrow(/model refused: version/);
    await expect(gw.command('model-promote', {})).rejects.toThrow(/no model in shadow/);
    await expect(gw.command('model-rollback', {})).rejects.toThrow(/nothing to roll back to/);

    expect(await gw.command('model-shadow', args('m2'))).toMatchObject({ shadow: 'm2', sha256 });
    // The active classifier still decides; the candidate sees the same windows.
    const t0 = Date.now();
    gw.ingest(adverts('walker', t0 - 4_000, t0, { 'rx-front': -66, 'rx-door': -70, 'rx-sales': -60 }, 250));
    await new Promise((r) => setTimeout(r, 1_200));
    const h = gw.health();
    expect(h.model.name).toBe('rules');
    expect(h.rollout?.shadow).toMatchObject({ version: 'm2', sha256, errors: 0 });
    expect(h.rollout!.shadow!.compared).toBeGreaterThan(0);
    expect(h.rollout!.shadow!.agreement).toBeGreaterThanOrEqual(0);

    const promoted = (await gw.command('model-promote', {})) as { active: string; previous: string };
    expect(promoted).toMatchObject({ active: 'm2', previous: 'config' });
    expect(gw.health().model.name).toBe('onnx');
    expect(gw.health().rollout).toMatchObject({ active: { version: 'm2' }, previous: { version: 'config' } });
    expect(gw.health().rollout?.shadow).toBeUndefined();

    // A restart runs the promoted model.
    const state = readRollout(config.dataDir);
    expect(existsSync(state.active!.path)).toBe(true);
    expect(withRolloutModel(config).classifier).toMatchObject({ kind: 'onnx', modelPath: state.active!.path });

    expect(await gw.command('model-rollback', {})).toMatchObject({ active: 'config', model: { name: 'rules' }, kept: 'm2' });
    expect(gw.health().model.name).toBe('rules');
    // The rolled-back model stays on disk to go forward again.
    expect(gw.health().rollout).toMatchObject({ previous: { version: 'm2' } });
    expect(await gw.command('model-rollback', {})).toMatchObject({ active: 'm2', model: { name: 'onnx' } });
  });
});
