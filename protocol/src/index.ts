/**
 * @storesense/protocol — the wire contract shared by gateway, cloud and simulators.
 * Imports nothing of ours. Every payload is JSON validated on both sides with these schemas.
 */
export * from './version.js';
export * from './ids.js';
export * from './tags.js';
export * from './result.js';
export * from './event.js';
export * from './observation.js';
export * from './ack.js';
export * from './state.js';
export * from './command.js';
export * from './remote-config.js';
export * from './model-rollout.js';
export * from './member-keys.js';
export * from './topics.js';
export * from './trace.js';
export * from './alert.js';
export * from './occupancy.js';
export * from './gap.js';
export * from './codec.js';
export * from './duration.js';
