/** @storesense/cloud — broker, ingest, members, rules, staff alerts, HTTP API and live console. */
export { createCloud, type Cloud, type CloudEndpoints, type CloudOptions, type ProvisionGatewayInput } from './app.js';
export type { BrokerLink, MessageHandler, PublishOptions } from './broker/broker-link.js';
export { topicMatches } from './broker/broker-link.js';
export { canPublish, canSubscribe, type GatewayIdentity } from './broker/acl.js';
export { DEFAULT_BROKER_LIMITS, type BrokerLimits } from './broker/aedes.broker.js';
export { gatewayUsername, parseGatewayUsername } from './broker/credentials.js';
export type { IngestOutcome } from './ingest/ingest.js';
export type * from './store/cloud-store.js';
export { openSqliteStore } from './store/store.sqlite.js';
export { DEFAULT_RULES, evaluateRules, type Action, type Rule, type RuleContext } from './rules/rules.js';
export { localDay } from './rules/local-day.js';
export { allowAllSockets, type AuthorizeSocket, type SocketAuthorization } from './alerts/alerts.ws.js';
export { createLogger, type Logger, type LoggerOptions } from './log.js';
export { systemClock, type Clock } from './clock.js';
export { Metrics } from './metrics.js';
