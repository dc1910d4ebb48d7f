/**
 * Software driver of the conventional baselines (gen/baselines.ts): matrix jobs → the three input streams of
 * `${name}_${kind}_top` (tile descriptors, weight beats, data beats) as stimulus for the generic Verilator
 * harness (sim/verilator/harness.ts), the hardware result rows → N×M accumulators, and the exact cycle model.
 *
 * Tiling (as sim/driver/driver.ts): a job computes ACC = X · Wᵀ for W (M×K weights, one row per output channel) and
 * X (N×K data, one row per vector). Tiles cover C channels × R vectors over the whole K (channel tiles outer,
 * vector tiles inner); partial tiles are padded with zero weights/data whose results are dropped.
 * A tile is one descriptor (in_t_k = K and the output-stage fields of its C channels: relu, bias, mul, shift),
 * K weight beats (beat k: w[m0+c][k] of every column c) and K data beats (beat k: x[n0+r][k] of every row r).
 * It returns R·C results, one per cycle in row-major order, each (row, col, acc, y) with
 * y = requant(acc, bias, mul, shift) (sim/model/quant.ts, the TR array's output stage).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../gen/cli-util.ts';
import { type TrConfig, derive } from '../../gen/config.ts';
import { type Baseline, type BaselineDerived, type BaselineKind, FIRST_STEP, buildBaseline, deriveBaseline } from '../../gen/baselines.ts';
import type { HarnessSpec } from '../verilator/harness.ts';
import { generateHarness } from '../verilator/harness.ts';
import { dotExact } from '../model/dot.ts';
import { requant } from '../model/quant.ts';
import { type OutputParams, checkOutStage } from './driver.ts';
import { maxMagnitude } from '../model/terms.ts';
import { stimulusLines } from '../verilator/stimulus.ts';
import { PARAM_MEMORY, type RunEnd, type SimBinary, buildSimulator, runSimulator } from '../verilator/verilator.ts';
import { type ColumnParams, psetOf, tileParams } from './params.ts';

export interface BaselineJob {
  name?: string;
  /** M×K weights */
  W: number[][];
  /** N×K data vectors */
  X: number[][];
  /** per output channel: the output stage (as the TR array's job.out); default relu off, bias 0, mul 1, shift 0 */
  out?: OutputParams;
}

/** The output parameters of a job (the neutral ones when it has none). */
export function jobOut(job: BaselineJob): OutputParams {
  const M = job.W.length;
  return job.out ?? { relu: false, bias: new Array<number>(M).fill(0), mul: new Array<number>(M).fill(1), shift: new Array<number>(M).fill(0) };
}

/** A tile descriptor beat (port values of the in_t_* fields). */
export interface BaselineDescriptor extends Record<string, bigint> {
  in_t_k: bigint;
  in_t_relu: bigint;
  in_t_pset: bigint;
}

export interface BaselineTile {
  job: number;
  m0: number;
  n0: number;
  K: number;
  /** block-mode streams: indices into streams.blocks */
  wBlock?: number;
  xBlock?: number;
}

export interface BaselineStreams {
  /** descriptor beats */
  t: BaselineDescriptor[];
  /** the output-parameter set of each descriptor */
  params: ColumnParams[][];
  /** weight beats (in_w_data) */
  w: bigint[];
  /** data beats (in_x_data) */
  x: bigint[];
  tiles: BaselineTile[];
  /** block mode: shared beat sequences referenced by the tiles (w and x above are then empty) */
  blocks?: { w: bigint[][]; x: bigint[][] };
}

const mask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;
const twos = (v: number, bits: number): bigint => BigInt(v) & mask(bits);
const signed = (v: bigint, bits: number): number => {
  const m = v & mask(bits);
  return Number(m >= 1n << BigInt(bits - 1) ? m - (1n << BigInt(bits)) : m);
};

/** Check a job against the design (UserError naming the job and the field). */
export function checkBaselineJob(cfg: TrConfig, job: BaselineJob, where: string): void {
  const bad = (msg: string): never => {
    throw new UserError(`${where}: ${msg}`);
  };
  if (!Array.isArray(job.W) || job.W.length === 0) bad('weights must be a non-empty M×K matrix');
  if (!Array.isArray(job.X) || job.X.length === 0) bad('inputs must be a non-empty N×K matrix');
  const K = (job.W[0] ?? []).length;
  if (K < 1) bad('K (row length) must be at least 1');
  if (K > cfg.maxK) bad(`K = ${K} exceeds the design's maxK = ${cfg.maxK}`);
  const check = (m: number[][], bits: number, what: string): void => {
    const lim = maxMagnitude(bits);
    m.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== K) bad(`${what} row ${i} has ${Array.isArray(row) ? row.length : 'no'} values, expected K = ${K}`);
      row.forEach((v, j) => {
        if (!Number.isInteger(v) || v < -lim || v > lim) bad(`${what}[${i}][${j}] = ${JSON.stringify(v)} is outside ±${lim} (${bits}-bit)`);
      });
    });
  };
  check(job.W, cfg.wBits, 'weights');
  check(job.X, cfg.xBits, 'inputs');
  if (job.out === undefined) return;
  checkOutStage(derive(cfg), job.out, job.W.length, bad);
}

/** The exact integer results of a job (what both baselines must return): N×M. */
export function exactJob(job: BaselineJob): number[][] {
  return job.X.map((x) => job.W.map((w) => dotExact(w, x)));
}

/** Golden-model results of a job: N×M exact accumulators and N×M outputs y of the TR output stage. */
export interface BaselineResult {
  acc: number[][];
  y: number[][];
}

export function modelBaselineJob(cfg: TrConfig, job: BaselineJob): BaselineResult {
  const o = jobOut(job);
  const acc = exactJob(job);
  const y = acc.map((row) => row.map((a, m) => requant(a, o.bias[m] as number, o.mul[m] as number, o.shift[m] as number, cfg.xBits, o.relu)));
  return { acc, y };
}

/** Build the input streams of a sequence of jobs (one continuous run). With `blocks`, a channel tile's weight
 *  beats and a vector tile's data beats are stored once and referenced by the tiles. */
export function buildBaselineStreams(cfg: TrConfig, kind: BaselineKind, jobs: readonly BaselineJob[], opts: { blocks?: boolean } = {}): BaselineStreams {
  const b = deriveBaseline(cfg, kind);
  const s: BaselineStreams = { t: [], params: [], w: [], x: [], tiles: [], ...(opts.blocks ? { blocks: { w: [], x: [] } } : {}) };
  // a descriptor and its output-parameter set (the sets in turn, sim/driver/params.ts)
  const descriptor = (job: BaselineJob, m0: number, K: number): BaselineDescriptor => {
    const o = jobOut(job);
    s.params.push(tileParams(b, o, m0, job.W.length));
    return { in_t_k: BigInt(K), in_t_relu: o.relu ? 1n : 0n, in_t_pset: BigInt(psetOf(b, s.t.length)) };
  };
  jobs.forEach((job, ji) => {
    checkBaselineJob(cfg, job, job.name ?? `job ${ji}`);
    const K = (job.W[0] as number[]).length;
    const M = job.W.length;
    const N = job.X.length;
    const xMemo = new Map<number, { beats: bigint[]; block: number }>();
    const dataBeats = (n0: number): { beats: bigint[]; block: number } => {
      const hit = xMemo.get(n0);
      if (hit) return hit;
      const beats: bigint[] = [];
      for (let k = 0; k < K; k++) {
        let beat = 0n;
        for (let r = 0; r < b.R; r++) {
          const n = n0 + r;
          beat |= twos(n < N ? ((job.X[n] as number[])[k] as number) : 0, b.BX) << BigInt(r * b.BX);
        }
        beats.push(beat);
      }
      const entry = { beats, block: s.blocks ? s.blocks.x.push(beats) - 1 : -1 };
      xMemo.set(n0, entry);
      return entry;
    };
    for (let m0 = 0; m0 < M; m0 += b.C) {
      const wBeats: bigint[] = [];
      for (let k = 0; k < K; k++) {
        let beat = 0n;
        for (let c = 0; c < b.C; c++) {
          const m = m0 + c;
          beat |= twos(m < M ? ((job.W[m] as number[])[k] as number) : 0, b.BW) << BigInt(c * b.BW);
        }
        wBeats.push(beat);
      }
      const wBlock = s.blocks ? s.blocks.w.push(wBeats) - 1 : -1;
      for (let n0 = 0; n0 < N; n0 += b.R) {
        const x = dataBeats(n0);
        s.tiles.push({ job: ji, m0, n0, K, ...(s.blocks ? { wBlock, xBlock: x.block } : {}) });
        s.t.push(descriptor(job, m0, K));
        if (!s.blocks) {
          for (const v of wBeats) s.w.push(v);
          for (const v of x.beats) s.x.push(v);
        }
      }
    }
  });
  return s;
}

/** Harness description of a baseline top (streams t, w, x; one output line per result). */
export function baselineHarnessSpec(b: Baseline): HarnessSpec {
  return {
    top: b.top,
    ports: b.ports,
    channels: [
      { key: 't', valid: 'in_t_valid', ready: 'out_t_ready', ports: ['in_t_k', 'in_t_relu', 'in_t_pset'] },
      { key: 'w', valid: 'in_w_valid', ready: 'out_w_ready', ports: ['in_w_data'] },
      { key: 'x', valid: 'in_x_valid', ready: 'out_x_ready', ports: ['in_x_data'] },
    ],
    outValid: 'out_y_valid',
    outPorts: ['out_y_row', 'out_y_col', 'out_y_data', 'out_y_acc'],
    status: { work: 'out_stat_work', err: 'out_err' },
    memory: PARAM_MEMORY,
  };
}

/** One result of the hardware. */
export interface ResultItem {
  cycle: number;
  row: number;
  col: number;
  acc: number;
  y: number;
}

export function unpackResult(b: BaselineDerived, cycle: number, ports: Record<string, bigint>): ResultItem {
  return {
    cycle,
    row: Number(ports['out_y_row'] ?? 0n),
    col: Number(ports['out_y_col'] ?? 0n),
    acc: signed(ports['out_y_acc'] ?? 0n, b.accW),
    y: signed(ports['out_y_data'] ?? 0n, b.BX),
  };
}

/** Reassemble results (R·C per tile, tile order, row-major within a tile) into per-job N×M accumulators and
 *  outputs; a (row, col) tag that does not match its position in the stream is a hardware bug and throws. */
export function assembleBaseline(cfg: TrConfig, kind: BaselineKind, jobs: readonly BaselineJob[], s: BaselineStreams, items: readonly ResultItem[]): BaselineResult[] {
  const b = deriveBaseline(cfg, kind);
  const out = jobs.map((j) => ({ acc: j.X.map(() => new Array<number>(j.W.length).fill(NaN)), y: j.X.map(() => new Array<number>(j.W.length).fill(NaN)) }));
  s.tiles.forEach((t, ti) => {
    const job = jobs[t.job] as BaselineJob;
    const o = out[t.job] as BaselineResult;
    for (let r = 0; r < b.R; r++) {
      for (let c = 0; c < b.C; c++) {
        const idx = ti * b.SP + r * b.C + c;
        const it = items[idx];
        if (!it) continue;
        if (it.row !== r || it.col !== c) throw new Error(`hardware result ${idx} is tagged (row ${it.row}, col ${it.col}) but should be (row ${r}, col ${c})`);
        const n = t.n0 + r;
        const m = t.m0 + c;
        if (n >= job.X.length || m >= job.W.length) continue;
        (o.acc[n] as number[])[m] = it.acc;
        (o.y[n] as number[])[m] = it.y;
      }
    }
  });
  return out;
}

/** Exact cycle schedule of a run with every input stream always valid (cycle 0 = first cycle after reset). */
export interface BaselineSchedule {
  /** per tile: first and last step cycles, the cycles of its R·C results (row-major) */
  tiles: { first: number; last: number; resultCycles: number[] }[];
  /** cycles until the last result has appeared (its cycle + 1) */
  totalCycles: number;
  /** steps issued (out_stat_work) */
  workCycles: number;
}

/**
 * The sequencer's rules at the transaction level (see gen/baselines.ts): the first step issues in cycle 2,
 * a tile's S = K·s steps issue in consecutive cycles right after the previous tile's last step, except that
 * a tile's last step waits until R·C cycles after the previous tile's last step; result (r,c) leaves out_y
 * C + 10 + r·C + c cycles after its tile's last step.
 */
export function baselineSchedule(cfg: TrConfig, kind: BaselineKind, tiles: readonly { K: number }[]): BaselineSchedule {
  const b = deriveBaseline(cfg, kind);
  const out: BaselineSchedule['tiles'] = [];
  let prevLast = -Infinity;
  let next = FIRST_STEP;
  let work = 0;
  for (const t of tiles) {
    const S = t.K * b.stepsPerMac;
    const first = S === 1 ? Math.max(next, prevLast + b.SP) : next;
    const last = Math.max(first + S - 1, prevLast + b.SP);
    out.push({ first, last, resultCycles: Array.from({ length: b.SP }, (_, i) => last + b.resultLatency + i) });
    prevLast = last;
    next = last + 1;
    work += S;
  }
  const lt = out[out.length - 1];
  return { tiles: out, totalCycles: lt ? (lt.resultCycles[lt.resultCycles.length - 1] as number) + 1 : 0, workCycles: work };
}

/** Build (or reuse from the cache) the Verilator simulator of a baseline. */
export function buildBaselineSimulator(b: Baseline): Promise<SimBinary> {
  return buildSimulator(b.files, b.top, generateHarness(baselineHarnessSpec(b)));
}

export interface BaselineSimOptions {
  stallPct?: number;
  stallSeed?: number;
  workDir?: string;
  blocks?: boolean;
}

export interface BaselineSimResult {
  /** per job: hardware N×M accumulators and outputs */
  hw: BaselineResult[];
  /** per job: the golden model (exact integer dot products, the TR output stage on them) */
  model: BaselineResult[];
  items: ResultItem[];
  end: RunEnd;
  schedule: BaselineSchedule;
  streams: BaselineStreams;
}

/** Simulate a sequence of jobs on a baseline in one continuous run. */
export async function simulateBaseline(cfg: TrConfig, kind: BaselineKind, jobs: readonly BaselineJob[], opts: BaselineSimOptions = {}): Promise<BaselineSimResult> {
  const base = buildBaseline(cfg, kind);
  const sim = await buildBaselineSimulator(base);
  const streams = buildBaselineStreams(cfg, kind, jobs, { blocks: opts.blocks ?? false });
  const sched = baselineSchedule(cfg, kind, streams.tiles);
  const dir = opts.workDir ?? mkdtempSync(join(tmpdir(), `trgen-${kind}-`));
  mkdirSync(dir, { recursive: true });
  try {
    const stim = join(dir, 'stimulus.jsonl');
    const outPath = join(dir, 'output.jsonl');
    writeFileSync(stim, stimulusLines(base.derived, streams).join('\n') + '\n');
    const { rows: raw, end } = await runSimulator(sim, stim, outPath, {
      expectRows: streams.tiles.length * base.derived.SP,
      maxCycles: Math.max(10_000, sched.totalCycles * (opts.stallPct ? 20 : 2) + 1000),
      ...(opts.stallPct ? { stallPct: opts.stallPct, stallSeed: opts.stallSeed ?? 1 } : {}),
    });
    const items = raw.map((r) => unpackResult(base.derived, r.cyc, r.ports));
    return { hw: assembleBaseline(cfg, kind, jobs, streams, items), model: jobs.map((j) => modelBaselineJob(cfg, j)), items, end, schedule: sched, streams };
  } finally {
    if (!opts.workDir) rmSync(dir, { recursive: true, force: true });
  }
}
