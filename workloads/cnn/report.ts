/**
 * results.json / results.md / plots of `npm run cnn` (cli.ts).
 */
import { kfmt, mdTable, pct } from '../mnist/report.ts';
import { renderPlot, type PlotSeries } from '../mnist/svg.ts';
import type { CnnCost } from './cost.ts';
import type { ScaleMode } from './qcnn.ts';
import type { CnnMatch, CnnPoint } from './sweep.ts';

export interface DqRow {
  scales: string;
  conventionalAccuracy: number;
  trAccuracy: number;
  aceV2: number;
  aceV2Elementwise: number;
  aceV2FloatElementwise: number;
}

export interface QatRow {
  net: 'cnn' | 'mlp';
  label: string;
  ptqAccuracy: number;
  qatAccuracy: number;
  budget: number;
}

export interface FracRow {
  targetK: number;
  target: number;
  d: number;
  learned: number[];
  trace: number[][];
  fracKs: number[];
  greedyKs: number[];
  uniform: { ptq: number; qat: number; budget: number };
  greedy: { ptq: number; qat: number; budget: number };
  fracbits: { qat: number; budget: number };
}

export interface HwModeRow {
  mode: 'conventional' | 'tr';
  cyclesPerImage: number;
  cyclesPerLayer: number[];
  mismatches: number;
  outputsCompared: number;
  cyclesEqualSchedule: boolean;
  predictionsEqualModel: boolean;
  accuracy: number;
  simSeconds: number;
  mismatchExamples: string[];
}

export interface Results {
  command: string;
  quick: boolean;
  settings: { parameters: number; g: number; bundle: number; wBits: number; xBits: number; scales: ScaleMode; quant: object; train: object };
  data: { train: number; validation: number; test: number };
  float: { accuracy: number; trainSeconds: number; cached: boolean; layers: string[] };
  integer: { accuracy: number; cost: CnnCost | null };
  qt: CnnPoint[];
  tr: CnnPoint[];
  matched: CnnMatch[];
  headline: string;
  dq: DqRow[];
  dhq: { dwLayer: number; pwLayer: number; points: CnnPoint[]; bits: CnnPoint[] };
  qat: QatRow[];
  qatPoints: CnnPoint[];
  frac: FracRow[];
  fracPoints: CnnPoint[];
  hardware: { config: string; images: number; terms: string; cycleRatio: number; modes: HwModeRow[] } | null;
  times: Record<string, number>;
}

const pp = (a: number): string => `${a >= 0 ? '+' : ''}${(100 * a).toFixed(2)} pp`;

function pointRows(ps: readonly CnnPoint[]): string[][] {
  return ps.map((p) => [p.label, pct(p.accuracy), kfmt(p.cost.budgetTermPairs), kfmt(p.termPairs), kfmt(p.cost.ace), kfmt(p.cost.aceV2), kfmt(p.cost.aceV2Elementwise)]);
}
const POINT_HEAD = ['point', 'test accuracy', 'budget term pairs / image', 'measured term pairs / image', 'ACE', 'ACEv2', 'of which elementwise'];

export function renderCnnMarkdown(r: Results): string {
  const out: string[] = [];
  out.push(`# CNN on the TR array: results`, '', `Command: \`${r.command}\`${r.quick ? ' (smoke run: small net, not the reported numbers)' : ''}.`, '');
  out.push(
    `Data: ${r.data.train} training digits, ${r.data.validation} of them also score the greedy budget search, ${r.data.test} test digits (used for nothing but the reported accuracies). Net (float, ${r.settings.parameters} parameters): ${r.float.layers.join(' → ')}.`,
    '',
    `Float test accuracy **${pct(r.float.accuracy)}**${r.float.cached ? ' (cached weights)' : `, trained in ${r.float.trainSeconds.toFixed(0)} s`}. Fully integer (w${r.settings.wBits}/x${r.settings.xBits}, QuantNorm, scales ${JSON.stringify(r.settings.scales)}): **${pct(r.integer.accuracy)}** (${pp(r.integer.accuracy - r.float.accuracy)} vs float).`,
    '',
  );
  out.push('## Double quantization of the requantization scales', '', 'Conventional mode at w8/x8 and the headline TR point, per scale format (float = the reference with float elementwise operations; intN = N-bit multipliers sharing one power-of-two scale per layer; pow2 = a power of two per channel):', '');
  out.push(
    mdTable(
      ['scales', 'conventional', 'Δ vs float net', `TR ${r.headline}`, 'ACEv2 (integer)', 'ACEv2 elementwise', 'ACEv2 with float BN + scales'],
      r.dq.map((d) => [d.scales, pct(d.conventionalAccuracy), pp(d.conventionalAccuracy - r.float.accuracy), pct(d.trAccuracy), kfmt(d.aceV2), kfmt(d.aceV2Elementwise), kfmt(d.aceV2FloatElementwise)]),
    ),
    '',
  );
  out.push('## QT vs TR', '', `QT: every layer at the weight width, x${r.settings.xBits}. TR: w${r.settings.wBits}/x${r.settings.xBits}, g = ${r.settings.g} (g input channels at one kernel tap), budget k per group, data cap d; the same k for every layer.`, '');
  out.push(mdTable(POINT_HEAD, pointRows([...r.qt, ...r.tr])), '');
  out.push(`Matched accuracy (TR point with the smallest fixed-schedule budget within 0.1 pp of the QT point):`, '');
  out.push(
    mdTable(
      ['QT', 'accuracy', 'TR', 'accuracy', 'budget ratio QT/TR', 'measured ratio QT/TR'],
      r.matched.map((m) => [m.qt, pct(m.qtAccuracy), m.tr ?? 'none', m.trAccuracy === undefined ? '—' : pct(m.trAccuracy), m.ratioBudget ? `${m.ratioBudget.toFixed(2)}×` : '—', m.ratioMeasured ? `${m.ratioMeasured.toFixed(2)}×` : '—']),
    ),
    '',
    `Headline TR point (matched to the most accurate QT point below ${r.settings.wBits} bits): **${r.headline}**.`,
    '',
  );
  out.push('## Depthwise-separable block: heterogeneous settings', '', `The headline TR point with separate budgets for the depthwise (layer ${r.dhq.dwLayer + 1}) and pointwise (layer ${r.dhq.pwLayer + 1}) layers, and QT with separate weight widths:`, '');
  out.push(mdTable(POINT_HEAD, pointRows([...r.dhq.points, ...r.dhq.bits])), '');
  if (r.qat.length) {
    out.push('## Quantization-aware training with TR in the loop', '', 'Fine-tuned from the float net with the TR forward pass (straight-through gradients), then the same post-training pipeline; the post-training column is the same budget without fine-tuning.', '');
    out.push(mdTable(['net', 'setting', 'budget term pairs / image', 'post-training TR', 'QAT TR', 'gain'], r.qat.map((q) => [q.net.toUpperCase(), q.label, kfmt(q.budget), pct(q.ptqAccuracy), pct(q.qatAccuracy), pp(q.qatAccuracy - q.ptqAccuracy)])), '');
  }
  if (r.frac.length) {
    out.push('## FracBits: learned per-layer budgets', '', 'At equal fixed-schedule term pairs (target = the uniform budget). Every allocation is fine-tuned for the same number of epochs (QAT column); the greedy search runs post-training on the validation digits.', '');
    out.push(
      mdTable(
        ['target', 'allocation', 'k per layer', 'budget', 'post-training', 'after QAT'],
        r.frac.flatMap((f) => [
          [`k${f.targetK} d${f.d} (${kfmt(f.target)})`, 'uniform', String(f.targetK), kfmt(f.uniform.budget), pct(f.uniform.ptq), pct(f.uniform.qat)],
          ['', 'greedy search', f.greedyKs.join('/'), kfmt(f.greedy.budget), pct(f.greedy.ptq), pct(f.greedy.qat)],
          ['', `FracBits (learned ${f.learned.map((v) => v.toFixed(2)).join('/')})`, f.fracKs.join('/'), kfmt(f.fracbits.budget), '—', pct(f.fracbits.qat)],
        ]),
      ),
      '',
    );
  }
  if (r.hardware) {
    const h = r.hardware;
    out.push('## On the simulated array', '', `${h.images} test digits, every layer on the Verilator-simulated array (${h.config}), each layer fed by the previous layer's hardware outputs; pooling on the host. TR setting: ${h.terms}.`, '');
    out.push(
      mdTable(
        ['mode', 'cycles / image', 'cycles / image per layer', 'outputs compared', 'mismatches', 'cycles = schedule', 'predictions = model', 'accuracy'],
        h.modes.map((m) => [m.mode, m.cyclesPerImage.toFixed(0), m.cyclesPerLayer.map((c) => c.toFixed(0)).join(' / '), String(m.outputsCompared), String(m.mismatches), m.cyclesEqualSchedule ? 'yes' : 'NO', m.predictionsEqualModel ? 'yes' : 'NO', pct(m.accuracy)]),
      ),
      '',
      `TR mode takes ${h.cycleRatio.toFixed(2)}× fewer cycles per image than conventional mode on the same hardware.`,
      '',
    );
  }
  out.push('## Run time', '', mdTable(['phase', 'seconds'], Object.entries(r.times).map(([n, s]) => [n, s.toFixed(1)])), '');
  return out.join('\n');
}

export function renderCnnPlots(r: Results): Record<string, string> {
  const mk = (x: (p: CnnPoint) => number) => (ps: readonly CnnPoint[], label?: (p: CnnPoint) => string | undefined) => ps.map((p) => ({ x: x(p), y: 100 * p.accuracy, label: label?.(p) }));
  const plot = (x: (p: CnnPoint) => number, xLabel: string, title: string): string => {
    const pts = mk(x);
    const series: PlotSeries[] = [{ name: `QT w2..8 / x${r.settings.xBits}`, color: '#d62728', marker: 'square', line: true, points: pts(r.qt, (p) => `${p.wBits[0]}b`) }];
    const ds = [...new Set(r.tr.map((p) => (p.terms[0]?.mode === 'tr' ? p.terms[0].d : 0)))];
    const colors = ['#1f77b4', '#2ca02c', '#9467bd'];
    ds.forEach((d, i) => series.push({ name: `TR g${r.settings.g} d${d}`, color: colors[i % 3] as string, marker: 'circle', line: true, points: pts(r.tr.filter((p) => p.terms[0]?.mode === 'tr' && p.terms[0].d === d), (p) => (p.terms[0]?.mode === 'tr' ? `k${p.terms[0].k}` : undefined)) }));
    if (r.qatPoints.length) series.push({ name: 'QAT TR', color: '#ff7f0e', marker: 'diamond', line: false, points: pts(r.qatPoints) });
    if (r.fracPoints.length) series.push({ name: 'FracBits TR (after QAT)', color: '#000000', marker: 'star', line: false, points: pts(r.fracPoints) });
    const ys = series.flatMap((s) => s.points.map((p) => p.y));
    const f = 100 * r.float.accuracy;
    return renderPlot({ title, xLabel, yLabel: 'test accuracy (%)', series, hLines: [{ y: f, label: `float ${f.toFixed(2)} %`, color: '#555' }], yMin: Math.max(Math.min(...ys), f - 5) - 0.25, yMax: Math.max(f, ...ys) + 0.3 });
  };
  return {
    'accuracy-vs-term-pairs.svg': plot((p) => p.cost.budgetTermPairs, 'fixed-schedule term pairs per image (log scale)', 'MNIST CNN: test accuracy vs term pairs'),
    'accuracy-vs-acev2.svg': plot((p) => p.cost.aceV2, 'ACEv2 per image (log scale)', 'MNIST CNN: test accuracy vs ACEv2'),
  };
}
