/**
 * Conventional baselines generated from the same TrConfig as the TR array, for side-by-side hardware
 * comparison: the same R×C output-stationary systolic structure (data flowing right, weights flowing down,
 * both skewed; per-column result merges, then de-skewed), the same b_w/b_x and the same accumulator width
 * (derive(cfg).accW, set by maxK). TR-only fields (groupMax, lanes, outMulBits, biasBits) are ignored.
 *
 *   bp  bit-parallel MAC array: every cell does acc += w·x (one signed b_w×b_x multiply, plain Verilog `*`)
 *       in one step per MAC.
 *   bs  bit-serial array: the weight enters one bit per step, LSB first (b_w steps per MAC); the data value is
 *       held parallel and the row edge presents x << i at step i; a cell adds it when bit i of w is set, and
 *       subtracts it at the MSB step (two's complement). No multiplier.
 *
 * Hierarchy (module prefix `${name}_${kind}`): cell (leaf) → row (C cells) → array (row skew, [bs: R row
 * edges], R rows, C column merges, column de-skew) → top `${name}_${kind}_top` (sequencer + array).
 *
 * Streams of the top (valid/ready; values are two's complement, element 0 in the low bits):
 *   in_t_valid/out_t_ready, in_t_k          tile descriptor: the tile's reduction length K (1..maxK)
 *   in_w_valid/out_w_ready, in_w_data       weight beat: weight k of each of the C columns (C × b_w)
 *   in_x_valid/out_x_ready, in_x_data       data beat: value k of each of the R rows (R × b_x)
 *   out_y_valid, out_y_row, out_y_acc       result row (no back-pressure): the C raw accumulators of one row;
 *                                           R consecutive rows per tile, row 0 first
 *   out_err (sticky: a descriptor K was 0 or > maxK and was clamped), out_busy, out_stat_work (steps issued)
 * A tile consumes one descriptor and K weight beats and K data beats (beat k of both streams = reduction
 * index k); for bs the top serializes the weights itself, so the host streams whole weights.
 *
 * Control: the sequencer issues one step per cycle (bp: a MAC; bs: one weight bit of a MAC) with a control word
 * that travels with the data through the array: {last, first, work} (bs: {load, neg, last, first, work};
 * load = step 0, neg = step b_w−1). `first` restarts a cell's accumulator, `last` makes it pulse its result for
 * one cycle into its column merge (an OR: at most one row of a column pulses per cycle).
 *
 * Exact schedule (every input stream valid; cycle 0 = the first cycle after reset; s = 1 for bp, b_w for bs):
 *   - descriptors wait in a two-entry queue (out_t_ready is a register): the first one is queued in cycle 0,
 *     its tile started in cycle 1, and its first step issues in cycle 2
 *   - a tile issues S = K·s steps in consecutive cycles; the next tile's first step is the cycle after the
 *     previous tile's last step (0 lost cycles), except that a tile's last step waits until R cycles after the
 *     previous tile's last step (a column merge passes one row per cycle):
 *         last_j = max(first_j + S_j − 1, last_{j−1} + R),  first_{j+1} = last_j + 1
 *     (a one-step tile's only step is its last), so a tile takes max(K·s, R) cycles
 *   - row r of tile j leaves out_y in cycle last_j + C + 4 + r. A step issued in cycle t is in the sequencer's
 *     output registers in t+1; bp: cell (r,c)'s input registers t+2+r+c (row skew r, column skew c), product
 *     register t+3+r+c; bs: row edge register t+2+r, cell input registers t+3+r+c (column skew c+1); both:
 *     accumulator and result pulse t+4+r+c, column merge t+5+r+c, column c de-skewed by C−1−c → t+4+C+r
 *   - a single tile after reset: last = K·s+1, results in cycles K·s+C+5 … K·s+C+R+4, total K·s+C+R+5 cycles
 */
import { createHash } from 'node:crypto';
import { type TrConfig, bitsFor, clog2, derive } from './config.ts';
import { GENERATOR_VERSION, canonicalJson } from './design.ts';
import { emitModule } from './emit.ts';
import { CLK_RST, DELAY, type Leaf, Registry, delayed, inPort, leafText, need, outPort } from './leaves.ts';
import { type Expr, type Module, ModuleBuilder, type Port, type Signature, cat, pack, slice } from './netlist.ts';

export type BaselineKind = 'bp' | 'bs';
export const BASELINE_KINDS: readonly BaselineKind[] = ['bp', 'bs'];

const i = inPort;
const o = outPort;
const clkRst = CLK_RST;

/** Bit-parallel sequencer. */
export const BP_SEQ: Leaf = {
  suffix: 'seq',
  file: 'bp_seq.v',
  params: ['R', 'C', 'BX', 'BW', 'KW', 'KMAX', 'SCW'],
  ports(p) {
    const [R, C, BX, BW, KW] = need(p, 'R', 'C', 'BX', 'BW', 'KW', 'KMAX', 'SCW') as [number, number, number, number, number];
    return [
      ...clkRst, i('in_t_valid', 1), o('out_t_ready', 1), i('in_t_k', KW), i('in_w_valid', 1), o('out_w_ready', 1), i('in_w_data', C * BW),
      i('in_x_valid', 1), o('out_x_ready', 1), i('in_x_data', R * BX), o('out_cw', 3), o('out_x', R * BX), o('out_w', C * BW),
      o('out_err', 1), o('out_busy', 1), o('out_stat_work', 32),
    ];
  },
};

/** Bit-parallel MAC cell. */
export const BP_CELL: Leaf = {
  suffix: 'cell',
  file: 'bp_cell.v',
  params: ['BX', 'BW', 'ACCW'],
  ports(p) {
    const [BX, BW, ACCW] = need(p, 'BX', 'BW', 'ACCW') as [number, number, number];
    return [...clkRst, i('in_x', BX + 3), i('in_w', BW), o('out_x', BX + 3), o('out_w', BW), o('out_v', 1), o('out_res', ACCW)];
  },
};

/** Column result merge (shared by both baselines). */
export const COLMERGE: Leaf = {
  suffix: 'colmerge',
  file: 'bp_colmerge.v',
  params: ['R', 'ACCW', 'RW'],
  ports(p) {
    const [R, ACCW, RW] = need(p, 'R', 'ACCW', 'RW') as [number, number, number];
    return [...clkRst, i('in_v', R), i('in_res', R * ACCW), o('out_v', 1), o('out_row', RW), o('out_res', ACCW)];
  },
};

/** Bit-serial sequencer with the weight serializer. */
export const BS_SEQ: Leaf = {
  suffix: 'seq',
  file: 'bs_seq.v',
  params: ['R', 'C', 'BX', 'BW', 'KW', 'KMAX', 'SCW'],
  ports(p) {
    const [R, C, BX, BW, KW] = need(p, 'R', 'C', 'BX', 'BW', 'KW', 'KMAX', 'SCW') as [number, number, number, number, number];
    return [
      ...clkRst, i('in_t_valid', 1), o('out_t_ready', 1), i('in_t_k', KW), i('in_w_valid', 1), o('out_w_ready', 1), i('in_w_data', C * BW),
      i('in_x_valid', 1), o('out_x_ready', 1), i('in_x_data', R * BX), o('out_cw', 5), o('out_x', R * BX), o('out_wb', C),
      o('out_err', 1), o('out_busy', 1), o('out_stat_work', 32),
    ];
  },
};

/** Bit-serial row edge: holds the row's value, presents x << i. */
export const BS_EDGE: Leaf = {
  suffix: 'edge',
  file: 'bs_edge.v',
  params: ['BX', 'BW'],
  ports(p) {
    const [BX, BW] = need(p, 'BX', 'BW') as [number, number];
    return [...clkRst, i('in_cw', 5), i('in_x', BX), o('out_x', BX + BW + 3)];
  },
};

/** Bit-serial cell. */
export const BS_CELL: Leaf = {
  suffix: 'cell',
  file: 'bs_cell.v',
  params: ['XSW', 'ACCW'],
  ports(p) {
    const [XSW, ACCW] = need(p, 'XSW', 'ACCW') as [number, number];
    return [...clkRst, i('in_x', XSW + 4), i('in_w', 1), o('out_x', XSW + 4), o('out_w', 1), o('out_v', 1), o('out_res', ACCW)];
  },
};

export const BASELINE_LEAVES: Record<BaselineKind, readonly Leaf[]> = {
  bp: [BP_SEQ, BP_CELL, COLMERGE, DELAY],
  bs: [BS_SEQ, BS_EDGE, BS_CELL, COLMERGE, DELAY],
};

/** Widths and latencies of a baseline (all derived from the TrConfig here and nowhere else). */
export interface BaselineDerived {
  kind: BaselineKind;
  R: number;
  C: number;
  BW: number;
  BX: number;
  /** accumulator width: the TR array's (derive(cfg).accW), so both hold the same tile results */
  accW: number;
  maxK: number;
  /** K field width */
  KW: number;
  /** row index width of the result stream */
  RW: number;
  /** last-step spacing counter width (holds 0..R) */
  SCW: number;
  /** bs: width of the shifted data value x << i (b_x + b_w − 1) */
  XSW: number;
  /** steps per MAC: 1 (bp) or b_w (bs) */
  stepsPerMac: number;
  /** control word width (sequencer → array) */
  CWW: number;
  /** data bus width inside a row, weight bits per column inside the array */
  rowBusW: number;
  colW: number;
  /** row r of a tile leaves out_y resultLatency + r cycles after the tile's last step */
  resultLatency: number;
  /** stream port widths */
  xBeatW: number;
  wBeatW: number;
  yAccW: number;
}

export function deriveBaseline(cfg: TrConfig, kind: BaselineKind): BaselineDerived {
  if (kind !== 'bp' && kind !== 'bs') throw new Error(`unknown baseline kind ${JSON.stringify(kind)} (known: bp, bs)`);
  const d = derive(cfg);
  const R = cfg.rows;
  const C = cfg.cols;
  const BW = cfg.wBits;
  const BX = cfg.xBits;
  const XSW = BX + BW - 1;
  const bs = kind === 'bs';
  return {
    kind,
    R,
    C,
    BW,
    BX,
    accW: d.accW,
    maxK: cfg.maxK,
    KW: bitsFor(cfg.maxK),
    RW: Math.max(1, clog2(R)),
    SCW: bitsFor(R),
    XSW,
    stepsPerMac: bs ? BW : 1,
    CWW: bs ? 5 : 3,
    rowBusW: bs ? XSW + 4 : BX + 3,
    colW: bs ? 1 : BW,
    resultLatency: C + 4,
    xBeatW: R * BX,
    wBeatW: C * BW,
    yAccW: C * d.accW,
  };
}

/** Cycle of the first step after reset (descriptor queued in cycle 0, tile started in cycle 1). */
export const FIRST_STEP = 2;

/** Cycle schedule of one tile of reduction length K (all streams valid). */
export interface BaselineTileSchedule {
  /** steps per MAC (1 or b_w) */
  stepsPerMac: number;
  /** issued steps (work cycles) of the tile: K·s */
  steps: number;
  /** cycles the tile occupies in a back-to-back stream: max(K·s, R) */
  tileCycles: number;
  /** the tile alone after reset: first and last step cycles, the cycles of its R result rows, total cycles */
  first: number;
  last: number;
  rowCycles: number[];
  totalCycles: number;
}

export function baselineTileSchedule(b: BaselineDerived, K: number): BaselineTileSchedule {
  if (!Number.isInteger(K) || K < 1 || K > b.maxK) throw new RangeError(`K = ${K} is outside 1..${b.maxK}`);
  const steps = K * b.stepsPerMac;
  const first = FIRST_STEP;
  const last = first + steps - 1;
  const rowCycles = Array.from({ length: b.R }, (_, r) => last + b.resultLatency + r);
  return { stepsPerMac: b.stepsPerMac, steps, tileCycles: Math.max(steps, b.R), first, last, rowCycles, totalCycles: last + b.resultLatency + b.R };
}

/** Port list of a baseline top, shared by the builder, the harness and the driver. */
export function baselinePorts(b: BaselineDerived): (Port & { doc: string })[] {
  const p = (name: string, dir: 'input' | 'output', width: number, doc: string): Port & { doc: string } => ({ name, dir, width, doc });
  return [
    p('clk', 'input', 1, 'clock'),
    p('rst', 'input', 1, 'synchronous reset, active high'),
    p('in_t_valid', 'input', 1, 'tile descriptor valid'),
    p('out_t_ready', 'output', 1, 'tile descriptor accepted when valid & ready'),
    p('in_t_k', 'input', b.KW, `reduction length K of the tile, 1..${b.maxK}`),
    p('in_w_valid', 'input', 1, 'weight beat valid'),
    p('out_w_ready', 'output', 1, 'weight beat accepted when valid & ready'),
    p('in_w_data', 'input', b.wBeatW, `per column: signed ${b.BW}-bit weight (column 0 in the low bits)${b.kind === 'bs' ? '; serialized LSB first inside' : ''}`),
    p('in_x_valid', 'input', 1, 'data beat valid'),
    p('out_x_ready', 'output', 1, 'data beat accepted when valid & ready'),
    p('in_x_data', 'input', b.xBeatW, `per row: signed ${b.BX}-bit data value (row 0 in the low bits)`),
    p('out_y_valid', 'output', 1, `one result row per valid cycle: R = ${b.R} consecutive rows per tile`),
    p('out_y_row', 'output', b.RW, 'row (data vector within the tile) of the result row'),
    p('out_y_acc', 'output', b.yAccW, `per column: raw signed ${b.accW}-bit accumulator (column 0 in the low bits)`),
    p('out_err', 'output', 1, 'sticky: a descriptor K was 0 or larger than maxK (it was clamped)'),
    p('out_busy', 'output', 1, 'a tile is being issued'),
    p('out_stat_work', 'output', 32, `performance counter: ${b.kind === 'bs' ? 'bit steps' : 'MAC steps'} issued`),
  ];
}

function cellLeaf(b: BaselineDerived): { leaf: Leaf; params: Record<string, number> } {
  return b.kind === 'bp'
    ? { leaf: BP_CELL, params: { BX: b.BX, BW: b.BW, ACCW: b.accW } }
    : { leaf: BS_CELL, params: { XSW: b.XSW, ACCW: b.accW } };
}

/** One row: C cells; the data bus passes left to right, weights top to bottom. */
function buildRow(reg: Registry, b: BaselineDerived): Module {
  const P = reg.prefix;
  const what = b.kind === 'bp' ? 'bit-parallel MAC cells' : 'bit-serial cells';
  const m = new ModuleBuilder(`${P}_row`, [`${P}_row: ${b.C} ${what}; the data bus enters at the left, weights pass top to bottom`]);
  const clk = m.input('clk', 1);
  const rst = m.input('rst', 1);
  const inX = m.input('in_x', b.rowBusW, b.kind === 'bp' ? 'data bus {last, first, work, x}' : 'data bus {neg, last, first, work, x << i}');
  const inW = m.input('in_w', b.C * b.colW, b.kind === 'bp' ? 'weight of every column (from the row above)' : 'weight bit of every column (from the row above)');
  const outW = m.output('out_w', b.C * b.colW, 'weights to the row below');
  const outV = m.output('out_v', b.C, 'per column: result pulse');
  const outRes = m.output('out_res', b.C * b.accW, 'per column: tile result while out_v, else 0');
  const { leaf, params } = cellLeaf(b);
  const cell = reg.leaf(leaf, params);
  let x = inX;
  for (let c = 0; c < b.C; c++) {
    const last = c === b.C - 1;
    const xo = m.wire(`x_${c + 1}`, b.rowBusW, last ? 'data bus leaving the last column' : undefined, { unused: last });
    m.inst(cell, `u_cell_${c}`, params, {
      clk,
      rst,
      in_x: x,
      in_w: slice(inW, c * b.colW, b.colW),
      out_x: xo,
      out_w: slice(outW, c * b.colW, b.colW),
      out_v: slice(outV, c, 1),
      out_res: slice(outRes, c * b.accW, b.accW),
    });
    x = xo;
  }
  return m.build(reg.sigs);
}

/** The array: row skew, [bs: row edges], R rows, column merges and de-skew. */
function buildArray(reg: Registry, b: BaselineDerived, row: Signature): Module {
  const P = reg.prefix;
  const bs = b.kind === 'bs';
  const wSkew = bs ? 1 : 0; // the bs row edge adds one register to the data path
  const m = new ModuleBuilder(`${P}_array`, [
    `${P}_array: ${b.R}x${b.C} ${bs ? 'bit-serial' : 'bit-parallel MAC'} systolic array (output stationary).`,
    `Row r sees the control word and data r cycles late${bs ? ' (then its row edge register)' : ''}, column c its weights c${wSkew ? `+${wSkew}` : ''} cycles late;`,
    `results: per-column OR merge, column c delayed by ${b.C - 1}-c, so a tile's row r leaves ${b.resultLatency}+r cycles after its last step.`,
  ]);
  const clk = m.input('clk', 1);
  const rst = m.input('rst', 1);
  const inCw = m.input('in_cw', b.CWW, bs ? 'control word {load, neg, last, first, work}' : 'control word {last, first, work}');
  const inX = m.input('in_x', b.R * b.BX, 'data value of every row');
  const inW = m.input('in_w', b.C * b.colW, bs ? 'weight bit of every column' : 'weight of every column');
  const outV = m.output('out_v', 1, 'result row valid');
  const outRow = m.output('out_row', b.RW, 'result row index');
  const outRes = m.output('out_res', b.C * b.accW, 'results of the row, column c at index c');

  const wTop: Expr[] = [];
  for (let c = 0; c < b.C; c++) {
    wTop.push(delayed(m, reg, `w_skew_${c}`, clk, rst, slice(inW, c * b.colW, b.colW), c + wSkew, `column ${c} weight${bs ? ' bit' : ''}, skewed`));
  }
  let wIn = pack(wTop);
  const edgeParams = { BX: b.BX, BW: b.BW };
  const vs: Expr[] = [];
  const ress: Expr[] = [];
  for (let r = 0; r < b.R; r++) {
    const xr = slice(inX, r * b.BX, b.BX);
    let bus: Expr;
    if (bs) {
      const cwd = delayed(m, reg, `cw_${r}`, clk, rst, inCw, r, `row ${r} control word, skewed`);
      const xd = delayed(m, reg, `x_${r}`, clk, rst, xr, r, `row ${r} data value, skewed`);
      bus = m.wire(`xs_${r}`, b.rowBusW, `row ${r} data bus from its edge`);
      m.inst(reg.leaf(BS_EDGE, edgeParams), `u_edge_${r}`, edgeParams, { clk, rst, in_cw: cwd, in_x: xd, out_x: bus });
    } else {
      bus = delayed(m, reg, `xs_${r}`, clk, rst, cat(inCw, xr), r, `row ${r} data bus, skewed`);
    }
    const lastRow = r === b.R - 1;
    const wOut = m.wire(`w_${r + 1}`, b.C * b.colW, lastRow ? 'weights leaving the last row' : undefined, { unused: lastRow });
    const v = m.wire(`v_${r}`, b.C, `row ${r} result pulses`);
    const res = m.wire(`res_${r}`, b.C * b.accW, `row ${r} results`);
    m.inst(row, `u_row_${r}`, {}, { clk, rst, in_x: bus, in_w: wIn, out_w: wOut, out_v: v, out_res: res });
    vs.push(v);
    ress.push(res);
    wIn = wOut;
  }
  const mParams = { R: b.R, ACCW: b.accW, RW: b.RW };
  const merge = reg.leaf(COLMERGE, mParams);
  for (let c = 0; c < b.C; c++) {
    const lastCol = c === b.C - 1;
    const inV = pack(vs.map((v) => slice(v, c, 1)));
    const inRes = pack(ress.map((r) => slice(r, c * b.accW, b.accW)));
    const dst = slice(outRes, c * b.accW, b.accW);
    if (lastCol) {
      m.inst(merge, `u_merge_${c}`, mParams, { clk, rst, in_v: inV, in_res: inRes, out_v: outV, out_row: outRow, out_res: dst });
      continue;
    }
    const mv = m.wire(`mv_${c}`, 1, `column ${c} merged pulse (column ${b.C - 1}'s is used)`, { unused: true });
    const mrow = m.wire(`mrow_${c}`, b.RW, `column ${c} merged row index (column ${b.C - 1}'s is used)`, { unused: true });
    const mres = m.wire(`mres_${c}`, b.accW, `column ${c} merged result`);
    m.inst(merge, `u_merge_${c}`, mParams, { clk, rst, in_v: inV, in_res: inRes, out_v: mv, out_row: mrow, out_res: mres });
    const depth = b.C - 1 - c;
    m.inst(reg.leaf(DELAY, { W: b.accW, D: depth }), `u_deskew_${c}`, { W: b.accW, D: depth }, { clk, rst, in_d: mres, out_d: dst });
  }
  return m.build(reg.sigs);
}

function buildTop(reg: Registry, b: BaselineDerived, array: Signature): Module {
  const P = reg.prefix;
  const bs = b.kind === 'bs';
  const m = new ModuleBuilder(`${P}_top`, [
    `${P}_top: ${bs ? 'bit-serial' : 'bit-parallel MAC'} baseline: sequencer${bs ? ' + weight serializer' : ''} + ${b.R}x${b.C} array.`,
    'Streams: tile descriptors (in_t_*), weight beats (in_w_*), data beats (in_x_*) with valid/ready;',
    `result rows (out_y_*) have no back-pressure: R consecutive rows of C accumulators per tile.`,
  ]);
  const p: Record<string, Expr> = {};
  for (const port of baselinePorts(b)) p[port.name] = port.dir === 'input' ? m.input(port.name, port.width, port.doc) : m.output(port.name, port.width, port.doc);
  const clk = p['clk'] as Expr;
  const rst = p['rst'] as Expr;
  const cw = m.wire('cw', b.CWW, 'control word');
  const x = m.wire('x', b.R * b.BX, 'data values, all rows');
  const w = m.wire('w', b.C * b.colW, bs ? 'weight bits, all columns' : 'weights, all columns');
  const seqParams: Record<string, number> = { R: b.R, C: b.C, BX: b.BX, BW: b.BW, KW: b.KW, KMAX: b.maxK, SCW: b.SCW };
  const seqConns: Record<string, Expr> = { clk, rst, out_cw: cw, out_x: x, [bs ? 'out_wb' : 'out_w']: w };
  for (const n of ['in_t_valid', 'out_t_ready', 'in_t_k', 'in_w_valid', 'out_w_ready', 'in_w_data', 'in_x_valid', 'out_x_ready', 'in_x_data', 'out_err', 'out_busy', 'out_stat_work']) {
    seqConns[n] = p[n] as Expr;
  }
  m.inst(reg.leaf(bs ? BS_SEQ : BP_SEQ, seqParams), 'u_seq', seqParams, seqConns);
  m.inst(array, 'u_array', {}, { clk, rst, in_cw: cw, in_x: x, in_w: w, out_v: p['out_y_valid'] as Expr, out_row: p['out_y_row'] as Expr, out_res: p['out_y_acc'] as Expr });
  return m.build(reg.sigs);
}

export interface Baseline {
  kind: BaselineKind;
  cfg: TrConfig;
  derived: BaselineDerived;
  /** top module name `${name}_${kind}_top` */
  top: string;
  /** Verilog sources, one module per file (leaves first, top last), keyed by file name */
  files: Record<string, string>;
  /** top-level ports (also usable as the core signature of gen/bench/bench.ts) */
  ports: (Port & { doc: string })[];
  signature: Signature;
  configHash: string;
  /** the exact cycle schedule of one tile of reduction length K */
  schedule(K: number): BaselineTileSchedule;
}

function header(cfg: TrConfig, b: BaselineDerived, hash: string): string {
  const name = b.kind === 'bp' ? 'bit-parallel MAC' : 'bit-serial (weights LSB first)';
  const s = b.kind === 'bp' ? '1' : `${b.BW}`;
  const lines = [
    `trgen ${GENERATOR_VERSION}: ${name} baseline "${cfg.name}_${b.kind}" for comparison with the TR array (generated; do not edit)`,
    `config sha256 ${hash}`,
    '',
    'parameters (TR-only fields groupMax, lanes, outMulBits, biasBits are ignored):',
    ...Object.entries(cfg).map(([k, v]) => `  ${k.padEnd(12)} ${v}`),
    'derived:',
    `  array        ${b.R} rows x ${b.C} columns, output stationary`,
    `  accumulator  ${b.accW} bits signed (the TR array's)`,
    `  K field      ${b.KW} bits (1..${b.maxK})`,
    ...(b.kind === 'bs' ? [`  data bus     x << i, ${b.XSW} bits`] : [`  product      ${b.BX + b.BW} bits signed`]),
    'schedule (every input stream valid; cycle 0 = first cycle after reset):',
    `  steps/MAC    ${s}; a tile issues K*${s} steps, back to back with the previous tile`,
    `  cycles/tile  max(K*${s}, ${b.R}) (a tile's last step comes at least R cycles after the previous tile's)`,
    `  first step   cycle ${FIRST_STEP}; result row r leaves out_y ${b.resultLatency}+r cycles after the tile's last step`,
    `  one tile     K*${s}+${FIRST_STEP + b.resultLatency + b.R - 1} cycles from reset to the end of its last result row`,
  ];
  return lines.map((l) => `// ${l}`.trimEnd()).join('\n') + '\n';
}

/** Build a baseline design for a validated config. */
export function buildBaseline(cfg: TrConfig, kind: BaselineKind): Baseline {
  const b = deriveBaseline(cfg, kind);
  const prefix = `${cfg.name}_${kind}`;
  const reg = new Registry(prefix);
  const row = reg.add(buildRow(reg, b));
  const array = reg.add(buildArray(reg, b, row));
  const top = buildTop(reg, b, array);
  const hash = createHash('sha256').update(canonicalJson({ baseline: kind, config: cfg })).digest('hex');
  const files: Record<string, string> = {};
  const short = `// trgen ${GENERATOR_VERSION}, ${kind} baseline "${cfg.name}" (config sha256 ${hash.slice(0, 16)}); generated, do not edit\n`;
  const put = (module: string, text: string, head: string): void => {
    files[`${module}.v`] = `${head}\n\`default_nettype none\n\n${text}\n\`default_nettype wire\n`;
  };
  for (const l of BASELINE_LEAVES[kind]) put(`${prefix}_${l.suffix}`, leafText(prefix, l), short);
  put(row.name, emitModule(row as Module), short);
  put(array.name, emitModule(array as Module), short);
  put(top.name, emitModule(top), header(cfg, b, hash));
  const ports = baselinePorts(b);
  return {
    kind,
    cfg,
    derived: b,
    top: top.name,
    files,
    ports,
    signature: { name: top.name, ports },
    configHash: hash,
    schedule: (K: number) => baselineTileSchedule(b, K),
  };
}
