import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EXAMPLE_SITES,
  exampleSitePath,
  loadSiteFile,
  parseTrainingDomain,
  renderGatewayConfig,
  TRAINING_DOMAIN_METADATA_KEY,
  trainingDomainJson,
  trainingDomainOf,
  validateSite,
  type GatewayConfig,
  type Site,
} from '@storesense/firmware-config';
import mqtt from 'mqtt';
import { codecs, filters, gatewayHealthSchema, type GatewayHealth } from '@storesense/protocol';
import { startAedes, waitFor } from '../testing/aedes-broker.js';
import { createGateway } from '../app.js';
import { createLogger } from '../log.js';
import { withOnnxMetadata } from '../model/onnx-export.js';
import { domainSidecarPath, OUTSIDE_DOMAIN_ENV, selectClassifier } from './classifier-selection.js';
import { ClassifierUnavailableError, DEFAULT_MODEL_PATH } from './create-classifier.js';

const dir = mkdtempSync(join(tmpdir(), 'classifier-selection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(name: Parameters<typeof exampleSitePath>[0]): Site {
  const r = loadSiteFile(exampleSitePath(name));
  if (!r.ok) throw new Error(r.issues.join('; '));
  return r.value;
}
const gatewayOf = (site: Site, over: Partial<GatewayConfig['classifier']> = {}): GatewayConfig => {
  const c = renderGatewayConfig(site, site.gateways[0]!.id, { dataDir: join(dir, 'data') });
  return { ...c, classifier: { ...c.classifier, kind: 'onnx', ...over } };
};

/** The boutique shrunk to an open 5 × 4 m kiosk: a storefront and an entrance receiver, no inside one. */
function kiosk(): Site {
  const json = JSON.parse(readFileSync(exampleSitePath('boutique'), 'utf8'));
  const store = json.stores[0];
  store.shape = { rect: { x: 0, y: 0, w: 5, h: 4 } };
  store.entrances = [{ id: 'front', floor: 0, at: { x: 2.5, y: 0 } }];
  store.zones = [];
  json.receivers = [
    { id: 'rx-front', role: 'storefront', floor: 0, position: { x: 2.5, y: -1 }, storeId: store.id },
    { id: 'rx-back', role: 'entrance', floor: 0, position: { x: 2.5, y: 3.5 }, storeId: store.id },
  ];
  json.terminals = [];
  json.gateways = [{ id: 'gw-kiosk', storeId: store.id, receivers: ['rx-front', 'rx-back'] }];
  const r = validateSite(json);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'info' }, stream) };
}

/** A copy of the packaged model in its own directory, with a sidecar and/or an embedded domain only as given. */
function modelCopy(name: string, opts: { sidecar?: string; metadata?: string } = {}): string {
  const sub = mkdtempSync(join(dir, `${name}-`));
  const path = join(sub, `${name}.onnx`);
  // Without `metadata` the copy states no embedded domain (an empty value is none), whatever the packaged model carries.
  writeFileSync(path, withOnnxMetadata(readFileSync(DEFAULT_MODEL_PATH), { [TRAINING_DOMAIN_METADATA_KEY]: opts.metadata ?? '' }));
  if (opts.sidecar !== undefined) writeFileSync(domainSidecarPath(path), opts.sidecar);
  return path;
}

/**
 * A copy of the packaged model stating the domain of the example sites only (every one has an
 * `inside` receiver and 3 dB walls), so the outside-domain path is tested whatever the shipped
 * model was trained on (today's also trains on random kiosks, whose domain covers the kiosk).
 */
let examplesOnlyPath: string | undefined;
function examplesOnly(): string {
  examplesOnlyPath ??= modelCopy('examples-only', { metadata: trainingDomainJson(trainingDomainOf(EXAMPLE_SITES.map((s) => ({ site: load(s) })))) });
  return examplesOnlyPath;
}
const kioskGateway = (over: Partial<GatewayConfig['classifier']> = {}) => gatewayOf(kiosk(), { modelPath: examplesOnly(), ...over });

describe('the shipped domain of the packaged model', () => {
  it('is the domain of the training sites its model card names, recomputed here', () => {
    const card = readFileSync(join(dirname(DEFAULT_MODEL_PATH), 'MODEL_CARD.md'), 'utf8');
    const sites = /sites ([\w+-]+), training seeds/.exec(card)?.[1]?.split('+') ?? [];
    const shipped = parseTrainingDomain(readFileSync(domainSidecarPath(DEFAULT_MODEL_PATH), 'utf8'));
    // A model trained on random sites embeds its own domain; this pins the derived one for a model
    // trained on example sites, whose card lists them.
    if (!sites.every((s) => (EXAMPLE_SITES as readonly string[]).includes(s)) || sites.length === 0) {
      expect(shipped.siteCount).toBeGreaterThan(0);
      return;
    }
    // Trained on random sites too: the domain names exactly the families the card lists, over more layouts.
    const random = /random sites ([\w, -]+?) seeds/.exec(card)?.[1];
    if (random !== undefined && random !== 'none') {
      expect(shipped.families).toEqual(random.split(', ').sort());
      expect(shipped.siteCount).toBeGreaterThan(sites.length);
      return;
    }
    expect(shipped).toEqual(trainingDomainOf(sites.map((s) => ({ site: load(s as (typeof EXAMPLE_SITES)[number]) }))));
  });
});

describe('selectClassifier', () => {
  it('runs the rules unchecked when the rules are requested', () => {
    const { classifier, status } = selectClassifier(gatewayOf(kiosk()), { kind: 'rules' });
    expect(classifier.name).toBe('rules');
    expect(status).toEqual({ requested: 'rules', active: 'rules', reason: 'rules requested', domain: 'not_checked', outsideDomain: [] });
  });

  it('runs the model on a site inside its domain (the held-out sports store)', () => {
    const { lines, logger } = capture();
    const { classifier, status } = selectClassifier(gatewayOf(load('sports-store')), { logger, env: {} });
    expect(classifier.name).toBe('onnx');
    expect(status).toMatchObject({ requested: 'onnx', active: 'onnx', domain: 'inside', outsideDomain: [] });
    expect(status.reason).toMatch(/model metadata|journey-mlp\.domain\.json/);
    expect(lines.some((l) => l['msg'] === 'site inside the model training domain; onnx runs')).toBe(true);
    classifier.close?.();
  });

  it('runs the rules at a kiosk without inside receivers, logging one line per finding', () => {
    const { lines, logger } = capture();
    const { classifier, status } = selectClassifier(kioskGateway(), { logger, env: {} });
    expect(classifier.name).toBe('rules');
    expect(status.active).toBe('rules');
    expect(status.domain).toBe('outside');
    expect(status.reason).toMatch(/outside the model's training domain \(\d+ finding\(s\)\): the rules baseline runs instead/);
    const messages = status.outsideDomain.map((f) => f.message);
    expect(messages).toContain('no receiver with role "inside": every training site had one');
    const findingLines = lines.filter((l) => String(l['msg']).startsWith('outside the model training domain: '));
    expect(findingLines.map((l) => String(l['msg']).replace('outside the model training domain: ', ''))).toEqual(messages);
    expect(findingLines.every((l) => l['level'] === 40 && l['module'] === 'classifier' && typeof l['field'] === 'string')).toBe(true);
  });

  it.each([
    ['the option', { outsideDomain: 'onnx' as const, env: {} }, {}],
    ['the environment', { env: { [OUTSIDE_DOMAIN_ENV]: 'onnx' } }, {}],
    ['the config', { env: {} }, { outsideDomain: 'onnx' as const }],
  ])('forces the model outside its domain through %s, still listing the findings', (_, opts, over) => {
    const { classifier, status } = selectClassifier(kioskGateway(over), opts);
    expect(classifier.name).toBe('onnx');
    expect(status).toMatchObject({ active: 'onnx', domain: 'outside' });
    expect(status.reason).toContain('onnx forced');
    expect(status.outsideDomain.length).toBeGreaterThan(0);
    classifier.close?.();
  });

  it('lets the environment say rules over a config that forces onnx, and refuses a bad value', () => {
    expect(selectClassifier(kioskGateway({ outsideDomain: 'onnx' }), { env: { [OUTSIDE_DOMAIN_ENV]: 'rules' } }).classifier.name).toBe('rules');
    expect(() => selectClassifier(kioskGateway(), { env: { [OUTSIDE_DOMAIN_ENV]: 'yes' } })).toThrow(
      /STORESENSE_OUTSIDE_DOMAIN must be rules or onnx, got "yes"/,
    );
  });

  it('says "domain unknown" and keeps the model for a model that states no domain', () => {
    const { lines, logger } = capture();
    const { classifier, status } = selectClassifier(gatewayOf(kiosk(), { modelPath: modelCopy('bare') }), { logger, env: {} });
    expect(classifier.name).toBe('onnx');
    expect(status).toMatchObject({ active: 'onnx', domain: 'unknown', outsideDomain: [] });
    expect(status.reason).toContain('domain unknown');
    expect(lines.some((l) => String(l['msg']).includes('domain unknown'))).toBe(true);
    classifier.close?.();
  });

  it('prefers the domain in the model metadata over a sidecar', () => {
    // Embedded: a domain that covers the kiosk (its own); sidecar: today's, which does not.
    const own = trainingDomainJson(trainingDomainOf([{ site: kiosk() }]));
    const path = modelCopy('embedded', { metadata: own, sidecar: trainingDomainJson(trainingDomainOf(EXAMPLE_SITES.map((s) => ({ site: load(s) })))) });
    const { classifier, status } = selectClassifier(gatewayOf(kiosk(), { modelPath: path }), { env: {} });
    expect(status).toMatchObject({ active: 'onnx', domain: 'inside' });
    expect(status.reason).toContain('model metadata');
    classifier.close?.();
  });

  it('refuses a model whose metadata domain is invalid, and an invalid sidecar', () => {
    expect(() => selectClassifier(gatewayOf(kiosk(), { modelPath: modelCopy('badmeta', { metadata: '{"version":1}' }) }), { env: {} })).toThrow(
      ClassifierUnavailableError,
    );
    expect(() => selectClassifier(gatewayOf(kiosk(), { modelPath: modelCopy('badmeta2', { metadata: 'nope' }) }), { env: {} })).toThrow(
      /storesense.trainingDomain" is not JSON/,
    );
    expect(() => selectClassifier(gatewayOf(kiosk(), { modelPath: modelCopy('badside', { sidecar: '{"version":1,"siteCount":0}' }) }), { env: {} })).toThrow(
      /badside\.domain\.json is invalid: siteCount/,
    );
  });
});

describe('createGateway health', () => {
  it('says which classifier runs, why, and what is outside the domain (status API and MQTT health payload)', () => {
    const gw = createGateway(kioskGateway(), { logger: createLogger({ level: 'silent' }), env: {}, uplink: false, wifi: false });
    const h = gw.health();
    expect(h.model.name).toBe('rules');
    expect(h.classifier).toMatchObject({ requested: 'onnx', active: 'rules', domain: 'outside' });
    // The health payload keeps the field through the wire schema (the MQTT state/health codec).
    const parsed = gatewayHealthSchema.parse(JSON.parse(JSON.stringify(h)));
    expect(parsed.classifier?.outsideDomain.map((f) => f.field)).toContain('roles');
  });

  it('serves the same on the status API over a real socket', async () => {
    const config = { ...kioskGateway(), dataDir: mkdtempSync(join(dir, 'gw-')), statusApi: { host: '127.0.0.1', port: 0 } };
    const gw = createGateway(config, { logger: createLogger({ level: 'silent' }), env: {}, uplink: false, wifi: false });
    await gw.start();
    try {
      const body = (await (await fetch(`${gw.statusUrl()}/api/v1/health`)).json()) as {
        classifier?: { active: string; domain: string; outsideDomain: { message: string }[] };
      };
      expect(body.classifier?.active).toBe('rules');
      expect(body.classifier?.domain).toBe('outside');
      expect(body.classifier?.outsideDomain.map((f) => f.message)).toContain('no receiver with role "inside": every training site had one');
    } finally {
      await gw.stop();
    }
  });

  it('publishes it in the retained MQTT state/health message (real broker)', async () => {
    const broker = await startAedes();
    const config = { ...kioskGateway(), dataDir: mkdtempSync(join(dir, 'gw-')), mqtt: { url: broker.url, passwordEnv: 'UNSET_TEST_ENV' } };
    const gw = createGateway(config, { logger: createLogger({ level: 'silent' }), env: {}, wifi: false });
    const cloud = mqtt.connect(broker.url, { clientId: 'health-reader', username: 'cloud' });
    const seen: GatewayHealth[] = [];
    try {
      await new Promise<void>((resolve, reject) => cloud.once('connect', () => resolve()).once('error', reject));
      cloud.on('message', (_topic, payload) => {
        const h = codecs.health.decode(payload);
        if (h.ok) seen.push(h.value);
      });
      await cloud.subscribeAsync(filters.allHealth, { qos: 0 });
      await gw.start();
      await waitFor(() => seen.length > 0, 10_000, 'a health message');
      expect(seen[0]!.classifier).toMatchObject({ requested: 'onnx', active: 'rules', domain: 'outside' });
      expect(seen[0]!.classifier?.outsideDomain.some((f) => f.field === 'roles')).toBe(true);
    } finally {
      await gw.stop();
      await cloud.endAsync(true);
      await broker.close();
    }
  });
});
