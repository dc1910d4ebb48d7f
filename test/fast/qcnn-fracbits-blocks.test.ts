import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/model/index.ts';
import { ohwiToOihw } from '../../workloads/cnn/fold.ts';
import { cnnCost } from '../../workloads/cnn/cost.ts';
import { budgetSlope, budgetUnits, fracCost, fracStep, projectBudgets, roundBudgets, unitBudget, unitGradients, unitsToTerms, type FracState } from '../../workloads/cnn/fracbits.ts';
import { fakeQuantWeights, quantizeWeightsOIHW, trTransform } from '../../workloads/cnn/qat.ts';
import { convLayers, prepareConv, revealConvWeights } from '../../workloads/cnn/qcnn.ts';
import type { LayerTerms } from '../../workloads/mnist/qmlp.ts';
import { qatFixture } from '../qat-fixture.ts';

// per-block budgets (one real k per block of 8 output channels), fixed seeds
const SEED = 2025;
// spec layer 3 = the second conv: 8 → 16 channels, two blocks of 8
const { folded, q, conv2, w, geom, imgs } = qatFixture(SEED, [8, 16, 16]);
const per = w.length / geom.outC; // 72
const tr = (k: number): LayerTerms => ({ mode: 'tr', g: 8, k, d: 2 });
const blocks = (...k: number[]): LayerTerms => ({ mode: 'tr', g: 8, k: Math.max(...k), d: 2, blocks: { c: 8, k } });
const channelsOf = (a: ArrayLike<number>, c0: number, c1: number): number[] => Array.from(a).slice(c0 * per, c1 * per);
const convs = convLayers(q);

describe('per-block budgets: TR and the QAT transform', () => {
  it('every block is revealed with its own k; equal blocks are the per-layer case', () => {
    expect(geom.outC).toBe(16);
    const { Wq } = quantizeWeightsOIHW(ohwiToOihw(w, 16, 3, 3, 8), 16, 8, false);
    const b = revealConvWeights(Wq, geom, 8, blocks(2, 5), 8);
    expect(channelsOf(b, 0, 8)).toEqual(channelsOf(revealConvWeights(Wq, geom, 8, tr(2), 8), 0, 8));
    expect(channelsOf(b, 8, 16)).toEqual(channelsOf(revealConvWeights(Wq, geom, 8, tr(5), 8), 8, 16));
    expect(Array.from(revealConvWeights(Wq, geom, 8, blocks(3, 3), 8))).toEqual(Array.from(revealConvWeights(Wq, geom, 8, tr(3), 8)));
    expect(() => revealConvWeights(Wq, geom, 8, blocks(2, 3, 4), 8)).toThrow(/3 block budgets for 16 channels/);
  });

  it('at integer k the interpolated weights equal the TR weights at k (also with alwaysDk), and dk = TR_{k+1} − TR_k', () => {
    const at = (t: LayerTerms, always = false) => fakeQuantWeights(w, folded, conv2, t, 8, always);
    const want = at(blocks(2, 5)).w;
    expect(at(blocks(2, 5)).dk).toBeUndefined();
    const withDk = at(blocks(2, 5), true);
    expect(Array.from(withDk.w)).toEqual(Array.from(want));
    const hi = at(blocks(3, 6)).w;
    withDk.dk!.forEach((v, i) => expect(v).toBeCloseTo(hi[i]! - want[i]!, 6));
    expect(withDk.dk!.some((v) => v !== 0)).toBe(true);
    // per-layer budget through blocks of equal k: identical to the plain per-layer transform
    expect(Array.from(at(blocks(2.5, 2.5)).w)).toEqual(Array.from(at(tr(2.5)).w));
  });

  it('fractional per-block budgets interpolate each block with its own fraction', () => {
    const lo = fakeQuantWeights(w, folded, conv2, blocks(2, 5), 8).w;
    const hi = fakeQuantWeights(w, folded, conv2, blocks(3, 6), 8).w;
    const mid = fakeQuantWeights(w, folded, conv2, blocks(2.25, 5.75), 8).w;
    mid.forEach((v, i) => {
      const a = Math.floor(i / per) < 8 ? 0.25 : 0.75;
      expect(v).toBeCloseTo((1 - a) * lo[i]! + a * hi[i]!, 6);
    });
  });

  it('gradient sign: for the reconstruction loss ½‖w_TR − w‖² more terms help every block (dL/dk < 0), and dL/dk matches a finite difference', () => {
    const units = budgetUnits(convs, 8, 2, 8, 8, 8).filter((u) => u.conv === 1);
    expect(units.map((u) => [u.c0, u.c1])).toEqual([
      [0, 8],
      [8, 16],
    ]);
    const loss = (ks: number[]): { L: number; grad: Float32Array; dk: Float32Array } => {
      const r = fakeQuantWeights(w, folded, conv2, blocks(...ks), 8, true);
      const grad = Float32Array.from(r.w, (v, i) => v - w[i]!);
      return { L: grad.reduce((s, v) => s + 0.5 * v * v, 0), grad, dk: r.dk! };
    };
    for (const k0 of [1, 2, 3]) {
      const r = loss([k0, k0]);
      const g = unitGradients(units, [0, 16], (c) => (c === 1 ? r.grad : undefined), (c) => (c === 1 ? r.dk : undefined));
      for (const v of g) expect(v).toBeLessThan(0);
    }
    // inside (n, n + 1) the loss is quadratic in a: compare with a central difference
    const ks = [2.3, 4.6];
    const r = loss(ks);
    const g = unitGradients(units, [0, 16], (c) => (c === 1 ? r.grad : undefined), (c) => (c === 1 ? r.dk : undefined));
    const eps = 1e-3;
    for (let b = 0; b < 2; b++) {
      const up = ks.slice();
      const dn = ks.slice();
      up[b]! += eps;
      dn[b]! -= eps;
      expect(g[b]!).toBeCloseTo((loss(up).L - loss(dn).L) / (2 * eps), 3);
    }
  });

  it('the transform takes per-block real budgets from the hook', () => {
    const terms = convs.map(() => tr(2));
    let seen: Float32Array | undefined;
    const t = trTransform(folded, q, terms, 8, { budget: (c) => (c === 1 ? { c: 8, k: [2.25, 5.75] } : undefined), onDk: (c, dk) => c === 1 && (seen = dk), alwaysDk: true });
    const got = t.weight!(3, w);
    expect(Array.from(got)).toEqual(Array.from(fakeQuantWeights(w, folded, conv2, blocks(2.25, 5.75), 8).w));
    expect(seen).toBeDefined();
  });
});

describe('per-block budgets: units, cost, integer model, rounding', () => {
  const perLayer = budgetUnits(convs, 8, 2, 8, 8, Infinity);
  const perBlock = budgetUnits(convs, 8, 2, 8, 8, 8);

  it('units: per layer = one unit per layer with budgetSlope; per block = ⌈outC / 8⌉ units whose slopes add up to the layer', () => {
    expect(perLayer.map((u) => u.slope)).toEqual(convs.map((L) => budgetSlope(L, 8, 2, 8, 8)));
    expect(perBlock.map((u) => u.conv)).toEqual(convs.flatMap((L, c) => Array.from({ length: Math.ceil(L.geom.outC / 8) }, () => c)));
    convs.forEach((_, c) => {
      const s = perBlock.filter((u) => u.conv === c).reduce((a, u) => a + u.slope, 0);
      expect(s).toBeCloseTo(perLayer[c]!.slope, 6);
    });
    // the FC layer (10 outputs): blocks of 8 and 2 channels
    expect(perBlock.filter((u) => u.conv === convs.length - 1).map((u) => u.c1 - u.c0)).toEqual([8, 2]);
  });

  it('cnnCost of per-block terms equals the units’ linear cost; uniform blocks cost the same as the per-layer k', () => {
    const r = new Rng(SEED + 7);
    const ks = perBlock.map(() => r.int(1, 9));
    const terms = unitsToTerms(perBlock, ks, convs.length, 8, 2);
    expect(cnnCost(q, terms, 8).budgetTermPairs).toBeCloseTo(fracCost(ks, perBlock.map((u) => u.slope)), 6);
    const uni = unitsToTerms(perBlock, perBlock.map(() => 4), convs.length, 8, 2);
    const a = cnnCost(q, uni, 8);
    const b = cnnCost(q, convs.map(() => tr(4)), 8);
    expect(a.budgetTermPairs).toBe(b.budgetTermPairs);
    expect(a.ace).toBeCloseTo(b.ace, 6);
    expect(unitBudget(perBlock, ks, 1)).toEqual({ c: 8, k: ks.slice(perBlock.findIndex((u) => u.conv === 1), perBlock.findIndex((u) => u.conv === 2)) });
    expect(unitBudget(perLayer, [1, 2, 3, 4, 5], 2)).toBe(3);
  });

  it('the integer model reveals every block with its own k (dense and depthwise bundles)', () => {
    for (const L of convs) {
      const nb = Math.ceil(L.geom.outC / 8);
      const ks = Array.from({ length: nb }, (_, b) => 1 + ((b * 3) % 5));
      const t: LayerTerms = { mode: 'tr', g: 8, k: 9, d: 2, blocks: { c: 8, k: ks } };
      const p = prepareConv(L, t, 8);
      const byK = new Map(ks.map((k) => [k, prepareConv(L, tr(k), 8)]));
      p.parts.forEach((part, pi) => {
        const oc = part.part.outC;
        for (let o = 0; o < oc; o++) {
          const ref = byK.get(ks[Math.floor((part.part.o0 + o) / 8)]!)!.parts[pi]!;
          for (let r = 0; r < part.part.K; r++) expect(part.WT[r * oc + o], `${L.name} ch ${part.part.o0 + o}`).toBe(ref.WT[r * oc + o]);
        }
      });
    }
  });

  it('projection keeps every k in [kMin, kMax] and the cost on the target; rounding meets the target exactly or below it', () => {
    const slopes = perBlock.map((u) => u.slope);
    const target = fracCost(slopes.map(() => 4), slopes);
    const r = new Rng(SEED + 9);
    for (let trial = 0; trial < 20; trial++) {
      const k = slopes.map(() => 1 + 12 * r.next());
      projectBudgets(k, slopes, target, 1, 32);
      expect(fracCost(k, slopes) / target).toBeCloseTo(1, 9);
      for (const v of k) expect(v >= 1 && v <= 32).toBe(true);
      const ks = roundBudgets(k, slopes, target, 1, 32);
      expect(fracCost(ks, slopes)).toBeLessThanOrEqual(target);
      for (const v of ks) expect(Number.isInteger(v) && v >= 1 && v <= 32).toBe(true);
    }
    // fill: the spare budget goes to the units most below (or least above) their real k while it fits
    // round() gives [3, 5, 2] = 450 ≤ 470; only layer 2 is below its real k, and it costs 50 > the spare 20
    expect(roundBudgets([2.6, 4.9, 2.2], [100, 10, 50], 470, 1, 8)).toEqual([3, 5, 2]);
    expect(roundBudgets([2.6, 4.9, 2.2], [100, 10, 50], 470, 1, 8, true)).toEqual([3, 7, 2]); // + 2 × 10 = 470
    // integer budgets already on the target stay as they are
    expect(roundBudgets(slopes.map(() => 4), slopes, target, 1, 32)).toEqual(slopes.map(() => 4));
  });

  it('a projected Adam step keeps the cost on the target while a block with "more terms help" gains budget', () => {
    const slopes = perBlock.map((u) => u.slope);
    const target = fracCost(slopes.map(() => 4), slopes);
    const st: FracState = { k: slopes.map(() => 4), m: slopes.map(() => 0), v: slopes.map(() => 0), t: 0 };
    const o = { target, slopes, kMin: 1, kMax: 32, lambda: 0, lr: 0.03, project: true };
    for (let i = 0; i < 200; i++) {
      fracStep(st, slopes.map((_, u) => (u === 0 ? -1e-3 : 0)), o);
      expect(fracCost(st.k, slopes) / target).toBeCloseTo(1, 9);
    }
    expect(st.k[0]!).toBeGreaterThan(4.5);
    expect(st.k[1]!).toBeLessThan(4);
  });
});

describe('per-block budgets on the array: driver model, no Verilator', () => {
  it('convJobs issue one k per channel tile; the golden model of every job equals the integer CNN; descriptors and schedule follow the tile k', async () => {
    const { cnnHwConfig, convJobs } = await import('../../workloads/cnn/hw.ts');
    const { buildStreams, checkJob, modelJob, schedule } = await import('../../sim/driver/driver.ts');
    const { inferCnn, prepareCnn, quantizeImage } = await import('../../workloads/cnn/qcnn.ts');
    const cfg = cnnHwConfig(q);
    expect(cfg.cols).toBe(8);
    const units = budgetUnits(convs, 8, 2, 8, 8, 8);
    const ks = units.map((_, u) => 1 + ((u * 5) % 7));
    const terms = unitsToTerms(units, ks, convs.length, 8, 2);
    const x0 = quantizeImage(q, imgs[0]!.pixels);
    const ref = inferCnn(q, prepareCnn(q, terms, 8), x0);
    let ci = 0;
    q.layers.forEach((L, li) => {
      if (L.kind !== 'conv') return;
      const c = ci++;
      const x = Array.from(li === 0 ? x0 : ref.y[li - 1]!);
      const t = terms[c]!;
      const jobs = convJobs(cfg, q, c, [x], t);
      for (const { part, job } of jobs) {
        checkJob(cfg, job, 'test');
        const want = Array.from({ length: Math.ceil(part.outC / 8) }, (_, i) => ks[units.findIndex((u) => u.conv === c && u.c0 === part.o0 + 8 * i)]!);
        // a layer of one block (conv1: 8 channels) gets a plain k; every other layer one k per channel tile
        if (t.mode === 'tr' && t.blocks) expect(job.tileK).toEqual(want);
        else expect([job.tileK, job.control.k]).toEqual([undefined, want[0]]);
        const tileK = job.tileK ?? want;
        const m = modelJob(cfg, job);
        m.acc.forEach((row, p) => row.forEach((a, oo) => expect(a, `${L.name} pixel ${p} channel ${part.o0 + oo}`).toBe(ref.acc[c]![p * L.geom.outC + part.o0 + oo])));
        const st = buildStreams(cfg, [job], { blocks: true });
        st.tiles.forEach((tile, i) => {
          const k = tileK[tile.m0 / 8]!;
          expect(st.t[i]!.in_t_k).toBe(BigInt(k));
          expect(tile.kEff).toBe(Math.ceil(k / cfg.termsPerCycle));
        });
        // the same job with every tile at its largest k: the schedule can only get longer
        const flat = { ...job, tileK: tileK.map(() => Math.max(...tileK)) };
        expect(schedule(cfg, buildStreams(cfg, [flat], { blocks: true }).tiles).workCycles).toBeGreaterThanOrEqual(schedule(cfg, st.tiles).workCycles);
      }
    });
  });

  it('a uniform tileK is the per-layer job; a wrong tileK is rejected', async () => {
    const { cnnHwConfig, convJobs } = await import('../../workloads/cnn/hw.ts');
    const { buildStreams, checkJob } = await import('../../sim/driver/driver.ts');
    const cfg = cnnHwConfig(q);
    const x = Array.from({ length: 14 * 14 * 8 }, (_, i) => (i * 7) % 50);
    const [a] = convJobs(cfg, q, 1, [x], tr(3));
    const [b] = convJobs(cfg, q, 1, [x], blocks(3, 3));
    expect(buildStreams(cfg, [b!.job]).t).toEqual(buildStreams(cfg, [a!.job]).t);
    expect(buildStreams(cfg, [b!.job]).w).toEqual(buildStreams(cfg, [a!.job]).w);
    expect(() => checkJob(cfg, { ...a!.job, tileK: [3] }, 'bad')).toThrow(/one k per channel tile \(2\)/);
    expect(() => convJobs(cfg, q, 1, [x], { mode: 'tr', g: 8, k: 3, d: 2, blocks: { c: 4, k: [3, 3, 3, 3] } })).toThrow(/a channel tile of the array has 8/);
  });
});
