/**
 * `storesense-gateway calibrate --trace F --walk W --site S [--out S2]`: an installer's reference
 * walk plus the trace recorded meanwhile (the gateway's `record` output, or a simulator trace)
 * become per-receiver offsets written into a copy of the site file (docs/sources.md, "Calibrating
 * receivers"). Exit 0 on success, 1 when the inputs cannot be used, 2 on usage errors.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSiteFile, validateSite } from '@storesense/firmware-config';
import { observationSchema, type Observation } from '@storesense/protocol';
import { calibrateFromWalk, parseWalk, type ReceiverWalkResult } from './reference-walk.js';

export interface CalibrateIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTty: boolean;
}

export const CALIBRATE_USAGE = `Usage: storesense-gateway calibrate --trace F --walk W --site S [--out S2] [options]

  --trace F        recorded observations: a trace file (NDJSON, header line first) or a directory of them (record --out DIR)
  --walk W         the reference walk: JSON [{t|at, x, y, floor, dwellS}, ...] or CSV with columns t|at,x,y,floor,dwell_s
                   (t: seconds from the trace start; at: ISO time or epoch ms; metres in the site frame)
  --site S         the site file the offsets are measured against
  --out S2         write a copy of the site with the measured offsets (receivers not measured keep theirs)
  --subject ID     the reference phone's pseudonymous subject (default: the trace's only BLE subject)
  --phone-offset-db X   the reference phone's 1-m level above the site's refRssiAt1mDbm (default 0)
  --fit-path-loss  also fit each receiver's path-loss exponent where distances span 3:1 or more
  --min-readings N readings a receiver needs (default 20)
  --json           one JSON object on stdout; default a table on a terminal, JSON when piped
  --help           this text`;

class Usage extends Error {}

export function runCalibrate(argv: string[], io: CalibrateIo): number {
  try {
    return calibrate(argv, io);
  } catch (err) {
    io.stderr(`storesense-gateway calibrate: ${(err as Error).message}${err instanceof Usage ? ' (try --help)' : ''}\n`);
    return err instanceof Usage ? 2 : 1;
  }
}

function calibrate(argv: string[], io: CalibrateIo): number {
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        trace: { type: 'string' },
        walk: { type: 'string' },
        site: { type: 'string' },
        out: { type: 'string' },
        subject: { type: 'string' },
        'phone-offset-db': { type: 'string' },
        'fit-path-loss': { type: 'boolean', default: false },
        'min-readings': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    throw new Usage((err as Error).message);
  }
  if (values.help) {
    io.stdout(`${CALIBRATE_USAGE}\n`);
    return 0;
  }
  if (values.trace === undefined || values.walk === undefined || values.site === undefined) throw new Usage('needs --trace, --walk and --site');
  const phoneOffsetDb = numberArg(values['phone-offset-db'], '--phone-offset-db', 0);
  const minReadings = numberArg(values['min-readings'], '--min-readings', 20);
  if (!Number.isInteger(minReadings) || minReadings < 3) throw new Usage('--min-readings must be an integer ≥ 3');
  const siteText = readText(values.site, 'site');
  const site = loadSiteFile(values.site);
  if (!site.ok) throw new Error(`invalid site ${values.site}: ${site.issues.slice(0, 3).join('; ')}`);
  const { observations, startMs } = readTrace(values.trace);
  if (observations.length === 0) throw new Error(`no observations in ${values.trace}`);
  const subject = values.subject ?? onlySubject(observations);
  const mine = observations.filter((o) => o.subject === subject);
  if (mine.length === 0) throw new Error(`subject ${subject} is not in the trace`);
  const walk = parseWalk(readText(values.walk, 'walk'), startMs);
  if (!walk.ok) throw new Error(walk.error);
  const results = calibrateFromWalk(site.value, mine, walk.stops, { phoneOffsetDb, fitPathLoss: values['fit-path-loss'], minReadings });
  const measured = results.filter((r) => r.offsetDb !== undefined);
  if (values.out !== undefined) {
    if (measured.length === 0) throw new Error('no receiver had enough readings; nothing written (walk nearer the receivers, or longer)');
    const raw = JSON.parse(siteText.replace(/^\uFEFF/, '')) as { receivers: { id: string; calibration?: Record<string, number> }[] };
    const byId = new Map(measured.map((r) => [r.receiverId, r]));
    for (const r of raw.receivers) {
      const m = byId.get(r.id);
      if (!m) continue;
      r.calibration = { ...(r.calibration ?? {}), rssiOffsetDb: m.offsetDb!, ...(m.exponent !== undefined ? { pathLossExponent: m.exponent } : {}) };
    }
    const check = validateSite(raw);
    if (!check.ok) throw new Error(`the calibrated site would be invalid: ${check.issues.slice(0, 3).join('; ')}`);
    writeFileSync(values.out, `${JSON.stringify(raw, null, 2)}\n`);
  }
  const asJson = values.json || !io.isTty;
  if (asJson)
    io.stdout(`${JSON.stringify({ subject, readings: mine.length, walkPoints: walk.stops.length, written: values.out ?? null, receivers: results })}\n`);
  else io.stdout(table(results, subject, values.out));
  return 0;
}

function numberArg(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Usage(`${name} must be a number, got "${v}"`);
  return n;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** A trace file or a recorder directory: observations sorted by time, and the first header's start. */
function readTrace(path: string): { observations: Observation[]; startMs: number } {
  let files: string[];
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => f.endsWith('.ndjson'))
          .sort()
          .map((f) => join(path, f))
      : [path];
  } catch (err) {
    throw new Error(`cannot read trace ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const observations: Observation[] = [];
  let startMs: number | undefined;
  let rejected = 0;
  for (const f of files) {
    for (const line of readText(f, 'trace').split('\n')) {
      if (line.trim() === '') continue;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        rejected += 1;
        continue;
      }
      const header = json as { format?: unknown; startedAt?: unknown };
      if (header.format !== undefined) {
        if (startMs === undefined && typeof header.startedAt === 'number') startMs = header.startedAt;
        continue;
      }
      const o = observationSchema.safeParse(json);
      if (o.success) observations.push(o.data);
      else rejected += 1;
    }
  }
  if (observations.length === 0 && rejected > 0) throw new Error(`${path}: no valid observation lines (${rejected} rejected)`);
  observations.sort((a, b) => a.at - b.at);
  return { observations, startMs: startMs ?? observations[0]?.at ?? 0 };
}

function onlySubject(observations: readonly Observation[]): string {
  const subjects = new Set(observations.filter((o) => o.source !== 'terminal').map((o) => o.subject));
  if (subjects.size === 1) return [...subjects][0]!;
  throw new Usage(`the trace has ${subjects.size} subjects; name the reference phone with --subject (its pseudonym, e.g. from the gateway's events or decode)`);
}

function table(results: readonly ReceiverWalkResult[], subject: string, out: string | undefined): string {
  const head = ['receiver', 'readings', 'declared dB', 'measured dB', '± dB', 'exponent', 'note'];
  const rows = results.map((r) => [
    r.receiverId,
    String(r.readings),
    r.declaredOffsetDb.toFixed(1),
    r.offsetDb === undefined ? '-' : r.offsetDb.toFixed(1),
    r.uncertaintyDb === undefined ? '-' : r.uncertaintyDb.toFixed(1),
    r.exponent === undefined ? r.declaredExponent.toFixed(2) : `${r.exponent.toFixed(2)} (was ${r.declaredExponent})`,
    r.note,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const lines = [`reference phone ${subject}`, fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)];
  lines.push(out === undefined ? '(not written: pass --out FILE for a calibrated copy of the site)' : `written: ${out}`);
  return `${lines.join('\n')}\n`;
}
