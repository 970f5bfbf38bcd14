/** @storesense/gateway — edge pipeline: sources -> identity -> tracker -> classifier -> journey -> outbox -> uplink. */
export * from './clock.js';
export * from './log.js';
export * from './classify/classifier.js';
export * from './classify/features.js';
export * from './classify/site-context.js';
export * from './classify/rules.classifier.js';
export * from './identity/member-resolver.js';
export * from './tracking/tracker.js';
export * from './journey/journey.machine.js';
export * from './journey/purchase-attribution.js';
export * from './pipeline.js';
export * from './offline.js';
export * from './store/outbox.js';
