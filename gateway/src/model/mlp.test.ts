import { describe, expect, it } from 'vitest';
import { backpropRow, initMlp, predict, trainMlp, type Dataset, type Mlp } from './mlp.js';

/** A small three-class problem a net can learn: the class is the sign pattern of two projections. */
function dataset(rows: number, seed: number): Dataset {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
  const features = 6;
  const x = new Float32Array(rows * features);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r += 1) {
    let a = 0;
    let b = 0;
    for (let f = 0; f < features; f += 1) {
      const v = rnd() * 2 - 1;
      x[r * features + f] = v;
      a += f % 2 === 0 ? v : -0.5 * v;
      b += f < 3 ? v : 0;
    }
    y[r] = a > 0.2 ? 0 : b > 0 ? 1 : 2;
  }
  return { x, y, rows, features };
}

const lossOf = (mlp: Mlp, row: number[], y: number) => -Math.log(predict(mlp, row)[y]!);

describe('MLP trainer learns', () => {
  it('backpropagation matches finite differences of the loss on a tiny net (gradient check)', () => {
    const mlp = initMlp(4, [5], 3, 11);
    // Biases away from zero so no ReLU sits exactly at its kink.
    mlp.layers[0]!.b.forEach((_, i, b) => (b[i] = 0.05 + 0.01 * i));
    const row = [0.3, -0.7, 0.2, 0.9];
    const y = 2;
    const acts = [4, 5, 3].map((n) => new Float64Array(n));
    acts[0]!.set(row);
    const deltas = [new Float64Array(5), new Float64Array(3)];
    const gw = mlp.layers.map((l) => new Float64Array(l.w.length));
    const gb = mlp.layers.map((l) => new Float64Array(l.b.length));
    const loss = backpropRow(mlp, acts, deltas, gw, gb, y, 1);
    expect(loss).toBeCloseTo(lossOf(mlp, row, y), 12);
    const h = 1e-6;
    let checked = 0;
    for (let l = 0; l < mlp.layers.length; l += 1) {
      for (const [params, grads] of [
        [mlp.layers[l]!.w, gw[l]!],
        [mlp.layers[l]!.b, gb[l]!],
      ] as const) {
        for (let i = 0; i < params.length; i += 1) {
          const keep = params[i]!;
          params[i] = keep + h;
          const up = lossOf(mlp, row, y);
          params[i] = keep - h;
          const down = lossOf(mlp, row, y);
          params[i] = keep;
          const numeric = (up - down) / (2 * h);
          expect(Math.abs(grads[i]! - numeric), `layer ${l} param ${i}`).toBeLessThan(1e-6 + 1e-4 * Math.abs(numeric));
          checked += 1;
        }
      }
    }
    expect(checked).toBe(4 * 5 + 5 + 5 * 3 + 3);
  });

  it('the training loss falls and the net beats chance on held-out rows; with learning rate 0 nothing is learned', () => {
    const train = dataset(3000, 1);
    const test = dataset(1000, 2);
    const run = (learningRate: number | undefined) => {
      const losses: number[] = [];
      const mlp = trainMlp(train, {
        hidden: [16],
        classes: 3,
        seed: 5,
        epochs: 8,
        ...(learningRate !== undefined ? { learningRate } : {}),
        onEpoch: (_e, l) => losses.push(l),
      });
      let right = 0;
      for (let r = 0; r < test.rows; r += 1) {
        const p = predict(mlp, test.x.subarray(r * test.features, (r + 1) * test.features));
        if (p.indexOf(Math.max(...p)) === test.y[r]) right += 1;
      }
      return { losses, accuracy: right / test.rows };
    };
    const learned = run(undefined); // the trainer's default learning rate, as npm run train uses it
    expect(learned.losses.at(-1)!).toBeLessThan(0.6 * learned.losses[0]!);
    expect(learned.accuracy).toBeGreaterThan(0.75); // chance is about 1/3
    const frozen = run(0);
    // Adam with lr 0 never moves a weight: the loss only wobbles with the minibatch order.
    expect(Math.abs(frozen.losses.at(-1)! - frozen.losses[0]!)).toBeLessThan(0.02);
    expect(frozen.accuracy).toBeLessThan(learned.accuracy - 0.2);
  });
});
