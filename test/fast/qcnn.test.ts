import { describe, expect, it } from 'vitest';
import { matmul, requant, Rng, type DotSpec } from '../../sim/model/index.ts';
import { convOutSize, convParts, im2col, scatterPart, weightMatrix } from '../../sim/model/conv.ts';
import type { LayerTerms } from '../../workloads/mnist/qmlp.ts';
import { convLayers, inferCnn, prepareCnn, quantizeCnn, quantizeImage, type FLayer, type Qcnn, type ScaleMode } from '../../workloads/cnn/qcnn.ts';
import { randomNet } from '../cnn-helpers.ts';

const SEED = 777;

/** The same network through sim/model: lowered matmul per part, requant per element, host pooling. */
function reference(q: Qcnn, terms: readonly LayerTerms[], x0: Int32Array, bundle: number): { acc: number[][]; y: number[][]; pairs: number[] } {
  let x = Array.from(x0);
  const acc: number[][] = [];
  const y: number[][] = [];
  const pairs: number[] = [];
  let ci = 0;
  for (const L of q.layers) {
    if (L.kind === 'gap') {
      const s = new Array<number>(L.c).fill(0);
      for (let p = 0; p < L.h * L.w; p++) for (let c = 0; c < L.c; c++) s[c] = (s[c] as number) + (x[p * L.c + c] as number);
      x = s.map((v) => requant(v, L.bias, L.mul, L.shift, q.opts.xBits, false));
      y.push(x);
      continue;
    }
    const t = terms[ci++] as LayerTerms;
    const spec: DotSpec = t.mode === 'tr' ? { mode: 'tr', g: t.g, k: t.k, d: t.d, wBits: L.wBits, xBits: q.opts.xBits } : { mode: 'conventional', g: 1, k: 1, d: 1, wBits: L.wBits, xBits: q.opts.xBits };
    const { outH, outW } = convOutSize(L.geom);
    const a = new Array<number>(outH * outW * L.geom.outC);
    let p = 0;
    for (const part of convParts(L.geom, bundle)) {
      const r = matmul(weightMatrix(L.Wq, L.geom, part), im2col(x, L.geom, part), spec);
      scatterPart(a, r.acc, L.geom, part);
      p += r.termPairs;
    }
    acc.push(a);
    pairs.push(p);
    const C = L.geom.outC;
    x = L.last ? a.map((v, i) => v + (L.bias[i % C] as number)) : a.map((v, i) => requant(v, L.bias[i % C] as number, L.mul[i % C] as number, L.shift[i % C] as number, q.opts.xBits, L.relu));
    y.push(x);
  }
  return { acc, y, pairs };
}

const SCALES: ScaleMode[] = [{ kind: 'int', bits: 8 }, { kind: 'int', bits: 4 }, { kind: 'pow2' }];
const TERMS: [string, LayerTerms[]][] = [
  ['conventional', Array.from({ length: 4 }, () => ({ mode: 'conventional' }) as LayerTerms)],
  ['TR g4 k3 d2 (depthwise g6 k1)', [{ mode: 'tr', g: 4, k: 3, d: 2 }, { mode: 'tr', g: 6, k: 1, d: 2 }, { mode: 'tr', g: 4, k: 3, d: 2 }, { mode: 'tr', g: 8, k: 5, d: 3 }]],
];

describe('integer CNN (workloads/cnn/qcnn.ts) against sim/model', () => {
  for (const scales of SCALES) {
    for (const [name, terms] of TERMS) {
      it(`${name}, scales ${JSON.stringify(scales)}: accumulators, outputs and term pairs equal the lowered model`, () => {
        const rng = new Rng(SEED);
        const { layers, calib } = randomNet(rng);
        const q = quantizeCnn(layers, calib, [9, 9, 1], { wBits: 6, xBits: 8, scales, biasBits: 16, maxShift: 24, quantile: 0.999 });
        const prep = prepareCnn(q, terms, 6);
        for (let n = 0; n < 3; n++) {
          const img = Float32Array.from({ length: 81 }, () => (rng.next() < 0.4 ? 0 : rng.next()));
          const x0 = quantizeImage(q, img);
          const got = inferCnn(q, prep, x0);
          const want = reference(q, terms, x0, 6);
          const ctx = `seed ${SEED}, image ${n}`;
          expect(got.acc.map((a) => Array.from(a)), ctx).toEqual(want.acc);
          expect(got.y.map((a) => Array.from(a)), ctx).toEqual(want.y);
          expect(got.layerTermPairs, ctx).toEqual(want.pairs);
        }
      });
    }
  }

  it('QuantNorm keeps every multiplier non-negative: a negative BN scale negates the channel weights instead', () => {
    const rng = new Rng(SEED + 1);
    const { layers, calib } = randomNet(rng);
    const c1 = layers[0] as Extract<FLayer, { kind: 'conv' }>;
    const negs = Array.from(c1.bn!.gamma).flatMap((v, o) => (v < 0 ? [o] : []));
    expect(negs.length).toBeGreaterThan(0);
    const q = quantizeCnn(layers, calib, [9, 9, 1], { wBits: 8, xBits: 8, scales: { kind: 'int', bits: 8 }, biasBits: 16, maxShift: 24, quantile: 0.999 });
    const L = convLayers(q)[0]!;
    for (const o of negs) {
      const w0 = c1.w[o * 9]! / L.sw[o]!;
      expect(Math.sign(L.Wq[o * 9]!) === -Math.sign(Math.round(w0)) || Math.round(w0) === 0).toBe(true);
    }
    expect(Math.min(...L.mul)).toBeGreaterThanOrEqual(0);
  });

  it('double quantization: int scales share one shift per layer and fit their width; pow2 has mul 1', () => {
    const rng = new Rng(SEED + 2);
    const { layers, calib } = randomNet(rng);
    for (const bits of [16, 8, 4]) {
      const q = quantizeCnn(layers, calib, [9, 9, 1], { wBits: 8, xBits: 8, scales: { kind: 'int', bits }, biasBits: 16, maxShift: 24, quantile: 0.999 });
      for (const L of convLayers(q).filter((l) => !l.last)) {
        expect(new Set(L.shift).size).toBe(1);
        expect(Math.max(...L.mul)).toBeLessThan(2 ** bits);
        expect(Math.max(...L.mul)).toBeGreaterThanOrEqual(2 ** (bits - 1)); // the largest multiplier uses the full width
      }
    }
    const q = quantizeCnn(layers, calib, [9, 9, 1], { wBits: 8, xBits: 8, scales: { kind: 'pow2' }, biasBits: 16, maxShift: 24, quantile: 0.999 });
    for (const L of convLayers(q)) expect(new Set(L.mul)).toEqual(new Set([1]));
  });
});

describe('revealConvWeights', () => {
  it('maps the lowered, revealed rows back to OIHW: the direct conv of the result equals the lowered TR matmul', async () => {
    const { convDirect } = await import('../../sim/model/conv.ts');
    const { revealConvWeights } = await import('../../workloads/cnn/qcnn.ts');
    const rng = new Rng(SEED + 3);
    const { layers, calib } = randomNet(rng);
    const q = quantizeCnn(layers, calib, [9, 9, 1], { wBits: 8, xBits: 8, scales: { kind: 'int', bits: 8 }, biasBits: 16, maxShift: 24, quantile: 0.999 });
    for (const L of convLayers(q)) {
      const t: LayerTerms = { mode: 'tr', g: 4, k: 2, d: 4 };
      const eff = revealConvWeights(L.Wq, L.geom, L.wBits, t, 4);
      expect(Array.from(eff)).not.toEqual(Array.from(L.Wq));
      const x = Array.from({ length: L.geom.inH * L.geom.inW * L.geom.inC }, () => rng.int(-7, 7));
      const spec: DotSpec = { mode: 'tr', g: 4, k: 2, d: 4, wBits: 8, xBits: 8 };
      const { outH, outW } = convOutSize(L.geom);
      const a = new Array<number>(outH * outW * L.geom.outC);
      for (const part of convParts(L.geom, 4)) scatterPart(a, matmul(weightMatrix(L.Wq, L.geom, part), im2col(x, L.geom, part), spec).acc, L.geom, part);
      expect(convDirect(x, eff, L.geom), L.name).toEqual(a);
    }
  });
});
