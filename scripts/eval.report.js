// Renders docs/accuracy.md from the `storesense-sim evaluate --json` results gathered by
// scripts/eval.js. Pure: data in, markdown out.

const JOURNEY = ['arrival', 'dwell', 'floor_change', 'exit'];
const TYPES = ['approach', 'arrival', 'dwell', 'floor_change', 'purchase', 'exit'];
/** Issue 4 "what it must show". */
const TARGETS = { arrivalRecall: 0.97, arrivalPrecision: 0.95, exitRecall: 0.95, floorChangeAccuracy: 0.95 };

const f3 = (x) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(3));
const sec = (ms) => (ms === null || ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
const mean = (xs) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
const median = (xs) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ratio = (a, b) => (b === 0 ? null : a / b);
const f1 = (p, r) => (p === null || r === null ? null : p + r === 0 ? 0 : (2 * p * r) / (p + r));
const table = (head, body) => [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** Sums matched / detected / support per type over several traces, plus floor changes right. */
function pool(results) {
  const byType = Object.fromEntries(TYPES.map((t) => [t, { support: 0, detected: 0, matched: 0 }]));
  let floorsRight = 0;
  for (const r of results) {
    for (const t of TYPES) {
      byType[t].support += r.byType[t].support;
      byType[t].detected += r.byType[t].detected;
      byType[t].matched += r.byType[t].matched;
    }
    floorsRight += r.floorChangesCorrect ?? 0;
  }
  const fig = (t) => {
    const k = byType[t];
    const p = ratio(k.matched, k.detected);
    const r = ratio(k.matched, k.support);
    return { ...k, precision: p, recall: r, f1: k.support === 0 && k.detected === 0 ? null : k.matched === 0 ? 0 : f1(p, r) };
  };
  const figures = Object.fromEntries(TYPES.map((t) => [t, fig(t)]));
  return {
    figures,
    floorChangeAccuracy: ratio(floorsRight, byType.floor_change.support),
    macroF1: mean(results.map((r) => r.macroF1).filter((x) => typeof x === 'number')),
  };
}

const mark = (ok) => (ok === null ? 'n/a' : ok ? 'pass' : '**FAIL**');
const atLeast = (x, min) => (x === null ? null : x >= min);

function targetRow(label, rulesResults, onnxResults) {
  // No ONNX results (the model failed to load or to run) is a failure of every target, not "n/a".
  if (onnxResults.length === 0) return { row: [label, ...Array(5).fill('no onnx results **FAIL**')], verdicts: Array(5).fill(false) };
  const r = pool(rulesResults);
  const o = pool(onnxResults);
  const beats = r.macroF1 === null || o.macroF1 === null ? null : o.macroF1 > r.macroF1;
  const cells = [
    [`${f3(o.macroF1)} vs ${f3(r.macroF1)}`, beats],
    [f3(o.figures.arrival.recall), atLeast(o.figures.arrival.recall, TARGETS.arrivalRecall)],
    [f3(o.figures.arrival.precision), atLeast(o.figures.arrival.precision, TARGETS.arrivalPrecision)],
    [f3(o.figures.exit.recall), atLeast(o.figures.exit.recall, TARGETS.exitRecall)],
    [f3(o.floorChangeAccuracy), atLeast(o.floorChangeAccuracy, TARGETS.floorChangeAccuracy)],
  ];
  return { row: [label, ...cells.map(([v, ok]) => (ok === null ? 'n/a' : `${v} ${mark(ok)}`))], verdicts: cells.map(([, ok]) => ok) };
}

/** Failures grouped by message: one broken model fails every onnx run the same way. */
function failureList(failed) {
  const byMessage = new Map();
  for (const r of failed) byMessage.set(r.error, [...(byMessage.get(r.error) ?? []), `${r.site} s${r.seed} ${r.classifier}`]);
  return [...byMessage].map(([message, runs]) => `- ${runs.join(', ')}: \`${message.replace(/`/g, "'")}\``).join('\n');
}

export function renderAccuracy(d) {
  const ok = d.rows.filter((r) => !r.error);
  const failed = d.rows.filter((r) => r.error);
  const of = (pred, classifier) => ok.filter((r) => r.classifier === classifier && pred(r)).map((r) => r.result);
  const siteNames = d.sites.map((s) => s.name);
  const trainedOn = (name) => d.scope.sites.includes(name);
  const siteLabel = (s) => (s.heldOut ? `${s.name} (held-out site)` : trainedOn(s.name) ? s.name : `${s.name} (not in training)`);

  const scopes = [
    { label: 'training sites, held-out seeds', pred: (r) => trainedOn(r.site) },
    ...d.sites.map((s) => ({ label: siteLabel(s), pred: (r) => r.site === s.name })),
    // Worth its own row only when more than one site is unseen.
    ...(d.sites.filter((s) => !trainedOn(s.name)).length > 1 ? [{ label: '**all sites no model trained on**', pred: (r) => !trainedOn(r.site) }] : []),
  ].filter((s) => ok.some(s.pred));
  const targetRows = scopes.map((s) => targetRow(s.label, of(s.pred, 'rules'), of(s.pred, 'onnx')));
  const verdicts = targetRows.flatMap((t) => t.verdicts).filter((v) => v !== null);
  const fails = verdicts.filter((v) => !v).length;

  // Pooled figures can hide weak traces: say how many single traces miss each threshold.
  const onnxTraces = ok.filter((r) => r.classifier === 'onnx').map((r) => r.result);
  const below = (get, min) => onnxTraces.filter((x) => get(x) !== null && get(x) < min).length;
  const perTraceMisses = [
    ['arrival recall', below((x) => x.byType.arrival.recall, TARGETS.arrivalRecall)],
    ['arrival precision', below((x) => x.byType.arrival.precision, TARGETS.arrivalPrecision)],
    ['exit recall', below((x) => x.byType.exit.recall, TARGETS.exitRecall)],
    ['floor-change accuracy', below((x) => x.floorChangeAccuracy, TARGETS.floorChangeAccuracy)],
  ].filter(([, n]) => n > 0);
  const perTraceNote = perTraceMisses.length === 0
    ? `Every single ONNX trace meets the thresholds too.`
    : `Trace by trace (${onnxTraces.length} ONNX traces), some fall below a threshold the pooled figure meets: ${perTraceMisses.map(([k, n]) => `${k} on ${n}`).join(', ')} (see the per-trace table).`;

  const perTrace = [];
  for (const name of siteNames) {
    for (const seed of d.seeds) {
      const get = (c) => ok.find((r) => r.site === name && r.seed === seed && r.classifier === c)?.result;
      const r = get('rules');
      const o = get('onnx');
      const better = r && o ? (o.macroF1 > r.macroF1 ? 'onnx' : o.macroF1 < r.macroF1 ? 'rules' : 'tie') : '–';
      perTrace.push([name, seed, f3(r?.macroF1), f3(o?.macroF1), r && o ? (o.macroF1 - r.macroF1 >= 0 ? '+' : '') + (o.macroF1 - r.macroF1).toFixed(3) : '–', better]);
    }
  }
  const meanRow = (label, pred) => {
    const r = mean(of(pred, 'rules').map((x) => x.macroF1));
    const o = mean(of(pred, 'onnx').map((x) => x.macroF1));
    return [`**${label}**`, 'mean', f3(r), f3(o), r !== null && o !== null ? (o - r >= 0 ? '+' : '') + (o - r).toFixed(3) : '–', r !== null && o !== null ? (o > r ? 'onnx' : o < r ? 'rules' : 'tie') : '–'];
  };
  for (const s of d.sites) perTrace.push(meanRow(s.name, (r) => r.site === s.name));
  perTrace.push(meanRow('all traces', () => true));

  const detail = ok.map((row) => {
    const x = row.result;
    const b = x.byType;
    return [row.site, row.seed, row.classifier, f3(x.macroF1), f3(b.arrival.precision), f3(b.arrival.recall), f3(b.dwell.f1), f3(b.floor_change.f1), f3(b.exit.precision), f3(b.exit.recall), f3(x.floorChangeAccuracy), sec(x.dwellErrorMedianMs), f3(x.falseExitsPerSubjectHour)];
  });

  const perType = [];
  for (const name of siteNames) {
    for (const c of ['rules', 'onnx']) {
      const results = of((r) => r.site === name, c);
      if (results.length === 0) continue;
      const p = pool(results);
      for (const t of TYPES) {
        const f = p.figures[t];
        if (f.support === 0 && f.detected === 0) continue;
        const lat = (key) => median(results.map((x) => x.byType[t][key]).filter((v) => typeof v === 'number'));
        perType.push([name, c, t, f.support, f.detected, f.matched, f3(f.precision), f3(f.recall), f3(f.f1), sec(lat('latencyP50Ms')), sec(lat('latencyP95Ms'))]);
      }
    }
  }

  const tol = ok[0]?.result.toleranceMs ?? {};
  const cmd = (classifier) =>
    `node simulators/dist/cli.js evaluate --site firmware-config/sites/<site>.site.json --trace ${d.cacheDir}/<site>-s<seed>-${d.duration}-<key>/trace.ndjson --truth ${d.cacheDir}/<site>-s<seed>-${d.duration}-<key>/truth.ndjson ${classifier} --json`;
  const u = d.uji;
  const ujiSection = u.ran
    ? [
        `Measured by this run: \`${u.command}\` (${u.result.train.rows} training rows, ${u.result.validate.rows} validation rows, k-NN ${u.result.method.distance}, ${(u.result.elapsedMs.total / 1000).toFixed(1)} s). Method and sanity checks: [accuracy-ujiindoorloc.md](accuracy-ujiindoorloc.md).`,
        '',
        table(
          ['', 'building', 'floor', 'building+floor'],
          [
            ['**storesense fingerprint k-NN (this run)**', `**${(u.result.buildingAccuracy * 100).toFixed(2)} %**`, `**${(u.result.floorAccuracy * 100).toFixed(2)} %**`, `**${(u.result.buildingFloorAccuracy * 100).toFixed(2)} %**`],
            ['target (issue 4)', '≥ 99 %', '≥ 92 %', ''],
            ['1-NN baseline of the dataset paper (Torres-Sospedra et al., IPIN 2014)', '–', '–', '89.92 %'],
            ['Kim, Lee, Huang 2018, scalable DNN (arXiv:1712.01990, Table 3)', '99.82 %', '91.27 %', '–'],
            ['CCpos (Sensors 21(4):1114, 2021)', '99.6 %', '95.3 %', '–'],
          ],
        ),
        '',
        `Targets: building ${mark(u.result.buildingAccuracy >= 0.99)}, floor ${mark(u.result.floorAccuracy >= 0.92)}. Published figures as listed in the datasets README beside the repository (`../shared/datasets/README.md`).`,
      ].join('\n')
    : `Skipped: ${u.reason}. The last measured figures are in [accuracy-ujiindoorloc.md](accuracy-ujiindoorloc.md); rerun \`npm run eval\` where ../shared/datasets/ujiindoorloc exists.`;

  return `# Accuracy: journey events (rules vs ONNX) and fingerprint floors

_Written by \`npm run eval\` (\`scripts/eval.js\`, rendered by \`scripts/eval.report.js\`); rerun it to
regenerate this file, do not edit it by hand._

| | |
| --- | --- |
| date | ${d.date} |
| machine | ${d.machine.cpu}, ${d.machine.cores} cores, ${d.machine.memGiB} GiB |
| Node | ${d.machine.node} |
| commit | ${d.commit} |
| model | \`${d.model}\`, sha256 \`${d.modelSha}\` |
| model trained on | ${d.scope.sites.length ? `sites ${d.scope.sites.join(', ')}, seeds ${d.scope.seeds} (from its MODEL_CARD.md)` : 'unknown (no model card)'} |
| held-out traces | seeds ${d.seeds.join(', ')} × ${d.duration} of ${d.sites.map((s) => s.name).join(', ')} |
| runtime | ${(d.timing.totalMs / 1000).toFixed(0)} s in all: ${d.timing.generated} traces generated, ${d.timing.cached} reused from \`${d.cacheDir}/\`; ${d.rows.length} evaluations in ${(d.timing.evalMs / 1000).toFixed(0)} s, ${d.jobs} at a time |
${failed.length ? `\n**${failed.length} of ${d.rows.length} evaluations failed:**\n\n${failureList(failed)}\n` : ''}
The held-out site (\`${d.sites.filter((s) => s.heldOut).map((s) => s.file).join(', ') || 'none'}\`) is listed in firmware-config's
\`HELD_OUT_SITES\`, not \`EXAMPLE_SITES\`: no training run uses it. It differs from the training
sites in layout (door on the west wall, north-south corridor), receiver count and placement,
calibration, and zone set.

## Targets (issue 4)

ONNX figures pooled over the held-out seeds of each scope (sums of matched / detected / true events
across traces); macro F1 is the mean of the per-trace macro F1 (arrival, dwell, floor_change, exit,
over those present in the truth). "n/a": no floor changes in that scope.

${table(['scope', 'onnx vs rules macro F1 (onnx higher)', `arrival recall ≥ ${TARGETS.arrivalRecall}`, `arrival precision ≥ ${TARGETS.arrivalPrecision}`, `exit recall ≥ ${TARGETS.exitRecall}`, `floor-change accuracy ≥ ${TARGETS.floorChangeAccuracy}`], targetRows.map((t) => t.row))}

${verdicts.length === 0 ? '**No target could be checked.**' : fails === 0 ? `All ${verdicts.length} target checks pass.` : `**${fails} of ${verdicts.length} target checks FAIL.**`} ${onnxTraces.length ? perTraceNote : ''}

## Macro F1 per held-out trace

${table(['site', 'seed', 'rules', 'onnx', 'onnx − rules', 'better'], perTrace)}

## Per site, seed and classifier

P = precision, R = recall; floor-change acc = true floor changes detected in time with the right
floors / all true floor changes; dwell err = median |detected − true| dwell duration; false exits
per in-store subject-hour.

${table(['site', 'seed', 'classifier', 'macro F1', 'arrival P', 'arrival R', 'dwell F1', 'floor_change F1', 'exit P', 'exit R', 'floor-change acc', 'dwell err', 'false exits / h'], detail)}

## Per event type, pooled over seeds

Latency = \`detectedAt − true time\`; the p50 / p95 shown are the median over seeds of each trace's
p50 / p95. Dwell is scored on its start.

${table(['site', 'classifier', 'type', 'true', 'detected', 'matched', 'P', 'R', 'F1', 'latency p50', 'latency p95'], perType)}

## How detections are matched

\`storesense-sim evaluate\` (simulators/src/evaluate.score.ts): per subject and kind, each true event
in time order takes the closest unused detection with |detected.at − truth.at| ≤ the kind's
tolerance; a dwell must be in the same zone and any event in the same store. A second detection of
one true event counts against precision. Tolerances: ${Object.entries(tol).map(([k, v]) => `${k} ${v / 1000} s`).join(', ')}.

## Commands

\`\`\`
npm run eval            # = tsc -b && node scripts/eval.js --seeds ${d.seeds.join(',')} --duration ${d.duration} --jobs ${d.jobs}
# per trace (generated once, cached):
node simulators/dist/cli.js generate --site firmware-config/sites/<site>.site.json --seed <seed> --duration ${d.duration} --out <dir>
${cmd('--classifier rules')}
${cmd(`--classifier onnx --model ${d.model}`)}
\`\`\`

<details><summary>Every command of this run (${d.generateCommands.length} traces, ${d.rows.length} evaluations), from the repository root</summary>

\`\`\`
${[...d.generateCommands, ...d.rows.map((r) => r.command)].join('\n')}
\`\`\`

Traces already in \`${d.cacheDir}/\` were not generated again; the directory name ends in a hash of
the simulator build and the site file, so a changed simulator or site gets fresh traces.
</details>

## Fingerprint path: UJIIndoorLoc building and floor

${ujiSection}
`;
}
