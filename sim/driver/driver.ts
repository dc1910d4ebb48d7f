/**
 * The software driver of a generated array: turns matrix jobs (a layer with its control registers and
 * output-stage parameters) into the three input streams of the top module (tile descriptors, weight slots,
 * data load beats), computes the golden-model results the hardware must return, and the exact cycle schedule.
 *
 * Tiling: a job computes Y = requant(X · W^T) for W (M×K weights, one row per output channel) and X (N×K data,
 * one row per vector). Tiles cover C channels × R vectors over the whole K (channel tiles outer, vector tiles
 * inner); partial tiles are padded with zero rows/columns whose outputs are dropped.
 */
import type { Derived, TrConfig } from '../../gen/config.ts';
import { derive } from '../../gen/config.ts';
import { UserError } from '../../gen/cli-util.ts';
import { type DotSpec, matmul, prepareWeights } from '../model/dot.ts';
import { requant } from '../model/quant.ts';
import { type Term, maxMagnitude } from '../model/terms.ts';
import { type ColumnParams, psetOf, tileParams } from './params.ts';

export type Mode = 'conventional' | 'tr';

/** The run-time control registers of a tile. */
export interface Control {
  mode: Mode;
  /** weight terms kept per group (TR mode) */
  k: number;
  /** data terms kept per value (TR mode) */
  d: number;
  /** group size */
  g: number;
}

/** Per-channel quantized output stage: y = clamp(((acc + bias) · mul) >> shift), optional ReLU. */
export interface OutputParams {
  relu: boolean;
  bias: number[];
  mul: number[];
  shift: number[];
}

export interface Job {
  name?: string;
  control: Control;
  /**
   * TR mode, optional: one k per channel tile (output channels m0 .. m0 + C − 1, C = the array's columns),
   * overriding control.k for that tile's descriptor (k is a per-tile control register: per-block budgets).
   */
  tileK?: number[];
  /** M×K weights */
  W: number[][];
  /** N×K data vectors */
  X: number[][];
  out: OutputParams;
}

export interface JobResult {
  /** N×M raw accumulators */
  acc: number[][];
  /** N×M quantized outputs */
  y: number[][];
  /** term pairs the model multiplies (only the real, unpadded ones) */
  termPairs: number;
}

/** One tile as the hardware sees it. */
export interface Tile {
  job: number;
  m0: number;
  n0: number;
  control: Control;
  kEff: number;
  dEff: number;
  beatsPerGroup: number;
  ngroups: number;
  /** block-mode streams: indices into streams.blocks */
  wBlock?: number;
  xBlock?: number;
}

export interface Streams {
  /** descriptor beats: port name -> value */
  t: Record<string, bigint>[];
  /** the output-parameter set of each descriptor (its in_t_pset's C words of the parameter memory) */
  params: ColumnParams[][];
  /** weight slot beats (in_w_data) */
  w: bigint[];
  /** data load beats (in_x_data) */
  x: bigint[];
  tiles: Tile[];
  /** block mode: shared beat sequences referenced by tiles (w and x above are then empty) */
  blocks?: { w: bigint[][]; x: bigint[][] };
}

/** The control registers of the channel tile starting at output channel m0 (job.tileK overrides k). */
export function tileControl(d: Pick<Derived, 'C'>, job: Job, m0: number): Control {
  const k = job.tileK?.[Math.floor(m0 / d.C)];
  return k === undefined ? job.control : { ...job.control, k };
}

export function dotSpec(cfg: TrConfig, c: Control): DotSpec {
  return { mode: c.mode, g: c.g, k: c.k, d: c.d, wBits: cfg.wBits, xBits: cfg.xBits, encoding: 'hese' };
}

/** Weight slots per group (kEff) and work cycles per slot (dEff) of a tile: tp cells take one term pair per
 *  cycle (k_eff slots of d_eff cycles); tv cells take P weight terms times whole capped values per cycle. */
export function effective(d: Derived, c: Control): { kEff: number; dEff: number } {
  const terms = c.mode === 'conventional' ? c.g * d.TW : c.k;
  if (d.cell === 'tv') return { kEff: Math.ceil(terms / d.P), dEff: 1 };
  return { kEff: terms, dEff: c.mode === 'conventional' ? d.TX : c.d };
}

/** Check a job against the design: every violation is a UserError naming the job and the field. */
export function checkJob(cfg: TrConfig, job: Job, where: string): void {
  const d = derive(cfg);
  const { control: c } = job;
  const bad = (msg: string): never => {
    throw new UserError(`${where}: ${msg}`);
  };
  if (c.mode !== 'conventional' && c.mode !== 'tr') bad(`control.mode must be "conventional" or "tr", got ${JSON.stringify(c.mode)}`);
  const int = (v: unknown, lo: number, hi: number, what: string): void => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(`${what} = ${JSON.stringify(v)} is outside ${lo}..${hi}`);
  };
  int(c.g, 1, d.G, 'control.g (group size; design maximum groupMax)');
  int(c.k, 1, d.kMax, 'control.k (weight terms per group)');
  int(c.d, 1, d.TX, 'control.d (data terms per value)');
  if (!Array.isArray(job.W) || job.W.length === 0) bad('weights must be a non-empty M×K matrix');
  if (job.tileK !== undefined) {
    if (c.mode !== 'tr') bad('tileK (per-tile k) needs TR mode');
    const tiles = Math.ceil(job.W.length / d.C);
    if (!Array.isArray(job.tileK) || job.tileK.length !== tiles) bad(`tileK must have one k per channel tile (${tiles})`);
    job.tileK.forEach((k, i) => int(k, 1, d.kMax, `tileK[${i}] (weight terms per group)`));
  }
  if (!Array.isArray(job.X) || job.X.length === 0) bad('inputs must be a non-empty N×K matrix');
  const K = (job.W[0] ?? []).length;
  if (K < 1) bad('K (row length) must be at least 1');
  if (K > cfg.maxK) bad(`K = ${K} exceeds the design's maxK = ${cfg.maxK}`);
  const wMax = maxMagnitude(cfg.wBits);
  const xMax = maxMagnitude(cfg.xBits);
  job.W.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== K) bad(`weights row ${i} has ${Array.isArray(row) ? row.length : 'no'} values, expected K = ${K}`);
    row.forEach((v, j) => int(v, -wMax, wMax, `weights[${i}][${j}] (${cfg.wBits}-bit)`));
  });
  job.X.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== K) bad(`inputs row ${i} has ${Array.isArray(row) ? row.length : 'no'} values, expected K = ${K}`);
    row.forEach((v, j) => int(v, -xMax, xMax, `inputs[${i}][${j}] (${cfg.xBits}-bit)`));
  });
  checkOutStage(d, job.out, job.W.length, bad);
}

/** Check a job's output-stage parameters (one per channel) against the design's widths; `bad` throws. Shared
 *  by the TR array and the baselines, which carry the same output stage. */
export function checkOutStage(d: Pick<Derived, 'BBW' | 'MULW' | 'maxShift'>, o: Job['out'], M: number, bad: (msg: string) => never): void {
  const int = (v: unknown, lo: number, hi: number, what: string): void => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(`${what} = ${JSON.stringify(v)} is outside ${lo}..${hi}`);
  };
  for (const f of ['bias', 'mul', 'shift'] as const) {
    if (!Array.isArray(o[f]) || o[f].length !== M) bad(`out.${f} must have one entry per output channel (${M})`);
  }
  const bMax = 2 ** (d.BBW - 1) - 1;
  o.bias.forEach((v, i) => int(v, -bMax - 1, bMax, `out.bias[${i}] (${d.BBW}-bit signed)`));
  if (d.MULW === 0) o.mul.forEach((v, i) => int(v, 1, 1, `out.mul[${i}] (shift-only design: the scale is a power of two, mul must be 1)`));
  else o.mul.forEach((v, i) => int(v, 0, 2 ** d.MULW - 1, `out.mul[${i}] (${d.MULW}-bit unsigned)`));
  o.shift.forEach((v, i) => int(v, 0, d.maxShift, `out.shift[${i}]`));
  if (typeof o.relu !== 'boolean') bad('out.relu must be true or false');
}

/** Golden-model results of a job (bit-exact with the hardware). */
export function modelJob(cfg: TrConfig, job: Job): JobResult {
  const C = derive(cfg).C;
  let acc: number[][];
  let termPairs = 0;
  if (!job.tileK) ({ acc, termPairs } = matmul(job.W, job.X, dotSpec(cfg, job.control)));
  else {
    // per-tile k: each channel tile's columns with its own budget
    acc = job.X.map(() => []);
    for (let m0 = 0; m0 < job.W.length; m0 += C) {
      const r = matmul(job.W.slice(m0, m0 + C), job.X, dotSpec(cfg, tileControl({ C }, job, m0)));
      r.acc.forEach((row, n) => (acc[n] as number[]).push(...row));
      termPairs += r.termPairs;
    }
  }
  const y = acc.map((row) => row.map((a, m) => requant(a, job.out.bias[m] as number, job.out.mul[m] as number, job.out.shift[m] as number, cfg.xBits, job.out.relu)));
  return { acc, y, termPairs };
}

const mask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;
const twos = (v: number, bits: number): bigint => BigInt(v) & mask(bits);

/** Pack a weight term {nz, idx, sign, exp}. */
export function packWeightTerm(d: Derived, idx: number, t: Term | null): bigint {
  if (!t) return 0n;
  return (1n << BigInt(d.WT - 1)) | (BigInt(idx) << BigInt(d.EW + 1)) | ((t.sign < 0 ? 1n : 0n) << BigInt(d.EW)) | BigInt(t.exp);
}

/** Weight slots of one group of one channel: its kept terms (value index order, most significant first), P per
 *  slot (term 0 in the low bits), padded with empty terms to kEff slots. */
export function groupSlots(d: Derived, kept: Term[][], kEff: number): bigint[] {
  const terms: bigint[] = [];
  kept.forEach((ts, i) => ts.forEach((t) => terms.push(packWeightTerm(d, i, t))));
  if (terms.length > kEff * d.P) throw new Error(`internal: ${terms.length} weight terms in a group of ${kEff} slots of ${d.P}`);
  const slots: bigint[] = [];
  for (let s = 0; s < kEff; s++) {
    let slot = 0n;
    for (let p = 0; p < d.P; p++) slot |= (terms[s * d.P + p] ?? 0n) << BigInt(p * d.WT);
    slots.push(slot);
  }
  return slots;
}

/** Build the input streams of a sequence of jobs (one continuous run; control may change at every tile).
 *  With `blocks`, the weight beats of a channel tile and the data beats of a vector tile are stored once in
 *  streams.blocks and referenced by the tiles (streams.w / streams.x stay empty): large layers re-stream the
 *  same weights for every vector tile and the same data for every channel tile. */
export function buildStreams(cfg: TrConfig, jobs: readonly Job[], opts: { blocks?: boolean } = {}): Streams {
  const d = derive(cfg);
  const streams: Streams = { t: [], params: [], w: [], x: [], tiles: [], ...(opts.blocks ? { blocks: { w: [], x: [] } } : {}) };
  jobs.forEach((job, ji) => {
    const c = job.control;
    const K = (job.W[0] as number[]).length;
    const M = job.W.length;
    const N = job.X.length;
    const ngroups = Math.ceil(K / c.g);
    const beatsPerGroup = Math.ceil(c.g / d.L);
    // weights are prepared (TR'd) offline, once per channel, with the k of the channel's tile
    const wTerms = job.W.map((row, m) => prepareWeights(row, dotSpec(cfg, tileControl(d, job, m - (m % d.C)))));
    const xMemo = new Map<number, { beats: bigint[]; block: number }>();
    const dataBeats = (n0: number): { beats: bigint[]; block: number } => {
      const hit = xMemo.get(n0);
      if (hit) return hit;
      const beats: bigint[] = [];
      for (let gi = 0; gi < ngroups; gi++) {
        // ceil(g/L) beats of L values per row
        for (let b = 0; b < beatsPerGroup; b++) {
          let beat = 0n;
          for (let r = 0; r < d.R; r++) {
            for (let l = 0; l < d.L; l++) {
              const pos = b * d.L + l;
              const k = gi * c.g + pos;
              const n = n0 + r;
              const v = pos < c.g && k < K && n < N ? ((job.X[n] as number[])[k] as number) : 0;
              beat |= twos(v, d.BX) << BigInt((r * d.L + l) * d.BX);
            }
          }
          beats.push(beat);
        }
      }
      const entry = { beats, block: streams.blocks ? streams.blocks.x.push(beats) - 1 : -1 };
      xMemo.set(n0, entry);
      return entry;
    };
    for (let m0 = 0; m0 < M; m0 += d.C) {
      const tc = tileControl(d, job, m0);
      const { kEff, dEff } = effective(d, tc);
      // weights: kEff slots per group, each one term per column
      const wBeats: bigint[] = [];
      for (let gi = 0; gi < ngroups; gi++) {
        const perCol: bigint[][] = [];
        for (let cc = 0; cc < d.C; cc++) {
          const m = m0 + cc;
          const kept: Term[][] = [];
          for (let i = 0; i < c.g; i++) {
            const k = gi * c.g + i;
            kept.push(m < M && k < K ? ((wTerms[m] as Term[][])[k] as Term[]) : []);
          }
          perCol.push(groupSlots(d, kept, kEff));
        }
        for (let sl = 0; sl < kEff; sl++) {
          let beat = 0n;
          for (let cc = 0; cc < d.C; cc++) beat |= ((perCol[cc] as bigint[])[sl] as bigint) << BigInt(cc * d.WS);
          wBeats.push(beat);
        }
      }
      const wBlock = streams.blocks ? streams.blocks.w.push(wBeats) - 1 : -1;
      const params = tileParams(d, job.out, m0, M);
      for (let n0 = 0; n0 < N; n0 += d.R) {
        const x = dataBeats(n0);
        streams.tiles.push({ job: ji, m0, n0, control: tc, kEff, dEff, beatsPerGroup, ngroups, ...(streams.blocks ? { wBlock, xBlock: x.block } : {}) });
        streams.t.push({
          in_t_mode: c.mode === 'tr' ? 1n : 0n,
          in_t_k: BigInt(tc.k),
          in_t_d: BigInt(c.d),
          in_t_g: BigInt(c.g),
          in_t_ngroups: BigInt(ngroups),
          in_t_relu: job.out.relu ? 1n : 0n,
          in_t_pset: BigInt(psetOf(d, streams.t.length)),
        });
        streams.params.push(params);
        if (!streams.blocks) {
          // interleave per group so a consumer can stream tile by tile (order within a stream is what matters)
          for (const v of x.beats) streams.x.push(v);
          for (const v of wBeats) streams.w.push(v);
        }
      }
    }
  });
  return streams;
}

/** One result of the hardware: tile item (row r = data vector, col c = output channel). */
export interface OutItem {
  cycle: number;
  row: number;
  col: number;
  y: number;
  acc: number;
}

const signed = (v: bigint, bits: number): number => {
  const m = v & mask(bits);
  return Number(m >= 1n << BigInt(bits - 1) ? m - (1n << BigInt(bits)) : m);
};

export function unpackOutItem(d: Derived, cycle: number, ports: Record<string, bigint>): OutItem {
  return {
    cycle,
    row: Number(ports['out_y_row'] ?? 0n),
    col: Number(ports['out_y_col'] ?? 0n),
    y: signed(ports['out_y_data'] ?? 0n, d.BX),
    acc: signed(ports['out_y_acc'] ?? 0n, d.accW),
  };
}

/** Results per tile: R*C items, row-major. */
export const itemsPerTile = (d: Derived): number => d.R * d.C;

/**
 * Reassemble hardware results (R*C per tile, tile order, row-major) into per-job N×M matrices. Each item's
 * row/col tag must match its position in the stream (a wrong tag is a hardware bug, reported as such).
 */
export function assemble(cfg: TrConfig, jobs: readonly Job[], streams: Streams, items: readonly OutItem[]): { acc: number[][]; y: number[][] }[] {
  const d = derive(cfg);
  const out = jobs.map((j) => ({
    acc: j.X.map(() => new Array<number>(j.W.length).fill(NaN)),
    y: j.X.map(() => new Array<number>(j.W.length).fill(NaN)),
  }));
  const per = itemsPerTile(d);
  streams.tiles.forEach((t, ti) => {
    const job = jobs[t.job] as Job;
    for (let i = 0; i < per; i++) {
      const it = items[ti * per + i];
      if (!it) continue;
      const r = Math.floor(i / d.C);
      const c = i % d.C;
      if (it.row !== r || it.col !== c) throw new Error(`hardware result ${ti * per + i} is tagged (${it.row},${it.col}) but should be (${r},${c})`);
      const n = t.n0 + r;
      const m = t.m0 + c;
      if (n >= job.X.length || m >= job.W.length) continue;
      const o = out[t.job] as { acc: number[][]; y: number[][] };
      (o.acc[n] as number[])[m] = it.acc;
      (o.y[n] as number[])[m] = it.y;
    }
  });
  return out;
}

/** Where result (n, m) of job `job` came from: its tile (index in the stream), row and column in the tile, and its item index. */
export function locateResult(cfg: TrConfig, streams: Streams, job: number, n: number, m: number): { tile: number; row: number; col: number; item: number } | null {
  const d = derive(cfg);
  const ti = streams.tiles.findIndex((t) => t.job === job && n >= t.n0 && n < t.n0 + d.R && m >= t.m0 && m < t.m0 + d.C);
  if (ti < 0) return null;
  const t = streams.tiles[ti] as Tile;
  const row = n - t.n0;
  const col = m - t.m0;
  return { tile: ti, row, col, item: ti * itemsPerTile(d) + row * d.C + col };
}

/**
 * The exact cycle schedule of a run with every input stream always valid (the sequencer's rules at the
 * transaction level). Cycle 0 is the first cycle after reset. Per tile: its first and last work cycles and the
 * cycle at which each of its results appears on out_y (item r*C+c at itemCycles[r*C+c]).
 */
export interface Schedule {
  tiles: { first: number; last: number; itemCycles: number[] }[];
  /** cycles until the last result has appeared (its cycle + 1) */
  totalCycles: number;
  workCycles: number;
}

export function schedule(cfg: TrConfig, tiles: readonly Tile[]): Schedule {
  const d = derive(cfg);
  const out: Schedule['tiles'] = [];
  let prevSwap = -1; // issue cycle of the previous group's first work cycle
  let prevKd = 0;
  let prevFirstOfTile = -1; // issue cycle of the current tile's first work cycle (its descriptor pop)
  let prevLast = -Infinity;
  // the sequencer copies the head descriptor into registers before using it: the first load beat is in cycle 1
  let loadStart = 1;
  let work = 0;
  tiles.forEach((t, ti) => {
    const kd = t.kEff * t.dEff;
    let first = -1;
    let swap = -1;
    for (let gi = 0; gi < t.ngroups; gi++) {
      if (ti > 0 || gi > 0) {
        // the loader may refill the next-group buffer from the cycle after the previous group's swap; the first group of a
        // tile needs the next descriptor's registered copy, made the cycle after the previous tile's descriptor
        // was popped (its first work cycle), usable one cycle later
        loadStart = Math.max(prevSwap + 1, gi === 0 ? prevFirstOfTile + 2 : 0);
      }
      const full = loadStart + t.beatsPerGroup; // buffer full from this cycle on
      swap = Math.max(full, prevSwap < 0 ? 1 : prevSwap + prevKd);
      if (gi === 0) first = swap;
      prevSwap = swap;
      prevKd = kd;
    }
    // the tile's last work cycle may not come sooner than LMIN cycles after the previous tile's
    const last = Math.max(swap + kd - 1, prevLast + d.LMIN);
    if (kd === 1) {
      // a one-cycle group is issued in the cycle its tile may finish: a stall for LMIN moves the issue itself
      prevSwap = last;
      if (t.ngroups === 1) first = last;
    }
    prevKd = last - prevSwap + 1; // bubbles before the last cycle delay the next group too
    prevFirstOfTile = first;
    prevLast = last;
    work += t.ngroups * kd;
    // the control word of the last work cycle is visible one cycle after it is issued
    const itemCycles = Array.from({ length: itemsPerTile(d) }, (_, i) => last + 1 + d.outLatency + i);
    out.push({ first, last, itemCycles });
  });
  const lastTile = out[out.length - 1];
  return { tiles: out, totalCycles: lastTile ? (lastTile.itemCycles[lastTile.itemCycles.length - 1] as number) + 1 : 0, workCycles: work };
}
