/**
 * Sweep results (pure: no tools run here; unit-tested in test/fast/dse.test.ts): every point's synthesis
 * outcome, the evaluations (each synthesized design at each budget or mode, with its seeds aggregated), the
 * Pareto front of MACs/s per LC against workload accuracy per board, the largest fitting shape per board from
 * the measured points, and the Fmax spread over seeds. Written as results.json, results.md and one SVG per board.
 *
 * Metrics are those of the hardware benchmark (gen/bench/bench-metrics.ts): cycles per tile from the schedule
 * models that the medium tests check cycle-exactly against the RTL, MACs/s = R·C·K·Fmax / cycles per tile, per LC
 * = MACs/s / logic cells. Fmax and LC of a design are the medians over the seeds that placed it.
 */
import { readFileSync } from 'node:fs';
import { type Budget, type SynthNumbers, baselineTileCycles, defaultBudget, fmtCycles, ratio, rowMetrics, si, trTileCycles } from '../bench/bench-metrics.ts';
import { UserError } from '../cli-util.ts';
import type { TrConfig } from '../config.ts';
import { GENERATOR_VERSION } from '../design.ts';
import { type PlotSeries, renderPlot } from '../../workloads/mnist/svg.ts';
import type { JobEntry } from './job.ts';
import { type BoardId, type DseDesign, type Space, type SynthPoint, fieldLabel } from './space.ts';

// ---------------------------------------------------------------------------------------------
// Workload accuracy

/** Accuracies by TR budget and by QT weight width, from a results.json of `npm run mnist` or `npm run cnn`. */
export interface AccuracyTable {
  source: string;
  xBits: number;
  /** "g/k/d" -> accuracy (every layer at that budget, weights of trWBits bits) */
  tr: Map<string, number>;
  /** weight width -> accuracy of conventional quantization (every layer at that width) */
  qt: Map<number, number>;
  /** weight width of the TR points */
  trWBits: number;
}

interface ResultPoint {
  wBits: number | number[];
  xBits?: number;
  terms: { mode: string; g?: number; k?: number; d?: number }[];
  accuracy: number;
}

const uniform = (v: number | number[]): number | null => (Array.isArray(v) ? (v.every((x) => x === v[0]) ? (v[0] as number) : null) : v);

/** Read the accuracy table of a workload results file (UserError if it is not one). */
export function readAccuracy(path: string): AccuracyTable {
  let raw: { qt?: ResultPoint[]; tr?: ResultPoint[]; settings?: { xBits?: number } };
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as typeof raw;
  } catch (e) {
    throw new UserError(`accuracy ${path}: cannot read a results.json (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run npm run mnist or npm run cnn first`);
  }
  if (!Array.isArray(raw.qt) || !Array.isArray(raw.tr)) throw new UserError(`accuracy ${path}: not a results.json of npm run mnist or npm run cnn (no "qt" and "tr" series)`);
  return accuracyTable(raw.qt, raw.tr, raw.settings?.xBits, path);
}

export function accuracyTable(qtPts: readonly ResultPoint[], trPts: readonly ResultPoint[], settingsXBits: number | undefined, source: string): AccuracyTable {
  const qt = new Map<number, number>();
  const tr = new Map<string, number>();
  let xBits = settingsXBits ?? 8;
  let trWBits = 8;
  for (const p of qtPts) {
    const w = uniform(p.wBits);
    if (w !== null && p.terms.every((t) => t.mode === 'conventional')) qt.set(w, p.accuracy);
    if (p.xBits !== undefined) xBits = p.xBits;
  }
  for (const p of trPts) {
    const t0 = p.terms[0];
    if (!t0 || t0.mode !== 'tr' || !p.terms.every((t) => t.mode === 'tr' && t.g === t0.g && t.k === t0.k && t.d === t0.d)) continue;
    const w = uniform(p.wBits);
    if (w !== null) trWBits = w;
    tr.set(`${t0.g}/${t0.k}/${t0.d}`, p.accuracy);
  }
  return { source, xBits, tr, qt, trWBits };
}

/** The accuracy of a design at a budget (null where the workload results have no such point). */
export function lookupAccuracy(a: AccuracyTable | null, cfg: TrConfig, mode: EvalMode, budget: Budget | null): number | null {
  if (!a || cfg.xBits !== a.xBits) return null;
  if (mode === 'tr') return budget && cfg.wBits === a.trWBits ? (a.tr.get(`${budget.g}/${budget.k}/${budget.d}`) ?? null) : null;
  return a.qt.get(cfg.wBits) ?? null; // conventional TR mode and the baselines compute the exact quantized product
}

// ---------------------------------------------------------------------------------------------
// Evaluations

export type EvalMode = 'tr' | 'conventional' | 'bp' | 'bs';

export interface PointResult {
  id: string;
  design: DseDesign;
  board: BoardId;
  seed: number;
  fields: Record<string, unknown>;
  key: string;
  config: TrConfig;
  /** null: the job did not finish (see missing) */
  outcome: JobEntry['outcome'] | null;
}

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

export interface Evaluation {
  /** the design's id without the seed, plus the mode / budget */
  id: string;
  group: string;
  design: DseDesign;
  mode: EvalMode;
  budget: Budget | null;
  board: BoardId;
  fields: Record<string, unknown>;
  rows: number;
  cols: number;
  wBits: number;
  xBits: number;
  /** seeds that placed / seeds tried */
  seeds: { placed: number[]; tried: number[] };
  lc: number;
  lcAvailable: number;
  ff: number;
  bram: number;
  dsp: number;
  fmaxMHz: Stat;
  tileCycles: number;
  macsPerSec: number;
  macsPerSecPerLc: number;
  /** per LC against the bp design of the same variant and board (null without one) */
  perLcVsBp: number | null;
  /** per LC against the bp it matches: the most accurate bp design on the board whose accuracy is at most this
   *  evaluation's (null without accuracies or such a bp) */
  vsMatchedBp: { id: string; perLc: number } | null;
  accuracy: number | null;
  pareto: boolean;
}

export interface FitSummary {
  board: BoardId;
  /** the varied fields other than the shape */
  base: Record<string, unknown>;
  measured: { shape: string; rows: number; cols: number; fits: boolean; lc: number | null; fmaxMHz: number | null; reason: string | null }[];
  largest: string | null;
}

export interface DseResults {
  format: 'trgen-dse';
  version: 1;
  generator: string;
  space: Space;
  accuracySource: string | null;
  points: PointResult[];
  evaluations: Evaluation[];
  fits: FitSummary[];
  /** jobs that did not finish (worker errors), not design failures */
  missing: { id: string; key: string; error: string }[];
  definitions: string[];
  /** the only part that differs between two runs of the same sweep */
  timings: { wallSeconds: number; jobs: Record<string, { seconds: number; worker: string }> };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) throw new RangeError('median of nothing');
  return n % 2 ? (s[(n - 1) >> 1] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
}

export function stat(xs: readonly number[]): Stat {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/** Pareto-optimal among (perLc, accuracy), both maximized; evaluations without accuracy never are. */
export function paretoFlags(items: readonly { perLc: number; accuracy: number | null }[]): boolean[] {
  return items.map((a, i) =>
    a.accuracy !== null &&
    !items.some((b, j) => j !== i && b.accuracy !== null && b.perLc >= a.perLc && b.accuracy >= (a.accuracy as number) && (b.perLc > a.perLc || b.accuracy > (a.accuracy as number) || j < i)),
  );
}

export const DSE_DEFINITIONS = [
  'cycles / tile: the steady-state schedule model (TR: sim/driver/driver.ts schedule(); bp / bs: max(K·s, R)), checked cycle-exactly against the RTL by the medium tests.',
  'MACs/s = R·C·K ÷ (cycles / tile ÷ Fmax); MACs/s per LC = MACs/s ÷ logic cells (core + bench wrapper, or the whole board top).',
  'Fmax, LC: medians over the placement seeds that placed the design; min–max shows the spread of Fmax over seeds.',
  'accuracy: the workload results file named in the sweep (TR rows: every layer at that budget; bp, bs and conventional TR rows: conventional quantization at the design\'s weight width); – where the file has no such point.',
  'per LC vs the bp it matches: against the most accurate bp design on the board whose accuracy is at most this row\'s (a TR budget is compared with the conventional array it matches or beats in accuracy).',
  'Pareto: no other evaluation on the same board has both at least the MACs/s per LC and at least the accuracy (one of them strictly).',
];

/** Build the results from the points and whatever entries the runner produced. */
export function buildResults(space: Space, points: readonly SynthPoint[], keys: readonly string[], entries: ReadonlyMap<string, JobEntry>, acc: AccuracyTable | null, missing: DseResults['missing'], wallSeconds: number): DseResults {
  const pr: PointResult[] = points.map((p, i) => {
    const key = keys[i] as string;
    const e = entries.get(key);
    return { id: p.id, design: p.design, board: p.board, seed: p.seed, fields: p.fields, key, config: p.cfg, outcome: e ? e.outcome : null };
  });
  // group the seeds of one design
  const groups = new Map<string, { p: SynthPoint; results: PointResult[] }>();
  points.forEach((p, i) => {
    const group = p.id.replace(/ s\d+$/, '');
    const g = groups.get(group) ?? { p, results: [] };
    g.results.push(pr[i] as PointResult);
    groups.set(group, g);
  });
  const evals: Omit<Evaluation, 'pareto' | 'perLcVsBp' | 'vsMatchedBp'>[] = [];
  for (const [group, { p, results }] of groups) {
    const ok = results.filter((r) => r.outcome?.ok);
    if (ok.length === 0) continue;
    const syn = ok.map((r) => (r.outcome as { ok: true; synth: SynthNumbers }).synth);
    const med = (f: (s: SynthNumbers) => number): number => Math.round(median(syn.map(f)));
    const numbers: SynthNumbers = { lc: med((s) => s.lc), lcAvailable: (syn[0] as SynthNumbers).lcAvailable, ff: med((s) => s.ff), dsp: med((s) => s.dsp), bram: med((s) => s.bram), fmaxMHz: median(syn.map((s) => s.fmaxMHz)) };
    const cfg = p.cfg;
    const modes: { mode: EvalMode; budget: Budget | null; cycles: number }[] = [];
    if (p.design === 'tr') {
      if (space.conventional) modes.push({ mode: 'conventional', budget: null, cycles: trTileCycles(cfg, { mode: 'conventional', g: cfg.groupMax, k: 1, d: 1 }, space.K).tileCycles });
      for (const b of space.budgets ?? [defaultBudget(cfg)]) modes.push({ mode: 'tr', budget: b, cycles: trTileCycles(cfg, { mode: 'tr', ...b }, space.K).tileCycles });
    } else modes.push({ mode: p.design, budget: null, cycles: baselineTileCycles(cfg, p.design, space.K) });
    for (const m of modes) {
      const met = rowMetrics(cfg, space.K, m.cycles, numbers);
      evals.push({
        id: `${group}${m.mode === 'tr' && m.budget ? ` g${m.budget.g}k${m.budget.k}d${m.budget.d}` : m.mode === 'conventional' ? ' conventional' : ''}`,
        group, design: p.design, mode: m.mode, budget: m.budget, board: p.board, fields: p.fields, rows: cfg.rows, cols: cfg.cols, wBits: cfg.wBits, xBits: cfg.xBits,
        seeds: { placed: ok.map((r) => r.seed), tried: results.map((r) => r.seed) },
        lc: numbers.lc, lcAvailable: numbers.lcAvailable, ff: numbers.ff, bram: numbers.bram, dsp: numbers.dsp,
        fmaxMHz: stat(syn.map((s) => s.fmaxMHz)), tileCycles: m.cycles, macsPerSec: met.macsPerSec, macsPerSecPerLc: met.macsPerSecPerLc,
        accuracy: lookupAccuracy(acc, cfg, m.mode, m.budget),
      });
    }
  }
  // ratios to the bp of the same variant (same fields apart from the design) and board; Pareto per board
  const variantKey = (e: { board: string; fields: Record<string, unknown> }): string => `${e.board} ${JSON.stringify(e.fields)}`;
  const bpOf = new Map(evals.filter((e) => e.mode === 'bp').map((e) => [variantKey(e), e]));
  const evaluations: Evaluation[] = evals.map((e) => {
    const bp = bpOf.get(variantKey(e));
    return { ...e, perLcVsBp: bp ? e.macsPerSecPerLc / bp.macsPerSecPerLc : null, vsMatchedBp: null, pareto: false };
  });
  for (const e of evaluations) {
    if (e.accuracy === null) continue;
    let m: Evaluation | undefined;
    for (const b of evaluations) {
      if (b.mode !== 'bp' || b.board !== e.board || b.accuracy === null || b.accuracy > e.accuracy) continue;
      if (!m || (b.accuracy as number) > (m.accuracy as number) || (b.accuracy === m.accuracy && b.macsPerSecPerLc > m.macsPerSecPerLc)) m = b;
    }
    if (m) e.vsMatchedBp = { id: m.id, perLc: e.macsPerSecPerLc / m.macsPerSecPerLc };
  }
  for (const b of space.boards) {
    const on = evaluations.filter((e) => e.board === b);
    paretoFlags(on.map((e) => ({ perLc: e.macsPerSecPerLc, accuracy: e.accuracy }))).forEach((f, i) => {
      (on[i] as Evaluation).pareto = f;
    });
  }
  const timings: DseResults['timings'] = { wallSeconds, jobs: {} };
  for (const k of [...new Set(keys)].sort()) {
    const e = entries.get(k);
    if (e) timings.jobs[k] = e.run;
  }
  return {
    format: 'trgen-dse', version: 1, generator: GENERATOR_VERSION, space, accuracySource: acc?.source ?? null,
    points: pr, evaluations, fits: fitSummaries(pr), missing, definitions: DSE_DEFINITIONS, timings,
  };
}

/** Largest fitting TR shape per board and per variant of the other fields, from the measured points only. */
export function fitSummaries(points: readonly PointResult[]): FitSummary[] {
  const by = new Map<string, FitSummary>();
  for (const p of points) {
    if (p.design !== 'tr' || p.outcome === null) continue;
    const { shape: _s, rows: _r, cols: _c, ...base } = p.fields;
    const k = `${p.board} ${JSON.stringify(base)}`;
    const f = by.get(k) ?? { board: p.board, base, measured: [], largest: null };
    by.set(k, f);
    const shape = `${p.config.rows}x${p.config.cols}`;
    let m = f.measured.find((x) => x.shape === shape);
    if (!m) {
      m = { shape, rows: p.config.rows, cols: p.config.cols, fits: false, lc: null, fmaxMHz: null, reason: null };
      f.measured.push(m);
    }
    if (p.outcome.ok) {
      if (!m.fits) Object.assign(m, { fits: true, lc: p.outcome.synth.lc, fmaxMHz: p.outcome.synth.fmaxMHz, reason: null });
    } else if (!m.fits) m.reason ??= p.outcome.reason;
  }
  const out = [...by.values()];
  for (const f of out) {
    f.measured.sort((a, b) => a.rows * a.cols - b.rows * b.cols || a.rows - b.rows);
    let best: (typeof f.measured)[number] | undefined;
    for (const m of f.measured) if (m.fits && (!best || m.rows * m.cols >= best.rows * best.cols)) best = m;
    f.largest = best?.shape ?? null;
  }
  return out;
}

/** The results without the timings: two runs of the same sweep give equal canonical results. */
export function canonicalResults(r: DseResults): Omit<DseResults, 'timings'> {
  const { timings: _t, ...rest } = r;
  return rest;
}

// ---------------------------------------------------------------------------------------------
// Markdown and SVG

const pct = (a: number | null): string => (a === null ? '–' : `${(a * 100).toFixed(2)} %`);
const modeLabel = (e: Evaluation): string =>
  e.mode === 'tr' && e.budget ? `TR g${e.budget.g} k${e.budget.k} d${e.budget.d}` : e.mode === 'conventional' ? 'TR conventional' : `${e.mode} w${e.wBits}`;

export function fmaxCell(s: Stat): string {
  return s.n > 1 ? `${s.median.toFixed(1)} (${s.min.toFixed(1)}–${s.max.toFixed(1)})` : s.median.toFixed(1);
}

export function resultsMarkdown(r: DseResults, command: string): string {
  const s = r.space;
  const lines: string[] = [
    `# Design-space sweep \`${s.name}\``,
    '',
    `\`${command}\` — ${r.points.length} synthesis points (${s.target === 'board' ? `usable board tops${s.readback === 'results' ? ' with results-only READ' : ''}` : 'bare cores in the bench wrapper'}), ` +
      `boards ${s.boards.join(', ')}, seeds ${s.seeds.join(', ')}, K = ${s.K}` +
      (Object.keys(s.freqMHz).length ? `, clock constraint ${Object.entries(s.freqMHz).map(([b, f]) => `${f} MHz (${b})`).join(', ')}` : ', clock constraint: the board oscillator') +
      (s.router !== 'router1' ? `, nextpnr ${s.router}` : '') +
      (s.tmgRipup ? ' with --tmg-ripup' : '') +
      `; accuracy from ${r.accuracySource ? `\`${r.accuracySource}\`` : 'no workload file'}.`,
    '',
  ];
  for (const b of s.boards) {
    const ev = r.evaluations.filter((e) => e.board === b);
    lines.push(`## ${b}`, '');
    if (ev.length) {
      lines.push(
        '| design | varied fields | mode | LC used / avail | FF | BRAM | DSP | Fmax MHz median (min–max) | seeds placed | cycles / tile | MACs/s | MACs/s per LC | per LC vs bp | accuracy | per LC vs the bp it matches | Pareto |',
        '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|:---:|',
        ...ev.map((e) =>
          `| ${e.design} | ${fieldLabel(e.fields) || '(base)'} | ${modeLabel(e)} | ${e.lc} / ${e.lcAvailable} | ${e.ff} | ${e.bram} | ${e.dsp} | ${fmaxCell(e.fmaxMHz)} | ${e.seeds.placed.length}/${e.seeds.tried.length} | ${fmtCycles(e.tileCycles)} | ${si(e.macsPerSec)} | ${si(e.macsPerSecPerLc)} | ${e.perLcVsBp === null ? '–' : ratio(e.perLcVsBp)} | ${pct(e.accuracy)} | ${e.vsMatchedBp ? `${ratio(e.vsMatchedBp.perLc)} (${e.vsMatchedBp.id.replace(` ${b}`, '')})` : '–'} | ${e.pareto ? '✓' : ''} |`,
        ),
        '',
      );
      const front = ev.filter((e) => e.pareto).sort((a, b) => (b.accuracy as number) - (a.accuracy as number));
      lines.push(
        front.length
          ? `Pareto front (MACs/s per LC against accuracy): ${front.map((e) => `${modeLabel(e)} ${fieldLabel(e.fields)} (${si(e.macsPerSecPerLc)}, ${pct(e.accuracy)})`.replace(/\s+/g, ' ')).join('; ')}. Plot: \`pareto-${b}.svg\`.`
          : 'No Pareto front: no evaluation has a workload accuracy.',
        '',
      );
    } else lines.push('No design synthesized on this board.', '');
    const fits = r.fits.filter((f) => f.board === b);
    if (fits.some((f) => f.measured.length > 1) || s.target === 'board') {
      lines.push(`Largest fitting TR ${s.target === 'board' ? 'board top' : 'core'} (measured shapes only; no shape is assumed to fit or fail):`, '');
      lines.push('| other fields | measured: fits | measured: does not fit | **largest** |', '|---|---|---|---|');
      for (const f of fits) {
        const yes = f.measured.filter((m) => m.fits).map((m) => `${m.shape} (${m.lc} LC, ${m.fmaxMHz?.toFixed(1)} MHz)`);
        const no = f.measured.filter((m) => !m.fits).map((m) => `${m.shape} (${(m.reason ?? '').replace(/\|/g, '\\|')})`);
        lines.push(`| ${fieldLabel(f.base) || '(base)'} | ${yes.join(', ') || '–'} | ${no.join(', ') || '–'} | **${f.largest ?? 'none'}** |`);
      }
      lines.push('');
    }
    const multi = ev.filter((e, i) => e.seeds.tried.length > 1 && ev.findIndex((x) => x.group === e.group) === i);
    if (multi.length) {
      lines.push('Fmax over placement seeds:', '', '| design | median MHz | min | max | spread (max−min)/median | seeds placed |', '|---|---:|---:|---:|---:|---:|');
      for (const e of multi) {
        const f = e.fmaxMHz;
        lines.push(`| ${e.group.replace(` ${b}`, '')} | ${f.median.toFixed(1)} | ${f.min.toFixed(1)} | ${f.max.toFixed(1)} | ${((100 * (f.max - f.min)) / f.median).toFixed(1)} % | ${e.seeds.placed.length}/${e.seeds.tried.length} |`);
      }
      lines.push('');
    }
  }
  const failed = r.points.filter((p) => p.outcome && !p.outcome.ok);
  if (failed.length) {
    lines.push('## Did not synthesize', '', ...failed.map((p) => `- ${p.id}: ${(p.outcome as { reason: string }).reason}`), '');
  }
  if (r.missing.length) lines.push('## Jobs that did not finish', '', ...r.missing.map((m) => `- ${m.id}: ${m.error}`), '');
  lines.push('## Definitions', '', ...r.definitions.map((d) => `- ${d}`), '');
  return lines.join('\n');
}

const COLORS: Record<EvalMode, [string, PlotSeries['marker']]> = { tr: ['#d62728', 'circle'], conventional: ['#ff9896', 'diamond'], bp: ['#1f77b4', 'square'], bs: ['#2ca02c', 'triangle'] };

/** One Pareto plot per board with accuracies: x MACs/s per LC (log), y accuracy (%). */
export function paretoSvgs(r: DseResults): Record<string, string> {
  const out: Record<string, string> = {};
  for (const b of r.space.boards) {
    const ev = r.evaluations.filter((e) => e.board === b && e.accuracy !== null);
    if (ev.length === 0) continue;
    const series: PlotSeries[] = (Object.keys(COLORS) as EvalMode[])
      .map((m) => ({
        name: m === 'tr' ? 'TR mode' : m === 'conventional' ? 'TR, conventional mode' : m === 'bp' ? 'bit-parallel' : 'bit-serial',
        color: COLORS[m][0], marker: COLORS[m][1], line: false,
        points: ev.filter((e) => e.mode === m).map((e) => ({ x: e.macsPerSecPerLc, y: (e.accuracy as number) * 100 })),
      }))
      .filter((s) => s.points.length > 0);
    const front = ev.filter((e) => e.pareto).sort((a, c) => a.macsPerSecPerLc - c.macsPerSecPerLc);
    series.push({ name: 'Pareto front', color: '#444', marker: 'star', line: true, points: front.map((e) => ({ x: e.macsPerSecPerLc, y: (e.accuracy as number) * 100 })) });
    out[`pareto-${b}.svg`] = renderPlot({ title: `${r.space.name}: ${b}, throughput per logic cell against accuracy`, xLabel: 'MACs/s per logic cell', yLabel: 'accuracy (%)', series });
  }
  return out;
}

export function resultsFiles(r: DseResults, command: string): Record<string, string> {
  return { 'results.json': JSON.stringify(r, null, 2) + '\n', 'results.md': resultsMarkdown(r, command), ...paretoSvgs(r) };
}
