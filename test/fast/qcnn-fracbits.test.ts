import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/model/index.ts';
import { budgetSlope, budgetsToTerms, fracCost, fracStep, roundBudgets, roundingCandidates, type FracState } from '../../workloads/cnn/fracbits.ts';
import { convLayers, evaluateQcnn, quantizeCnn } from '../../workloads/cnn/qcnn.ts';
import { PreparedCnnCache, greedyBudgets } from '../../workloads/cnn/sweep.ts';
import { randomNet } from '../cnn-helpers.ts';

describe('FracBits budgets (workloads/cnn/fracbits.ts)', () => {
  it('rounding keeps the cost within the target and prefers the layers furthest from their real budget', () => {
    const slopes = [100, 10, 50];
    // round() gives [3, 5, 2] = 300 + 50 + 100 = 450 > 400: the layer rounded up the most (layer 0: +0.4) goes down
    // then the spare 50 goes to layer 2 (0.2 below its real budget; layer 0 is further below but costs 100)
    expect(roundBudgets([2.6, 4.9, 2.2], slopes, 400, 1, 8)).toEqual([2, 5, 3]);
    expect(fracCost([2, 5, 3], slopes)).toBe(400);
    // and spare budget goes to the layer most below its real value
    expect(roundBudgets([2.4, 3.45, 2.0], slopes, 400, 1, 8)).toEqual([2, 4, 2]);
  });

  it('rounding candidates: every floor/ceil choice within the target, each also filled, no duplicates', () => {
    const slopes = [100, 10, 50];
    // 3/x/x costs at least 440 > 400; the fill of 2/4/2, 2/5/2 and 2/4/3 is 2/5/3 (roundBudgets' choice above)
    expect(roundingCandidates([2.6, 4.9, 2.2], slopes, 400, 1, 8)).toEqual([
      [2, 4, 2],
      [2, 5, 3],
      [2, 5, 2],
      [2, 4, 3],
    ]);
    expect(roundingCandidates([2.6, 4.9, 2.2], slopes, 400, 1, 8)).toContainEqual(roundBudgets([2.6, 4.9, 2.2], slopes, 400, 1, 8, true));
    // integer budgets have one choice; clamping to [kMin, kMax] applies before the cost check
    expect(roundingCandidates([3, 0.4, 9.5], [1, 1, 1], 12, 1, 8)).toEqual([[3, 1, 8]]);
    expect(() => roundingCandidates(new Array(13).fill(1.5), new Array(13).fill(1), 1e9, 1, 8)).toThrow(/13 units/);
  });

  it('with no loss gradient the penalty drives the cost to the target', () => {
    const st: FracState = { k: [6, 6, 6], m: [0, 0, 0], v: [0, 0, 0], t: 0 };
    const o = { target: 600, slopes: [50, 30, 20], kMin: 1, kMax: 12, lambda: 10, lr: 0.05 };
    for (let i = 0; i < 2000; i++) fracStep(st, [0, 0, 0], o);
    expect(Math.abs(fracCost(st.k, o.slopes) / o.target - 1)).toBeLessThan(0.02);
  });

  it('a layer whose loss gradient says "more terms help" keeps a larger budget than the others', () => {
    const st: FracState = { k: [5, 5, 5], m: [0, 0, 0], v: [0, 0, 0], t: 0 };
    const o = { target: 300, slopes: [20, 20, 20], kMin: 1, kMax: 12, lambda: 10, lr: 0.05 };
    for (let i = 0; i < 2000; i++) fracStep(st, [-0.05, 0, 0], o);
    expect(st.k[0]).toBeGreaterThan(st.k[1]! + 0.5);
    expect(st.k[1]).toBeCloseTo(st.k[2]!, 6);
  });
});

describe('greedy budget search on the integer CNN (workloads/cnn/sweep.ts greedyBudgets)', () => {
  const SEED = 4242;
  it('stays within the uniform budget and finds a validation loss no worse than uniform', () => {
    const rng = new Rng(SEED);
    const { layers, calib } = randomNet(rng);
    const q = quantizeCnn(layers, calib, [9, 9, 1], { wBits: 8, xBits: 8, scales: { kind: 'int', bits: 8 }, biasBits: 16, maxShift: 24, quantile: 0.999 });
    const cache = new PreparedCnnCache(q, 6);
    const val = Array.from({ length: 24 }, () => ({ pixels: Float32Array.from({ length: 81 }, () => rng.next()), label: Math.floor(rng.next() * 4) }));
    const slopes = convLayers(q).map((L) => budgetSlope(L, 4, 2, 8, 6));
    for (const ku of [1, 2, 3]) {
      const ctx = `seed ${SEED}, uniform k${ku}`;
      const ks = greedyBudgets(cache, val, slopes, ku, 4, 2, 1);
      expect(ks.length, ctx).toBe(slopes.length);
      for (const k of ks) expect(Number.isInteger(k) && k >= 1 && k <= 16, ctx).toBe(true);
      expect(fracCost(ks, slopes), ctx).toBeLessThanOrEqual(fracCost(slopes.map(() => ku), slopes));
      const loss = (b: readonly number[]) => evaluateQcnn(q, cache.layers(budgetsToTerms(b, 4, 2)), val).loss;
      expect(loss(ks), ctx).toBeLessThanOrEqual(loss(slopes.map(() => ku)));
    }
  });
});
