/**
 * Chooses the journey machine's decision settings (minProb, enter/leave holds) for a trained ONNX
 * model on validation seeds only, by running the real `storesense-sim evaluate --classifier onnx`
 * on each validation trace with a copy of the model carrying each candidate setting:
 *   node gateway/dist/model/tune-decision.js [--model gateway/model/journey-mlp.onnx] [--seeds 7-8]
 *     [--minprob 0.5,0.6,0.7] [--enter 750,1250] [--leave 1250,2250] [--zone 3750]
 * Prints one JSON line per candidate (mean macro F1 over arrival, dwell start, floor change, exit)
 * and the best; pass that to `train.js --decision '<json>'` so the packaged model carries it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { eventF1 } from './model-card.js';
import { withOnnxMetadata } from './onnx-export.js';
import { MODEL_DIR, ROOT, SIM_CLI, seedList } from './model-paths.js';
import { exitWhenFlushed } from '@storesense/protocol/cli';

const run = promisify(execFile);
async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string', default: join(MODEL_DIR, 'journey-mlp.onnx') },
      // Validation seeds: used neither for training (1-6) nor for reporting (101+).
      seeds: { type: 'string', default: '7-8' },
      duration: { type: 'string', default: '30m' },
      'data-dir': { type: 'string', default: join(MODEL_DIR, 'data') },
      minprob: { type: 'string', default: '0.5,0.6,0.7' },
      enter: { type: 'string', default: '750,1250' },
      leave: { type: 'string', default: '1250,2250' },
      zone: { type: 'string', default: '3750' },
      jobs: { type: 'string', default: '2' },
    },
  });
  const seeds = seedList(values.seeds);
  if (seeds.some((s) => s > 100)) throw new Error('validation seeds must not include the held-out seeds (> 100)');
  const base = readFileSync(resolve(values.model));
  const tmp = mkdtempSync(join(tmpdir(), 'tune-decision-'));
  const traces = ['boutique', 'dept-store'].flatMap((site) => seeds.map((seed) => ({ site, dir: join(values['data-dir'], `${site}-s${seed}-${values.duration}`) })));
  const candidates = values.minprob.split(',').flatMap((p) => values.enter.split(',').flatMap((e) => values.leave.split(',').flatMap((l) => values.zone.split(',').map((z) => ({ minProb: Number(p), enterHoldMs: Number(e), leaveHoldMs: Number(l), zoneHoldMs: Number(z) })))));
  let best: { decision: object; macroF1: number } | undefined;
  try {
    for (const [i, decision] of candidates.entries()) {
      const file = join(tmp, `m${i}.onnx`);
      writeFileSync(file, withOnnxMetadata(base, { decision: JSON.stringify(decision) }));
      const scores: number[] = [];
      const queue = [...traces];
      const worker = async () => {
        for (let t = queue.shift(); t; t = queue.shift()) {
          const site = join(ROOT, `firmware-config/sites/${t.site}.site.json`);
          const { stdout } = await run(process.execPath, [SIM_CLI, 'evaluate', '--site', site, '--trace', join(t.dir, 'trace.ndjson'), '--truth', join(t.dir, 'truth.ndjson'), '--classifier', 'onnx', '--model', file], { maxBuffer: 1 << 26 });
          scores.push(eventF1(JSON.parse(stdout) as Record<string, unknown>).macro ?? 0);
        }
      };
      await Promise.all(Array.from({ length: Number(values.jobs) }, worker));
      const macroF1 = scores.reduce((a, b) => a + b, 0) / scores.length;
      process.stdout.write(`${JSON.stringify({ decision, macroF1: Number(macroF1.toFixed(4)), min: Number(Math.min(...scores).toFixed(4)) })}\n`);
      if (!best || macroF1 > best.macroF1) best = { decision, macroF1 };
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(`best ${JSON.stringify(best)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (err: Error) => {
    process.stderr.write(`tune-decision: ${err.message}\n`);
    exitWhenFlushed(1);
  },
);
