/**
 * Fault injection with real processes (issue 11 item 10): the built cloud and gateway CLIs as
 * child processes on loopback ports, their real SQLite files in a temp dir, and the simulator's
 * `replay` posting a generated shopper trace to the gateway's HTTP ingest at real time, while the
 * test kill -9s the gateway 4 times (the last one down 16 s, past the 12 s exit timeout) and the
 * cloud 3 times (once right after it came back, during the backlog replay), stops the cloud for an outage of ~25 s (a gateway kill inside it) and
 * freezes it (SIGSTOP) for 8 s. Afterwards it counts the events the gateway produced against those
 * the cloud stored (journey-audit.ts says why the outbox's seq is an exact count) and fails on any
 * loss, any duplicate and any cut visit.
 *
 * Real time because the gateway ticks on the system clock and drops observations from the future:
 * `replay` rebases the trace's times to now. Bounded: a 2 min trace, ~2.5 min in all.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { auditJourneys, type JourneyAudit, type StoredEvent } from './journey-audit.js';
import { Child, freePort, repoRoot, sleep } from './processes.js';

const SITE_FILE = join(repoRoot, 'firmware-config/sites/boutique.site.json');
const site = JSON.parse(readFileSync(SITE_FILE, 'utf8')) as { id: string; gateways: { id: string }[] };
const GW = site.gateways[0]!.id;
const PASSWORD = 'fault-injection-gw-pw';
const TRACE_DURATION = '2m';

describe('fault injection: kill -9, outage and freeze with real processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'storesense-faults-'));
  const children: Child[] = [];
  let cloud: Child | undefined;
  let gateway: Child | undefined;
  const faults = { gatewayKills: 0, cloudKills: 0, outages: 0, freezes: 0, outboxDepthInOutage: 0, exitsForShoppersGoneWhileDown: 0 };

  afterAll(async () => {
    for (const c of children) await c.kill9();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every produced event exactly once and cuts no visit', async () => {
    const run = (argv: string[]) => execFileSync(process.execPath, argv, { cwd: repoRoot, stdio: 'pipe' });
    // Busy enough that shoppers are inside at every kill; the seed is arbitrary.
    run([
      'simulators/dist/cli.js',
      'generate',
      '--site',
      SITE_FILE,
      '--seed',
      '31',
      '--duration',
      TRACE_DURATION,
      '--shoppers-per-hour',
      '900',
      '--out',
      join(dir, 'trace'),
    ]);
    const [httpPort, mqttPort, statusPort] = [await freePort(), await freePort(), await freePort()];
    writeFileSync(join(dir, 'gateways.json'), JSON.stringify([{ siteId: site.id, gatewayId: GW, password: PASSWORD }]));
    run(['firmware-config/dist/cli.js', 'render', SITE_FILE, '--gateway', GW, '--mqtt-url', `mqtt://127.0.0.1:${mqttPort}`, '--out', join(dir, 'gw.json')]);
    const rendered = JSON.parse(readFileSync(join(dir, 'gw.json'), 'utf8')) as { uplink: Record<string, number> };
    writeFileSync(
      join(dir, 'gw.json'),
      JSON.stringify({
        ...rendered,
        dataDir: join(dir, 'gateway'),
        sources: [{ kind: 'http_observations' }],
        statusApi: { host: '127.0.0.1', port: statusPort },
        // A 30 s reconnect backoff would spend the test's time waiting; the path is the same.
        uplink: { ...rendered.uplink, reconnectMaxMs: 2_000 },
      }),
    );

    const startCloud = async () => {
      cloud = new Child('cloud', ['cloud/dist/cli.js', '--site', SITE_FILE, '--gateways', join(dir, 'gateways.json')], {
        STORESENSE_HTTP_PORT: String(httpPort),
        STORESENSE_MQTT_PORT: String(mqttPort),
        STORESENSE_DATA_DIR: join(dir, 'cloud'),
        STORESENSE_LOG_LEVEL: 'warn',
      });
      children.push(cloud);
      await cloud.waitFor(/mqtt\s+mqtt:\/\//);
    };
    const startGateway = async () => {
      gateway = new Child('gateway', ['gateway/dist/cli.js', '--config', join(dir, 'gw.json'), '--classifier', 'rules', '--log-level', 'warn'], {
        STORESENSE_MQTT_PASSWORD: PASSWORD,
      });
      children.push(gateway);
      await waitHttp(`http://127.0.0.1:${statusPort}/api/v1/health`, gateway);
    };
    const killGateway = async (downMs = 0) => {
      await gateway!.kill9();
      faults.gatewayKills += 1;
      await sleep(downMs);
      await startGateway();
    };
    const killCloud = async () => {
      await cloud!.kill9();
      faults.cloudKills += 1;
      await startCloud();
    };

    await startCloud();
    await startGateway();
    const replay = new Child('replay', [
      'simulators/dist/cli.js',
      'replay',
      '--trace',
      join(dir, 'trace/trace.ndjson'),
      '--site',
      SITE_FILE,
      '--to',
      `http://127.0.0.1:${statusPort}`,
    ]);
    children.push(replay);
    const t0 = Date.now();
    const at = async (s: number) => sleep(Math.max(0, t0 + s * 1000 - Date.now()));

    await at(8);
    await killGateway();
    await at(18);
    await killCloud();
    await at(28);
    await killGateway();
    await at(36);
    await killCloud();
    // The outage: a clean stop, 25 s away, a gateway crash in the middle (its backlog must survive).
    await at(44);
    await cloud!.stop();
    faults.outages += 1;
    await at(56);
    await killGateway();
    await at(68);
    faults.outboxDepthInOutage = (await gatewayHealth(statusPort)).outbox.depth;
    await startCloud();
    // Back, the gateway reconnecting and replaying its backlog: crash the cloud in the middle of it.
    await sleep(300);
    await killCloud();
    await at(82);
    cloud!.freeze();
    faults.freezes += 1;
    await at(90);
    cloud!.thaw();
    // Down longer than exitAbsenceMs (12 s): visits in flight must end with an exit at their last
    // saved sighting (the shopper may have left meanwhile), never stay open or arrive twice.
    await at(96);
    const longDown = { from: Date.now(), back: 0 };
    await killGateway(16_000);
    longDown.back = Date.now();
    const replayExit = await replay.exited;
    expect(replayExit, replay.output().slice(-2000)).toBe(0);

    // Settle: every shopper goes unheard when the trace ends, so after exitAbsenceMs (12 s) every
    // visit has exited; wait for the last events to be produced and the outbox to drain.
    const outboxDb = join(dir, 'gateway/outbox.db');
    let last = { produced: -1, since: Date.now() };
    const settleBy = Date.now() + 60_000;
    for (;;) {
      await sleep(1_000);
      const produced = producedCount(outboxDb);
      if (produced !== last.produced) last = { produced, since: Date.now() };
      const depth = (await gatewayHealth(statusPort)).outbox.depth;
      if (depth === 0 && Date.now() - last.since >= 15_000) break;
      if (Date.now() > settleBy) break;
    }
    expect(await gateway!.stop()).toBe(0);
    expect(await cloud!.stop()).toBe(0);

    const audit = readAudit(outboxDb, join(dir, 'cloud/cloud.db'));
    faults.exitsForShoppersGoneWhileDown = audit.exits.filter((e) => e.at <= longDown.from && (e.detectedAt ?? 0) >= longDown.back).length;
    const outbox = outboxLeft(outboxDb);
    const truth = readFileSync(join(dir, 'trace/truth.ndjson'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"arrival"')).length;
    process.stderr.write(
      `[fault-injection] ${JSON.stringify({ ...faults, produced: audit.produced, stored: audit.stored, lost: audit.lost.length, duplicateSeqs: audit.duplicateSeqs.length, duplicateEvents: audit.duplicateEvents.length, cutVisits: audit.cut.length, visits: audit.visits, visitsWithArrival: audit.visitsWithArrival, truthArrivals: truth, outbox, seconds: Math.round((Date.now() - t0) / 1000) })}\n`,
    );

    // The faults happened and had something to break.
    expect(faults.gatewayKills).toBeGreaterThanOrEqual(3);
    expect(faults.cloudKills).toBeGreaterThanOrEqual(3);
    expect(faults.outages).toBe(1);
    expect(faults.outboxDepthInOutage, 'events waited in the outbox during the outage').toBeGreaterThan(0);
    expect(audit.visitsWithArrival, 'shoppers arrived').toBeGreaterThanOrEqual(3);
    expect(faults.exitsForShoppersGoneWhileDown, 'visits in flight at the long gateway crash exited after it').toBeGreaterThan(0);
    // Nothing lost, nothing twice, no visit cut.
    expect(audit.lost).toEqual([]);
    expect(audit.duplicateSeqs).toEqual([]);
    expect(audit.unknownSeqs).toEqual([]);
    expect(audit.duplicateEvents).toEqual([]);
    expect(audit.cut).toEqual([]);
    expect(outbox).toEqual({ rows: 0, gaps: 0, dropped: 0 });
  }, 240_000);
});

async function waitHttp(url: string, child: Child, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!child.running) throw new Error(`${child.name} exited:\n${child.output().slice(-3000)}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw new Error(`${url} not up within ${timeoutMs} ms:\n${child.output().slice(-3000)}`);
}

async function gatewayHealth(port: number): Promise<{ outbox: { depth: number } }> {
  return (await (await fetch(`http://127.0.0.1:${port}/api/v1/health`)).json()) as { outbox: { depth: number } };
}

/** The outbox's AUTOINCREMENT high-water mark: how many events the gateway ever appended. */
function producedCount(outboxDb: string): number {
  const db = new Database(outboxDb, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").get() as { seq: number } | undefined)?.seq ?? 0;
  } finally {
    db.close();
  }
}

function outboxLeft(outboxDb: string): { rows: number; gaps: number; dropped: number } {
  const db = new Database(outboxDb, { readonly: true, fileMustExist: true });
  try {
    const one = (sql: string) => (db.prepare(sql).get() as { n: number } | undefined)?.n ?? 0;
    return {
      rows: one('SELECT COUNT(*) AS n FROM outbox'),
      gaps: one('SELECT COUNT(*) AS n FROM gaps'),
      dropped: one("SELECT v AS n FROM meta WHERE k = 'dropped'"),
    };
  } finally {
    db.close();
  }
}

function readAudit(outboxDb: string, cloudDb: string): JourneyAudit & { exits: StoredEvent[] } {
  const produced = producedCount(outboxDb);
  const db = new Database(cloudDb, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT id, seq, body FROM events WHERE site_id = ? AND gateway_id = ?').all(site.id, GW) as {
      id: string;
      seq: number;
      body: string;
    }[];
    const events: StoredEvent[] = rows.map((r) => {
      const e = JSON.parse(r.body) as {
        type: string;
        at: number;
        detectedAt?: number;
        visitId: string;
        subject: { id: string };
        phase?: string;
        zoneId?: string;
        toFloor?: number;
      };
      return {
        id: r.id,
        seq: r.seq,
        type: e.type,
        at: e.at,
        visitId: e.visitId,
        subject: e.subject.id,
        ...(e.detectedAt !== undefined ? { detectedAt: e.detectedAt } : {}),
        ...(e.phase ? { phase: e.phase } : {}),
        ...(e.zoneId ? { zoneId: e.zoneId } : {}),
        ...(e.toFloor !== undefined ? { toFloor: e.toFloor } : {}),
      };
    });
    return { ...auditJourneys(produced, events), exits: events.filter((e) => e.type === 'exit') };
  } finally {
    db.close();
  }
}
