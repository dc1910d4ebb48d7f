/**
 * Pure parts of the hardware benchmark (`npm run bench:hw`, gen/bench/cli-bench.ts): cycle counts per tile from the
 * schedule models that the medium tests verify against the RTL, throughput metrics from synthesis results, and
 * the Markdown tables. No tool runs here, so everything is unit-tested in test/fast/bench.test.ts.
 *
 * Definitions (also printed under every table):
 *   - a tile is one pass of the array: R data vectors × C output channels, each a dot product of length K
 *     (K = 784 by default, one MNIST image row of 28×28 pixels against one weight row); R·C dot products per tile.
 *   - tile cycles: the steady-state cycles between the ends of two consecutive tiles in a long back-to-back run
 *     with every input stream always valid. TR array: sim/driver/driver.ts schedule() over buildStreams() of a real
 *     job of `tiles` tiles (the marginal cost of the last tile; all marginal costs after the first tile are
 *     checked to be equal). Baselines: baselineTileSchedule().tileCycles = max(K·s, R·C), s = 1 (bp) or b_w (bs).
 *   - cycles per dot product = tile cycles / (R·C) (the array computes R·C of them at once).
 *   - MACs/s = R·C·K / (tile cycles / Fmax): multiply-accumulates of length-K dot products per second at the
 *     Fmax nextpnr reports. In TR mode a "MAC" is approximate: the weights keep k terms per group of g, the data
 *     d terms per value (a term-revealed dot product, not the exact one).
 *   - MACs/s per LC: MACs/s divided by the logic cells the whole placed design uses (core + bench wrapper).
 */
import type { TrConfig } from '../config.ts';
import { derive } from '../config.ts';
import { type BaselineKind, baselineTileSchedule, deriveBaseline } from '../baselines.ts';
import { UserError } from '../cli-util.ts';
import { type Control, type Job, buildStreams, checkJob, schedule } from '../../sim/driver/driver.ts';
import { maxMagnitude } from '../../sim/model/terms.ts';

/** The default dot-product length: 784 = 28·28 (an MNIST image). */
export const DEFAULT_DOT_LEN = 784;

export interface TrCycles {
  /** steady-state cycles per tile (the marginal cost of one more tile in a back-to-back run) */
  tileCycles: number;
  /** the same run's first tile: reset to its last work cycle + 1 (includes the start-up) */
  firstTileCycles: number;
  /** work cycles per tile (cycles that issue a term pair to every cell) */
  workCycles: number;
  /** tiles in the run the steady state was measured on */
  tiles: number;
}

/** A deterministic job of `tiles` tiles (all R·tiles vectors against C channels) with reduction length K. */
export function benchJob(cfg: TrConfig, control: Control, K: number, tiles: number): Job {
  const wMax = maxMagnitude(cfg.wBits);
  const xMax = maxMagnitude(cfg.xBits);
  // any values give the same schedule (it depends only on the registers and K); use varied, nonzero ones
  const val = (i: number, j: number, max: number): number => (((i * 31 + j * 17) % (2 * max)) - max) || 1;
  const W = Array.from({ length: cfg.cols }, (_, i) => Array.from({ length: K }, (_, j) => val(i, j, wMax)));
  const X = Array.from({ length: cfg.rows * tiles }, (_, i) => Array.from({ length: K }, (_, j) => val(i + 7, j, xMax)));
  const M = cfg.cols;
  return { name: 'bench', control, W, X, out: { relu: false, bias: new Array<number>(M).fill(0), mul: new Array<number>(M).fill(1), shift: new Array<number>(M).fill(0) } };
}

/**
 * Steady-state cycles per tile of the TR array for dot products of length K under `control`, from the exact
 * cycle model (schedule() over the streams buildStreams() makes of a real job of `tiles` tiles).
 */
export function trTileCycles(cfg: TrConfig, control: Control, K: number, tiles = 4): TrCycles {
  if (!Number.isInteger(tiles) || tiles < 3) throw new RangeError(`trTileCycles: need at least 3 tiles, got ${tiles}`);
  const job = benchJob(cfg, control, K, tiles);
  checkJob(cfg, job, 'bench job');
  const streams = buildStreams(cfg, [job], { blocks: true });
  if (streams.tiles.length !== tiles) throw new Error(`internal: ${streams.tiles.length} tiles, expected ${tiles}`);
  const s = schedule(cfg, streams.tiles);
  const lasts = s.tiles.map((t) => t.last);
  const deltas = lasts.slice(1).map((l, i) => l - (lasts[i] as number));
  // steady state: every tile after the first costs the same (the first includes the start-up)
  if (deltas.some((x) => x !== deltas[0])) throw new Error(`internal: tile costs not steady: ${deltas.join(', ')}`);
  const t0 = streams.tiles[0];
  return {
    tileCycles: deltas[deltas.length - 1] as number,
    firstTileCycles: (lasts[0] as number) + 1,
    workCycles: t0 ? t0.ngroups * t0.kEff * t0.dEff : 0,
    tiles,
  };
}

/** Steady-state cycles per tile of a baseline (tiles run back to back): max(K·s, R·C). */
export function baselineTileCycles(cfg: TrConfig, kind: BaselineKind, K: number): number {
  return baselineTileSchedule(deriveBaseline(cfg, kind), K).tileCycles;
}

/** The TR-mode budget of the benchmark. */
export interface Budget {
  g: number;
  k: number;
  d: number;
}

/**
 * Default budget: g = min(16, G), k = g/2, d = 3 — the MNIST run's ratio (k = 8 terms per group of 16 weights,
 * 3 terms per data value), clamped to what the design allows.
 */
export function defaultBudget(cfg: TrConfig): Budget {
  const d = derive(cfg);
  const g = Math.min(16, d.G);
  return { g, k: Math.max(1, Math.min(Math.floor(g / 2), g * d.TW)), d: Math.min(3, d.TX) };
}

/** Check a user budget against the design (UserError naming the flag). */
export function checkBudget(cfg: TrConfig, b: Budget): void {
  const d = derive(cfg);
  const chk = (v: number, lo: number, hi: number, flag: string, what: string): void => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new UserError(`--${flag}: ${v} is outside ${lo}..${hi} (${what})`);
  };
  chk(b.g, 1, d.G, 'g', `group size; the design's groupMax is ${d.G}`);
  chk(b.k, 1, b.g * d.TW, 'k', `weight terms kept per group of ${b.g}; at most g·T_w = ${b.g * d.TW}`);
  chk(b.d, 1, d.TX, 'd', `data terms kept per value; at most T_x = ${d.TX}`);
}

/** What synthesis reported for one design (the fields the benchmark uses). */
export interface SynthNumbers {
  lc: number;
  lcAvailable: number;
  ff: number;
  dsp: number;
  bram: number;
  fmaxMHz: number;
}

/** Same-config rows, and rows at matched workload accuracy (-m: baselines at a lower weight width, TR at the
 *  budget of the same accuracy). */
export type RowKind = 'bp' | 'bs' | 'tr-conv' | 'tr' | 'bp-m' | 'bs-m' | 'tr-m';
export type BenchDesign = 'tr' | 'bp' | 'bs' | 'bp-m' | 'bs-m';

export interface BenchRow {
  kind: RowKind;
  /** human label, e.g. "TR, TR mode g=16 k=8 d=3" */
  label: string;
  /** the synthesized design this row's hardware numbers come from */
  design: BenchDesign;
  synth: SynthNumbers;
  tileCycles: number;
  cyclesPerDot: number;
  macsPerSec: number;
  macsPerSecPerLc: number;
  /** ratios to the bp row (MACs/s, MACs/s per LC): the same-config bp for same-config rows, the matched-accuracy
   *  bp (bp-m) for matched rows; null if there is no such bp row */
  vsBp: { macsPerSec: number; perLc: number } | null;
}

/** Metrics of one row: R·C dot products of length K per tile of `tileCycles` cycles at synth.fmaxMHz. */
export function rowMetrics(cfg: TrConfig, K: number, tileCycles: number, synth: SynthNumbers): Pick<BenchRow, 'cyclesPerDot' | 'macsPerSec' | 'macsPerSecPerLc'> {
  if (!(tileCycles > 0)) throw new RangeError(`tile cycles must be positive, got ${tileCycles}`);
  if (!(synth.fmaxMHz > 0) || !(synth.lc > 0)) throw new RangeError(`synthesis numbers need a positive Fmax and LC count`);
  const dots = cfg.rows * cfg.cols;
  const macsPerSec = (dots * K * synth.fmaxMHz * 1e6) / tileCycles;
  return { cyclesPerDot: tileCycles / dots, macsPerSec, macsPerSecPerLc: macsPerSec / synth.lc };
}

/** Fill in the vs-bp ratios of a set of rows (in place; returns them). */
export function withRatios(rows: Omit<BenchRow, 'vsBp'>[]): BenchRow[] {
  const bp = rows.find((r) => r.kind === 'bp');
  const bpM = rows.find((r) => r.kind === 'bp-m');
  return rows.map((r) => {
    const ref = r.kind.endsWith('-m') ? bpM : bp;
    return { ...r, vsBp: ref ? { macsPerSec: r.macsPerSec / ref.macsPerSec, perLc: r.macsPerSecPerLc / ref.macsPerSecPerLc } : null };
  });
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** "1.50" -> "1.5", "2.00" -> "2", "800" stays (only zeros after a decimal point go). */
const trimZeros = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);

/** Engineering notation with SI prefix, 3 significant digits: 1.23e8 -> "123 M". */
export function si(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const prefixes: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k'], [1, '']];
  const r = Number(x.toPrecision(3)); // round first: 999.6e6 is "1 G", not "1000 M"
  for (const [f, p] of prefixes) {
    if (Math.abs(r) >= f) return `${trimZeros((r / f).toPrecision(3))}${p ? ` ${p}` : ''}`;
  }
  return x.toPrecision(3);
}

/** Ratio with 2 significant digits below 10, else rounded: 0.123 -> "0.12×", 12.3 -> "12×". */
export function ratio(x: number): string {
  if (!Number.isFinite(x)) return '–';
  return `${x >= 10 ? Math.round(x) : x >= 1 ? x.toFixed(2) : x.toPrecision(2)}×`;
}

export function fmtCycles(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

/** The benchmark table (Markdown). */
export function benchTable(rows: readonly BenchRow[]): string {
  const head = '| design | LC used / avail | FF | DSP | BRAM | Fmax MHz | cycles / tile | cycles / dot product | MACs/s | MACs/s per LC | MACs/s vs bp | per LC vs bp |';
  const sep = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const lines = rows.map((r) => {
    const s = r.synth;
    return `| ${r.label} | ${s.lc} / ${s.lcAvailable} | ${s.ff} | ${s.dsp} | ${s.bram} | ${s.fmaxMHz.toFixed(1)} | ${r.tileCycles} | ${fmtCycles(r.cyclesPerDot)} | ${si(r.macsPerSec)} | ${si(r.macsPerSecPerLc)} | ${r.vsBp ? ratio(r.vsBp.macsPerSec) : '–'} | ${r.vsBp ? ratio(r.vsBp.perLc) : '–'} |`;
  });
  return [head, sep, ...lines].join('\n') + '\n';
}

/** One rung of the fit ladder. */
export interface FitResult {
  shape: string;
  rows: number;
  cols: number;
  fits: boolean;
  /** synthesis numbers when it fits */
  synth?: SynthNumbers;
  /** why it does not fit (the flow's one-line explanation) */
  reason?: string;
  seconds: number;
}

export function fitTable(results: readonly FitResult[]): string {
  const head = '| R×C | fits | LC used / avail | FF | BRAM | Fmax MHz | note |';
  const sep = '|---|---|---:|---:|---:|---:|---|';
  const lines = results.map((r) => {
    const s = r.synth;
    return s
      ? `| ${r.shape} | yes | ${s.lc} / ${s.lcAvailable} | ${s.ff} | ${s.bram} | ${s.fmaxMHz.toFixed(1)} | |`
      : `| ${r.shape} | no | | | | | ${(r.reason ?? '').replace(/\|/g, '\\|')} |`;
  });
  return [head, sep, ...lines].join('\n') + '\n';
}

/** Parse "RxC" ("4x8", "4×8"). */
export function parseShape(s: string): { rows: number; cols: number } {
  const m = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/.exec(s);
  if (!m) throw new UserError(`--shapes: '${s}' is not a shape RxC (e.g. 2x4)`);
  const rows = Number(m[1]);
  const cols = Number(m[2]);
  if (rows < 1 || cols < 1 || rows > 32 || cols > 32) throw new UserError(`--shapes: '${s}': rows and columns must be 1..32`);
  return { rows, cols };
}

/** The largest shape of a ladder that fits (by R·C; the later one on a tie), or undefined. */
export function largestFit(results: readonly FitResult[]): FitResult | undefined {
  let best: FitResult | undefined;
  for (const r of results) if (r.fits && (!best || r.rows * r.cols >= best.rows * best.cols)) best = r;
  return best;
}
