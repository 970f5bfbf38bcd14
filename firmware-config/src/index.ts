/** @storesense/firmware-config — the site model, its validation and the per-gateway config derived from it. */
export * from './site.schema.js';
export * from './gateway-config.schema.js';
