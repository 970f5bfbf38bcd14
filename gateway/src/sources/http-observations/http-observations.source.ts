import type { Logger } from '../../log.js';
import { parseObservationPayload, reasonForLog, shouldLogRejection, type ParsedBatch } from '../parse-observations.js';
import { SourceCounters, type Emit, type Source } from '../source.js';
import { postedAsItself, terminalKeyring, type TerminalCredential } from './terminal-auth.js';

/** What `POST /api/v1/observations` answers: the status code and the JSON body. */
export interface HttpObservationAnswer {
  status: 200 | 400 | 401 | 403;
  body: { accepted?: number; rejected?: ParsedBatch['rejected']; rejectedCount?: number; error?: string; forbidden?: { at: string; error: string }[] };
}

/** The http_observations source: fed by `POST /api/v1/observations` on the status API. */
export interface HttpObservationSource extends Source {
  /** Parses a request body (NDJSON, JSON array or one object), emits the good observations. Open ingest (no terminal check). */
  accept(body: string): { accepted: number; rejected: ParsedBatch['rejected'] };
  /**
   * One request: with terminals configured, the `Authorization: Bearer <token>` header must name a
   * terminal (401 otherwise) and the whole body must be that terminal's own detections (403
   * otherwise, nothing accepted); without terminals, like `accept`.
   */
  acceptRequest(authorization: string | undefined, body: string): HttpObservationAnswer;
}

export interface HttpObservationSourceOptions {
  logger: Logger;
  /** Terminals allowed to post, with their tokens. Absent or empty: open ingest (simulator, lab). */
  terminals?: readonly TerminalCredential[];
}

export function createHttpObservationSource(opts: HttpObservationSourceOptions): HttpObservationSource {
  const log = opts.logger.child({ module: 'source', source: 'http_observations' });
  const counters = new SourceCounters();
  const keyring = opts.terminals && opts.terminals.length > 0 ? terminalKeyring(opts.terminals) : undefined;
  let refused = 0;
  let emit: Emit | undefined;

  const accept = (parsed: ParsedBatch) => {
    if (parsed.rejected.length > 0) {
      counters.rejected += parsed.rejected.length;
      if (shouldLogRejection(counters.rejected)) {
        log.warn(
          {
            rejected: parsed.rejected.length,
            totalRejected: counters.rejected,
            first: parsed.rejected.slice(0, 3).map((r) => ({ at: r.at, error: reasonForLog(r.error) })),
          },
          'rejected observations',
        );
      }
    }
    if (parsed.observations.length > 0 && emit) {
      counters.accepted(parsed.observations);
      emit(parsed.observations);
    }
    return { accepted: emit ? parsed.observations.length : 0, rejected: parsed.rejected };
  };

  const refuse = (status: 401 | 403, fields: Record<string, unknown>, body: HttpObservationAnswer['body']): HttpObservationAnswer => {
    refused += 1;
    counters.rejected += 1;
    // Never the token or the body: who, why, how many.
    if (shouldLogRejection(refused)) log.warn({ status, refused, ...fields }, 'terminal post refused');
    return { status, body };
  };

  return {
    name: 'http_observations',
    start(e: Emit) {
      emit = e;
      counters.state = 'ok';
      // Installers see in health whether the ingest is open or terminal-only.
      counters.detail = keyring ? `${keyring.size} terminal(s), bearer token required` : 'open ingest (no terminals configured)';
    },
    stop() {
      emit = undefined;
      counters.state = 'stopped';
    },
    health: () => counters.snapshot(),
    accept: (body: string) => accept(parseObservationPayload(body)),
    acceptRequest(authorization, body) {
      const parsed = parseObservationPayload(body);
      if (keyring) {
        const terminal = keyring.authenticate(authorization);
        if (!terminal)
          return refuse(
            401,
            { reason: authorization === undefined ? 'no token' : 'unknown token' },
            { error: 'a terminal token is required: Authorization: Bearer <token>' },
          );
        // Indexes in `forbidden` count the valid entries only (invalid ones are reported by a 400).
        const forbidden = postedAsItself(terminal, parsed.observations);
        if (forbidden.length > 0)
          return refuse(
            403,
            { terminalId: terminal.terminalId, forbidden: forbidden.length },
            { error: `terminal "${terminal.terminalId}" may only post its own detections`, forbidden: forbidden.slice(0, 100) },
          );
      }
      const { accepted, rejected } = accept(parsed);
      if (rejected.length > 0) return { status: 400, body: { accepted, rejected: rejected.slice(0, 100), rejectedCount: rejected.length } };
      return { status: 200, body: { accepted } };
    },
  };
}
