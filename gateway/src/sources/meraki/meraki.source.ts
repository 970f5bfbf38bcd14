import type { Observation } from '@storesense/protocol';
import { normalizeMac, type SitePepper } from '../../identity/mac-pseudonym.js';
import type { Logger } from '../../log.js';
import { SourceCounters, type Emit, type Source } from '../source.js';
import { merakiToObservation } from './meraki.observation.js';
import { parseMerakiBody } from './meraki.parse.js';

/** The meraki source: fed by `POST /api/v1/meraki` on the status API (like http_observations). */
export interface MerakiSource extends Source {
  /** What `GET /api/v1/meraki` answers (Meraki checks it before posting). */
  readonly validator: string;
  /** Handles one POST body: 200 with counts, 403 on a wrong secret, 400 on a bad body. */
  accept(body: string): { status: 200 | 400 | 403; body: { accepted?: number; rejected?: number; error?: string } };
}

export interface MerakiSourceOptions {
  validator: string;
  secret: string;
  /** AP MAC (any format) -> receiver id; unlisted APs become `ap-<12 hex>`. */
  apReceivers: Record<string, string>;
  pepper: SitePepper;
  logger: Logger;
}

/** Cisco Meraki Scanning API v2/v3 receiver; client MACs are pseudonymised in `merakiToObservation`. */
export function createMerakiSource(opts: MerakiSourceOptions): MerakiSource {
  const log = opts.logger.child({ module: 'source', source: 'meraki' });
  const counters = new SourceCounters();
  const byAp = new Map<string, string>();
  for (const [mac, id] of Object.entries(opts.apReceivers)) {
    const n = normalizeMac(mac);
    if (n) byAp.set(n, id);
    else log.warn({ apReceiver: id }, 'apReceivers key is not a MAC; ignored');
  }
  const receiverForAp = (ap: string) => byAp.get(ap) ?? `ap-${ap}`;
  let emit: Emit | undefined;
  return {
    name: 'meraki',
    validator: opts.validator,
    start(e: Emit) {
      emit = e;
      counters.state = 'ok';
    },
    stop() {
      emit = undefined;
      counters.state = 'stopped';
    },
    health: () => counters.snapshot(),
    accept(body: string) {
      const parsed = parseMerakiBody(body, { secret: opts.secret });
      if (!parsed.ok) {
        counters.rejected += 1;
        log.warn({ reason: parsed.reason, rejected: counters.rejected }, 'meraki post refused');
        return parsed.reason === 'secret mismatch' ? { status: 403, body: { error: 'secret mismatch' } } : { status: 400, body: { error: parsed.reason } };
      }
      const good: Observation[] = [];
      let rejected = parsed.value.rejected.length;
      for (const s of parsed.value.sightings) {
        const o = merakiToObservation(s, { pepper: opts.pepper, receiverForAp });
        if (o.ok) good.push(o.value);
        else rejected += 1;
      }
      counters.rejected += rejected;
      if (rejected > 0) log.debug({ rejected, version: parsed.value.version }, 'meraki observations rejected');
      if (good.length > 0 && emit) {
        counters.accepted(good);
        emit(good);
      }
      return { status: 200, body: { accepted: emit ? good.length : 0, rejected } };
    },
  };
}
