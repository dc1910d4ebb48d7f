/**
 * Builders for the TR systolic array hierarchy: cell (leaf) -> row -> array -> top, and the assembly of a
 * complete design (Verilog file + params.json). Structure only: all logic lives in the leaf templates.
 */
import { createHash } from 'node:crypto';
import { type Derived, type TrConfig, derive } from './config.ts';
import { emitModule } from './emit.ts';
import { CELL, EDGE, Registry, SEQ, TV_CELL, TV_EDGE, TV_WDEC, delayed, leafText, nafPairBits, outputPath, trLeaves } from './leaves.ts';
import { type Expr, type Module, ModuleBuilder, type Signature, konst, pack, slice } from './netlist.ts';

export const GENERATOR_VERSION = '0.1.0';

const clkRst = (m: ModuleBuilder): { clk: Expr; rst: Expr } => ({ clk: m.input('clk', 1), rst: m.input('rst', 1) });

function cellParams(d: Derived): Record<string, number> {
  return { G: d.G, IW: d.IW, EW: d.EW, EX: d.EX, PE: d.PE, ACCW: d.accW };
}

/** One row: C cells, data flowing left to right, weights passing through top to bottom. */
function buildRow(reg: Registry, d: Derived): Module {
  const P = reg.prefix;
  const m = new ModuleBuilder(`${P}_row`, [`${P}_row: ${d.C} tMAC cells; data slice enters at the left, weight terms pass top to bottom`]);
  const { clk, rst } = clkRst(m);
  const inX = m.input('in_x', d.XB, 'data slice from the row edge');
  const inW = m.input('in_w', d.C * d.WT, 'weight term of every column (from the row above)');
  const outW = m.output('out_w', d.C * d.WT, 'weight terms to the row below');
  const res = m.output('out_res', d.C * d.accW, 'per column: result of the last finished tile (held)');
  const cell = reg.leaf(CELL, cellParams(d));
  let x = inX;
  for (let c = 0; c < d.C; c++) {
    const last = c === d.C - 1;
    const xo = m.wire(`x_${c + 1}`, d.XB, last ? 'data leaving the last column' : undefined, { unused: last });
    m.inst(cell, `u_cell_${c}`, cellParams(d), {
      clk,
      rst,
      in_x: x,
      in_w: slice(inW, c * d.WT, d.WT),
      out_x: xo,
      out_w: slice(outW, c * d.WT, d.WT),
      out_res: slice(res, c * d.accW, d.accW),
    });
    x = xo;
  }
  return m.build(reg.sigs);
}

function tvCellParams(d: Derived): Record<string, number> {
  return { G: d.G, EW: d.EW, XV: d.XV, PW: d.PW, P: d.P, ACCW: d.accW };
}

/** One row of term-by-value cells: the edge's active group and control bits are shared by every cell. */
function buildTvRow(reg: Registry, d: Derived): Module {
  const P = reg.prefix;
  const m = new ModuleBuilder(`${P}_row`, [`${P}_row: ${d.C} term-by-value cells sharing the row edge's capped data values`]);
  const { clk, rst } = clkRst(m);
  const inX = m.input('in_x', d.G * d.XV, 'active group of capped data values from the row edge');
  const inCtl = m.input('in_ctl', 3, '{last, first, work} aligned with in_x');
  const inW = m.input('in_w', d.C * d.P * d.WD, `decoded weight slot of every column (${d.P} term${d.P > 1 ? 's' : ''} each)`);
  const shift = m.input('in_shift', 1, 'read-out: shift the result chain by one column');
  const head = m.output('out_head', d.accW, 'result chain head (column 0)');
  const cell = reg.leaf(TV_CELL, tvCellParams(d));
  // result chain: cell c takes cell c+1's result on a shift; the last column takes 0
  const res: Expr[] = [];
  for (let c = 0; c < d.C; c++) res.push(c === 0 ? head : m.wire(`res_${c}`, d.accW, `column ${c} result (chain)`));
  for (let c = 0; c < d.C; c++) {
    const next = c + 1 < d.C ? (res[c + 1] as Expr) : konst(d.accW, 0);
    m.inst(cell, `u_cell_${c}`, tvCellParams(d), { clk, rst, in_x: inX, in_ctl: inCtl, in_w: slice(inW, c * d.P * d.WD, d.P * d.WD), in_shift: shift, in_next: next, out_res: res[c] as Expr });
  }
  return m.build(reg.sigs);
}

/** The tv array: every row edge sees the control word in the same cycle, every row the same weight slot. */
function buildTvArray(reg: Registry, d: Derived, row: Signature): Module {
  const P = reg.prefix;
  const m = new ModuleBuilder(`${P}_array`, [
    `${P}_array: ${d.R}x${d.C} term-revealing array of term-by-value cells.`,
    'Rows share the control word and columns share the weight slot (delayed one cycle to meet the edges\' active group); no skew.',
  ]);
  const { clk, rst } = clkRst(m);
  const inCw = m.input('in_cw', d.CWW, 'control word from the sequencer');
  const inDmask = m.input('in_dmask', d.L * d.TX, 'per load lane: cap of the beat in in_lanes, as a thermometer');
  const inLanes = m.input('in_lanes', d.R * d.L * d.BX, 'load-beat data, all rows');
  const inLanes3 = m.input('in_lanes3', d.R * d.L * nafPairBits(d.BX), 'per lane: NAF nonzero pairs and the carry into each pair');
  const inW = m.input('in_w', d.C * d.WS, 'weight slot of every column, aligned with in_cw');
  const inShift = m.input('in_shift', d.R, 'read-out: shift row r\'s result chain');
  const outHead = m.output('out_head', d.R * d.accW, 'result chain head (column 0) of every row');
  const edgeParams = { G: d.G, L: d.L, BX: d.BX, TX: d.TX, TCW: d.TCW, BCW: d.BCW, CWW: d.CWW };
  const edge = reg.leaf(TV_EDGE, edgeParams);
  // the weight slot's register (one cycle: the edges' latency) decodes each term's pair select on the way
  const wdecParams = { N: d.C * d.P, G: d.G, IW: d.IW, EW: d.EW };
  const wDec = m.wire('w_dec', d.C * d.P * d.WD, 'weight slot, pair selects decoded, one cycle late');
  m.inst(reg.leaf(TV_WDEC, wdecParams), 'u_wdec', wdecParams, { clk, rst, in_w: inW, out_w: wDec });
  const w = delayed(m, reg, 'w_d', clk, rst, wDec, d.edgeLatency - 1, 'weight slot, aligned with the edges\' output');
  for (let r = 0; r < d.R; r++) {
    const xs = m.wire(`x_${r}`, d.G * d.XV, `row ${r} active group`);
    const ctl = m.wire(`ctl_${r}`, 3, `row ${r} control bits`);
    const l3 = d.L * nafPairBits(d.BX);
    m.inst(edge, `u_edge_${r}`, edgeParams, { clk, rst, in_cw: inCw, in_dmask: inDmask, in_lanes: slice(inLanes, r * d.L * d.BX, d.L * d.BX), in_lanes3: slice(inLanes3, r * l3, l3), out_x: xs, out_ctl: ctl });
    m.inst(row, `u_row_${r}`, {}, { clk, rst, in_x: xs, in_ctl: ctl, in_w: w, in_shift: slice(inShift, r, 1), out_head: slice(outHead, r * d.accW, d.accW) });
  }
  return m.build(reg.sigs);
}

/** The array: R row edges + R rows, with the systolic skew of data rows and weight columns. */
function buildArray(reg: Registry, d: Derived, row: Signature): Module {
  const P = reg.prefix;
  const m = new ModuleBuilder(`${P}_array`, [
    `${P}_array: ${d.R}x${d.C} term-revealing systolic array.`,
    `Row r sees the control word r cycles late (edge chain), column c sees weight terms c+${d.edgeLatency} cycles late.`,
  ]);
  const { clk, rst } = clkRst(m);
  const inCw = m.input('in_cw', d.CWW, 'control word from the sequencer');
  const inLanes = m.input('in_lanes', d.R * d.L * d.BX, 'load-beat data, all rows');
  const inW = m.input('in_w', d.C * d.WT, 'weight term of every column, aligned with in_cw');
  const outRes = m.output('out_res', d.R * d.C * d.accW, 'held result of cell (r,c) at index r*C+c');
  const edgeParams = { G: d.G, L: d.L, BX: d.BX, EX: d.EX, TX: d.TX, TCW: d.TCW, BCW: d.BCW, CWW: d.CWW };
  const edge = reg.leaf(EDGE, edgeParams);

  // weights: column c delayed by c + edge latency so it meets its row's data slice
  const wTop: Expr[] = [];
  for (let c = 0; c < d.C; c++) {
    wTop.push(delayed(m, reg, `w_skew_${c}`, clk, rst, slice(inW, c * d.WT, d.WT), c + d.edgeLatency, `column ${c} weight term, skewed`));
  }
  let wIn = pack(wTop);
  let cw = inCw;
  for (let r = 0; r < d.R; r++) {
    const lanes = delayed(m, reg, `lanes_${r}`, clk, rst, slice(inLanes, r * d.L * d.BX, d.L * d.BX), r, `row ${r} load data, skewed`);
    const lastRow = r === d.R - 1;
    const cwOut = m.wire(`cw_${r + 1}`, d.CWW, lastRow ? 'control word leaving the last row' : `control word of row ${r + 1}`, { unused: lastRow });
    const xs = m.wire(`xs_${r}`, d.XB, `row ${r} data slice`);
    m.inst(edge, `u_edge_${r}`, edgeParams, { clk, rst, in_cw: cw, in_lanes: lanes, out_cw: cwOut, out_x: xs });
    const wOut = m.wire(`w_${r + 1}`, d.C * d.WT, lastRow ? 'weights leaving the last row' : undefined, { unused: lastRow });
    m.inst(row, `u_row_${r}`, {}, { clk, rst, in_x: xs, in_w: wIn, out_w: wOut, out_res: slice(outRes, r * d.C * d.accW, d.C * d.accW) });
    cw = cwOut;
    wIn = wOut;
  }
  return m.build(reg.sigs);
}

/** The parameter-memory port every design has (the TR array and the baselines): the read-out presents an
 *  address in the cycle it reads an item, and the memory (a synchronous read, outside the design) answers with
 *  that column's output parameters in the next cycle. */
export function paramPorts(d: Pick<Derived, 'PAW' | 'BBW' | 'MBW' | 'MULW' | 'SW' | 'maxShift'>): { name: string; dir: 'input' | 'output'; width: number; doc: string }[] {
  return [
    { name: 'out_p_addr', dir: 'output', width: d.PAW, doc: 'parameter memory read address {pset, column} of the result read out in this cycle' },
    { name: 'in_p_bias', dir: 'input', width: d.BBW, doc: `parameter memory word at the previous cycle's out_p_addr: bias (signed ${d.BBW} bits)` },
    { name: 'in_p_mul', dir: 'input', width: d.MBW, doc: d.MULW ? `... multiplier M (unsigned ${d.MULW} bits)` : 'unused (shift-only output stage)' },
    { name: 'in_p_shift', dir: 'input', width: d.SW, doc: `... right shift s, 0..${d.maxShift}` },
  ];
}

/** Port list of the top module, shared by the builder, the harness generator and params.json. */
export function topPorts(d: Derived): { name: string; dir: 'input' | 'output'; width: number; doc: string }[] {
  return [
    { name: 'clk', dir: 'input', width: 1, doc: 'clock' },
    { name: 'rst', dir: 'input', width: 1, doc: 'synchronous reset, active high' },
    { name: 'in_t_valid', dir: 'input', width: 1, doc: 'tile descriptor valid' },
    { name: 'out_t_ready', dir: 'output', width: 1, doc: 'tile descriptor accepted when valid & ready' },
    { name: 'in_t_mode', dir: 'input', width: 1, doc: 'control register mode: 0 conventional (exact), 1 term revealing' },
    { name: 'in_t_k', dir: 'input', width: d.KW, doc: `control register k: weight terms per group (TR mode), 1..${d.kMax}` },
    { name: 'in_t_d', dir: 'input', width: d.DW, doc: `control register d: data terms per value (TR mode), 1..${d.TX}` },
    { name: 'in_t_g', dir: 'input', width: d.GW, doc: `control register g: group size, 1..${d.G}` },
    { name: 'in_t_ngroups', dir: 'input', width: d.NGW, doc: 'groups in this tile: ceil(K/g)' },
    { name: 'in_t_relu', dir: 'input', width: 1, doc: 'output stage: clamp negatives to 0' },
    { name: 'in_t_pset', dir: 'input', width: d.PSW, doc: 'output-parameter set of the tile: its columns\' bias, mul and shift are the words at pset * 2^CW + column of the parameter memory' },
    { name: 'in_w_valid', dir: 'input', width: 1, doc: 'weight slot valid' },
    { name: 'out_w_ready', dir: 'output', width: 1, doc: 'weight slot accepted when valid & ready' },
    { name: 'in_w_data', dir: 'input', width: d.C * d.WS, doc: `per column: ${d.P > 1 ? `${d.P} weight terms (term 0 low), each ` : 'weight term '}{nz, idx[${d.IW}], sign, exp[${d.EW}]}` },
    { name: 'in_x_valid', dir: 'input', width: 1, doc: 'data load beat valid' },
    { name: 'out_x_ready', dir: 'output', width: 1, doc: 'data load beat accepted when valid & ready' },
    { name: 'in_x_data', dir: 'input', width: d.R * d.L * d.BX, doc: `per row, per lane: raw signed ${d.BX}-bit value (row 0 lane 0 in the low bits)` },
    ...paramPorts(d),
    { name: 'out_y_valid', dir: 'output', width: 1, doc: 'one result per valid cycle: tile items in row-major order' },
    { name: 'out_y_row', dir: 'output', width: d.RW, doc: 'row (data vector within the tile) of the result' },
    { name: 'out_y_col', dir: 'output', width: d.CW, doc: 'column (output channel within the tile) of the result' },
    { name: 'out_y_data', dir: 'output', width: d.BX, doc: 'quantized output y (signed)' },
    { name: 'out_y_acc', dir: 'output', width: d.accW, doc: 'raw accumulator (signed)' },
    { name: 'out_err', dir: 'output', width: 1, doc: 'sticky: a descriptor had an illegal field (it was clamped)' },
    { name: 'out_busy', dir: 'output', width: 1, doc: 'a tile is loading or computing' },
    { name: 'out_stat_work', dir: 'output', width: 32, doc: 'performance counter: work cycles issued' },
  ];
}

function buildTop(reg: Registry, d: Derived, array: Signature): Module {
  const P = reg.prefix;
  const m = new ModuleBuilder(`${P}_top`, [
    `${P}_top: sequencer + ${d.R}x${d.C} array + read-out + output stage.`,
    'Streams: tile descriptors (in_t_*), weight slots (in_w_*), data load beats (in_x_*) with valid/ready;',
    'results (out_y_*) have no back-pressure: R*C consecutive cycles per tile, row-major.',
  ]);
  const p: Record<string, Expr> = {};
  for (const port of topPorts(d)) p[port.name] = port.dir === 'input' ? m.input(port.name, port.width, port.doc) : m.output(port.name, port.width, port.doc);
  const clk = p['clk'] as Expr;
  const rst = p['rst'] as Expr;
  const seqParams = {
    R: d.R, C: d.C, G: d.G, L: d.L, BX: d.BX, TW: d.TW, TX: d.TX, KW: d.KW, DW: d.DW, GW: d.GW, NGW: d.NGW,
    TCW: d.TCW, BCW: d.BCW, WT: d.WS, PSW: d.PSW, LMIN: d.LMIN, LMW: d.LMW, CWW: d.CWW,
    TV: d.cell === 'tv' ? 1 : 0, P: d.P,
  };
  const cw = m.wire('cw', d.CWW, 'control word');
  const lanes = m.wire('lanes', d.R * d.L * d.BX, 'load-beat data');
  const tv = d.cell === 'tv';
  const dmask = m.wire('dmask', d.L * d.TX, 'per load lane: cap of the beat in lanes, as a thermometer (tv edges)', { unused: !tv });
  const lanes3 = m.wire('lanes3', d.R * d.L * nafPairBits(d.BX), 'load-beat data: NAF nonzero pairs and carries per lane (tv edges)', { unused: !tv });
  const w = m.wire('w', d.C * d.WS, 'current weight slot');
  const pPset = m.wire('p_pset', d.PSW, 'parameter set of the tile being read out');
  const pRelu = m.wire('p_relu', 1);
  const rd = m.wire('ro_rd', 1, undefined, { unused: true });
  const seqConns: Record<string, Expr> = { clk, rst, out_cw: cw, out_dmask: dmask, out_lanes: lanes, out_lanes3: lanes3, out_w: w, out_p_pset: pPset, out_p_relu: pRelu };
  for (const n of ['in_t_valid', 'out_t_ready', 'in_t_mode', 'in_t_k', 'in_t_d', 'in_t_g', 'in_t_ngroups', 'in_t_relu', 'in_t_pset',
    'in_w_valid', 'out_w_ready', 'in_w_data', 'in_x_valid', 'out_x_ready', 'in_x_data', 'out_err', 'out_busy', 'out_stat_work']) {
    seqConns[n] = p[n] as Expr;
  }
  m.inst(reg.leaf(SEQ, seqParams), 'u_seq', seqParams, seqConns);

  const res = tv ? m.wire('heads', d.R * d.accW, 'result chain head of every row') : m.wire('res', d.R * d.C * d.accW, 'held cell results, cell (r,c) at index r*C+c');
  const shifts = m.wire('ro_shifts', d.R, 'read-out: shift row r\'s result chain', { unused: !tv });
  m.inst(array, 'u_array', {}, tv ? { clk, rst, in_cw: cw, in_dmask: dmask, in_lanes: lanes, in_lanes3: lanes3, in_w: w, in_shift: shifts, out_head: res } : { clk, rst, in_cw: cw, in_lanes: lanes, in_w: w, out_res: res });

  // read-out: starts goDelay cycles after the control word of a tile's last work cycle (cw bit 3)
  const go = delayed(m, reg, 'go', clk, rst, slice(cw, 3, 1), d.goDelay, 'read-out start');
  outputPath(m, reg, d, tv, { clk, rst, go, res, shifts, rd, pset: pPset, relu: pRelu }, p as Record<string, Expr>);
  return m.build(reg.sigs);
}

export interface Design {
  cfg: TrConfig;
  derived: Derived;
  top: string;
  /** Verilog sources, one module per file (leaves first, top last), keyed by file name. */
  files: Record<string, string>;
  /** Software-side description: config, derived widths, ports, schedule. */
  params: DesignParams;
  configHash: string;
}

export interface DesignParams {
  generator: string;
  version: string;
  configHash: string;
  top: string;
  config: TrConfig;
  derived: Derived;
  ports: ReturnType<typeof topPorts>;
  fields: {
    weightTerm: { nz: number; idx: [number, number]; sign: number; exp: [number, number]; width: number };
    controlWord: string;
  };
  schedule: {
    groupCycles: string;
    tileCycles: string;
    conventional: string;
    firstOutputLatency: string;
  };
}

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The k_eff / d_eff rule of the cycle schedule for the design's cell kind. */
function scheduleRule(d: Derived): string {
  if (d.cell === 'tv') return `conventional k_eff = ceil(g*${d.TW}/${d.P}), TR k_eff = ceil(k/${d.P}); d_eff = 1 (data capped at load)`;
  return `conventional k_eff = g*${d.TW}, d_eff = ${d.TX}; TR k_eff = k, d_eff = d`;
}

function header(cfg: TrConfig, d: Derived, hash: string): string {
  const lines = [
    `trgen ${GENERATOR_VERSION}: term-revealing systolic array "${cfg.name}" (generated; do not edit)`,
    `config sha256 ${hash}`,
    '',
    'parameters:',
    ...Object.entries(cfg).map(([k, v]) => `  ${k.padEnd(12)} ${v}`),
    'derived:',
    `  terms/value  weight ${d.TW}, data ${d.TX} (HESE)`,
    `  accumulator  ${d.accW} bits signed (|acc| <= ${d.accBound})`,
    `  weight term  ${d.WT} bits {nz, idx[${d.IW}], sign, exp[${d.EW}]}; data term ${d.XT} bits {nz, sign, exp[${d.EX}]}`,
    `  k register   ${d.KW} bits (1..${d.kMax}); d ${d.DW} bits (1..${d.TX}); g ${d.GW} bits (1..${d.G}); groups ${d.NGW} bits`,
    `  output stage bias ${d.BBW} bits, ${d.MULW ? `multiplier ${d.MULW} bits` : 'no multiplier (shift only)'}, shift 0..${d.maxShift}`,
    'schedule (all inputs available):',
    `  cell kind    ${d.cell === 'tv' ? `tv (term by value, ${d.P} weight term${d.P > 1 ? 's' : ''} per cycle)` : 'tp (term pair)'}`,
    `  cycles/group = max(k_eff*d_eff, ceil(g/${d.L})+1); ${scheduleRule(d)}`,
    `  cycles/tile  = max(groups*cycles/group, ${d.LMIN}); result (r,c) leaves ${d.outLatency + 1}+r*${d.C}+c cycles after the tile's last work cycle`,
  ];
  return lines.map((l) => `// ${l}`.trimEnd()).join('\n') + '\n';
}

/** Build the complete design for a validated config. */
export function buildDesign(cfg: TrConfig): Design {
  const d = derive(cfg);
  const reg = new Registry(cfg.name);
  const tv = cfg.cell === 'tv';
  const row = reg.add(tv ? buildTvRow(reg, d) : buildRow(reg, d));
  const array = reg.add(tv ? buildTvArray(reg, d, row) : buildArray(reg, d, row));
  const top = buildTop(reg, d, array);
  const hash = createHash('sha256').update(canonicalJson(cfg)).digest('hex');
  const files: Record<string, string> = {};
  const short = `// trgen ${GENERATOR_VERSION}, design "${cfg.name}" (config sha256 ${hash.slice(0, 16)}); generated, do not edit\n`;
  const put = (module: string, text: string, head: string): void => {
    files[`${module}.v`] = `${head}\n\`default_nettype none\n\n${text}\n\`default_nettype wire\n`;
  };
  for (const l of trLeaves(cfg.cell)) put(`${cfg.name}_${l.suffix}`, leafText(cfg.name, l), short);
  put(row.name, emitModule(row as Module), short);
  put(array.name, emitModule(array as Module), short);
  put(top.name, emitModule(top), header(cfg, d, hash));
  const params: DesignParams = {
    generator: 'trgen',
    version: GENERATOR_VERSION,
    configHash: hash,
    top: top.name,
    config: cfg,
    derived: d,
    ports: topPorts(d),
    fields: {
      weightTerm: { nz: d.WT - 1, idx: [d.EW + 1 + d.IW - 1, d.EW + 1], sign: d.EW, exp: [d.EW - 1, 0], width: d.WT },
      controlWord: '{lane_valid[L], beat, t, ld_clear, ld_we, last, first, swap, work}',
    },
    schedule: {
      groupCycles: `max(k_eff*d_eff, ceil(g/${d.L})+1)`,
      tileCycles: `max(ngroups*groupCycles, ${d.LMIN})`,
      conventional: scheduleRule(d),
      firstOutputLatency: `${d.outLatency + 1} cycles after the tile's last work cycle, then one result per cycle (row-major)`,
    },
  };
  return { cfg, derived: d, top: top.name, files, params, configHash: hash };
}
