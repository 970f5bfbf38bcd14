import { Aedes, type AedesOptions } from 'aedes';
import { createServer, type Server, type Socket } from 'node:net';

/** An in-process aedes broker on 127.0.0.1 (tests only). Restartable on the same port. */
export interface TestBroker {
  port: number;
  url: string;
  aedes: Aedes;
  close(): Promise<void>;
}

export async function startAedes(opts: { port?: number; password?: string } = {}): Promise<TestBroker> {
  const options: AedesOptions = { maxClientsIdLength: 200, drainTimeout: 5_000 };
  const aedes = await Aedes.createBroker(options);
  if (opts.password !== undefined) {
    const expected = opts.password;
    aedes.authenticate = (_client, _username, password, cb) => {
      if (password?.toString() === expected) cb(null, true);
      else cb(Object.assign(new Error('bad credentials'), { returnCode: 4 }) as never, false);
    };
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    aedes.handle(s);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    aedes,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

/** A TCP proxy in front of a broker: `cut()` drops every connection the way a dead gateway would. */
export async function startProxy(targetPort: number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const { connect } = await import('node:net');
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((inbound) => {
    const outbound = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    inbound.pipe(outbound).pipe(inbound);
    const drop = () => {
      inbound.destroy();
      outbound.destroy();
      pairs.delete(pair);
    };
    inbound.on('error', drop).on('close', drop);
    outbound.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const cut = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port: (server.address() as { port: number }).port,
    cut,
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `cond` until true or the deadline; event-driven code under test has no other hook. */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
