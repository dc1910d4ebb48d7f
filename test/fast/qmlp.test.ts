/**
 * workloads/mnist/qmlp.ts (integer MLP inference) against the golden model sim/model: accumulators vs matmul in
 * conventional and TR mode with the same (g, k, d), the output stage vs quant.ts requant, term-pair counts vs
 * termPairs, on random layers with fixed seeds and on real MNIST digits through a small trained net.
 * Seeds are fixed and appear in the test names.
 */
import { describe, expect, it } from 'vitest';
import { matmul, prepareData, prepareWeights, termPairs, type DotSpec } from '../../sim/model/dot.ts';
import { quantizeMultiplier, quantizeMultiplierPow2, requant } from '../../sim/model/quant.ts';
import { Rng } from '../../sim/model/rng.ts';
import { maxMagnitude, type Encoding } from '../../sim/model/terms.ts';
import { loadMnist } from '../../workloads/mnist/data.ts';
import { collectLayerInputs, evaluate, trainMlp } from '../../workloads/mnist/mlp.ts';
import {
  type LayerTerms, type QLayer, type QMlp, dataTables, evaluateQ, inferQ, prepareLayer, quantizeInput, quantizeMlp,
  requantFast, requantFloat, weightScale,
} from '../../workloads/mnist/qmlp.ts';

function randInt(rng: Rng, m: number, zeroFrac: number): number {
  return rng.next() < zeroFrac ? 0 : rng.int(-m, m);
}

/** A random integer layer (weights within wBits, bias, integer requant). */
function randomLayer(rng: Rng, inDim: number, outDim: number, wBits: number, last: boolean): QLayer {
  const wm = maxMagnitude(wBits);
  const Wq = Int32Array.from({ length: inDim * outDim }, () => randInt(rng, wm, 0.2));
  const bias = Int32Array.from({ length: outDim }, () => rng.int(-2000, 2000));
  const realMul = last ? 1 : 0.0005 + 0.01 * rng.next();
  const { mul, shift } = last ? { mul: 1, shift: 0 } : quantizeMultiplier(realMul, 16, 40);
  return {
    inDim, outDim, Wq, bias, biasReal: Float64Array.from(bias), sw: 1, sxIn: 1, sxOut: last ? 0 : 1, mul, shift, realMul, relu: !last,
  };
}

function rowsOf(a: Int32Array, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from(a.subarray(r * cols, (r + 1) * cols)));
}

function specOf(t: LayerTerms, wBits: number, xBits: number, encoding: Encoding = 'hese'): DotSpec {
  return t.mode === 'tr'
    ? { mode: 'tr', g: t.g, k: t.k, d: t.d, wBits, xBits, encoding }
    : { mode: 'conventional', g: 1, k: 0, d: 1, wBits, xBits, encoding };
}

/**
 * Runs samples through the network with inferQ and, independently, layer by layer with sim/model matmul +
 * requant; expects identical accumulators, hidden outputs, logits and term pairs.
 */
function checkAgainstModel(q: QMlp, terms: readonly LayerTerms[], inputs: readonly Int32Array[], encoding: Encoding = 'hese'): number {
  const { wBits, xBits } = q.opts;
  const prepared = q.layers.map((L, l) => prepareLayer(L, wBits, terms[l]!, encoding));
  let totalPairs = 0;
  for (const [n, x0] of inputs.entries()) {
    const got = inferQ(q, prepared, x0);
    let x = Array.from(x0);
    let modelPairs = 0;
    q.layers.forEach((L, l) => {
      const spec = specOf(terms[l]!, wBits, xBits, encoding);
      const m = matmul(rowsOf(L.Wq, L.outDim, L.inDim), [x], spec);
      const acc = m.acc[0]!;
      expect(Array.from(got.acc[l]!), `sample ${n} layer ${l} accumulators`).toEqual(acc);
      expect(got.layerTermPairs[l], `sample ${n} layer ${l} term pairs`).toBe(m.termPairs);
      modelPairs += m.termPairs;
      if (l < q.layers.length - 1) {
        const y = acc.map((a, o) => requant(a, L.bias[o]!, L.mul, L.shift, xBits, L.relu));
        expect(Array.from(got.y[l]!), `sample ${n} layer ${l} outputs`).toEqual(y);
        x = y;
      } else {
        expect(Array.from(got.logits)).toEqual(acc.map((a, o) => a + L.bias[o]!));
        let best = 0;
        acc.forEach((a, o) => {
          if (a + L.bias[o]! > acc[best]! + L.bias[best]!) best = o;
        });
        expect(got.pred).toBe(best);
      }
    });
    expect(got.termPairs).toBe(modelPairs);
    totalPairs += modelPairs;
  }
  return totalPairs;
}

const SETTINGS: LayerTerms[][] = [
  [{ mode: 'conventional' }, { mode: 'conventional' }, { mode: 'conventional' }],
  [{ mode: 'tr', g: 16, k: 6, d: 2 }, { mode: 'tr', g: 16, k: 10, d: 3 }, { mode: 'tr', g: 16, k: 14, d: 4 }],
  [{ mode: 'tr', g: 4, k: 3, d: 1 }, { mode: 'tr', g: 5, k: 0, d: 2 }, { mode: 'tr', g: 3, k: 9, d: 3 }],
  [{ mode: 'tr', g: 7, k: 2, d: 2 }, { mode: 'conventional' }, { mode: 'tr', g: 1, k: 1, d: 1 }],
];

describe('qmlp vs sim/model on random layers', () => {
  for (const [wBits, xBits, seed] of [
    [8, 8, 101],
    [4, 8, 102],
    [3, 5, 103],
    [2, 8, 104],
  ] as const) {
    it(`37-11-9-5 net, w${wBits} x${xBits}, all term settings (seed ${seed})`, () => {
      const rng = new Rng(seed);
      const dims = [37, 11, 9, 5];
      const layers = dims.slice(1).map((out, l) => randomLayer(rng, dims[l]!, out, wBits, l === dims.length - 2));
      const q: QMlp = { opts: { wBits, xBits, mulBits: 16, maxShift: 40, quantile: 1 }, inScale: 1, layers };
      const xm = maxMagnitude(xBits);
      const inputs = Array.from({ length: 6 }, () => Int32Array.from({ length: 37 }, () => randInt(rng, xm, 0.3)));
      for (const terms of SETTINGS) expect(checkAgainstModel(q, terms, inputs)).toBeGreaterThan(0);
      // binary-encoding counts (conventional) also match the model with encoding 'binary'
      checkAgainstModel(q, SETTINGS[0]!, inputs, 'binary');
    });
  }

  it('binary term pairs ≥ HESE term pairs for 8-bit values; TR k=0 keeps no weight terms (seed 105)', () => {
    const rng = new Rng(105);
    const L = randomLayer(rng, 64, 8, 8, true);
    const x = Array.from({ length: 64 }, () => randInt(rng, 127, 0.1));
    const spec = (e: Encoding): DotSpec => ({ mode: 'conventional', g: 1, k: 0, d: 1, wBits: 8, xBits: 8, encoding: e });
    const W = rowsOf(L.Wq, 8, 64);
    const pb = W.reduce((s, r) => s + termPairs(prepareWeights(r, spec('binary')), prepareData(x, spec('binary'))), 0);
    const ph = W.reduce((s, r) => s + termPairs(prepareWeights(r, spec('hese')), prepareData(x, spec('hese'))), 0);
    expect(pb).toBeGreaterThanOrEqual(ph);
    const P = prepareLayer(L, 8, { mode: 'tr', g: 16, k: 0, d: 2 });
    expect(P.weightTerms).toBe(0);
    expect(Array.from(P.WT).every((v) => v === 0)).toBe(true);
  });
});

describe('output stage', () => {
  it('requantFast equals sim/model requant (random acc/bias/mul/shift, both ReLU settings, seed 201)', () => {
    const rng = new Rng(201);
    for (let n = 0; n < 5000; n++) {
      const acc = rng.int(-20_000_000, 20_000_000);
      const bias = rng.int(-100_000, 100_000);
      const mulBits = rng.pick([0, 4, 8, 16]);
      const real = 10 ** (-1 - 4 * rng.next());
      const { mul, shift } = mulBits === 0 ? quantizeMultiplierPow2(real, 40) : quantizeMultiplier(real, mulBits, 40);
      const bits = rng.pick([2, 4, 8]);
      const relu = rng.next() < 0.5;
      expect(requantFast(acc, bias, mul, shift, bits, relu), `acc ${acc} bias ${bias} mul ${mul} shift ${shift}`).toBe(
        requant(acc, bias, mul, shift, bits, relu),
      );
    }
    expect(() => requantFast(2 ** 40, 0, 2 ** 20, 0, 8, false)).toThrow(/exceeds 2\^53/);
  });

  it('requantFloat rounds to nearest and clamps', () => {
    expect(requantFloat(10, 0.4, 0.25, 8, true)).toBe(3); // 2.6 -> 3
    expect(requantFloat(-10, 0, 0.25, 8, false)).toBe(-2); // -2.5 -> -2 (half up)
    expect(requantFloat(-10, 0, 0.25, 8, true)).toBe(0);
    expect(requantFloat(10_000, 0, 1, 8, true)).toBe(127);
  });

  it('dataTables: value and term count of each capped data value', () => {
    const t1 = dataTables(8, 1);
    const t2 = dataTables(8, 2);
    const all = dataTables(8, Infinity);
    expect([t1.value[127 + t1.offset], t1.terms[127 + t1.offset]]).toEqual([128, 1]); // HESE 127 = +128 -1
    expect([t2.value[127 + t2.offset], t2.terms[127 + t2.offset]]).toEqual([127, 2]);
    expect([t2.value[-85 + t2.offset], t2.terms[-85 + t2.offset]]).toEqual([-80, 2]); // 85 = 64+16+4+1
    expect([all.value[-85 + all.offset], all.terms[-85 + all.offset]]).toEqual([-85, 4]);
    expect([all.value[all.offset], all.terms[all.offset]]).toEqual([0, 0]);
    const bin = dataTables(8, Infinity, 'binary');
    expect([bin.value[127 + bin.offset], bin.terms[127 + bin.offset]]).toEqual([127, 7]);
  });
});

describe('quantizeMlp on real MNIST', () => {
  const { train, test } = loadMnist();
  const few = train.filter((_, k) => k % 16 === 0);
  const w = trainMlp(few, { seed: 3, epochs: 1, batchSize: 16, lr: 3e-3, hidden: [24, 16] });
  const calib = collectLayerInputs(w, few);

  for (const mulBits of [16, 8, 0]) {
    it(`784-24-16-10 net (seed 3), w8 x8, mulBits ${mulBits}: scales, integer requant, and every layer vs sim/model on real digits`, () => {
      const q = quantizeMlp(w.layers, calib, { wBits: 8, xBits: 8, mulBits, maxShift: 40, quantile: 0.9999 });
      q.layers.forEach((L, l) => {
        const last = l === q.layers.length - 1;
        expect(Math.max(...Array.from(L.Wq, Math.abs))).toBeLessThanOrEqual(127);
        if (last) {
          expect([L.mul, L.shift, L.realMul]).toEqual([1, 0, 1]);
        } else {
          expect(L.realMul).toBeCloseTo((L.sw * L.sxIn) / L.sxOut, 12);
          const want = mulBits === 0 ? quantizeMultiplierPow2(L.realMul, 40) : quantizeMultiplier(L.realMul, mulBits, 40);
          expect({ mul: L.mul, shift: L.shift }).toEqual(want);
          expect(L.mul).toBeLessThan(mulBits === 0 ? 2 : 2 ** mulBits);
          // bias = round(b/(sw·sx)) + rounding offset of the floor shift
          const off = L.shift === 0 ? 0 : Math.round(2 ** (L.shift - 1) / L.mul);
          L.bias.forEach((b, o) => expect(b - off).toBe(Math.round(L.biasReal[o]!) || 0));
        }
      });
      const inputs = test.filter((_, k) => k % 400 === 0).map((s) => quantizeInput(q, s.pixels));
      expect(inputs.length).toBe(6);
      expect(inputs.every((x) => x.every((v) => v >= 0 && v <= 127))).toBe(true);
      for (const terms of SETTINGS.slice(0, 2)) checkAgainstModel(q, terms, inputs);
    });
  }

  it('evaluateQ: 8-bit conventional accuracy close to the float net; TR cuts term pairs; float requant agrees', () => {
    const q = quantizeMlp(w.layers, calib, { wBits: 8, xBits: 8, mulBits: 16, maxShift: 40, quantile: 0.9999 });
    const samples = test.filter((_, k) => k % 4 === 0);
    const conv = evaluateQ(q, q.layers.map((L) => prepareLayer(L, 8, { mode: 'conventional' })), samples);
    const tr = evaluateQ(q, q.layers.map((L) => prepareLayer(L, 8, { mode: 'tr', g: 16, k: 4, d: 2 })), samples);
    const fl = evaluateQ(q, q.layers.map((L) => prepareLayer(L, 8, { mode: 'conventional' })), samples, { floatRequant: true });
    const float = evaluate(w, samples).accuracy;
    expect(float).toBeGreaterThan(0.3);
    expect(Math.abs(conv.accuracy - float)).toBeLessThan(0.05);
    expect(Math.abs(conv.accuracy - fl.accuracy)).toBeLessThan(0.03);
    expect(tr.termPairsPerSample).toBeLessThan(conv.termPairsPerSample / 3);
    expect(conv.layerTermPairsPerSample.reduce((a, b) => a + b, 0)).toBeCloseTo(conv.termPairsPerSample, 6);
    expect(conv.preds.length).toBe(samples.length);
    expect(Number.isFinite(conv.loss) && conv.loss > 0).toBe(true);
  });

  it('weightScale: mse clips below max|w| for 2 bits, max is max|w|/(2^(b-1)-1)', () => {
    const W = w.layers[0]!.W;
    let mx = 0;
    for (const v of W) mx = Math.max(mx, Math.abs(v));
    expect(weightScale(W, 4, 'max')).toBe(mx / 7);
    expect(weightScale(W, 2, 'mse')).toBeLessThan(mx);
    expect(weightScale(W, 2, 'mse')).toBeGreaterThanOrEqual(0.2 * mx - 1e-12);
  });
});
