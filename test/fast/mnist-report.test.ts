/**
 * Pure parts of `npm run mnist`: SVG plot (ticks, well-formed and deterministic output), cost model and
 * matched-accuracy rule of sweep.ts, the mixed-precision search on synthetic objectives (against brute force),
 * and the Markdown report. No training, no Verilator.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/model/rng.ts';
import { neighbours, searchAllocation } from '../../workloads/mnist/mixed.ts';
import type { QLayer, QMlp } from '../../workloads/mnist/qmlp.ts';
import { type Results, mdTable, renderMarkdown, renderResultsSvg } from '../../workloads/mnist/report.ts';
import { type Point, budgetTermPairs, effectiveBits, elementwiseOps, matchedComparison, staticCost, termsLabel } from '../../workloads/mnist/sweep.ts';
import { logTicks, niceTicks, renderPlot, siLabel } from '../../workloads/mnist/svg.ts';

/** Minimal XML well-formedness check: balanced tags, quoted attributes, one root. */
function checkXml(s: string): { root: string; elements: number } {
  const stack: string[] = [];
  let root = '';
  let n = 0;
  const re = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const between = s.slice(last, m.index);
    if (between.includes('<') || between.includes('>')) throw new Error(`stray markup near ${JSON.stringify(between.slice(0, 60))}`);
    last = re.lastIndex;
    const [, close, name, , selfClose] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
    } else {
      n++;
      if (stack.length === 0) {
        if (root) throw new Error('two roots');
        root = name!;
      }
      if (!selfClose) stack.push(name!);
    }
  }
  if (stack.length) throw new Error(`unclosed ${stack.join(',')}`);
  if (s.slice(last).trim() !== '') throw new Error('trailing content');
  return { root, elements: n };
}

describe('svg', () => {
  it('niceTicks and logTicks', () => {
    expect(niceTicks(94.3, 97.9, 8)).toEqual([94.5, 95, 95.5, 96, 96.5, 97, 97.5]);
    expect(niceTicks(94.3, 97.9, 6)).toEqual([95, 96, 97]);
    expect(niceTicks(0, 100, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(3, 3)).toEqual([3]);
    expect(() => niceTicks(2, 1)).toThrow();
    expect(logTicks(3000, 1.2e6)).toEqual({ major: [1e4, 1e5, 1e6], minor: [5000, 2e4, 5e4, 2e5, 5e5] });
    expect(() => logTicks(0, 10)).toThrow();
    expect([siLabel(500), siLabel(2e4), siLabel(1.5e6)]).toEqual(['500', '20k', '1.5M']);
  });

  it('renderPlot: well-formed, deterministic, all points, legend, below-range markers, escaped text', () => {
    const opts = {
      title: 'acc <vs> cost & more',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        { name: 'A', color: '#f00', marker: 'square' as const, line: true, points: [{ x: 1e4, y: 96, label: '2b' }, { x: 5e4, y: 97 }, { x: 2e5, y: 50, label: 'low' }] },
        { name: 'B', color: '#00f', marker: 'star' as const, line: false, points: [{ x: 3e4, y: 96.5 }] },
      ],
      hLines: [{ y: 97.3, label: 'float', color: '#555' }],
      yMin: 95,
    };
    const a = renderPlot(opts);
    expect(renderPlot(opts)).toBe(a);
    const x = checkXml(a);
    expect(x.root).toBe('svg');
    expect(a).toContain('acc &lt;vs&gt; cost &amp; more');
    expect((a.match(/<title>/g) ?? []).length).toBe(4); // one per point
    expect(a).toContain('low 50'); // below-range label
    expect(a).toContain('fill="none" stroke="#f00"'); // below-range marker
    expect(a).toContain('>A</text>');
    expect(a).toContain('>B</text>');
    expect(a).toContain('stroke-dasharray'); // float line
    expect(a).not.toMatch(/NaN|Infinity|undefined/);
    expect(() => renderPlot({ ...opts, series: [] })).toThrow(/no points/);
    expect(() => renderPlot({ ...opts, series: [{ ...opts.series[0]!, points: [{ x: 0, y: 1 }] }] })).toThrow(/bad point/);
  });
});

function fakeNet(dims: number[], wBits: number, xBits: number, mulBits: number): QMlp {
  const layers: QLayer[] = dims.slice(1).map((out, l) => ({
    inDim: dims[l]!, outDim: out, Wq: new Int32Array(dims[l]! * out), bias: new Int32Array(out), biasReal: new Float64Array(out),
    sw: 1, sxIn: 1, sxOut: 1, mul: 1, shift: 0, realMul: 1, relu: l < dims.length - 2,
  }));
  return { opts: { wBits, xBits, mulBits, maxShift: 31, quantile: 1 }, inScale: 1, layers };
}

function point(label: string, acc: number, pairs: number, extra: Partial<Point['cost']> = {}): Point {
  return {
    series: label.startsWith('QT') ? 'qt' : 'tr', label, wBits: 8, xBits: 8, terms: [], accuracy: acc, correct: 0, samples: 1000,
    cost: { termPairs: pairs, layerTermPairs: [pairs], budgetTermPairs: 10 * pairs, macs: 1, ace: 1, aceEff: 1, elementwise: { biasAdds: 0, requantMuls: 0, shifts: 0, clamps: 0, relus: 0, total: 0 }, ...extra },
  };
}

describe('cost model and matched accuracy', () => {
  it('budget term pairs, effective bits, elementwise ops on 784-512-512-10', () => {
    const q = fakeNet([784, 512, 512, 10], 8, 8, 16);
    const macs = 784 * 512 + 512 * 512 + 512 * 10;
    const conv = q.layers.map(() => ({ mode: 'conventional' as const }));
    expect(budgetTermPairs(q, conv)).toBe(macs * 16); // 4 HESE terms × 4
    const tr = q.layers.map(() => ({ mode: 'tr' as const, g: 16, k: 8, d: 2 }));
    expect(budgetTermPairs(q, tr)).toBe((macs / 16) * 8 * 2);
    // d above T_x = 4 and k above g·T_w are capped; a partial group (10 inputs of g = 16) still costs k·d
    expect(budgetTermPairs(fakeNet([10, 3], 8, 8, 16), [{ mode: 'tr', g: 16, k: 80, d: 9 }])).toBe(3 * 1 * 64 * 4);
    expect(effectiveBits({ mode: 'tr', g: 16, k: 8, d: 3 }, 8, 8)).toEqual({ bw: 1, bx: 6 });
    expect(effectiveBits({ mode: 'conventional' }, 4, 8)).toEqual({ bw: 4, bx: 8 });
    const s = staticCost(q, tr);
    expect(s.macs).toBe(macs);
    expect(s.ace).toBe(macs * 64);
    expect(s.aceEff).toBe(macs * 1 * 4);
    expect(elementwiseOps(q)).toEqual({ biasAdds: 1034, requantMuls: 1024, shifts: 1024, clamps: 1024, relus: 1024, total: 5130 });
    expect(elementwiseOps(fakeNet([784, 512, 512, 10], 8, 8, 0)).requantMuls).toBe(0);
    expect(termsLabel(tr)).toBe('g16/k8/d2');
    expect(termsLabel([{ mode: 'tr', g: 16, k: 8, d: 2 }, { mode: 'conventional' }])).toBe('g16/k8/d2 · exact');
  });

  it('matchedComparison: cheapest TR point at ≥ QT accuracy (− tolerance), ratios, none when unmatched', () => {
    const qt = [point('QT w2', 0.95, 200_000, { termPairsBinary: 300_000 }), point('QT w4', 0.972, 500_000), point('QT w6', 0.99, 700_000)];
    const tr = [point('TR a', 0.951, 100_000), point('TR b', 0.9715, 150_000), point('TR c', 0.972, 180_000), point('TR d', 0.96, 90_000)];
    const strict = matchedComparison(qt, tr, 0);
    expect(strict.map((m) => m.tr)).toEqual(['TR d', 'TR c', null]);
    expect(strict[0]!.ratio).toBeCloseTo(200 / 90, 12);
    expect(strict[0]!.ratioBinary).toBeCloseTo(300 / 90, 12);
    expect(strict[0]!.ratioBudget).toBeCloseTo(200 / 90, 12);
    expect(strict[2]!.ratio).toBeUndefined();
    const tol = matchedComparison(qt, tr, 0.001);
    expect(tol.map((m) => m.tr)).toEqual(['TR d', 'TR b', null]);
    expect(tol[1]!.ratio).toBeCloseTo(500 / 150, 12);
  });
});

describe('mixed-precision search', () => {
  // synthetic separable objective: loss = Σ a_l / k_l², cost = Σ c_l · k_l
  const a = [4, 0.25, 0.2];
  const c = [400, 250, 5];
  const evaluate = (ks: readonly number[]) => ({
    loss: ks.reduce((s, k, l) => s + a[l]! / (k * k), 0),
    accuracy: 1 - ks.reduce((s, k, l) => s + a[l]! / (k * k), 0) / 10,
    cost: ks.reduce((s, k, l) => s + c[l]! * k, 0),
  });

  it('finds allocations under each target, near the brute-force optimum and better than uniform', () => {
    const targets = [6, 10].map((k) => evaluate([k, k, k]).cost);
    const r = searchAllocation(evaluate, { kMin: 2, kMax: 16, start: [14, 14, 14], targets, refineIters: 3 });
    expect(r.path[0]!.ks).toEqual([14, 14, 14]);
    for (let i = 1; i < r.path.length; i++) {
      expect(r.path[i]!.cost).toBeLessThan(r.path[i - 1]!.cost);
      expect(r.path[i]!.ks.reduce((x, y) => x + y, 0)).toBe(r.path[i - 1]!.ks.reduce((x, y) => x + y, 0) - 1);
    }
    r.results.forEach((res, i) => {
      const t = targets[i]!;
      const found = res.found!;
      expect(found.cost).toBeLessThanOrEqual(t);
      expect(found.loss).toBeLessThanOrEqual(res.greedy!.loss);
      let best = Infinity;
      for (let k0 = 2; k0 <= 16; k0++) for (let k1 = 2; k1 <= 16; k1++) for (let k2 = 2; k2 <= 16; k2++) {
        const e = evaluate([k0, k1, k2]);
        if (e.cost <= t) best = Math.min(best, e.loss);
      }
      const uni = evaluate([6 + 4 * i, 6 + 4 * i, 6 + 4 * i]).loss;
      expect(found.loss).toBeLessThan(uni);
      expect(found.loss).toBeLessThanOrEqual(best * 1.02);
      expect(found.ks[2]).toBeGreaterThan(found.ks[1]!); // the nearly free layer keeps a large budget
    });
    expect(r.evaluations).toBeLessThan(15 ** 3 / 10);
  });

  it('extra starts: the result is never worse than a feasible extra start (uniform allocation)', () => {
    // objective with an isolated optimum at (8, 8, 8) that the greedy path from (12, 12, 12) never visits
    const ev = (ks: readonly number[]) => {
      const sum = ks.reduce((x, y) => x + y, 0);
      return { loss: ks.every((k) => k === 8) ? 0 : 1 + 1 / sum, accuracy: 0, cost: sum };
    };
    const target = 24;
    const plain = searchAllocation(ev, { kMin: 2, kMax: 16, start: [12, 12, 12], targets: [target], refineIters: 0 });
    const withUniform = searchAllocation(ev, { kMin: 2, kMax: 16, start: [12, 12, 12], targets: [target], refineIters: 0, extraStarts: [[8, 8, 8], [16, 16, 16]] });
    expect(plain.results[0]!.found!.ks).toEqual([2, 10, 12]); // ties go to the first layer
    expect(plain.results[0]!.found!.loss).toBeGreaterThan(ev([8, 8, 8]).loss);
    expect(withUniform.results[0]!.found!.ks).toEqual([8, 8, 8]);
    expect(withUniform.results[0]!.greedy).toEqual(plain.results[0]!.greedy);
  });

  it('unreachable target: path ends at kMin, result null; memoized evaluations; bad options throw', () => {
    let calls = 0;
    const ev = (ks: readonly number[]) => {
      calls++;
      return evaluate(ks);
    };
    const r = searchAllocation(ev, { kMin: 3, kMax: 8, start: [5, 5, 5], targets: [1], refineIters: 2 });
    expect(r.results[0]).toEqual({ target: 1, greedy: null, found: null });
    expect(r.path[r.path.length - 1]!.ks).toEqual([3, 3, 3]);
    expect(calls).toBe(r.evaluations);
    expect(() => searchAllocation(ev, { kMin: 3, kMax: 8, start: [9, 5, 5], targets: [1], refineIters: 0 })).toThrow(/outside/);
    expect(() => searchAllocation(ev, { kMin: 5, kMax: 4, start: [5], targets: [1], refineIters: 0 })).toThrow(/bad k range/);
  });

  it('neighbours stay within bounds', () => {
    expect(neighbours([2, 16], 2, 16)).toEqual([[3, 15], [2, 15]]);
    expect(neighbours([5, 5], 2, 16)).toEqual([[4, 5], [6, 4], [5, 4], [4, 6]]);
    const rng = new Rng(7);
    for (let n = 0; n < 50; n++) {
      const ks = [rng.int(2, 16), rng.int(2, 16), rng.int(2, 16)];
      for (const m of neighbours(ks, 2, 16)) expect(m.every((k) => k >= 2 && k <= 16)).toBe(true);
    }
  });
});

describe('report', () => {
  it('mdTable', () => {
    expect(mdTable(['a', 'b'], [['1', '2']])).toBe('| a | b |\n|---|---|\n| 1 | 2 |');
  });

  it('renderMarkdown and renderResultsSvg on a synthetic result', () => {
    const qt = [point('QT w2', 0.95, 200_000, { termPairsBinary: 300_000 }), point('QT w4', 0.972, 500_000, { termPairsBinary: 800_000 })];
    qt[0]!.wBits = 2;
    qt[1]!.wBits = 4;
    const tr = [4, 8, 12].map((k, i) => ({ ...point(`TR k${k} d2`, 0.95 + 0.01 * i, 60_000 * (i + 1)), terms: [{ mode: 'tr' as const, g: 16, k, d: 2 }] }));
    const r: Results = {
      version: 1,
      quick: true,
      settings: {
        seeds: { train: 1, search: 'deterministic' },
        data: { source: 'mnist', train: 7, validation: 1, test: 2, split: 'fixed' },
        net: { dims: [784, 512, 512, 10], trainOptions: {}, cacheKey: 'k', cached: true, trainSeconds: 0 },
        quant: { xBits: 8, trWBits: 8, qtWBits: [2, 4], qtWxBits: [], mulBits: 16, maxShift: 31, quantile: 0.9999, wScale: 'mse', calibration: 'q' },
        tr: { g: 16, ks: [4, 8, 12], ds: [2] },
        matchTolerance: 0.001,
        mixed: { g: 16, d: 2, kMin: 2, kMax: 16, start: [14, 14, 14], refineIters: 3, validation: 1, objective: 'loss' },
        hwImages: 0,
      },
      float: { accuracy: 0.973, macs: 668672 },
      qt,
      qtWx: [],
      tr,
      matched: { strict: matchedComparison(qt, tr, 0), tolerance: matchedComparison(qt, tr, 0.001), wx: matchedComparison(qt.slice(0, 1), tr, 0.001) },
      headline: { rule: 'r', point: tr[2]! },
      requant: { trSetting: 'g16/k12/d2', rows: [{ variant: 'float', description: 'float', mulShift: null, relError: null, conventionalAccuracy: 0.97, trAccuracy: 0.96 }] },
      mixed: {
        targets: [{ uniformK: 8, target: 1e5, found: [6, 9, 16], greedy: [6, 9, 16], val: { found: { loss: 1, accuracy: 0.9, cost: 9e4 }, uniform: { loss: 1.1, accuracy: 0.89, cost: 1e5 } }, test: { found: { ...tr[1]!, series: 'mixed', terms: [6, 9, 16].map((k) => ({ mode: 'tr' as const, g: 16, k, d: 2 })) }, uniform: tr[1]! } }],
        evaluations: 10,
        path: [],
      },
      hardware: null,
      runtimeSeconds: { total: 1 },
    };
    const md = renderMarkdown(r);
    expect(md).toContain('QUICK');
    expect(md).toContain('| QT w2 | w2/x8 | 95.00 % | 200.0k | 300.0k |');
    expect(md).toContain('ratio HESE');
    expect(md).toMatch(/Measured range: \*\*[\d.]+–[\d.]+×\*\*/);
    expect(md).toContain('6, 9, 16 (0.375, 0.563, 1.000)');
    expect(md).toContain('Against QT with weights and activations at the same width');
    expect(md).toContain('Skipped (--hw-images 0)');
    expect(md).not.toMatch(/NaN|undefined/);
    const svg = renderResultsSvg(r);
    expect(checkXml(svg).root).toBe('svg');
    expect(svg).toContain('TR mixed per-layer k');
    expect(svg).toContain('k 6/9/16');
    expect(svg).toContain('float 97.30 %');
    expect(renderResultsSvg(r)).toBe(svg);
  });
});
