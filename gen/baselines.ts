/**
 * Conventional baselines generated from the same TrConfig as the TR array, for side-by-side hardware
 * comparison: the same R×C output-stationary systolic structure (data flowing right, weights flowing down,
 * both skewed; per-column result merges, then de-skewed), the same b_w/b_x, the same accumulator width
 * (derive(cfg).accW, set by maxK), and the SAME output stage and read-out as the TR array: the TR leaves
 * tr_readout.v (CHAIN = 1, over row shift chains) and tr_out.v with derive(cfg)'s output widths (bias BBW, mul
 * MULW bits or shift only when outMulBits = 0, shift SW), so results leave one at a time as (row, col, acc, y)
 * exactly as from the TR top. TR-only fields (groupMax, lanes, termsPerCycle, cell) are ignored.
 *
 *   bp  bit-parallel MAC array: every cell does acc += w·x (one signed b_w×b_x multiply, plain Verilog `*`)
 *       in one step per MAC.
 *   bs  bit-serial array: the weight enters one bit per step, LSB first (b_w steps per MAC); the data value is
 *       held parallel and the row edge presents x << i at step i; a cell adds it when bit i of w is set, and
 *       subtracts it at the MSB step (two's complement). No multiplier.
 *
 * Hierarchy (module prefix `${name}_${kind}`): cell (leaf) → row (C cells) → array (row skew, [bs: R row
 * edges], R rows, C column merges, column de-skew) → top `${name}_${kind}_top`: sequencer, output-parameter
 * queue (outq), array, row buffer (rowbuf: R shift chains of C results, loaded a row at a time), read-out
 * (the TR array's, one result per cycle, no R·C-way multiplexer: an R-way choice of the row chains' heads) and
 * output stage (the TR array's: y = clamp(((acc + bias)·M) >> s), optional ReLU; docs/DESIGN.md, sim/model
 * requant).
 *
 * Streams of the top (valid/ready; values are two's complement, element 0 in the low bits):
 *   in_t_valid/out_t_ready, in_t_k, in_t_relu, in_t_pset
 *                                           tile descriptor: the tile's reduction length K (1..maxK), relu and
 *                                           its output-parameter set (the TR descriptor's fields and widths)
 *   in_w_valid/out_w_ready, in_w_data       weight beat: weight k of each of the C columns (C × b_w)
 *   in_x_valid/out_x_ready, in_x_data       data beat: value k of each of the R rows (R × b_x)
 *   out_p_addr -> in_p_bias, in_p_mul, in_p_shift
 *                                           the parameter memory port (the TR array's): address {pset, column}
 *                                           of the item read out, the column's parameters one cycle later
 *   out_y_valid, out_y_row, out_y_col, out_y_data, out_y_acc
 *                                           results (no back-pressure): R·C per tile, one per cycle,
 *                                           row-major; y (b_x bits) and the raw accumulator
 *   out_err (sticky: a descriptor K was 0 or > maxK and was clamped), out_busy, out_stat_work (steps issued)
 * A tile consumes one descriptor and K weight beats and K data beats (beat k of both streams = reduction
 * index k); for bs the top serializes the weights itself, so the host streams whole weights.
 *
 * Control: the sequencer issues one step per cycle (bp: a MAC; bs: one weight bit of a MAC) with a control word
 * that travels with the data through the array: {last, first, work} (bs: {load, neg, last, first, work};
 * load = step 0, neg = step b_w−1). `first` restarts a cell's accumulator, `last` makes it pulse its result for
 * one cycle into its column merge (an OR: at most one row of a column pulses per cycle). The de-skewed rows
 * enter the row buffer one per cycle; the arrival of row 0 starts the read-out, which reads row r's chain head
 * and shifts that chain, R·C reads in consecutive cycles, each with column c's output parameters (read from the
 * parameter memory at {pset, c}, pset from the head entry of the output queue, popped after the tile's last read).
 *
 * Exact schedule (every input stream valid; cycle 0 = the first cycle after reset; s = 1 for bp, b_w for bs):
 *   - descriptors wait in a two-entry queue in the sequencer (out_t_ready is a function of registers): the first
 *     one is queued in cycle 0, its tile started in cycle 1, and its first step issues in cycle 2
 *   - a tile issues S = K·s steps in consecutive cycles; the next tile's first step is the cycle after the
 *     previous tile's last step (0 lost cycles), except that a tile's last step waits until R·C cycles after
 *     the previous tile's last step (the read-out emits one of the tile's R·C results per cycle):
 *         last_j = max(first_j + S_j − 1, last_{j−1} + R·C),  first_{j+1} = last_j + 1
 *     (a one-step tile's only step is its last), so a tile takes max(K·s, R·C) cycles: for K·s ≥ R·C (every
 *     K ≥ R·C) exactly K·s, as without the read-out; shorter tiles take R·C cycles (the steps issue back to
 *     back, then the last one waits; nothing else stalls)
 *   - result (r,c) of tile j leaves out_y in cycle last_j + C + 6 + O + r·C + c, O the output stage's register
 *     stages (4, or 3 without a multiplier: derive()'s outStages). A step issued in cycle t is in
 *     the sequencer's output registers in t+1; bp: cell (r,c)'s input registers t+2+r+c (row skew r, column
 *     skew c), product register t+3+r+c; bs: row edge register t+2+r, cell input registers t+3+r+c (column
 *     skew c+1); both: accumulator and result pulse t+4+r+c, column merge t+5+r+c, column c de-skewed by
 *     C−1−c → row r in the row buffer's input in t+4+C+r; the read-out reads result i = r·C+c in t+5+C+i,
 *     its output register t+6+C+i, the output stage's O stages → out_y in t+6+O+C+i
 *   - a single tile after reset: last = K·s+1, results in cycles K·s+C+11 … K·s+C+R·C+10, total
 *     K·s+C+R·C+11 cycles
 *   - the output queue holds a tile's entry from its descriptor (accepted at the latest in the cycle
 *     before the previous tile's last step) to its last read (last + C + 4 + R·C); tiles end ≥ R·C cycles
 *     apart, so NQ = 3 + ⌊(C + 5)/(R·C)⌋ entries never hold back a descriptor when every stream is valid (3 for
 *     R·C ≥ C + 6, e.g. the benchmark's 2×8); with stalled streams a full queue only delays the descriptor
 *     stream
 */
import { createHash } from 'node:crypto';
import { type TrConfig, bitsFor, clog2, derive } from './config.ts';
import { GENERATOR_VERSION, canonicalJson, paramPorts } from './design.ts';
import { emitModule } from './emit.ts';
import { CLK_RST, DELAY, type Leaf, OUT, READOUT, Registry, delayed, inPort, leafText, need, outPort, outputPath } from './leaves.ts';
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
  params: ['R', 'C', 'BX', 'BW', 'KW', 'KMAX', 'SP', 'SCW'],
  ports(p) {
    const [R, C, BX, BW, KW] = need(p, 'R', 'C', 'BX', 'BW', 'KW', 'KMAX', 'SP', 'SCW') as [number, number, number, number, number];
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
  params: ['R', 'C', 'BX', 'BW', 'KW', 'KMAX', 'SP', 'SCW'],
  ports(p) {
    const [R, C, BX, BW, KW] = need(p, 'R', 'C', 'BX', 'BW', 'KW', 'KMAX', 'SP', 'SCW') as [number, number, number, number, number];
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

/** Result row buffer (shared by both baselines): R row shift chains of C results, read by the TR read-out. */
export const ROWBUF: Leaf = {
  suffix: 'rowbuf',
  file: 'bl_rowbuf.v',
  params: ['R', 'C', 'ACCW', 'RW'],
  ports(p) {
    const [R, C, ACCW, RW] = need(p, 'R', 'C', 'ACCW', 'RW') as [number, number, number, number];
    return [...clkRst, i('in_v', 1), i('in_row', RW), i('in_res', C * ACCW), i('in_shift', R), o('out_head', R * ACCW), o('out_go', 1)];
  },
};

/** Output queue (shared by both baselines): {relu, pset} per tile from its descriptor to its last read. */
export const OUTQ: Leaf = {
  suffix: 'outq',
  file: 'bl_outq.v',
  params: ['PSW', 'NQ', 'QCW', 'NRD', 'RCW'],
  ports(p) {
    const [PSW] = need(p, 'PSW', 'NQ', 'QCW', 'NRD', 'RCW') as [number];
    return [
      ...clkRst, i('in_t_valid', 1), o('out_t_ready', 1), i('in_seq_ready', 1), o('out_seq_valid', 1),
      i('in_t_relu', 1), i('in_t_pset', PSW), i('in_rd', 1), o('out_pset', PSW), o('out_relu', 1),
    ];
  },
};

/** The leaves of a baseline: its own, then the shared result path (the TR array's read-out and output stage). */
export const BASELINE_LEAVES: Record<BaselineKind, readonly Leaf[]> = {
  bp: [BP_SEQ, BP_CELL, COLMERGE, ROWBUF, OUTQ, READOUT, OUT, DELAY],
  bs: [BS_SEQ, BS_EDGE, BS_CELL, COLMERGE, ROWBUF, OUTQ, READOUT, OUT, DELAY],
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
  /** row and column index widths of the result stream */
  RW: number;
  CW: number;
  /** output stage (derive(cfg)'s, as the TR array): bias width, mul port width, multiplier width (0: shift
   *  only), shift field width, largest shift */
  BBW: number;
  MBW: number;
  MULW: number;
  SW: number;
  maxShift: number;
  /** output-parameter-set index width, parameter memory address width (the TR array's) */
  PSW: number;
  PAW: number;
  /** minimum spacing of tile-end steps: R·C (the read-out emits one result per cycle); its counter width */
  SP: number;
  SCW: number;
  /** output queue: entries, count width, read counter width */
  NQ: number;
  QCW: number;
  RCW: number;
  /** bs: width of the shifted data value x << i (b_x + b_w − 1) */
  XSW: number;
  /** steps per MAC: 1 (bp) or b_w (bs) */
  stepsPerMac: number;
  /** control word width (sequencer → array) */
  CWW: number;
  /** data bus width inside a row, weight bits per column inside the array */
  rowBusW: number;
  colW: number;
  /** result (r,c) of a tile leaves out_y resultLatency + r·C + c cycles after the tile's last step */
  resultLatency: number;
  /** stream port widths */
  xBeatW: number;
  wBeatW: number;
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
  const SP = R * C;
  // a tile's parameter entry lives from its descriptor (accepted at the latest in the cycle before the previous
  // tile's last step) until its last read, C + 4 + R·C cycles after its own last step (see the header comment)
  const NQ = 3 + Math.floor((C + 5) / SP);
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
    CW: Math.max(1, clog2(C)),
    BBW: d.BBW,
    MBW: d.MBW,
    MULW: d.MULW,
    SW: d.SW,
    maxShift: d.maxShift,
    PSW: d.PSW,
    PAW: d.PAW,
    SP,
    SCW: bitsFor(SP),
    NQ,
    QCW: bitsFor(NQ),
    RCW: Math.max(1, bitsFor(SP - 1)),
    XSW,
    stepsPerMac: bs ? BW : 1,
    CWW: bs ? 5 : 3,
    rowBusW: bs ? XSW + 4 : BX + 3,
    colW: bs ? 1 : BW,
    resultLatency: C + 6 + d.outStages,
    xBeatW: R * BX,
    wBeatW: C * BW,
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
  /** cycles the tile occupies in a back-to-back stream: max(K·s, R·C) */
  tileCycles: number;
  /** the tile alone after reset: first and last step cycles, the cycles of its R·C results (row-major: result
   *  (r,c) at index r·C + c), total cycles */
  first: number;
  last: number;
  resultCycles: number[];
  totalCycles: number;
}

export function baselineTileSchedule(b: BaselineDerived, K: number): BaselineTileSchedule {
  if (!Number.isInteger(K) || K < 1 || K > b.maxK) throw new RangeError(`K = ${K} is outside 1..${b.maxK}`);
  const steps = K * b.stepsPerMac;
  const first = FIRST_STEP;
  const last = first + steps - 1;
  const resultCycles = Array.from({ length: b.SP }, (_, i) => last + b.resultLatency + i);
  return { stepsPerMac: b.stepsPerMac, steps, tileCycles: Math.max(steps, b.SP), first, last, resultCycles, totalCycles: last + b.resultLatency + b.SP };
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
    p('in_t_relu', 'input', 1, 'output stage: clamp negatives to 0'),
    p('in_t_pset', 'input', b.PSW, 'output-parameter set of the tile (the parameter memory words at pset * 2^CW + column)'),
    p('in_w_valid', 'input', 1, 'weight beat valid'),
    p('out_w_ready', 'output', 1, 'weight beat accepted when valid & ready'),
    p('in_w_data', 'input', b.wBeatW, `per column: signed ${b.BW}-bit weight (column 0 in the low bits)${b.kind === 'bs' ? '; serialized LSB first inside' : ''}`),
    p('in_x_valid', 'input', 1, 'data beat valid'),
    p('out_x_ready', 'output', 1, 'data beat accepted when valid & ready'),
    p('in_x_data', 'input', b.xBeatW, `per row: signed ${b.BX}-bit data value (row 0 in the low bits)`),
    ...paramPorts(b),
    p('out_y_valid', 'output', 1, `one result per valid cycle: R*C = ${b.SP} consecutive results per tile, row-major`),
    p('out_y_row', 'output', b.RW, 'row (data vector within the tile) of the result'),
    p('out_y_col', 'output', b.CW, 'column (output channel within the tile) of the result'),
    p('out_y_data', 'output', b.BX, 'quantized output y (signed)'),
    p('out_y_acc', 'output', b.accW, 'raw accumulator (signed)'),
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
    `${P}_top: ${bs ? 'bit-serial' : 'bit-parallel MAC'} baseline: sequencer${bs ? ' + weight serializer' : ''} + output-parameter queue + ${b.R}x${b.C} array`,
    '+ row buffer + read-out + output stage (the read-out and output stage are the TR array\'s leaves).',
    'Streams: tile descriptors (in_t_*), weight beats (in_w_*), data beats (in_x_*) with valid/ready;',
    'results (out_y_*) have no back-pressure: R*C consecutive cycles per tile, row-major.',
  ]);
  const p: Record<string, Expr> = {};
  for (const port of baselinePorts(b)) p[port.name] = port.dir === 'input' ? m.input(port.name, port.width, port.doc) : m.output(port.name, port.width, port.doc);
  const clk = p['clk'] as Expr;
  const rst = p['rst'] as Expr;
  const cw = m.wire('cw', b.CWW, 'control word');
  const x = m.wire('x', b.R * b.BX, 'data values, all rows');
  const w = m.wire('w', b.C * b.colW, bs ? 'weight bits, all columns' : 'weights, all columns');
  const tValid = m.wire('t_valid', 1, 'descriptor valid towards the sequencer (the parameter queue has room)');
  const tReady = m.wire('t_ready', 1, 'the sequencer\'s descriptor queue has room');
  const seqParams: Record<string, number> = { R: b.R, C: b.C, BX: b.BX, BW: b.BW, KW: b.KW, KMAX: b.maxK, SP: b.SP, SCW: b.SCW };
  const seqConns: Record<string, Expr> = { clk, rst, in_t_valid: tValid, out_t_ready: tReady, out_cw: cw, out_x: x, [bs ? 'out_wb' : 'out_w']: w };
  for (const n of ['in_t_k', 'in_w_valid', 'out_w_ready', 'in_w_data', 'in_x_valid', 'out_x_ready', 'in_x_data', 'out_err', 'out_busy', 'out_stat_work']) {
    seqConns[n] = p[n] as Expr;
  }
  m.inst(reg.leaf(bs ? BS_SEQ : BP_SEQ, seqParams), 'u_seq', seqParams, seqConns);

  // output stage: {relu, pset} queued per tile; the head's set addresses the parameter memory during its reads
  const rd = m.wire('ro_rd', 1, 'read-out: one read of the head tile');
  const qPset = m.wire('q_pset', b.PSW);
  const qRelu = m.wire('q_relu', 1);
  const qParams = { PSW: b.PSW, NQ: b.NQ, QCW: b.QCW, NRD: b.SP, RCW: b.RCW };
  m.inst(reg.leaf(OUTQ, qParams), 'u_outq', qParams, {
    clk, rst, in_t_valid: p['in_t_valid'] as Expr, out_t_ready: p['out_t_ready'] as Expr, in_seq_ready: tReady, out_seq_valid: tValid,
    in_t_relu: p['in_t_relu'] as Expr, in_t_pset: p['in_t_pset'] as Expr, in_rd: rd, out_pset: qPset, out_relu: qRelu,
  });

  const av = m.wire('a_v', 1, 'array: result row valid');
  const arow = m.wire('a_row', b.RW, 'array: result row index');
  const ares = m.wire('a_res', b.C * b.accW, 'array: the C results of the row');
  m.inst(array, 'u_array', {}, { clk, rst, in_cw: cw, in_x: x, in_w: w, out_v: av, out_row: arow, out_res: ares });

  // row buffer + the TR read-out over the rows' shift chains (CHAIN = 1): one result per cycle, row-major
  const heads = m.wire('heads', b.R * b.accW, 'row buffer: head (column 0) of every row');
  const shifts = m.wire('ro_shifts', b.R, 'read-out: shift row r of the row buffer');
  const go = m.wire('go', 1, 'read-out start (row 0 of a tile enters the row buffer)');
  const rbParams = { R: b.R, C: b.C, ACCW: b.accW, RW: b.RW };
  m.inst(reg.leaf(ROWBUF, rbParams), 'u_rowbuf', rbParams, { clk, rst, in_v: av, in_row: arow, in_res: ares, in_shift: shifts, out_head: heads, out_go: go });
  outputPath(m, reg, b, true, { clk, rst, go, res: heads, shifts, rd, pset: qPset, relu: qRelu }, p as Record<string, Expr>);
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
    'parameters (TR-only fields groupMax, lanes, termsPerCycle, cell are ignored):',
    ...Object.entries(cfg).map(([k, v]) => `  ${k.padEnd(12)} ${v}`),
    'derived:',
    `  array        ${b.R} rows x ${b.C} columns, output stationary`,
    `  accumulator  ${b.accW} bits signed (the TR array's)`,
    `  K field      ${b.KW} bits (1..${b.maxK})`,
    ...(b.kind === 'bs' ? [`  data bus     x << i, ${b.XSW} bits`] : [`  product      ${b.BX + b.BW} bits signed`]),
    `  output stage the TR array's: bias ${b.BBW} bits, ${b.MULW ? `multiplier ${b.MULW} bits` : 'no multiplier (shift only)'}, shift 0..${b.maxShift}; output queue ${b.NQ} entries`,
    `  read-out     the TR array's over ${b.R} row buffer chains of ${b.C}: one result (row, col, acc, y) per cycle`,
    'schedule (every input stream valid; cycle 0 = first cycle after reset):',
    `  steps/MAC    ${s}; a tile issues K*${s} steps, back to back with the previous tile`,
    `  cycles/tile  max(K*${s}, ${b.SP}) (a tile's last step comes at least R*C cycles after the previous tile's)`,
    `  first step   cycle ${FIRST_STEP}; result (r,c) leaves out_y ${b.resultLatency}+r*${b.C}+c cycles after the tile's last step`,
    `  one tile     K*${s}+${FIRST_STEP + b.resultLatency + b.SP - 1} cycles from reset to the end of its last result`,
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
