/**
 * The hardware benchmark runs behind `npm run bench:hw` (gen/bench/cli-bench.ts):
 *
 *   runBench: the TR array, the bit-parallel (bp) and the bit-serial (bs) baseline of the SAME config, each in
 *             the bench wrapper (gen/bench/bench.ts), synthesized one after the other for one board; then the table of
 *             gen/bench/bench-metrics.ts (LCs, Fmax, cycles per dot product, MACs/s, MACs/s per LC, ratios).
 *   runFit:   the largest TR array that fits a board, with the usable board top (gen/board.ts buildBoard: UART,
 *             RAMs; what a user flashes) or the bare core in the bench wrapper; a binary search over a ladder
 *             of R×C shapes (fit is monotone in R·C along the ladder), so only a few synthesis runs.
 *
 * The synthesizer is a parameter (default gen/synth/flow.ts synthesize) so the orchestration is testable
 * without the tools.
 */
import { getBoard } from '../../constraints/boards.ts';
import { buildBaseline } from '../baselines.ts';
import { buildBenchWrapper } from './bench.ts';
import { BOARDS, type Readback, buildBoard } from '../board.ts';
import { UserError } from '../cli-util.ts';
import { type TrConfig, resolveConfig } from '../config.ts';
import { GENERATOR_VERSION, buildDesign } from '../design.ts';
import {
  type BenchDesign, type BenchRow, type Budget, checkBudget, type FitResult, type SynthNumbers, type TrCycles, baselineTileCycles, benchTable, fitTable,
  largestFit, rowMetrics, si, trTileCycles, withRatios,
} from './bench-metrics.ts';
import { type ModuleStat, type PnrChoices, type Router, type SynthOptions, type SynthReport, pnrChoices } from '../synth/flow.ts';
import { ToolError } from '../synth/run.ts';

export type BoardId = keyof typeof BOARDS;
export const BOARD_IDS = Object.keys(BOARDS) as BoardId[];

export type SynthFn = (opts: SynthOptions) => Promise<{ report: SynthReport }>;
/** Per-module cell counts of a design (gen/synth/flow.ts moduleBreakdown: yosys synth_ice40 -noflatten). */
export type ModulesFn = (opts: Pick<SynthOptions, 'files' | 'top' | 'board' | 'dsp'>) => Promise<ModuleStat[]>;

/**
 * Default benchmark configs: 8-bit weights and data, groups up to 8, dot products up to 784 long (maxK = 784),
 * a shift-only output stage (outMulBits 0) with 16-bit biases, and a 2×8 array of term-by-value cells, a shape
 * at which the array, not the fixed logic, dominates. HX8K: 2 weight terms per cycle (8 load lanes, so the
 * default budget g8 k4 is not load-bound). UP5K: 1 weight term per cycle (4 lanes), the TR core that fits the
 * UP5K at 2×8. Pass a config to measure others (e.g. `cell: "tp"`, the term-pair cell).
 */
export const BENCH_BASE: Record<string, unknown> = { rows: 2, cols: 8, wBits: 8, xBits: 8, groupMax: 8, maxK: 784, outMulBits: 0, biasBits: 16, cell: 'tv' };
export const BENCH_CONFIGS: Record<BoardId, Record<string, unknown>> = {
  icebreaker: { ...BENCH_BASE, name: 'bup5k', termsPerCycle: 1, lanes: 4 },
  hx8k: { ...BENCH_BASE, name: 'bhx8k', termsPerCycle: 2, lanes: 8 },
};

export function benchConfig(board: BoardId): TrConfig {
  return resolveConfig(BENCH_CONFIGS[board], `bench config for ${board}`);
}

export function checkBoard(board: unknown): BoardId {
  if (typeof board !== 'string' || !(BOARD_IDS as string[]).includes(board)) {
    throw new UserError(`--board: ${board === undefined ? 'missing' : `unknown board '${String(board)}'`} (known: ${BOARD_IDS.join(', ')})`);
  }
  return board as BoardId;
}

export function synthNumbers(r: SynthReport): SynthNumbers {
  if (r.fmaxMHz === null) throw new Error(`internal: no Fmax for ${r.top}`);
  const u = r.utilization;
  return { lc: u.lc.used, lcAvailable: u.lc.available, ff: u.ff, dsp: u.dsp.used, bram: u.bram.used, fmaxMHz: r.fmaxMHz };
}

/**
 * nextpnr's placer fails with "Failed to expand region (0, 0) |_> (x, y) of N ICESTORM_LCs" when a design needs
 * N logic cells and the whole device has fewer: say so in words (other reasons are returned unchanged).
 */
export function explainReason(reason: string, lcAvailable: number): string {
  const m = /Failed to expand region .* of (\d+) ICESTORM_LCs/.exec(reason);
  if (!m) return reason;
  return `does not fit: needs ${m[1]} logic cells (ICESTORM_LC), the device has ${lcAvailable} (nextpnr: ${m[0]})`;
}

/** One line describing a synthesis failure (a ToolError's summary; "does not fit" for placement failures). */
export function failureReason(e: unknown, lcAvailable = Infinity): string {
  if (e instanceof ToolError) return explainReason(`${e.tool}: ${e.summary || e.status}`, lcAvailable);
  if (e instanceof Error) return e.message.split('\n')[0] as string;
  return String(e);
}

function progressLogger(log: (s: string) => void, what: string): SynthOptions['onProgress'] {
  const t0 = performance.now();
  return (stage, line) => {
    if (line === undefined) log(`  ${what}: ${stage} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  };
}

// ---------------------------------------------------------------------------------------------
// Benchmark

/** A comparison at matched workload accuracy: the baselines at a lower weight width, and the TR budget whose
 *  accuracy matches it, as measured by the command in `source`. */
export interface Matched {
  wBits: number;
  budget: Budget;
  source: string;
}

/**
 * The default matched point, measured with `npm run mnist -- --g 8` (784-512-512-10 MLP, 2,004 test digits):
 * QT with 3-bit weights and 8-bit data 96.76 %; TR g8 k5 d2 on the 8-bit net 96.81 % (the cheapest g8 point at
 * least as accurate; k4 d2 gives 96.36 %).
 */
export const MATCHED: Matched = {
  wBits: 3,
  budget: { g: 8, k: 5, d: 2 },
  source: '`npm run mnist -- --g 8`: QT w3/x8 96.76 %, TR g8 k5 d2 96.81 % (MNIST MLP, 2,004 test digits)',
};

export interface BenchOptions {
  board: BoardId;
  cfg: TrConfig;
  budget: Budget;
  /** dot-product length K */
  K: number;
  seed: number;
  /** clock constraint for nextpnr (default: the board's oscillator) */
  freqMHz?: number;
  /** nextpnr router (default router1) */
  router?: Router;
  /** nextpnr's timing-driven rip-up for every design (default off) */
  tmgRipup?: boolean;
  /** map bp multipliers to DSPs on the UP5K (default false: every design in logic cells only) */
  bpDsp?: boolean;
  /** add rows at matched accuracy (baselines at matched.wBits, TR at matched.budget) */
  matched?: Matched;
  /** per-module cell counts of every design (the CLI passes moduleBreakdown); none when absent */
  modules?: ModulesFn;
  log?: (s: string) => void;
  synth?: SynthFn;
}

export interface DesignResult {
  design: BenchDesign;
  top: string;
  synth: SynthNumbers | null;
  /** per-module LUT4 / FF / carry counts (yosys -noflatten), when asked for */
  modules?: ModuleStat[];
  /** why synthesis failed (e.g. does not fit), when it did */
  failure?: string;
  report?: SynthReport;
  seconds: number;
}

export interface BenchResult {
  format: 'trgen-bench';
  version: 1;
  generator: string;
  board: BoardId;
  part: string;
  config: TrConfig;
  K: number;
  budget: Budget;
  seed: number;
  freqConstraintMHz: number;
  /** the nextpnr choices every design was placed and routed with (absent field: nextpnr's default) */
  pnr: PnrChoices;
  dsp: Record<BenchDesign, boolean>;
  trCycles: { conventional: TrCycles; tr: TrCycles; matched?: TrCycles };
  /** the matched-accuracy comparison, when it was run */
  matched: Matched | null;
  designs: DesignResult[];
  rows: BenchRow[];
  /** designs that failed synthesis (no row) */
  missing: { design: string; reason: string }[];
  definitions: string[];
  notes: string[];
}

export const DEFINITIONS = [
  'tile: one pass of the array over R data vectors × C output channels, i.e. R·C dot products of length K.',
  'cycles / tile: steady state, the cycles between the ends of two consecutive tiles of a long back-to-back run with every input stream valid. ' +
    'TR: sim/driver/driver.ts schedule() on buildStreams() of a real job of 4 tiles (marginal cost of a tile; all tiles after the first cost the same). ' +
    'bp / bs: max(K·s, R·C) with s = 1 (bp) or b_w (bs) (gen/baselines.ts baselineTileSchedule; R·C: the read-out emits one result per cycle, so only K·s < R·C is affected). Both models are checked cycle-exactly against the RTL in test/medium.',
  'cycles / dot product = cycles / tile ÷ (R·C).',
  'MACs/s = R·C·K ÷ (cycles / tile ÷ Fmax); MACs/s per LC = MACs/s ÷ logic cells used (core + bench wrapper).',
  'Fmax: nextpnr-ice40 timing report of the placed and routed design (one seed).',
];

export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const log = o.log ?? (() => undefined);
  const synth: SynthFn = o.synth ?? (async (opts) => (await import('../synth/flow.ts')).synthesize(opts));
  const { cfg, K, budget } = o;
  const board = getBoard(o.board);
  const target = BOARDS[o.board];
  if (K > cfg.maxK) throw new UserError(`dot-product length ${K} exceeds the config's maxK ${cfg.maxK} (a tile covers the whole dot product); use a config with maxK >= ${K} or a smaller --len`);
  const hasDsp = board.resources.dsp > 0;
  if (o.bpDsp && !hasDsp) throw new UserError(`--bp-dsp: board '${o.board}' has no DSP blocks`);
  // cycle counts first: they are cheap and catch a bad budget before minutes of synthesis
  const G = cfg.groupMax;
  const trCycles = {
    conventional: trTileCycles(cfg, { mode: 'conventional', g: G, k: 1, d: 1 }, K),
    tr: trTileCycles(cfg, { mode: 'tr', ...budget }, K),
    ...(o.matched ? { matched: trTileCycles(cfg, { mode: 'tr', ...o.matched.budget }, K) } : {}),
  };
  const mCfg = o.matched ? resolveConfig({ ...cfg, wBits: o.matched.wBits, name: `${cfg.name}_w${o.matched.wBits}` }, 'matched-accuracy baselines') : null;
  if (o.matched) checkBudget(cfg, o.matched.budget);
  const dsp: Record<BenchDesign, boolean> = { tr: false, bp: !!o.bpDsp, bs: false, 'bp-m': !!o.bpDsp, 'bs-m': false };

  const design = buildDesign(cfg);
  const jobs: { design: BenchDesign; top: string; files: Record<string, string> }[] = [];
  const trW = buildBenchWrapper(cfg.name, { name: design.top, ports: design.params.ports }, design.files, target.ledWidth);
  jobs.push({ design: 'tr', top: trW.top, files: trW.files });
  for (const kind of ['bp', 'bs'] as const) {
    const b = buildBaseline(cfg, kind);
    const w = buildBenchWrapper(`${cfg.name}_${kind}`, b.signature, b.files, target.ledWidth);
    jobs.push({ design: kind, top: w.top, files: w.files });
  }
  if (mCfg) {
    for (const kind of ['bp', 'bs'] as const) {
      const b = buildBaseline(mCfg, kind);
      const w = buildBenchWrapper(`${mCfg.name}_${kind}`, b.signature, b.files, target.ledWidth);
      jobs.push({ design: `${kind}-m`, top: w.top, files: w.files });
    }
  }

  const designs: DesignResult[] = [];
  for (const [i, j] of jobs.entries()) {
    log(`[${i + 1}/${jobs.length}] ${j.design}: synthesizing ${j.top} for ${o.board}`);
    const t0 = performance.now();
    try {
      const r = await synth({
        files: j.files, top: j.top, board: o.board, seed: o.seed, ...(o.freqMHz !== undefined ? { freqMHz: o.freqMHz } : {}), ...pnrChoices(o),
        ...(hasDsp ? { dsp: dsp[j.design] } : {}), onProgress: progressLogger(log, j.design),
      });
      const s = synthNumbers(r.report);
      const seconds = Math.round((performance.now() - t0) / 1000);
      log(`  ${j.design}: ${s.lc}/${s.lcAvailable} LC, ${s.ff} FF, ${s.dsp} DSP, Fmax ${s.fmaxMHz.toFixed(1)} MHz (${seconds} s)`);
      const modules = o.modules ? await o.modules({ files: j.files, top: j.top, board: o.board, ...(hasDsp ? { dsp: dsp[j.design] } : {}) }) : undefined;
      if (modules) log(`  ${j.design}: per-module counts (yosys -noflatten) of ${modules.length} modules`);
      designs.push({ design: j.design, top: j.top, synth: s, report: r.report, seconds, ...(modules ? { modules } : {}) });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      const failure = failureReason(e, board.resources.lc);
      log(`  ${j.design}: FAILED: ${failure}`);
      designs.push({ design: j.design, top: j.top, synth: null, failure, seconds: Math.round((performance.now() - t0) / 1000) });
    }
  }

  const get = (d: BenchDesign): DesignResult => designs.find((x) => x.design === d) as DesignResult;
  const specs: { kind: BenchRow['kind']; design: BenchDesign; label: string; tileCycles: number }[] = [
    { kind: 'bp', design: 'bp', label: `bp: bit-parallel MAC array${dsp.bp ? ' (DSP multipliers)' : ''}`, tileCycles: baselineTileCycles(cfg, 'bp', K) },
    { kind: 'bs', design: 'bs', label: `bs: bit-serial array (${cfg.wBits} cycles/MAC)`, tileCycles: baselineTileCycles(cfg, 'bs', K) },
    { kind: 'tr-conv', design: 'tr', label: `TR array, conventional mode (g=${G}, all terms)`, tileCycles: trCycles.conventional.tileCycles },
    { kind: 'tr', design: 'tr', label: `TR array, TR mode g=${budget.g} k=${budget.k} d=${budget.d}`, tileCycles: trCycles.tr.tileCycles },
  ];
  if (o.matched && mCfg && trCycles.matched) {
    const m = o.matched;
    specs.push(
      { kind: 'bp-m', design: 'bp-m', label: `matched accuracy: bp, ${m.wBits}-bit weights${dsp['bp-m'] ? ' (DSP multipliers)' : ''}`, tileCycles: baselineTileCycles(mCfg, 'bp', K) },
      { kind: 'bs-m', design: 'bs-m', label: `matched accuracy: bs, ${m.wBits}-bit weights (${m.wBits} cycles/MAC)`, tileCycles: baselineTileCycles(mCfg, 'bs', K) },
      { kind: 'tr-m', design: 'tr', label: `matched accuracy: TR array, TR mode g=${m.budget.g} k=${m.budget.k} d=${m.budget.d}`, tileCycles: trCycles.matched.tileCycles },
    );
  }
  const partial = specs.flatMap((sp) => {
    const s = get(sp.design).synth;
    return s ? [{ ...sp, synth: s, ...rowMetrics(cfg, K, sp.tileCycles, s) }] : [];
  });
  const missing = designs.filter((d) => !d.synth).map((d) => ({ design: d.design, reason: d.failure ?? '' }));
  const rows = withRatios(partial);
  return {
    format: 'trgen-bench', version: 1, generator: GENERATOR_VERSION, board: o.board, part: board.part, config: cfg, K, budget,
    seed: o.seed, freqConstraintMHz: o.freqMHz ?? board.clockMHz, pnr: pnrChoices(o), dsp, trCycles, matched: o.matched ?? null, designs, rows, missing,
    definitions: DEFINITIONS, notes: benchNotes(cfg, K, budget, rows, trCycles, o.matched),
  };
}

function benchNotes(cfg: TrConfig, K: number, b: Budget, rows: readonly BenchRow[], c: BenchResult['trCycles'], m?: Matched): string[] {
  const notes = [
    `TR mode computes an approximate dot product: each group of ${b.g} weights keeps its ${b.k} largest HESE terms and each data value its ${b.d} most significant terms, so a TR "MAC" is not an exact multiply-accumulate (accuracy is a workload question, see the MNIST results).`,
    `Every design carries the same requantizing output stage (bias, ${cfg.outMulBits ? `${cfg.outMulBits}-bit multiplier` : 'shift only'}, clamp, ReLU; the TR leaf tr_out.v) and the same kind of read-out (one result (row, col, acc, y) per cycle; the TR leaf tr_readout.v, in bp and bs over a row buffer of R shift chains), with per-column output parameters from each tile descriptor. ` +
      'Every design is wrapped in the same bench wrapper (LFSR inputs, parity-folded outputs; a few dozen LCs).',
    cfg.cell === 'tv'
      ? `TR cycles at the budget (tv cells, P = ${cfg.termsPerCycle} weight terms per cycle): ${Math.ceil(K / b.g)} groups × max(⌈k/P⌉, ⌈g/L⌉+1) = ${c.tr.tileCycles} cycles/tile (first tile after reset: ${c.tr.firstTileCycles}); conventional mode: ${c.conventional.tileCycles} (⌈g·T_w/P⌉ cycles per group of g).`
      : `TR cycles at the budget: ${Math.ceil(K / b.g)} groups × max(k·d, ⌈g/L⌉+1) = ${c.tr.tileCycles} cycles/tile (first tile after reset: ${c.tr.firstTileCycles}); conventional mode: ${c.conventional.tileCycles} (g·T_w·T_x cycles per group of g).`,
  ];
  const tr = rows.find((r) => r.kind === 'tr');
  const conv = rows.find((r) => r.kind === 'tr-conv');
  if (tr && conv) notes.push(`TR mode vs conventional mode on the same hardware: ${(conv.tileCycles / tr.tileCycles).toFixed(2)}× fewer cycles per tile (${si(tr.macsPerSec)} vs ${si(conv.macsPerSec)} MACs/s).`);
  if (m) {
    notes.push(
      `Matched accuracy (rows "matched accuracy: …"; their ratio columns are against the matched bp row): the baselines with ${m.wBits}-bit weights and ${cfg.xBits}-bit data, ` +
        `the same TR hardware at g=${m.budget.g} k=${m.budget.k} d=${m.budget.d} (${c.matched?.tileCycles ?? '–'} cycles/tile). Accuracy measured with ${m.source}.`,
    );
  }
  return notes;
}

/** How the nextpnr choices read in a report: router, placer, and the rip-up when it was on. */
export function pnrText(p: PnrChoices): string {
  return `${p.router ?? 'router1'}, ${p.placer ?? 'heap'} placer${p.tmgRipup ? ', timing-driven rip-up (--tmg-ripup)' : ''}`;
}

export function benchMarkdown(r: BenchResult): string {
  const c = r.config;
  const lines = [
    `### ${r.board} (${r.part}): ${c.rows}×${c.cols}, ${c.wBits}-bit weights, ${c.xBits}-bit data, dot products of length K = ${r.K}`,
    '',
    `config: ${JSON.stringify(c)}; nextpnr seed ${r.seed}, ${pnrText(r.pnr)}, clock constraint ${r.freqConstraintMHz} MHz; ` +
      `DSP mapping: ${r.dsp.bp ? 'bp multipliers in DSP blocks' : 'off for every design (all logic in LCs)'}.`,
    '',
    benchTable(r.rows).trimEnd(),
  ];
  if (r.missing.length) {
    lines.push('', ...r.missing.map((m) => `- **${m.design} did not synthesize**: ${m.reason}`));
  }
  lines.push('', 'Definitions:', '', ...r.definitions.map((d) => `- ${d}`), '', 'Notes:', '', ...r.notes.map((n) => `- ${n}`), '');
  const withModules = r.designs.filter((d) => d.modules);
  if (withModules.length) {
    lines.push(
      '#### Per-module cells',
      '',
      'yosys `synth_ice40 -noflatten` of each design (no cross-module optimization, so totals differ a little from the flattened',
      'build above; a logic cell holds one LUT4 and one flip-flop, and nextpnr packs a flip-flop with the LUT that feeds it).',
      '',
    );
    for (const d of withModules) {
      lines.push(`${d.design} (\`${d.top}\`):`, '', '| module | instances | LUT4 | FF | carry | LUT4 / instance | FF / instance |', '|---|---:|---:|---:|---:|---:|---:|');
      for (const m of d.modules as ModuleStat[]) {
        lines.push(`| ${m.module} | ${m.instances} | ${m.lut} | ${m.ff} | ${m.carry} | ${Math.round(m.lut / m.instances)} | ${Math.round(m.ff / m.instances)} |`);
      }
      lines.push('');
    }
  }
  return lines.join('\n');
}

export function benchFiles(r: BenchResult): Record<string, string> {
  const files: Record<string, string> = {
    'bench.json': JSON.stringify(r, null, 2) + '\n',
    'bench.md': benchMarkdown(r),
  };
  return files;
}

// ---------------------------------------------------------------------------------------------
// Fit search

export const DEFAULT_LADDER = ['1x1', '1x2', '2x2', '2x4', '4x4', '4x8', '8x8'];

export interface FitOptions {
  board: BoardId;
  /** base config; rows/cols are replaced by each shape (the name gets an _RxC suffix) */
  cfg: TrConfig;
  shapes: { rows: number; cols: number }[];
  /** usable board top (buildBoard, default) or the bare core in the bench wrapper */
  target: 'board' | 'bare';
  /** board top: which memories READ serves (default 'all') */
  readback?: Readback;
  seed: number;
  freqMHz?: number;
  router?: Router;
  tmgRipup?: boolean;
  log?: (s: string) => void;
  synth?: SynthFn;
}

export interface FitRun {
  format: 'trgen-fit';
  version: 1;
  board: BoardId;
  part: string;
  target: 'board' | 'bare';
  /** board tops: which memories READ serves */
  readback: Readback;
  baseConfig: TrConfig;
  seed: number;
  freqConstraintMHz: number;
  /** the nextpnr choices every rung was placed and routed with */
  pnr: PnrChoices;
  /** the rungs tried, in ladder order */
  results: FitResult[];
  largest: FitResult | null;
  /** the ladder; rungs not tried are implied by monotonicity (above a failure / below a success) */
  ladder: string[];
}

/** Files and top of one shape, for the chosen target. */
export function fitDesign(cfg: TrConfig, board: BoardId, target: 'board' | 'bare', readback: Readback = 'all'): { files: Record<string, string>; top: string } {
  if (target === 'board') {
    const b = buildBoard(cfg, BOARDS[board], { readback });
    return { files: b.files, top: b.top };
  }
  const d = buildDesign(cfg);
  return buildBenchWrapper(cfg.name, { name: d.top, ports: d.params.ports }, d.files, BOARDS[board].ledWidth);
}

/**
 * Binary search for the largest fitting rung of the (ascending) ladder: try the middle rung; on success the
 * rungs below fit too, on failure the rungs above do not. ⌈log2(n+1)⌉ synthesis runs for n rungs.
 */
export async function runFit(o: FitOptions): Promise<FitRun> {
  const log = o.log ?? (() => undefined);
  const synth: SynthFn = o.synth ?? (async (opts) => (await import('../synth/flow.ts')).synthesize(opts));
  const board = getBoard(o.board);
  const shapes = [...o.shapes].sort((a, b) => a.rows * a.cols - b.rows * b.cols);
  if (shapes.length === 0) throw new UserError('--shapes: no shapes given');
  // every rung's config is validated before the first (minutes-long) synthesis run
  const cfgs = shapes.map((sh) => {
    const shape = `${sh.rows}x${sh.cols}`;
    return resolveConfig({ ...o.cfg, rows: sh.rows, cols: sh.cols, name: `${o.cfg.name}_${shape}`.slice(0, 24) }, `config for shape ${shape}`);
  });
  const results: FitResult[] = [];
  let lo = 0; // every rung below lo fits
  let hi = shapes.length - 1; // every rung above hi does not fit
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const sh = shapes[mid] as { rows: number; cols: number };
    const shape = `${sh.rows}x${sh.cols}`;
    const cfg = cfgs[mid] as TrConfig;
    log(`fit ${shape} (${o.target === 'board' ? 'board top' : 'bare core'}) on ${o.board}`);
    const t0 = performance.now();
    let res: FitResult;
    try {
      const { files, top } = fitDesign(cfg, o.board, o.target, o.readback ?? 'all');
      const r = await synth({ files, top, board: o.board, seed: o.seed, ...(o.freqMHz !== undefined ? { freqMHz: o.freqMHz } : {}), ...pnrChoices(o), onProgress: progressLogger(log, shape) });
      res = { shape, rows: sh.rows, cols: sh.cols, fits: true, synth: synthNumbers(r.report), seconds: Math.round((performance.now() - t0) / 1000) };
      log(`  ${shape}: fits, ${res.synth?.lc}/${res.synth?.lcAvailable} LC, ${res.synth?.bram} BRAM, Fmax ${res.synth?.fmaxMHz.toFixed(1)} MHz (${res.seconds} s)`);
      lo = mid + 1;
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      res = { shape, rows: sh.rows, cols: sh.cols, fits: false, reason: failureReason(e, board.resources.lc), seconds: Math.round((performance.now() - t0) / 1000) };
      log(`  ${shape}: ${res.reason?.startsWith('does not fit') ? '' : 'does not fit: '}${res.reason} (${res.seconds} s)`);
      hi = mid - 1;
    }
    results.push(res);
  }
  const order = (r: FitResult): number => shapes.findIndex((s) => s.rows === r.rows && s.cols === r.cols);
  results.sort((a, b) => order(a) - order(b));
  return {
    format: 'trgen-fit', version: 1, board: o.board, part: board.part, target: o.target, readback: o.readback ?? 'all', baseConfig: o.cfg, seed: o.seed,
    freqConstraintMHz: o.freqMHz ?? board.clockMHz, pnr: pnrChoices(o), results, largest: largestFit(results) ?? null, ladder: shapes.map((s) => `${s.rows}x${s.cols}`),
  };
}

export function fitMarkdown(f: FitRun): string {
  const { rows: _r, cols: _c, name: _n, ...rest } = f.baseConfig;
  const best = f.largest;
  return [
    `### Largest TR array on ${f.board} (${f.part}), ${f.target === 'board' ? `usable board top (UART + RAMs, gen/board.ts; READ serves ${f.readback === 'all' ? 'every memory' : 'the results only'})` : 'bare core in the bench wrapper'}`,
    '',
    `base config (rows/cols from the ladder): ${JSON.stringify(rest)}; nextpnr seed ${f.seed}, ${pnrText(f.pnr)}, clock constraint ${f.freqConstraintMHz} MHz.`,
    `ladder ${f.ladder.join(', ')} (binary search: a rung below a fitting one fits, a rung above a failing one does not; untried rungs are not listed).`,
    '',
    fitTable(f.results).trimEnd(),
    '',
    best ? `**Largest fitting: ${best.shape}** (${best.synth?.lc}/${best.synth?.lcAvailable} LC, Fmax ${best.synth?.fmaxMHz.toFixed(1)} MHz).` : '**No rung of the ladder fits.**',
    '',
  ].join('\n');
}

export function fitFiles(f: FitRun): Record<string, string> {
  const stem = f.target === 'board' ? 'fit' : 'fit-bare';
  return { [`${stem}.json`]: JSON.stringify(f, null, 2) + '\n', [`${stem}.md`]: fitMarkdown(f) };
}
