/**
 * @storesense/simulators — a seeded mall world (shoppers, phones, radio, terminals), trace and truth
 * files, and replay of traces into a gateway over MQTT or HTTP.
 */
export * from './random.js';
export * from './site-layout.js';
export * from './trajectory.js';
export * from './radio.model.js';
export * from './shopper.plan.js';
export * from './shopper.intents.js';
export * from './shopper.routes.js';
export * from './truth.journey.js';
export * from './scenario.js';
export * from './scenario-file.js';
export * from './world.js';
export * from './trace-codec.js';
export * from './trace-file.writer.js';
export * from './trace-file.reader.js';
export * from './replay.js';
export * from './mqtt.adapter.js';
export * from './http.sink.js';
export * from './log.js';
export * from './token-rebase.js';
export * from './evaluate.score.js';
export * from './evaluate.run.js';
export * from './evaluate.summary.js';
export * from './evaluate.format.js';
export * from './world.wifi.js';
export * from './world.staff.js';
export * from './record.js';
export * from './random-site/random-site.js';
export * from './random-site/family-stats.js';
