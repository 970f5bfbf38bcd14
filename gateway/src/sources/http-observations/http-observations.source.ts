import type { Logger } from '../../log.js';
import { parseObservationPayload, reasonForLog, shouldLogRejection, type ParsedBatch } from '../parse-observations.js';
import { SourceCounters, type Emit, type Source } from '../source.js';

/** The http_observations source: fed by `POST /api/v1/observations` on the status API. */
export interface HttpObservationSource extends Source {
  /** Parses a request body (NDJSON, JSON array or one object), emits the good observations. */
  accept(body: string): { accepted: number; rejected: ParsedBatch['rejected'] };
}

export function createHttpObservationSource(opts: { logger: Logger }): HttpObservationSource {
  const log = opts.logger.child({ module: 'source', source: 'http_observations' });
  const counters = new SourceCounters();
  let emit: Emit | undefined;
  return {
    name: 'http_observations',
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
      const parsed = parseObservationPayload(body);
      if (parsed.rejected.length > 0) {
        counters.rejected += parsed.rejected.length;
        if (shouldLogRejection(counters.rejected)) {
          log.warn({ rejected: parsed.rejected.length, totalRejected: counters.rejected, first: parsed.rejected.slice(0, 3).map((r) => ({ at: r.at, error: reasonForLog(r.error) })) }, 'rejected observations');
        }
      }
      if (parsed.observations.length > 0 && emit) {
        counters.accepted(parsed.observations);
        emit(parsed.observations);
      }
      return { accepted: emit ? parsed.observations.length : 0, rejected: parsed.rejected };
    },
  };
}
