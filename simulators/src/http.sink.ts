import type { Observation } from '@storesense/protocol';
import { encodeObservationLine } from './trace-codec.js';
import type { ObservationSink } from './replay.js';

/**
 * POSTs replay batches as NDJSON to a gateway's local API: `{baseUrl}/api/v1/observations`.
 * A non-2xx answer fails the batch (replay counts and drops it).
 */
export interface HttpSinkOptions {
  baseUrl: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export function createHttpSink(o: HttpSinkOptions): ObservationSink {
  const base = new URL(o.baseUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError(`not an HTTP URL: ${base.protocol}//${base.host}`);
  const url = new URL('/api/v1/observations', base).toString();
  const doFetch = o.fetch ?? fetch;
  return {
    name: 'http',
    async send(batch: readonly Observation[]) {
      let body = '';
      for (const obs of batch) body += encodeObservationLine(obs);
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body,
        signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
      });
      if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status}`);
      await res.arrayBuffer();
    },
    async close() {},
  };
}
