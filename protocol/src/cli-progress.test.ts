import { describe, expect, it } from 'vitest';
import { createProgress, formatDurationMs } from './cli-progress.js';

/** Terminal escapes (cursor moves, line clears) as cli-progress writes them. */
const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]|${ESC}[78]`, 'g');

const sink = (isTTY: boolean) => {
  const s = { isTTY, columns: 100, text: '', write: (t: string) => ((s.text += t), true) };
  return s;
};

describe('createProgress', () => {
  it('draws on a terminal: label, bar, percentage, value/total and the note', () => {
    const s = sink(true);
    const bar = createProgress({ label: 'job', total: 7_200_000, unit: 'ms', stream: s });
    expect(bar.enabled).toBe(true);
    bar.update(3_600_000, 'half');
    bar.stop();
    bar.update(7_200_000); // after stop: nothing
    const lines = s.text.replace(ANSI, '\n');
    expect(lines).toMatch(/job \[={12}-{12}\] 50% \| 1h\/2h \| ETA \S+ \| half/);
    expect(lines).not.toMatch(/100%/);
  });

  it('is silent when the stream is not a terminal (piped, logged) unless forced', () => {
    const s = sink(false);
    const bar = createProgress({ label: 'job', total: 10, stream: s });
    expect(bar.enabled).toBe(false);
    bar.update(5);
    bar.stop();
    expect(s.text).toBe('');
    const forced = sink(false);
    createProgress({ label: 'job', total: 10, stream: forced, enabled: true }).stop();
    expect(forced.text).toBe(''); // cli-progress itself draws nothing on a non-TTY either
    const off = sink(true);
    createProgress({ label: 'job', total: 10, stream: off, enabled: false }).update(3);
    expect(off.text).toBe('');
  });

  it('counts print with thousands separators; values are clamped to the total', () => {
    const s = sink(true);
    const bar = createProgress({ label: 'n', total: 12_000, stream: s });
    bar.update(50_000);
    bar.stop();
    expect(s.text).toMatch(/100% \| 12,000\/12,000/);
  });
});

describe('formatDurationMs', () => {
  it.each([
    [0, '0s'],
    [12_000, '12s'],
    [90_000, '1m30s'],
    [600_000, '10m'],
    [3_900_000, '1h05m'],
    [7_200_000, '2h'],
  ])('%d ms -> %s', (ms, text) => expect(formatDurationMs(ms)).toBe(text));
});
