import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Terminal escapes (cursor moves, line clears) as cli-progress writes them. */
const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]|${ESC}[78]`, 'g');

const TRAIN = fileURLToPath(new URL('../../dist/model/train.js', import.meta.url));
const hasScript = spawnSync('script', ['--version']).status === 0;
const plain = (s: string) => s.replace(ANSI, '\n').replace(/\r/g, '\n');

/** `npm run train` (tiny: one 2-minute trace, two epochs): a bar per phase on a TTY, log lines when piped. */
describe.skipIf(!hasScript || !existsSync(TRAIN))('trainer progress', () => {
  it('draws traces, epochs and held-out bars on a pseudo-TTY; piped it logs every line and draws none', { timeout: 180_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-progress-'));
    try {
      const args = (tag: string) => [
        TRAIN,
        ...['--site', 'boutique', '--seeds', '1', '--holdout', '101', '--duration', '2m', '--epochs', '2', '--zone-epochs', '1', '--random', '', '--no-eval'],
        ...['--data-dir', join(dir, 'data'), '--out', join(dir, `${tag}.onnx`), '--card', join(dir, `${tag}.md`)],
      ];
      const quoted = args('tty')
        .map((a) => `'${a}'`)
        .join(' ');
      const tty = spawnSync('script', ['-qec', `${process.execPath} ${quoted}`, '/dev/null'], { encoding: 'utf8' });
      expect(tty.status).toBe(0);
      const out = plain(tty.stdout);
      expect(out).toMatch(/train: traces \[={24}\] 100% \| 1\/1/);
      expect(out).toMatch(/train: epochs \[={24}\] 100% \| 3\/3 \| ETA \S+ \| zone epoch 1/);
      expect(out).toMatch(/train: held-out \[={24}\] 100% \| 1\/1/);
      expect(out).not.toMatch(/Z epoch 1 loss/); // per-epoch lines became the bar's note

      const piped = spawnSync(process.execPath, args('pipe'), { encoding: 'utf8' });
      expect(piped.status).toBe(0);
      expect(piped.stderr).not.toMatch(/train: \w+ \[/);
      expect(piped.stderr).toMatch(/Z epoch 1 loss \d/);
      expect(piped.stderr).toMatch(/Z train boutique seed 1: \d+ rows/);
      expect(existsSync(join(dir, 'pipe.onnx'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
