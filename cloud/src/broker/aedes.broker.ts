import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { canPublish, canSubscribe, type GatewayIdentity } from './acl.js';
import type { BrokerLink, MessageHandler, PublishOptions } from './broker-link.js';
import { DECOY_CREDENTIAL, verifyPassword } from './credentials.js';

/** The only import of aedes (STYLE habit 2). */

/**
 * Broker limits, pinned on purpose (DEPENDENCIES.md):
 * - maxTopicLevels 8: the deepest contract topic (`storesense/v1/{site}/{gw}/event/{type}`) has 6
 *   levels; anything deeper is refused before it reaches the router.
 * - queueLimit 128: packets a client may pipeline before its session is up; authentication is an
 *   async scrypt (~30 ms), and a reconnecting gateway replays its outbox right behind CONNECT.
 * - drainTimeoutMs 10 000: a gateway that stops reading is dropped after 10 s instead of stalling
 *   delivery (acks, member keys) to every other gateway.
 * - connectTimeoutMs 10 000: a socket that never sends CONNECT is closed.
 */
export interface BrokerLimits {
  maxTopicLevels: number;
  queueLimit: number;
  drainTimeoutMs: number;
  connectTimeoutMs: number;
}

export const DEFAULT_BROKER_LIMITS: BrokerLimits = { maxTopicLevels: 8, queueLimit: 128, drainTimeoutMs: 10_000, connectTimeoutMs: 10_000 };

export interface EmbeddedBrokerOptions {
  host: string;
  /** 0 picks a free port; `EmbeddedBroker.port` reports the real one. */
  port: number;
  /** Credential lookup by MQTT username (the `gateways` table). */
  lookupCredential: (username: string) => Promise<(GatewayIdentity & { passwordHash: string; salt: string }) | undefined>;
  logger: Logger;
  metrics: Metrics;
  limits?: Partial<BrokerLimits>;
}

export interface EmbeddedBroker {
  link: BrokerLink;
  port: number;
  connectedClients(): number;
  close(): Promise<void>;
}

const RETURN_CODE_BAD_CREDENTIALS = 4; // MQTT 3.1.1 §3.2.2.3: "bad user name or password"

/** Starts aedes on a TCP listener with gateway authentication and the prefix ACL. */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const log = options.logger.child({ module: 'broker' });
  const { metrics } = options;
  const limits = { ...DEFAULT_BROKER_LIMITS, ...options.limits };
  // Identity per client, fixed at authentication; the ACL hooks read it.
  const identities = new WeakMap<Client, GatewayIdentity>();

  const aedes = await Aedes.createBroker({
    maxTopicLevels: limits.maxTopicLevels,
    queueLimit: limits.queueLimit,
    drainTimeout: limits.drainTimeoutMs,
    connectTimeout: limits.connectTimeoutMs,
    authenticate: (client, username, password, done) => {
      const refuse = (reason: string) => {
        metrics.inc('broker.auth_refused');
        // Never the password; the username is an operator-chosen id, not a secret.
        log.warn({ clientId: client.id, username, reason }, 'mqtt connection refused');
        const err = new Error('bad username or password') as AuthenticateError;
        err.returnCode = RETURN_CODE_BAD_CREDENTIALS;
        done(err, false);
      };
      (async () => {
        if (!username || !password) return refuse('missing username or password');
        const credential = await options.lookupCredential(username);
        const ok = await verifyPassword(password, credential ?? DECOY_CREDENTIAL);
        if (!credential || !ok) return refuse(credential ? 'wrong password' : 'unknown username');
        identities.set(client, { siteId: credential.siteId, gatewayId: credential.gatewayId });
        log.info({ clientId: client.id, siteId: credential.siteId, gatewayId: credential.gatewayId }, 'gateway connected');
        done(null, true);
      })().catch((err: unknown) => {
        log.error({ err, clientId: client.id }, 'authentication failed unexpectedly');
        refuse('internal error');
      });
    },
    authorizePublish: (client, packet, done) => {
      const who = client ? identities.get(client) : undefined;
      const decision = who ? canPublish(who, packet.topic) : { allow: false as const, reason: 'no gateway identity' };
      if (decision.allow) return done(null);
      metrics.inc('broker.publish_refused');
      log.warn({ clientId: client?.id, ...who, topic: packet.topic, reason: decision.reason }, 'publish refused');
      // MQTT 3.1.1 has no negative PUBACK; aedes closes the connection on an error here, which
      // §4.8/MQTT-3.3.5-2 allows. A gateway only publishes contract topics, so this is a bug signal.
      done(new Error(`publish refused: ${decision.reason}`));
    },
    authorizeSubscribe: (client, sub, done) => {
      const who = identities.get(client);
      const decision = who ? canSubscribe(who, sub.topic) : { allow: false as const, reason: 'no gateway identity' };
      if (decision.allow) return done(null, sub);
      metrics.inc('broker.subscribe_refused');
      log.warn({ clientId: client.id, ...who, filter: sub.topic, reason: decision.reason }, 'subscription refused');
      // Negate (SUBACK 0x80, MQTT-3.9.3) rather than disconnect: the refusal is visible to the client.
      done(null, null);
    },
  });

  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'client error'));
  aedes.on('connectionError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'connection error'));
  aedes.on('clientDisconnect', (client) => log.info({ clientId: client.id, ...identities.get(client) }, 'client disconnected'));

  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: options.host, port, limits }, 'embedded mqtt broker listening');

  const deliverers: { filter: string; fn: (packet: AedesPublishPacket, cb: () => void) => void }[] = [];
  let closed = false;

  const link: BrokerLink = {
    subscribe(filter: string, handler: MessageHandler): Promise<void> {
      // aedes.subscribe bypasses authorizeSubscribe. The deliver function MUST call cb(), or
      // delivery stalls once aedes's concurrency slots fill (DEPENDENCIES.md); it is called when
      // the handler settles, which gives ingest natural backpressure.
      const fn = (packet: AedesPublishPacket, cb: () => void) => {
        const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : Buffer.from(packet.payload);
        Promise.resolve()
          .then(() => handler(packet.topic, payload))
          .catch((err: unknown) => {
            metrics.inc('broker.handler_failed');
            log.error({ err, topic: packet.topic }, 'message handler failed');
          })
          .finally(cb);
      };
      deliverers.push({ filter, fn });
      return new Promise((resolve) => aedes.subscribe(filter, fn, resolve));
    },
    publish(topic: string, payload: Buffer, opts: PublishOptions): Promise<void> {
      return new Promise((resolve, reject) => {
        aedes.publish({ cmd: 'publish', topic, payload, qos: opts.qos, retain: opts.retain, dup: false }, (err) =>
          err ? reject(err) : resolve(),
        );
      });
    },
    isConnected: () => !closed,
    close: async () => undefined, // the broker's own close() ends it
  };

  return {
    link,
    port,
    connectedClients: () => aedes.connectedClients,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(deliverers.map((d) => new Promise<void>((resolve) => aedes.unsubscribe(d.filter, d.fn, resolve))));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      log.info('embedded mqtt broker stopped');
    },
  };
}
