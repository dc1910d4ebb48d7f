/**
 * MNIST data loader and float MLP (workloads/mnist): split shape and determinism, backward pass against finite
 * differences and against a naive reference (bit-exact), training determinism, a tiny net learning, the
 * batched and single-sample forward paths agreeing bit-for-bit, and weight persistence / the training cache.
 * No full-size training here. Seeds are fixed and appear in the test names.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../sim/model/rng.ts';
import { NUM_CLASSES, PIXELS, type Sample, labelCounts, loadDigitClass, loadMnist } from '../../workloads/mnist/data.ts';
import {
  type LabeledInput, type MlpWeights, collectLayerInputs, dataHash, deserializeWeights, evaluate, forward, forwardCollect,
  initMlp, loadWeightsWithMeta, lossAndGradients, meanLoss, predict, saveWeights, serializeWeights, trainMlp, trainMlpCached,
  trainingKey,
} from '../../workloads/mnist/mlp.ts';

const tmpRoot = mkdtempSync(join(tmpdir(), 'trgen-mnist-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

const EXPECTED_CLASS_SIZES = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

/** Every 16th training digit (≈500), a deterministic subset spanning all classes. */
function subset(samples: readonly Sample[], every: number): Sample[] {
  return samples.filter((_, k) => k % every === 0);
}

function sameFloats(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false; // ±0 compare equal
  return true;
}

function sameWeights(a: MlpWeights, b: MlpWeights): boolean {
  return a.layers.length === b.layers.length && a.layers.every((L, l) => sameFloats(L.W, b.layers[l]!.W) && sameFloats(L.b, b.layers[l]!.b));
}

function randomInputs(rng: Rng, n: number, dim: number, classes: number, zeroFrac: number): LabeledInput[] {
  return Array.from({ length: n }, () => ({
    pixels: Float32Array.from({ length: dim }, () => (rng.next() < zeroFrac ? 0 : rng.normal())),
    label: rng.int(0, classes - 1),
  }));
}

describe('MNIST data', () => {
  const { train, test } = loadMnist();

  it('has the documented split: 7996 train / 2004 test, first 80 % of each class trains', () => {
    expect(train.length).toBe(7996);
    expect(test.length).toBe(2004);
    const tr = labelCounts(train);
    const te = labelCounts(test);
    for (let d = 0; d < NUM_CLASSES; d++) {
      expect(tr[d]! + te[d]!).toBe(EXPECTED_CLASS_SIZES[d]);
      expect(tr[d]).toBe(Math.floor(0.8 * EXPECTED_CLASS_SIZES[d]!));
    }
    // class-major order, labels in range
    for (let k = 1; k < train.length; k++) expect(train[k]!.label >= train[k - 1]!.label).toBe(true);
    // the split is by file position: class 3's training part is the first samples of 3.json
    const three = loadDigitClass(3);
    const trainThree = train.filter((s) => s.label === 3);
    expect(sameFloats(trainThree[0]!.pixels, three[0]!.pixels)).toBe(true);
    expect(sameFloats(trainThree[trainThree.length - 1]!.pixels, three[trainThree.length - 1]!.pixels)).toBe(true);
    const testThree = test.filter((s) => s.label === 3);
    expect(sameFloats(testThree[0]!.pixels, three[trainThree.length]!.pixels)).toBe(true);
  });

  it('pixels: 784 values in [0, 1], grey levels k/255 at 3 decimals, not all blank', () => {
    for (const s of [...train, ...test]) {
      expect(s.pixels.length).toBe(PIXELS);
      expect(Number.isInteger(s.label) && s.label >= 0 && s.label < 10).toBe(true);
      let max = 0;
      for (const p of s.pixels) {
        if (!(p >= 0 && p <= 1)) throw new Error(`pixel ${p} out of range`);
        if (Math.abs(Math.round(p * 255) / 255 - p) > 6e-4) throw new Error(`pixel ${p} is not a k/255 level`);
        max = Math.max(max, p);
      }
      expect(max).toBeGreaterThan(0.5);
    }
  });

  it('train and test share no image', () => {
    const key = (s: Sample): string => Buffer.from(s.pixels.buffer, s.pixels.byteOffset, s.pixels.byteLength).toString('base64');
    const seen = new Set(train.map(key));
    expect(test.filter((s) => seen.has(key(s))).length).toBe(0);
  });

  it('is deterministic: a fresh parse gives the same split (same data hash), copies are independent arrays', () => {
    const again = loadMnist({ fresh: true });
    expect(again.train[0]).not.toBe(train[0]);
    expect(dataHash(again.train)).toBe(dataHash(train));
    expect(dataHash(again.test)).toBe(dataHash(test));
    const copy = loadMnist();
    copy.train.pop();
    expect(loadMnist().train.length).toBe(7996);
  });

  it('names the missing file when the package data is absent, and rejects malformed files', () => {
    const empty = join(tmpRoot, 'empty');
    mkdirSync(empty, { recursive: true });
    expect(() => loadMnist({ digitsDir: empty })).toThrow(/MNIST data missing: file not found: .*0\.json/);
    const bad = join(tmpRoot, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, '0.json'), JSON.stringify({ data: [0, 0.5, 1] }));
    expect(() => loadMnist({ digitsDir: bad })).toThrow(/malformed.*0\.json.*multiple of 784/);
  });
});

describe('MLP backward pass', () => {
  it('matches central finite differences on a 6-5-4-3 net (seed 7)', () => {
    const rng = new Rng(7);
    const w = initMlp([6, 5, 4, 3], rng.fork());
    for (const L of w.layers) for (let k = 0; k < L.b.length; k++) L.b[k] = 0.1 * rng.normal();
    const data = randomInputs(rng, 8, 6, 3, 0.2);
    const { loss, gW, gb } = lossAndGradients(w, data);
    expect(Math.abs(loss - meanLoss(w, data))).toBeLessThan(1e-6);
    let checked = 0;
    let worst = 0;
    const h = 1e-3;
    w.layers.forEach((L, l) => {
      for (const [arr, grad] of [
        [L.W, gW[l]!],
        [L.b, gb[l]!],
      ] as const) {
        for (let k = 0; k < arr.length; k++) {
          const orig = arr[k]!;
          arr[k] = orig + h;
          const up = arr[k]!;
          const lp = meanLoss(w, data);
          arr[k] = orig - h;
          const down = arr[k]!;
          const lm = meanLoss(w, data);
          arr[k] = orig;
          const fd = (lp - lm) / (up - down);
          const err = Math.abs(fd - grad[k]!);
          worst = Math.max(worst, err / (1e-3 + Math.abs(grad[k]!)));
          expect(err, `layer ${l} param ${k}: fd ${fd} vs analytic ${grad[k]}`).toBeLessThan(2e-4 + 1e-2 * Math.abs(grad[k]!));
          checked++;
        }
      }
    });
    expect(checked).toBe(6 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3);
    expect(worst).toBeLessThan(0.2);
  });

  it('is bit-identical to a naive reference (37-19-13-5, 11 samples, 30 % zeros; seed 11)', () => {
    const rng = new Rng(11);
    const dims = [37, 19, 13, 5];
    const w = initMlp(dims, rng.fork());
    for (const L of w.layers) for (let k = 0; k < L.b.length; k++) L.b[k] = 0.05 * rng.normal();
    const data = randomInputs(rng, 11, 37, 5, 0.3);
    const got = lossAndGradients(w, data);
    const ref = naiveLossAndGradients(w, data);
    expect(got.loss).toBe(ref.loss);
    w.layers.forEach((_, l) => {
      expect(sameFloats(got.gW[l]!, ref.gW[l]!), `gW layer ${l}`).toBe(true);
      expect(sameFloats(got.gb[l]!, ref.gb[l]!), `gb layer ${l}`).toBe(true);
    });
  });
});

/**
 * Straightforward backprop with the documented summation orders: pre-activations b + Σ_i (i ascending, float64,
 * rounded to float32), weight gradients Σ_s (s ascending), input gradients Σ_o (o ascending), mean loss.
 */
function naiveLossAndGradients(w: MlpWeights, data: readonly LabeledInput[]): { loss: number; gW: Float64Array[]; gb: Float64Array[] } {
  const n = data.length;
  const acts: Float32Array[][] = data.map((s) => [s.pixels]);
  w.layers.forEach((L, l) => {
    const last = l === w.layers.length - 1;
    for (const a of acts) {
      const x = a[l]!;
      const y = new Float32Array(L.outDim);
      for (let o = 0; o < L.outDim; o++) {
        let acc = L.b[o]!;
        for (let i = 0; i < L.inDim; i++) if (x[i] !== 0) acc += x[i]! * L.W[o * L.inDim + i]!;
        y[o] = last ? acc : Math.max(0, acc);
      }
      a.push(y);
    }
  });
  let lossSum = 0;
  let deltas: Float64Array[] = data.map((s, k) => {
    const z = acts[k]![w.layers.length]!;
    let m = -Infinity;
    for (const v of z) m = Math.max(m, v);
    let sum = 0;
    for (const v of z) sum += Math.exp(v - m);
    lossSum += Math.log(sum) + m - z[s.label]!;
    return Float64Array.from(z, (v, c) => (Math.exp(v - m) / sum - (c === s.label ? 1 : 0)) * (1 / n));
  });
  const gW: Float64Array[] = [];
  const gb: Float64Array[] = [];
  for (let l = w.layers.length - 1; l >= 0; l--) {
    const L = w.layers[l]!;
    const g = new Float64Array(L.W.length);
    const b = new Float64Array(L.outDim);
    for (let s = 0; s < n; s++) {
      const x = acts[s]![l]!;
      for (let o = 0; o < L.outDim; o++) {
        b[o] = b[o]! + deltas[s]![o]!;
        for (let i = 0; i < L.inDim; i++) if (x[i] !== 0) g[o * L.inDim + i] = g[o * L.inDim + i]! + x[i]! * deltas[s]![o]!;
      }
    }
    gW[l] = g;
    gb[l] = b;
    deltas = deltas.map((dz, s) => {
      const x = acts[s]![l]!;
      const dx = new Float64Array(L.inDim);
      for (let i = 0; i < L.inDim; i++) {
        if (!(x[i]! > 0)) continue;
        let d = 0;
        for (let o = 0; o < L.outDim; o++) d += dz[o]! * L.W[o * L.inDim + i]!;
        dx[i] = d;
      }
      return dx;
    });
  }
  return { loss: lossSum / n, gW, gb };
}

describe('MLP training', () => {
  const { train, test } = loadMnist();

  it('is deterministic: same seed -> identical weights, other seed -> different (seed 5, with ±1 px shifts)', () => {
    const few = subset(train, 100);
    const opts = { seed: 5, epochs: 2, batchSize: 16, lr: 1e-3, hidden: [16], augmentShift: 1 };
    const a = trainMlp(few, opts);
    const b = trainMlp(few, opts);
    expect(sameWeights(a, b)).toBe(true);
    expect(Buffer.compare(Buffer.from(serializeWeights(a)), Buffer.from(serializeWeights(b)))).toBe(0);
    expect(sameWeights(a, trainMlp(few, { ...opts, seed: 6 }))).toBe(false);
    const m1 = trainMlp(few, { ...opts, optimizer: 'momentum', lr: 0.05, lrSchedule: 'cosine' });
    const m2 = trainMlp(few, { ...opts, optimizer: 'momentum', lr: 0.05, lrSchedule: 'cosine' });
    expect(sameWeights(m1, m2)).toBe(true);
  });

  it('a 784-32-10 net on ~500 digits, 1 epoch, beats chance clearly (seed 3)', () => {
    const seed = 3;
    const small = subset(train, 16);
    expect(small.length).toBe(500);
    const losses: number[] = [];
    const w = trainMlp(small, {
      seed,
      epochs: 1,
      batchSize: 16,
      lr: 3e-3,
      hidden: [32],
      onProgress: (_e, _s, _n, loss) => losses.push(loss),
    });
    const acc = evaluate(w, test).accuracy;
    console.log(`tiny MLP 784-32-10, 500 train digits, 1 epoch, seed ${seed}: test accuracy ${(100 * acc).toFixed(1)} %`);
    expect(losses.length).toBe(Math.ceil(500 / 16));
    expect(acc).toBeGreaterThan(0.5);
  });

  it('forward / forwardCollect / collectLayerInputs / evaluate agree bit-for-bit (784-40-24-10, seed 9)', () => {
    const w = trainMlp(subset(train, 200), { seed: 9, epochs: 1, batchSize: 8, lr: 1e-3, hidden: [40, 24] });
    const samples = subset(test, 40);
    const batched = collectLayerInputs(w, samples, 7);
    expect(batched.map((a) => a.length)).toEqual(w.layers.map((L) => L.inDim * samples.length));
    let correct = 0;
    samples.forEach((s, k) => {
      const ins = forwardCollect(w, s.pixels);
      expect(ins.length).toBe(3);
      ins.forEach((x, l) => expect(sameFloats(x, batched[l]!.subarray(k * x.length, (k + 1) * x.length))).toBe(true));
      const z = forward(w, s.pixels);
      expect(z.length).toBe(10);
      if (predict(w, s.pixels) === s.label) correct++;
    });
    const ev = evaluate(w, samples, 7);
    expect(ev.accuracy).toBe(correct / samples.length);
    expect(ev.confusion.flat().reduce((a, b) => a + b, 0)).toBe(samples.length);
  });
});

describe('MLP persistence and cache', () => {
  const { train } = loadMnist();

  it('serialize/deserialize and save/load round-trip exactly (with meta)', () => {
    const w = initMlp([6, 5, 4, 3], new Rng(21));
    w.layers[0]!.b[2] = -1.25;
    const back = deserializeWeights(serializeWeights(w, { note: 'x' }));
    expect(sameWeights(w, back.weights)).toBe(true);
    expect(back.meta).toEqual({ note: 'x' });
    const path = join(tmpRoot, 'w', 'tiny.bin');
    saveWeights(path, w, { a: 1 });
    const loaded = loadWeightsWithMeta(path);
    expect(sameWeights(w, loaded.weights)).toBe(true);
    expect(loaded.weights.layers.map((L) => [L.inDim, L.outDim])).toEqual([
      [6, 5],
      [5, 4],
      [4, 3],
    ]);
    expect(() => deserializeWeights(new Uint8Array(16))).toThrow(/not a TRMW/);
    expect(() => loadWeightsWithMeta(join(tmpRoot, 'nope.bin'))).toThrow(/not found/);
  });

  it('trainMlpCached trains once, then reuses the file; key depends on options and data, not on callbacks (seed 4)', () => {
    const few = subset(train, 200);
    const opts = { seed: 4, epochs: 1, batchSize: 10, lr: 1e-3, hidden: [8] };
    const dir = join(tmpRoot, 'cache');
    const first = trainMlpCached(few, opts, dir);
    expect(first.cached).toBe(false);
    const second = trainMlpCached(few, { ...opts, onProgress: () => undefined }, dir);
    expect(second.cached).toBe(true);
    expect(second.path).toBe(first.path);
    expect(sameWeights(first.weights, second.weights)).toBe(true);
    expect(trainingKey(few, { ...opts, lr: 2e-3 })).not.toBe(first.key);
    expect(trainingKey(few.slice(1), opts)).not.toBe(first.key);
    // explicit defaults give the same key as omitted ones
    expect(trainingKey(few, { ...opts, optimizer: 'adam', augmentShift: 0 })).toBe(first.key);
    expect(loadWeightsWithMeta(first.path).meta).toMatchObject({ key: first.key, trainSamples: few.length });
  });
});
