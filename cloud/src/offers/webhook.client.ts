import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Where the cloud may POST (offer pushes, rule webhooks). The URL is operator configuration, yet
 * a wrong or hostile one must not turn the cloud into a proxy into its own network (SSRF): https
 * anywhere public, plain http only to a literal loopback host, no private, link-local (cloud
 * metadata at 169.254.169.254), CGNAT or multicast targets unless `allowPrivateNetworks`.
 */
export interface WebhookPolicy {
  /** Let https/http targets resolve to private ranges (an on-premises push service). Default false. */
  allowPrivateNetworks?: boolean;
  /** Whole request deadline (connect + answer). Default 5000. */
  timeoutMs?: number;
  /** Name resolution (node:dns lookup when absent); tests inject names that resolve to private addresses. */
  resolve?: (hostname: string) => Promise<LookupAddress[]>;
}

export type WebhookResult =
  | { ok: true; status: number }
  /** `retry`: worth trying again later (5xx, 408, 425, 429, network, timeout); false for refusals and other answers. */
  | { ok: false; status?: number | undefined; error: string; retry: boolean };

const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 address it carries. */
function unmap(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

/** Is this IP literal loopback, private/reserved, or public? */
export function classifyAddress(ip: string): 'loopback' | 'private' | 'public' {
  const a = unmap(ip);
  const family = isIP(a) === 6 ? 'ipv6' : 'ipv4';
  if (LOOPBACK.check(a, family)) return 'loopback';
  return PRIVATE.check(a, family) ? 'private' : 'public';
}

const hostOf = (u: URL): string => u.hostname.replace(/^\[|\]$/g, '');
const isLoopbackHost = (host: string): boolean => host === 'localhost' || (isIP(host) !== 0 && classifyAddress(host) === 'loopback');

/**
 * The static half of the policy (no DNS): scheme, credentials, literal addresses. The other half
 * runs at connect time on the resolved address (`guardedLookup`), so DNS cannot be swapped later.
 * @example checkWebhookUrl('http://10.0.0.5/push', {}) // { ok: false, reason: 'private-range target 10.0.0.5 ...' }
 */
export function checkWebhookUrl(raw: string, policy: WebhookPolicy = {}): { ok: true; url: URL } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: `scheme ${url.protocol} not allowed (https, or http to loopback)` };
  if (url.username || url.password) return { ok: false, reason: 'credentials in the URL are not allowed (they would end up in logs)' };
  const host = hostOf(url);
  const loopback = isLoopbackHost(host);
  if (url.protocol === 'http:' && !loopback) return { ok: false, reason: 'plain http is allowed to a loopback host only; use https' };
  if (!loopback && isIP(host) !== 0 && classifyAddress(host) !== 'public' && !policy.allowPrivateNetworks) {
    return { ok: false, reason: `private-range target ${host} not allowed (allowPrivateNetworks is off)` };
  }
  return { ok: true, url };
}

/** A `lookup` for http.request that refuses private addresses unless the policy allows them. */
function guardedLookup(policy: WebhookPolicy, literalLoopback: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const resolve =
      policy.resolve ??
      ((name: string) => new Promise<LookupAddress[]>((ok, fail) => dnsLookup(name, { ...options, all: true }, (err, a) => (err ? fail(err) : ok(a)))));
    resolve(hostname).then(
      (list) => {
        const bad = list.find((a) => {
          const kind = classifyAddress(a.address);
          return kind !== 'public' && !policy.allowPrivateNetworks && !(literalLoopback && kind === 'loopback');
        });
        if (bad || list.length === 0) {
          const refusal = Object.assign(new Error(`${hostname} resolves to a private-range address; refused`), { code: 'EPRIVATETARGET' });
          return callback(refusal, '', 0);
        }
        if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
        return callback(null, list[0]!.address, list[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

const RETRY_STATUSES = new Set([408, 425, 429]);

/**
 * POSTs JSON with the policy applied; never follows redirects (a 3xx is a failure, not a hop
 * into somewhere else); the whole exchange is bounded by `timeoutMs`. Never throws.
 * @example await postJson('https://push.example.com/offers', { offer }, { timeoutMs: 3000 }, { 'idempotency-key': offer.id })
 */
export async function postJson(
  raw: string,
  body: unknown,
  policy: WebhookPolicy = {},
  headers: Record<string, string> = {},
  /** Extra headers computed from the exact bytes sent (a signature). */
  sign?: (payload: Buffer) => Record<string, string>,
): Promise<WebhookResult> {
  const checked = checkWebhookUrl(raw, policy);
  if (!checked.ok) return { ok: false, error: checked.reason, retry: false };
  const { url } = checked;
  const payload = Buffer.from(JSON.stringify(body));
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const timeoutMs = policy.timeoutMs ?? 5000;
  return new Promise<WebhookResult>((resolve) => {
    let settled = false;
    const done = (r: WebhookResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(payload.length),
          'user-agent': 'storesense-cloud',
          ...headers,
          ...(sign ? sign(payload) : {}),
        },
        lookup: guardedLookup(policy, isLoopbackHost(hostOf(url))),
        agent: false, // a fresh connection per call: each one passes the lookup check
      },
      (res: IncomingMessage) => {
        res.resume(); // the answer body is not needed; drain it so the socket closes
        res.on('end', () => done(judge(res.statusCode ?? 0)));
        res.on('error', (err) => done({ ok: false, status: res.statusCode, error: err.message, retry: true }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, error: err.message, retry: err.code !== 'EPRIVATETARGET' }));
    req.end(payload);
  });
}

function judge(status: number): WebhookResult {
  if (status >= 200 && status < 300) return { ok: true, status };
  if (status >= 300 && status < 400) return { ok: false, status, error: `redirect ${status} not followed`, retry: false };
  const retry = status >= 500 || RETRY_STATUSES.has(status);
  return { ok: false, status, error: `HTTP ${status}`, retry };
}
