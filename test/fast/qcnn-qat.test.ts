import { describe, expect, it } from 'vitest';
import { ohwiToOihw } from '../../workloads/cnn/fold.ts';
import { fakeQuantActs, fakeQuantWeights, oihwToOhwi, quantizeWeightsOIHW, trTransform } from '../../workloads/cnn/qat.ts';
import { revealConvWeights, type FConv } from '../../workloads/cnn/qcnn.ts';
import { qatFixture } from '../qat-fixture.ts';

// spec layer 3 = the second conv (8 input channels, so a group of 8 is one tap)
const { folded, q, conv2, w, geom } = qatFixture(2024, [8, 8, 8]);

describe('QAT fake quantization (workloads/cnn/qat.ts)', () => {
  it('layout round trip OHWI → OIHW → OHWI', () => {
    expect(Array.from(oihwToOhwi(ohwiToOihw(w, 8, 3, 3, 8), 8, 3, 3, 8))).toEqual(Array.from(w));
  });

  it('integer budget: the transformed weights are the revealed integer weights times their channel scale', () => {
    const t = { mode: 'tr', g: 8, k: 2, d: 2 } as const;
    const got = fakeQuantWeights(w, folded, conv2, t, 8);
    expect(got.dk).toBeUndefined();
    const { Wq, scale } = quantizeWeightsOIHW(ohwiToOihw(w, 8, 3, 3, 8), geom.outC, 8, false);
    const eff = revealConvWeights(Wq, (folded.layers[conv2.l] as FConv).geom, 8, t, 8);
    const want = oihwToOhwi(Float32Array.from(eff, (v, i) => v * scale[Math.floor(i / 72)]!), 8, 3, 3, 8);
    expect(Array.from(got.w)).toEqual(Array.from(want));
    // TR with k = 2 per 8 weights really drops terms
    expect(eff.filter((v) => v !== 0).length).toBeLessThan(Wq.filter((v) => v !== 0).length);
  });

  it('fractional budget interpolates between floor and floor + 1, and dk is their difference', () => {
    const lo = fakeQuantWeights(w, folded, conv2, { mode: 'tr', g: 8, k: 2, d: 2 }, 8).w;
    const hi = fakeQuantWeights(w, folded, conv2, { mode: 'tr', g: 8, k: 3, d: 2 }, 8).w;
    const mid = fakeQuantWeights(w, folded, conv2, { mode: 'tr', g: 8, k: 2.25, d: 2 }, 8);
    mid.w.forEach((v, i) => expect(v).toBeCloseTo(0.75 * lo[i]! + 0.25 * hi[i]!, 6));
    mid.dk!.forEach((v, i) => expect(v).toBeCloseTo(hi[i]! - lo[i]!, 6));
    expect(mid.dk!.some((v) => v !== 0)).toBe(true);
  });

  it('activations: on the xBits grid, capped to d HESE terms', () => {
    const s = 0.01;
    const a = Float32Array.from([0.006, 0.3, -0.77, 5, 0.45]);
    // 0.6 rounds to 1; 500 clamps to 127; with d = 1 every value keeps one power-of-two term
    const one = Array.from(fakeQuantActs(a, s, 8, 1)).map((v) => Math.round(v / s));
    const all = Array.from(fakeQuantActs(a, s, 8, Infinity)).map((v) => Math.round(v / s));
    expect(all).toEqual([1, 30, -77, 127, 45]);
    for (const v of one) expect(v === 0 || Number.isInteger(Math.log2(Math.abs(v)))).toBe(true);
  });

  it('the transform touches conv/FC layers only and uses the calibrated input scale', () => {
    const t = trTransform(folded, q, q.layers.filter((L) => L.kind === 'conv').map(() => ({ mode: 'tr', g: 8, k: 3, d: 2 }) as const), 8);
    const x = Float32Array.from({ length: 10 }, (_, i) => i / 10);
    expect(t.act!(1, x)).toBe(x); // spec layer 1 is batch norm
    const y = t.act!(3, x);
    for (const v of y) expect(Math.abs(v / conv2.sxIn - Math.round(v / conv2.sxIn))).toBeLessThan(1e-3);
  });
});
