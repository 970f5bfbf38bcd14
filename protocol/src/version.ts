/** Major version of the wire contract; it is also in every topic root (`storesense/v1/...`). */
export const PROTOCOL_VERSION = 1 as const;
export const TOPIC_ROOT = `storesense/v${PROTOCOL_VERSION}` as const;
