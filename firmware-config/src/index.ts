/** @storesense/firmware-config — the site model, its validation and the per-gateway config derived from it. */
export * from './site.schema.js';
export * from './opening-hours.js';
export * from './gateway-config.schema.js';
export * from './site.loader.js';
export * from './gateway-config.render.js';
export * from './geometry.js';
export * from './paths.js';
export * from './members.csv.js';
export * from './site.json-schema.js';
export * from './site.lint.js';
export * from './esp32.render.js';
export * from './site.domain.js';
export * from './site.domain.check.js';
export * from './gateway-config.defaults.js';
