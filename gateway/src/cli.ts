#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { createGateway, type Gateway } from './app.js';
import { OUTSIDE_DOMAIN_ENV, selectClassifier } from './classify/classifier-selection.js';
import { loadGatewayConfig } from './config-file.js';
import { withAppliedConfig } from './fleet/remote-config.js';
import { withRolloutModel } from './fleet/model-rollout.js';
import { createLogger } from './log.js';
import { GATEWAY_VERSION } from './version.js';
import { exitWhenFlushed, logLevel } from '@storesense/protocol/cli';

const USAGE = `storesense-gateway ${GATEWAY_VERSION}

Usage: storesense-gateway --config <gateway-config.json> [--classifier rules|onnx] [--model F.onnx] [--outside-domain rules|onnx] [--log-level info]
       storesense-gateway record --config F --out DIR [--max-bytes N] [--duration D]   observations -> trace files
       storesense-gateway decode ble|probe|espresense|meraki …                          what the parsers make of an input
       storesense-gateway wifi scan|status [--json]                                     uplink and nearby access points (nmcli)
       storesense-gateway calibrate --trace F --walk W --site S [--out S2] [--json]     reference walk -> receiver offsets
       storesense-gateway install-service [--user U] [--config F] [--out DIR]           systemd unit for a store's mini-PC
       storesense-gateway enroll --cloud URL --code C [--out DIR]                         one-time code -> credentials + config

  --config F        gateway config (firmware-config: storesense-site render); validated, refused if invalid
  --classifier K    override config.classifier.kind (onnx: the place model; rules stay its run-time fallback)
  --model F         ONNX model for --classifier onnx (default config.classifier.modelPath, else gateway/model/journey-mlp.onnx)
  --outside-domain K  what runs when the site is outside the model's training domain: rules (default;
                    the log and health say so, one line per finding) or onnx (force the model);
                    default config.classifier.outsideDomain or $${OUTSIDE_DOMAIN_ENV}
  --log-level L     pino level (trace, debug, info, warn, error); default $STORESENSE_LOG_LEVEL or info
  --help            this text

MQTT password: $STORESENSE_MQTT_PASSWORD (or config.mqtt.passwordEnv), or config.mqtt.password.`;

async function main(argv: string[]): Promise<number> {
  // `decode …` is the installer's parser tool (src/decode/decode.cli.ts); loaded only when used.
  if (argv[0] === 'decode') {
    const { runDecode } = await import('./decode/decode.cli.js');
    const write = (stream: NodeJS.WriteStream) => (text: string) => void stream.write(text);
    return runDecode(argv.slice(1), { stdout: write(process.stdout), stderr: write(process.stderr), env: process.env, nowMs: () => Date.now() });
  }
  // `record …` writes the configured sources' observations to trace files (src/record/record.cli.ts).
  if (argv[0] === 'record') {
    const { runRecord } = await import('./record/record.cli.js');
    const stop = new AbortController();
    const logger = createLogger({}, process.stderr);
    const afterStart = () => {
      process.on('SIGINT', () => stop.abort());
      process.on('SIGTERM', () => stop.abort());
    };
    return runRecord(argv.slice(1), {
      stdout: (t) => void process.stdout.write(t),
      stderr: (t) => void process.stderr.write(t),
      env: process.env,
      logger,
      signal: stop.signal,
      afterStart,
    });
  }
  // `calibrate …`: an installer's reference walk -> receiver offsets (src/calibration/calibrate.cli.ts).
  if (argv[0] === 'calibrate') {
    const { runCalibrate } = await import('./calibration/calibrate.cli.js');
    return runCalibrate(argv.slice(1), {
      stdout: (t) => void process.stdout.write(t),
      stderr: (t) => void process.stderr.write(t),
      isTty: process.stdout.isTTY === true,
    });
  }
  // `install-service`: the systemd unit for a store's mini-PC (src/service/install-service.cli.ts).
  if (argv[0] === 'install-service') {
    const { runInstallService } = await import('./service/install-service.cli.js');
    return runInstallService(argv.slice(1), { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t) });
  }
  // `enroll`: an operator's one-time code -> credentials and config (src/fleet/enroll.cli.ts).
  if (argv[0] === 'enroll') {
    const { runEnroll } = await import('./fleet/enroll.cli.js');
    return runEnroll(argv.slice(1), { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t), env: process.env });
  }
  // `wifi scan|status`: the installer's view of the uplink and nearby APs (src/wifi/wifi.cli.ts).
  if (argv[0] === 'wifi') {
    const { runWifi } = await import('./wifi/wifi.cli.js');
    return runWifi(argv.slice(1), { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t), nowMs: () => Date.now() });
  }
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        classifier: { type: 'string' },
        model: { type: 'string' },
        'outside-domain': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!args.config) {
    process.stderr.write(`--config is required\n\n${USAGE}\n`);
    return 2;
  }
  try {
    logLevel(args['log-level']); // --log-level, else STORESENSE_LOG_LEVEL (decision 141)
  } catch (err) {
    process.stderr.write(`storesense-gateway: ${(err as Error).message}\n`);
    return 2;
  }
  const loaded = loadGatewayConfig(args.config);
  if (!loaded.ok) {
    process.stderr.write(`invalid gateway config ${args.config}:\n${loaded.errors.map((e) => `  ${e}`).join('\n')}\n`);
    return 1;
  }
  // The last remote config applied (decision 131) runs over the file's until the cloud sends another.
  const restored = withAppliedConfig(loaded.config);
  if (restored.problem) process.stderr.write(`storesense-gateway: WARNING: last applied remote config ignored: ${restored.problem}\n`);
  const base = restored.config;
  const config = args.model === undefined ? base : { ...base, classifier: { ...base.classifier, modelPath: args.model } };
  const kind = args.classifier;
  if (kind !== undefined && kind !== 'rules' && kind !== 'onnx') {
    process.stderr.write(`--classifier must be rules or onnx, got "${kind}"\n`);
    return 2;
  }
  const outsideDomain = args['outside-domain'];
  if (outsideDomain !== undefined && outsideDomain !== 'rules' && outsideDomain !== 'onnx') {
    process.stderr.write(`--outside-domain must be rules or onnx, got "${outsideDomain}"\n`);
    return 2;
  }
  const logger = createLogger(args['log-level'] ? { level: args['log-level'] } : {});
  if (config.sources.length === 0) {
    // Loud, on stderr and in the log: a gateway with no sources runs healthy and hears nothing.
    process.stderr.write(
      `storesense-gateway: WARNING: ${args.config} has no sources: this gateway will hear nothing. Add "sources" (storesense-site render writes the ones the site's receivers and terminals call for; docs/sources.md)\n`,
    );
    logger.warn({ config: args.config }, 'no sources configured: the gateway hears nothing');
  }
  let gateway: Gateway;
  try {
    // Also used by reload-model and by a remote config that changes the classifier: the flags still hold.
    const pick = (c: typeof config) =>
      selectClassifier(args.model === undefined ? c : { ...c, classifier: { ...c.classifier, modelPath: args.model } }, {
        kind: kind ?? c.classifier.kind,
        ...(outsideDomain !== undefined ? { outsideDomain } : {}),
        logger: logger.child({ siteId: c.siteId, gatewayId: c.gatewayId }),
      });
    // A model promoted by rollout (decision 133) runs from the start.
    const { classifier, status } = pick(withRolloutModel(config));
    gateway = createGateway(config, {
      logger,
      classifier,
      classifierStatus: status,
      selectClassifier: pick,
      ...(restored.applied ? { appliedConfig: restored.applied } : {}),
    });
    await gateway.start();
  } catch (err) {
    process.stderr.write(`storesense-gateway: cannot start: ${(err as Error).message}\n`);
    logger.flush?.();
    return 1;
  }
  const url = gateway.statusUrl();
  if (config.statusApi && url === undefined) {
    // The gateway runs on without it (its other sources still work), but say so on stderr: the
    // status API, terminal ingest (http_observations) and meraki are not reachable.
    process.stderr.write(
      `storesense-gateway: WARNING: the status API cannot listen on ${config.statusApi.host}:${config.statusApi.port} (port in use or not permitted; see the log); health and HTTP ingest are unavailable\n`,
    );
  }
  logger.info({ siteId: config.siteId, gatewayId: config.gatewayId, statusUrl: url }, 'storesense-gateway running');

  // Last-resort guards: every handler is wrapped already; if something slips through, log it and
  // keep serving rather than lose the in-memory journeys (the outbox is durable either way).
  process.on('uncaughtException', (err) => logger.error({ err: err.message, stack: err.stack }, 'uncaught exception'));
  process.on('unhandledRejection', (reason) => logger.error({ err: String(reason) }, 'unhandled rejection'));

  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      const force = setTimeout(() => resolve(1), 10_000);
      force.unref();
      gateway
        .stop()
        .then(() => resolve(0))
        .catch((err: Error) => {
          logger.error({ err: err.message }, 'stop failed');
          resolve(1);
        });
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
  });
}

main(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (err: Error) => {
    process.stderr.write(`storesense-gateway: ${err.message}\n`);
    exitWhenFlushed(1);
  },
);
