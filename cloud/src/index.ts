/** @storesense/cloud — broker, ingest, members, rules, staff alerts, HTTP API and live console. */
export { createCloud, type Cloud, type CloudEndpoints, type CloudOptions, type ProvisionGatewayInput } from './app.js';
export type { BrokerLink, MessageHandler, PublishOptions } from './broker/broker-link.js';
export { topicMatches } from './broker/broker-link.js';
export { canPublish, canSubscribe, type GatewayIdentity } from './broker/acl.js';
export { DEFAULT_BROKER_LIMITS, type BrokerLimits } from './broker/aedes.broker.js';
export { gatewayUsername, parseGatewayUsername } from './broker/credentials.js';
export type { GatewayAccounts, GatewayCredentialChange, GatewayRef } from './broker/gateway-accounts.js';
export { brokerCredentialsSchema, writeBrokerConfig, findDynsecPlugin, type BrokerCredentials, type BrokerConfigInput } from './broker/broker-config.js';
export type { GatewayAccount } from './broker/dynsec.js';
export type { IngestOutcome } from './ingest/ingest.js';
export type * from './store/cloud-store.js';
export { openSqliteStore } from './store/store.sqlite.js';
export { openPostgresStore, type PostgresStoreOptions } from './store/store.postgres.js';
export { AnalyticsService, type AnalyticsRange, type AnalyticsSummary } from './analytics/analytics.service.js';
export * from './analytics/analytics.js';
export {
  DEFAULT_RULES,
  evaluateRules,
  localMinuteOfDay,
  ruleMatches,
  ruleSchema,
  ruleActionSchema,
  type Action,
  type Rule,
  type RuleAction,
  type RuleContext,
} from './rules/rules.js';
export { localDay } from './rules/local-day.js';
export { allowAllSockets, type AuthorizeSocket, type SocketAuthorization } from './alerts/alerts.ws.js';
export { decideTransition, type AlertAction, type AlertActor, type AlertTransition } from './alerts/alert-status.js';
export { ticketSocketAuthorizer, type StaffAuthMode, type TicketSocketAuthOptions } from './auth/socket-auth.js';
export { checkStaffAgainstSites, loadStaffFile, staffFileSchema, staffSeedSchema, type StaffSeed, type StaffSeedInput } from './auth/staff.seed.js';
export { inScope, scopeOf, type AlertScope, type Principal } from './auth/principal.js';
export { createLogger, type Logger, type LoggerOptions } from './log.js';
export { systemClock, type Clock } from './clock.js';
export { Metrics } from './metrics.js';
export { SIGNATURE_HEADER, signatureHeader, verifySignature } from './offers/webhook.signature.js';
export { checkWebhookUrl, type WebhookPolicy } from './offers/webhook.client.js';
export type { OfferPush } from './offers/offer-delivery.js';
export { KeySealer, loadMasterKey } from './store/key-sealer.js';
export { recommend, type RecommendationInput } from './members/recommendation.js';
export { pickRedemption } from './offers/redemption.js';
export { offerFigures, type OfferFigures } from './offers/offer-figures.js';
