import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { canPublish, canSubscribe, type GatewayIdentity } from './acl.js';
import type { BrokerLink, MessageHandler, PublishOptions } from './broker-link.js';
import { AuthThrottle, DEFAULT_AUTH_THROTTLE } from './auth-throttle.js';
import { DECOY_CREDENTIAL, verifyPassword } from './credentials.js';
import { guardedConnection } from './packet-guard.js';
import { DEFAULT_LOGIN_CACHE, LoginCache } from './login-cache.js';
import { parseTopic } from '@storesense/protocol';

/** The only import of aedes (architecture §7 habit 2). */

/**
 * Broker limits, pinned on purpose (docs/dependencies.md):
 * - maxTopicLevels 8: the deepest contract topic (`storesense/v1/{site}/{gw}/event/{type}`) has 6
 *   levels; anything deeper is refused before it reaches the router.
 * - queueLimit 128: packets a client may pipeline before its session is up; authentication is an
 *   async scrypt (~30 ms), and a reconnecting gateway replays its outbox right behind CONNECT.
 * - drainTimeoutMs 10 000: a gateway that stops reading is dropped after 10 s instead of stalling
 *   delivery (acks, member keys) to every other gateway.
 * - connectTimeoutMs 10 000: a socket that never sends CONNECT is closed.
 * - maxPacketBytes 256 KiB: the largest contract payload (an occupancy report of a day's minutes)
 *   is ~100 KiB; a bigger packet closes the connection while it streams (packet-guard.ts).
 * - auth throttle: 10 failed logins per username and 50 per address per minute, then refused
 *   without a password check (auth-throttle.ts).
 * - login cache: a gateway's repeated CONNECT with the password that passed scrypt, against an
 *   unchanged stored credential, skips the scrypt; at most 10 000 usernames for 1 h (login-cache.ts).
 */
export interface BrokerLimits {
  maxTopicLevels: number;
  queueLimit: number;
  drainTimeoutMs: number;
  connectTimeoutMs: number;
  maxPacketBytes: number;
  authMaxFailures: number;
  authMaxFailuresPerAddress: number;
  authWindowMs: number;
}

export const DEFAULT_BROKER_LIMITS: BrokerLimits = {
  maxTopicLevels: 8,
  queueLimit: 128,
  drainTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  maxPacketBytes: 256 * 1024,
  authMaxFailures: DEFAULT_AUTH_THROTTLE.maxFailures,
  authMaxFailuresPerAddress: DEFAULT_AUTH_THROTTLE.maxFailuresPerAddress,
  authWindowMs: DEFAULT_AUTH_THROTTLE.windowMs,
};

/**
 * Retained messages are kept by the broker until replaced: a gateway may retain only its two state
 * topics (conn and health), so its retained footprint is two messages whatever it sends.
 */
const RETAINABLE_KINDS = new Set(['stateConn', 'stateHealth']);

export interface EmbeddedBrokerOptions {
  host: string;
  /** 0 picks a free port; `EmbeddedBroker.port` reports the real one. */
  port: number;
  /** Credential lookup by MQTT username (the `gateways` table). */
  lookupCredential: (username: string) => Promise<(GatewayIdentity & { passwordHash: string; salt: string }) | undefined>;
  logger: Logger;
  metrics: Metrics;
  limits?: Partial<BrokerLimits>;
  /**
   * Serve MQTT over TLS (mqtts) with this key and certificate (PEM files). With `clientCaFile`,
   * clients must also present a certificate signed by that CA (mutual TLS), on top of their
   * username and password.
   */
  tls?: { keyFile: string; certFile: string; clientCaFile?: string | undefined };
}

export interface EmbeddedBroker {
  link: BrokerLink;
  port: number;
  /** `mqtts` when serving TLS. */
  scheme: 'mqtt' | 'mqtts';
  connectedClients(): number;
  /** Closes the session of the client with this id, if connected (a revoked gateway: id = username). */
  disconnect(clientId: string): boolean;
  /** Drops every session authenticated as this gateway (revocation); resolves how many. */
  disconnectGateway(siteId: string, gatewayId: string): Promise<number>;
  close(): Promise<void>;
}

const RETURN_CODE_BAD_CREDENTIALS = 4; // MQTT 3.1.1 §3.2.2.3: "bad user name or password"
const RETURN_CODE_IDENTIFIER_REJECTED = 2; // §3.2.2.3: "the Client identifier is correct UTF-8 but not allowed by the Server"
const RETURN_CODE_NOT_AUTHORIZED = 5;

/** Starts aedes on a TCP listener with gateway authentication and the prefix ACL. */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const log = options.logger.child({ module: 'broker' });
  const { metrics } = options;
  const limits = { ...DEFAULT_BROKER_LIMITS, ...options.limits };
  // Identity per client, fixed at authentication; the ACL hooks read it.
  const identities = new WeakMap<Client, GatewayIdentity>();
  // The peer address of each handled connection (aedes sees the guarded stream, not the socket).
  const addresses = new WeakMap<object, string>();
  const throttle = new AuthThrottle({
    maxFailures: limits.authMaxFailures,
    maxFailuresPerAddress: limits.authMaxFailuresPerAddress,
    windowMs: limits.authWindowMs,
    maxKeys: DEFAULT_AUTH_THROTTLE.maxKeys,
    now: () => Date.now(),
  });
  const logins = new LoginCache({ ...DEFAULT_LOGIN_CACHE, now: () => Date.now() });

  const aedes = await Aedes.createBroker({
    maxTopicLevels: limits.maxTopicLevels,
    queueLimit: limits.queueLimit,
    drainTimeout: limits.drainTimeoutMs,
    connectTimeout: limits.connectTimeoutMs,
    authenticate: (client, username, password, done) => {
      const address = addresses.get(client.conn);
      const refuse = (reason: string, returnCode = RETURN_CODE_BAD_CREDENTIALS) => {
        metrics.inc('broker.auth_refused');
        // Never the password; the username is an operator-chosen id, not a secret.
        log.warn({ clientId: client.id, username, address, reason }, 'mqtt connection refused');
        const err = new Error(returnCode === RETURN_CODE_IDENTIFIER_REJECTED ? 'client id not allowed' : 'bad username or password') as AuthenticateError;
        err.returnCode = returnCode;
        done(err, false);
      };
      (async () => {
        if (throttle.blocked(address, username)) {
          metrics.inc('broker.auth_throttled');
          return refuse('too many failed logins; try again later', RETURN_CODE_NOT_AUTHORIZED);
        }
        // Counted as a failure before the check and forgiven on success, so concurrent guesses are
        // bounded too (they would all pass blocked() before the first scrypt ends).
        throttle.failed(address, username);
        if (!username || !password) return refuse('missing username or password');
        const credential = await options.lookupCredential(username);
        const cached = credential !== undefined && logins.has(username, password, credential);
        const ok = cached || (await verifyPassword(password, credential ?? DECOY_CREDENTIAL));
        // A failure leaves a remembered login alone: it matches only the right password anyway,
        // and forgetting it would let anyone make a gateway's next reconnect pay the scrypt.
        if (!credential || !ok) return refuse(credential ? 'wrong password' : 'unknown username');
        if (cached) metrics.inc('broker.auth_cached');
        else logins.remember(username, password, credential);
        throttle.forgive(address, username);
        // The client id is bound to the credential: a gateway connects as `{siteId}.{gatewayId}`
        // (its uplink's id), so one gateway's password can never take over another's session
        // (MQTT §3.1.4: a CONNECT with a client id in use disconnects the existing client).
        const boundId = `${credential.siteId}.${credential.gatewayId}`;
        if (client.id !== boundId) return refuse(`client id must be ${boundId}`, RETURN_CODE_IDENTIFIER_REJECTED);
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
      let decision = who ? canPublish(who, packet.topic) : { allow: false as const, reason: 'no gateway identity' };
      if (decision.allow && packet.retain && !RETAINABLE_KINDS.has(parseTopic(packet.topic)?.kind ?? '')) {
        decision = { allow: false, reason: 'retained messages are allowed on state/conn and state/health only' };
      }
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
  // Connected clients by id, so a revoked gateway's session can be closed; authenticated sessions
  // (with their identity) so every session of one gateway can be (uplink and broker-side sources).
  const byId = new Map<string, Client>();
  const ready = new Set<Client>();
  aedes.on('client', (client) => byId.set(client.id, client));
  aedes.on('clientReady', (client) => ready.add(client));
  aedes.on('clientDisconnect', (client) => {
    if (byId.get(client.id) === client) byId.delete(client.id);
    ready.delete(client);
    log.info({ clientId: client.id, ...identities.get(client) }, 'client disconnected');
  });

  const sockets = new Set<Socket>();
  const onSocket = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const conn = guardedConnection(socket, limits.maxPacketBytes, (reason) => {
      metrics.inc('broker.packet_too_large');
      log.warn({ address: socket.remoteAddress, reason }, 'mqtt connection closed: packet too large or malformed');
    });
    if (socket.remoteAddress !== undefined) addresses.set(conn, socket.remoteAddress);
    aedes.handle(conn);
  };
  const tls = options.tls;
  const server = tls
    ? createTlsServer(
        {
          key: readFileSync(tls.keyFile),
          cert: readFileSync(tls.certFile),
          ...(tls.clientCaFile ? { ca: readFileSync(tls.clientCaFile), requestCert: true, rejectUnauthorized: true } : {}),
          // A handshake that never completes must not hold a socket (same bound as a missing CONNECT).
          handshakeTimeout: limits.connectTimeoutMs,
        },
        (socket: TLSSocket) => onSocket(socket),
      )
    : createServer(onSocket);
  server.on('tlsClientError', (err: Error) => {
    metrics.inc('broker.tls_refused');
    log.warn({ err: err.message }, 'mqtts handshake refused');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: options.host, port, limits, tls: tls ? { clientCertificates: tls.clientCaFile !== undefined } : false }, 'embedded mqtt broker listening');

  const deliverers: { filter: string; fn: (packet: AedesPublishPacket, cb: () => void) => void }[] = [];
  let closed = false;

  const link: BrokerLink = {
    subscribe(filter: string, handler: MessageHandler): Promise<void> {
      // aedes.subscribe bypasses authorizeSubscribe. The deliver function MUST call cb(), or
      // delivery stalls once aedes's concurrency slots fill (docs/dependencies.md); it is called when
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
        aedes.publish({ cmd: 'publish', topic, payload, qos: opts.qos, retain: opts.retain, dup: false }, (err) => (err ? reject(err) : resolve()));
      });
    },
    isConnected: () => !closed,
    close: async () => undefined, // the broker's own close() ends it
  };

  return {
    link,
    port,
    scheme: tls ? 'mqtts' : 'mqtt',
    connectedClients: () => aedes.connectedClients,
    disconnect(clientId: string) {
      const client = byId.get(clientId);
      if (!client) return false;
      client.close();
      return true;
    },
    async disconnectGateway(siteId, gatewayId) {
      // The uplink and any broker-side source (obs, espresense) of the gateway share its credential.
      const mine = [...ready].filter((c) => {
        const who = identities.get(c);
        return who?.siteId === siteId && who.gatewayId === gatewayId;
      });
      await Promise.all(mine.map((c) => new Promise<void>((resolve) => c.close(() => resolve()))));
      return mine.length;
    },
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
