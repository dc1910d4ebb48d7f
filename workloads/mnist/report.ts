/**
 * results.json shape of `npm run mnist`, and its Markdown table and SVG plot (pure functions of the results).
 */
import type { HwInferenceResult, HwModeResult } from './hw.ts';
import { maxTerms } from '../../sim/model/terms.ts';
import { type Match, type Point, termsLabel } from './sweep.ts';
import { type PlotSeries, renderPlot } from './svg.ts';

export interface RequantRow {
  /** 'float' | 'int16' | 'int8' | 'pow2' */
  variant: string;
  description: string;
  /** per hidden layer (mul, shift) — absent for float */
  mulShift: [number, number][] | null;
  /** per hidden layer relative error of mul·2^-shift vs the real multiplier */
  relError: number[] | null;
  conventionalAccuracy: number;
  trAccuracy: number;
}

export interface MixedTarget {
  uniformK: number;
  /** validation term pairs per sample of the uniform allocation = the search target */
  target: number;
  found: number[] | null;
  greedy: number[] | null;
  val: { found: { loss: number; accuracy: number; cost: number } | null; uniform: { loss: number; accuracy: number; cost: number } };
  test: { found: Point | null; uniform: Point };
}

/** What results.json keeps of a hardware-inference run (hw.ts; the per-image predictions are left out). */
export type HwModeSummary = Pick<
  HwModeResult,
  'mode' | 'layers' | 'cyclesPerLayer' | 'cyclesPerImage' | 'outputsCompared' | 'mismatches' | 'predictionsEqualModel' | 'cyclesEqualSchedule' | 'accuracy' | 'simSeconds' | 'mismatchExamples'
>;
export interface HwSummary extends Pick<HwInferenceResult, 'config' | 'images' | 'cycleRatio'> {
  modes: HwModeSummary[];
}

export function hwSummary(h: HwInferenceResult): HwSummary {
  return {
    config: h.config,
    images: h.images,
    cycleRatio: h.cycleRatio,
    modes: h.modes.map((m) => ({
      mode: m.mode,
      layers: m.layers,
      cyclesPerLayer: m.cyclesPerLayer,
      cyclesPerImage: m.cyclesPerImage,
      outputsCompared: m.outputsCompared,
      mismatches: m.mismatches,
      predictionsEqualModel: m.predictionsEqualModel,
      cyclesEqualSchedule: m.cyclesEqualSchedule,
      accuracy: m.accuracy,
      simSeconds: m.simSeconds,
      mismatchExamples: m.mismatchExamples,
    })),
  };
}

/** The hardware run agrees with the model in every output, prediction and cycle. */
export function hwAgrees(h: HwSummary): boolean {
  return h.modes.every((m) => m.mismatches === 0 && m.predictionsEqualModel && m.cyclesEqualSchedule && m.outputsCompared > 0);
}

export interface Results {
  version: 1;
  quick: boolean;
  settings: {
    seeds: { train: number; search: string };
    data: { source: string; train: number; validation: number; test: number; split: string };
    net: { dims: number[]; trainOptions: Record<string, unknown>; cacheKey: string; cached: boolean; trainSeconds: number };
    quant: { xBits: number; trWBits: number; qtWBits: number[]; qtWxBits: number[]; mulBits: number; maxShift: number; quantile: number; wScale: string; calibration: string };
    tr: { g: number; ks: number[]; ds: number[] };
    matchTolerance: number;
    mixed: { g: number; d: number; kMin: number; kMax: number; start: number[]; refineIters: number; validation: number; objective: string };
    hwImages: number;
  };
  float: { accuracy: number; macs: number };
  qt: Point[];
  qtWx: Point[];
  tr: Point[];
  /** strict and tolerant rules against QT (x = 8 bit, w 2..6); wx: tolerant rule against QT with w = x bits */
  matched: { strict: Match[]; tolerance: Match[]; wx: Match[] };
  headline: { rule: string; point: Point };
  requant: { trSetting: string; rows: RequantRow[] };
  mixed: { targets: MixedTarget[]; evaluations: number; path: { ks: number[]; loss: number; accuracy: number; cost: number }[] };
  hardware: HwSummary | null;
  runtimeSeconds: Record<string, number>;
}

export const pct = (a: number): string => `${(100 * a).toFixed(2)} %`;
export const kfmt = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(0));
const x = (r: number | undefined): string => (r === undefined ? '—' : `${r.toFixed(2)}×`);

export function mdTable(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function pointRow(p: Point, withBinary: boolean): string[] {
  const c = p.cost;
  const row = [p.label, `w${p.wBits}/x${p.xBits}`, pct(p.accuracy), kfmt(c.termPairs)];
  if (withBinary) row.push(c.termPairsBinary === undefined ? '—' : kfmt(c.termPairsBinary));
  row.push(kfmt(c.budgetTermPairs), kfmt(c.ace), kfmt(c.aceEff), c.layerTermPairs.map(kfmt).join(' / '));
  return row;
}

function ratioRange(ms: readonly Match[], key: 'ratio' | 'ratioBinary' | 'ratioBudget'): string {
  const r = ms.map((m) => m[key]).filter((v): v is number => v !== undefined);
  if (r.length === 0) return 'none';
  return `${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)}×`;
}

export function ratioSummary(ms: readonly Match[]): { hese: string; binary: string; budget: string } {
  return { hese: ratioRange(ms, 'ratio'), binary: ratioRange(ms, 'ratioBinary'), budget: ratioRange(ms, 'ratioBudget') };
}

export function renderMarkdown(r: Results): string {
  const s = r.settings;
  const L: string[] = [];
  L.push(`# MNIST: accuracy vs cost, QT vs TR${r.quick ? ' (QUICK smoke run: reduced net and sweep)' : ''}`);
  L.push('');
  L.push(
    `Net ${s.net.dims.join('-')} (float, seed ${s.seeds.train}, ${s.net.cached ? 'cached weights' : `trained in ${s.net.trainSeconds.toFixed(0)} s`}), ` +
      `data: ${s.data.source}, ${s.data.train} train / ${s.data.validation} validation / ${s.data.test} test digits (${s.data.split}). ` +
      `Float test accuracy **${pct(r.float.accuracy)}**, ${kfmt(r.float.macs)} MACs per sample. ` +
      `Quantization: symmetric per-layer scales (weights: ${s.quant.wScale}; activations: ${s.quant.calibration}), activations ${s.quant.xBits} bit, ` +
      `requant multiplier ${s.quant.mulBits === 0 ? 'power of two' : `${s.quant.mulBits} bit`} + shift ≤ ${s.quant.maxShift}. All accuracies on the ${s.data.test} test digits.`,
  );
  L.push('');
  L.push('## Accuracy vs cost');
  L.push('');
  L.push('Term pairs per sample: measured = Σ (kept weight terms × kept data terms) over all MACs on the actual data; budget = the fixed hardware schedule bound ' +
    '(conventional: T_w·T_x per MAC; TR: min(k, g·T_w)·min(d, T_x) per group of g). ACE = Σ MACs·b_w·b_x; ACE_eff uses b_w,eff = 2·k/g and b_x,eff = 2·min(d, T_x) for TR ' +
    '(one HESE term ≈ 2 bits). Per-layer columns are measured term pairs.');
  L.push('');
  L.push(`### QT: conventional quantization, weights ${s.quant.qtWBits.join(', ')} bit, activations ${s.quant.xBits} bit, all HESE terms`);
  L.push('');
  const headQ = ['point', 'bits', 'test acc', 'term pairs (HESE)', 'term pairs (binary)', 'budget pairs', 'ACE', 'ACE_eff', 'per layer'];
  L.push(mdTable(headQ, r.qt.map((p) => pointRow(p, true))));
  if (r.qtWx.length) {
    L.push('');
    L.push(`### QT with weights and activations at the same width (${s.quant.qtWxBits.join(', ')} bit)`);
    L.push('');
    L.push(mdTable(headQ, r.qtWx.map((p) => pointRow(p, true))));
  }
  L.push('');
  L.push(`### TR on the w${s.quant.trWBits}/x${s.quant.xBits} net: g = ${s.tr.g}, k = ${s.tr.ks.join(', ')}, data cap d = ${s.tr.ds.join(', ')}`);
  L.push('');
  L.push(`Weights: k HESE terms per group of ${s.tr.g} (offline); data: the d most significant HESE terms of each value (d = ${maxTerms(s.quant.xBits, 'hese')} keeps every term of a ${s.quant.xBits}-bit value). ` +
    `One test digit is ${(100 / s.data.test).toFixed(2)} pp.`);
  L.push('');
  const headT = ['point', 'bits', 'test acc', 'term pairs', 'budget pairs', 'ACE', 'ACE_eff', 'per layer'];
  L.push(mdTable(headT, r.tr.map((p) => pointRow(p, false))));
  L.push('');
  L.push('### Matched accuracy (paper: 4.6–5.3× fewer term-pair multiplications for TR at matched accuracy)');
  L.push('');
  for (const [name, ms] of [
    ['strict: TR accuracy ≥ QT accuracy', r.matched.strict],
    [`tolerant: TR accuracy ≥ QT accuracy − ${(100 * s.matchTolerance).toFixed(1)} pp`, r.matched.tolerance],
  ] as const) {
    L.push(`Rule ${name}; among those, the TR point with the fewest measured term pairs.`);
    L.push('');
    L.push(
      mdTable(
        ['QT point', 'QT acc', 'QT pairs (HESE / binary)', 'TR point', 'TR acc', 'TR pairs', 'ratio HESE', 'ratio binary', 'ratio budget'],
        ms.map((m) => [
          m.qt, pct(m.qtAccuracy), `${kfmt(m.qtTermPairs)} / ${m.qtTermPairsBinary === undefined ? '—' : kfmt(m.qtTermPairsBinary)}`, m.tr ?? 'none',
          m.trAccuracy === undefined ? '—' : pct(m.trAccuracy), m.trTermPairs === undefined ? '—' : kfmt(m.trTermPairs), x(m.ratio), x(m.ratioBinary), x(m.ratioBudget),
        ]),
      ),
    );
    const rs = ratioSummary(ms);
    L.push('');
    L.push(`Measured range: **${rs.hese}** (QT counted with HESE terms), ${rs.binary} (QT counted with binary terms), ${rs.budget} (fixed-schedule budgets).`);
    L.push('');
  }
  if (r.matched.wx.length) {
    L.push(`Against QT with weights and activations at the same width (tolerant rule):`);
    L.push('');
    L.push(
      mdTable(
        ['QT point', 'QT acc', 'QT pairs (HESE / binary)', 'TR point', 'TR acc', 'TR pairs', 'ratio HESE', 'ratio binary'],
        r.matched.wx.map((m) => [
          m.qt, pct(m.qtAccuracy), `${kfmt(m.qtTermPairs)} / ${m.qtTermPairsBinary === undefined ? '—' : kfmt(m.qtTermPairsBinary)}`, m.tr ?? 'none',
          m.trAccuracy === undefined ? '—' : pct(m.trAccuracy), m.trTermPairs === undefined ? '—' : kfmt(m.trTermPairs), x(m.ratio), x(m.ratioBinary),
        ]),
      ),
    );
    const rw = ratioSummary(r.matched.wx);
    L.push('');
    L.push(`Measured range: **${rw.hese}** (HESE), ${rw.binary} (binary); a ratio below 1 means that QT point needs fewer term pairs than any TR point of at least its accuracy.`);
    L.push('');
  }
  L.push(`Headline TR point (${r.headline.rule}): **${r.headline.point.label}**, ${pct(r.headline.point.accuracy)}, ${kfmt(r.headline.point.cost.termPairs)} term pairs per sample.`);
  L.push('');
  const e = r.qt[0]?.cost.elementwise;
  if (e) {
    L.push(`Elementwise ops per sample (same for every point with integer requant): ${e.biasAdds} bias adds, ${e.requantMuls} requant multiplies, ${e.shifts} shifts, ` +
      `${e.clamps} clamps, ${e.relus} ReLUs (${e.total} in total; a power-of-two requant has no multiplies).`);
    L.push('');
  }
  L.push('## Requantization precision');
  L.push('');
  L.push(`Same quantized weights (w${s.quant.trWBits}/x${s.quant.xBits}); only the hidden layers' requant multiplier changes. TR column: ${r.requant.trSetting}.`);
  L.push('');
  L.push(
    mdTable(
      ['requant', '(mul, shift) per hidden layer', 'rel. error of multiplier', 'conventional acc', 'TR acc'],
      r.requant.rows.map((q) => [
        q.description,
        q.mulShift ? q.mulShift.map(([a, b]) => `(${a}, ${b})`).join(' ') : '—',
        q.relError ? q.relError.map((v) => `${(100 * v).toFixed(3)} %`).join(' / ') : '0',
        pct(q.conventionalAccuracy),
        pct(q.trAccuracy),
      ]),
    ),
  );
  L.push('');
  L.push('## Mixed precision (per-layer k_l/g under a term-pair target)');
  L.push('');
  const mx = s.mixed;
  L.push(`Search on ${mx.validation} validation digits held out of the training split (the float net never trained on them), objective ${mx.objective}; ` +
    `g = ${mx.g}, d = ${mx.d}, k_l ∈ ${mx.kMin}..${mx.kMax}, greedy descent from (${mx.start.join(', ')}), then ≤ ${mx.refineIters} local refinement rounds from the better of the greedy state and the uniform allocation; ` +
    `${r.mixed.evaluations} allocations evaluated. Target = the validation cost of the uniform allocation; test accuracy reported for both.`);
  L.push('');
  L.push(
    mdTable(
      ['uniform k', 'target (val pairs)', 'found k_l (terms/weight)', 'val loss found / uniform', 'val acc found / uniform', 'test acc found', 'test acc uniform', 'test pairs found', 'test pairs uniform'],
      r.mixed.targets.map((t) => [
        String(t.uniformK),
        kfmt(t.target),
        t.found ? `${t.found.join(', ')} (${t.found.map((k) => (k / mx.g).toFixed(3)).join(', ')})` : 'none',
        `${t.val.found ? t.val.found.loss.toFixed(4) : '—'} / ${t.val.uniform.loss.toFixed(4)}`,
        `${t.val.found ? pct(t.val.found.accuracy) : '—'} / ${pct(t.val.uniform.accuracy)}`,
        t.test.found ? pct(t.test.found.accuracy) : '—',
        pct(t.test.uniform.accuracy),
        t.test.found ? kfmt(t.test.found.cost.termPairs) : '—',
        kfmt(t.test.uniform.cost.termPairs),
      ]),
    ),
  );
  L.push('');
  L.push('## Hardware inference (Verilator-simulated TR array)');
  L.push('');
  if (!r.hardware) {
    L.push('Skipped (--hw-images 0).');
  } else {
    const h = r.hardware;
    L.push(`${h.images} test digits (evenly spaced over the class-major test list) on ${h.config}; every layer runs on the array, chained through the hardware; every output compared with the golden model and inferQ.`);
    L.push('');
    L.push(
      mdTable(
        ['mode', 'terms', 'cycles per layer', 'cycles/image', 'cycles = schedule', 'outputs compared', 'mismatches', 'preds = model', 'accuracy', 'Verilator s'],
        h.modes.map((m) => [
          m.mode, termsLabel(m.layers), m.cyclesPerLayer.join(' + '), m.cyclesPerImage.toFixed(0), m.cyclesEqualSchedule ? 'yes' : 'NO',
          String(m.outputsCompared), String(m.mismatches), m.predictionsEqualModel ? 'yes' : 'NO', pct(m.accuracy), m.simSeconds.toFixed(1),
        ]),
      ),
    );
    L.push('');
    for (const m of h.modes) {
      if (m.mismatchExamples.length === 0) continue;
      L.push(`First mismatches (${m.mode}):`);
      L.push('');
      for (const e of m.mismatchExamples) L.push(`- ${e}`);
      L.push('');
    }
    L.push(`Cycle ratio conventional / TR: **${h.cycleRatio.toFixed(2)}×**.`);
  }
  L.push('');
  L.push(`Runtime: ${Object.entries(r.runtimeSeconds).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')}.`);
  L.push('');
  return L.join('\n');
}

export function renderResultsSvg(r: Results): string {
  const pts = (ps: readonly Point[], label: (p: Point) => string | undefined) => ps.map((p) => ({ x: p.cost.termPairs, y: 100 * p.accuracy, label: label(p) }));
  const series: PlotSeries[] = [
    { name: `QT w2..6 / x${r.settings.quant.xBits} (HESE)`, color: '#d62728', marker: 'square', line: true, points: pts(r.qt, (p) => `${p.wBits}b`) },
  ];
  if (r.qtWx.length) series.push({ name: 'QT w = x bits (HESE)', color: '#ff7f0e', marker: 'triangle', line: true, points: pts(r.qtWx, (p) => `${p.wBits}b`) });
  const colors = ['#1f77b4', '#2ca02c', '#9467bd', '#17becf'];
  r.settings.tr.ds.forEach((d, i) => {
    const ps = r.tr.filter((p) => p.terms.every((t) => t.mode === 'tr' && t.d === d));
    series.push({
      name: `TR g=${r.settings.tr.g}, k=${r.settings.tr.ks[0]}..${r.settings.tr.ks[r.settings.tr.ks.length - 1]}, d=${d}`,
      color: colors[i % colors.length] as string,
      marker: 'circle',
      line: true,
      points: pts(ps, (p) => (i === 0 && p.terms[0]?.mode === 'tr' ? `k${p.terms[0].k}` : undefined)),
    });
  });
  const mixed = r.mixed.targets.map((t) => t.test.found).filter((p): p is Point => p !== null);
  const ksOf = (p: Point): string => `k ${p.terms.map((t) => (t.mode === 'tr' ? t.k : 'exact')).join('/')}`;
  if (mixed.length) series.push({ name: 'TR mixed per-layer k', color: '#000000', marker: 'star', line: false, points: pts(mixed, ksOf) });
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const floatY = 100 * r.float.accuracy;
  const yMax = Math.max(floatY, ...ys) + 0.3;
  const yMin = Math.max(Math.min(...ys), floatY - 4);
  return renderPlot({
    title: `MNIST ${r.settings.net.dims.join('-')}: test accuracy vs term pairs per sample`,
    xLabel: 'term pairs per sample (measured, log scale)',
    yLabel: 'test accuracy (%)',
    series,
    hLines: [{ y: floatY, label: `float ${floatY.toFixed(2)} %`, color: '#555' }],
    yMin: Math.floor(yMin * 2) / 2 - 0.25,
    yMax,
  });
}
