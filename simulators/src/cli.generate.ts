import { parseArgs } from 'node:util';
import { loadSiteFile, type DemoMember } from '@storesense/firmware-config';
import { createProgress } from '@storesense/protocol/progress';
import { formatGenerate } from './cli.human.js';
import { integer, loadMembers, nonNegative, outputMode, progressTo, resolveSitePath, share, UsageError, type CliIo } from './cli.shared.js';
import { durationError, parseDurationMs } from './duration.js';
import { loadScenarioFile, scenarioFromSets, scenarioPresetNames, scenarioWorldOptions, type ScenarioFile } from './scenario-file.js';
import { namedScenario, SCENARIO_NAMES, type ScriptedShopper } from './scenario.js';
import { generateWorld } from './trace-file.writer.js';
import { parseStaffList, type StaffDeviceSpec } from './world.staff.js';

/** `storesense-sim generate`: a seeded world to trace.ndjson + truth.ndjson. */
export async function generateCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      site: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      duration: { type: 'string' },
      members: { type: 'string' },
      start: { type: 'string' },
      'shoppers-per-hour': { type: 'string' },
      'member-share': { type: 'string' },
      'ble-share': { type: 'string' },
      'ble-rotation': { type: 'string' },
      scenario: { type: 'string' },
      member: { type: 'string' },
      set: { type: 'string', multiple: true },
      staff: { type: 'string' },
      json: { type: 'boolean' },
      human: { type: 'boolean' },
    },
  });
  const mode = outputMode(values, io);
  if (values.site === undefined) throw new UsageError('generate needs --site');
  if (values.out === undefined) throw new UsageError('generate needs --out');
  const durationMs = parseDurationMs(values.duration ?? '10m');
  if (durationMs === undefined) throw new UsageError(durationError('--duration', values.duration ?? ''));
  let startAt: number | undefined;
  if (values.start !== undefined) {
    startAt = Date.parse(values.start);
    if (Number.isNaN(startAt)) throw new UsageError(`--start "${values.start}" is not an ISO date-time`);
  }
  let bleRotationMs: number | undefined;
  if (values['ble-rotation'] !== undefined) {
    bleRotationMs = parseDurationMs(values['ble-rotation']);
    if (bleRotationMs === undefined) throw new UsageError(durationError('--ble-rotation', values['ble-rotation']));
  }
  let staffFlag: StaffDeviceSpec[] | undefined;
  if (values.staff !== undefined) {
    try {
      staffFlag = parseStaffList(values.staff);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const sitePath = resolveSitePath(values.site);
  const site = loadSiteFile(sitePath);
  if (!site.ok) throw new Error(`invalid site: ${site.issues.join('; ')}`);
  const { path: membersPath, members } = loadMembers(values.members, io);
  const scenarios: ScriptedShopper[] = [];
  const sets = values.set ?? [];
  // A known name is a scripted scenario (member-visit); anything else is a scenario file or preset.
  const scripted = values.scenario !== undefined && (SCENARIO_NAMES as readonly string[]).includes(values.scenario);
  let file: ScenarioFile = {};
  if (values.scenario !== undefined && !scripted) {
    const looksLikeName = !/[/\\.]/.test(values.scenario);
    const loaded = loadScenarioFile(values.scenario, sets);
    if (!loaded.ok) {
      if (looksLikeName && loaded.error.includes('ENOENT')) {
        throw new UsageError(
          `unknown scenario "${values.scenario}" (scripted: ${SCENARIO_NAMES.join(', ')}; presets: ${scenarioPresetNames().join(', ')}; or a scenario file path)`,
        );
      }
      throw new Error(`scenario ${values.scenario}: ${loaded.issues.join('; ')}`);
    }
    file = loaded.value;
  } else if (sets.length > 0) {
    const loaded = scenarioFromSets(sets);
    if (!loaded.ok) throw new UsageError(`--set: ${loaded.issues.join('; ')}`);
    file = loaded.value;
  }
  const fromFile = scenarioWorldOptions(
    file,
    site.value.receivers.map((r) => r.id),
  );
  if (!fromFile.ok) throw new Error(`scenario ${values.scenario ?? '--set'}: ${fromFile.issues.join('; ')}`);
  const { staff: staffFromFile, ...scenarioOptions } = fromFile.value;
  // --staff replaces the scenario's staff list, as every flag overrides its scenario key.
  const staff: readonly StaffDeviceSpec[] | undefined = staffFlag ?? staffFromFile;
  if (scripted && values.scenario !== undefined) {
    let member: DemoMember | undefined;
    if (values.member !== undefined) {
      member = members.find((m) => m.memberId === values.member);
      if (member === undefined) throw new UsageError(`member "${values.member}" is not in ${membersPath}`);
    }
    try {
      scenarios.push(namedScenario(values.scenario, member));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  } else if (values.member !== undefined) {
    throw new UsageError('--member goes with --scenario member-visit');
  }
  const started = performance.now();
  const seed = integer('seed', values.seed, 1);
  const bar = createProgress({ label: 'generate', total: durationMs, unit: 'ms', ...progressTo(io) });
  const result = await generateWorld({
    site: site.value,
    siteFile: values.site,
    seed,
    durationMs,
    ...(startAt !== undefined ? { startAt } : {}),
    ...scenarioOptions,
    shoppersPerHour: nonNegative('shoppers-per-hour', values['shoppers-per-hour'], scenarioOptions.shoppersPerHour ?? 240),
    ...(values['member-share'] !== undefined ? { memberShare: share('member-share', values['member-share']) } : {}),
    ...(values['ble-share'] !== undefined ? { bleShare: share('ble-share', values['ble-share']) } : {}),
    ...(bleRotationMs !== undefined ? { bleRotationMs } : {}),
    members,
    scenarios,
    ...(staff !== undefined ? { staff } : {}),
    outDir: values.out,
    onProgress: (simulatedMs, observations) => bar.update(simulatedMs, `${observations.toLocaleString('en-US')} observations`),
  })
    .then((r) => {
      bar.update(durationMs, `${r.observations.toLocaleString('en-US')} observations`);
      return r;
    })
    .finally(() => bar.stop());
  const elapsedMs = Math.round(performance.now() - started);
  const report = { ...result, elapsedMs, observationsPerSecond: Math.round(result.observations / Math.max(0.001, elapsedMs / 1000)) };
  io.stdout(mode === 'json' ? `${JSON.stringify(report)}\n` : formatGenerate(report, { site: site.value.name, seed }));
  return 0;
}
