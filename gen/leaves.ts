/**
 * Interfaces of the hand-written leaf templates in rtl-templates/ as functions of their parameters, so the
 * builders can width-check every connection. The parameter lists are checked against the templates'
 * `parameter` declarations when a design is generated (gen/design.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tvDecodedTermBits } from './config.ts';
import { TEMPLATE_DIR, TemplateError, substitute, templateParams } from './emit.ts';
import { type Expr, type Module, type ModuleBuilder, type Port, type Signature, cat } from './netlist.ts';

export interface Leaf {
  /** module name suffix; the emitted module is `${prefix}_${suffix}` */
  suffix: string;
  file: string;
  params: readonly string[];
  ports(p: Record<string, number>): Port[];
}

/** Port-list helpers for leaf interfaces. */
export const inPort = (name: string, width: number): Port => ({ name, dir: 'input', width });
export const outPort = (name: string, width: number): Port => ({ name, dir: 'output', width });
const i = inPort;
const o = outPort;
export const CLK_RST: readonly Port[] = [i('clk', 1), i('rst', 1)];
const clkRst = CLK_RST;

/** The values of the named leaf parameters (an internal error if one is missing). */
export function need(p: Record<string, number>, ...names: string[]): number[] {
  return names.map((n) => {
    const v = p[n];
    if (v === undefined) throw new Error(`leaf parameter ${n} missing`);
    return v;
  });
}

export const CELL: Leaf = {
  suffix: 'cell',
  file: 'tr_cell.v',
  params: ['G', 'IW', 'EW', 'EX', 'PE', 'ACCW'],
  ports(p) {
    const [G, IW, EW, EX, , ACCW] = need(p, 'G', 'IW', 'EW', 'EX', 'PE', 'ACCW') as [number, number, number, number, number, number];
    const xb = 3 + G * (EX + 2);
    const wt = IW + EW + 2;
    return [...clkRst, i('in_x', xb), i('in_w', wt), o('out_x', xb), o('out_w', wt), o('out_res', ACCW)];
  },
};

export const EDGE: Leaf = {
  suffix: 'edge',
  file: 'tr_edge.v',
  params: ['G', 'L', 'BX', 'EX', 'TX', 'TCW', 'BCW', 'CWW'],
  ports(p) {
    const [G, L, BX, EX, , , , CWW] = need(p, 'G', 'L', 'BX', 'EX', 'TX', 'TCW', 'BCW', 'CWW') as number[] as [number, number, number, number, number, number, number, number];
    return [...clkRst, i('in_cw', CWW), i('in_lanes', L * BX), o('out_cw', CWW), o('out_x', 3 + G * (EX + 2))];
  },
};

/** Bits of the NAF carry adder x + (x >>> 1) a tv edge reads per lane: every bit pair of a BX-bit value. */
export const nafPairBits = (BX: number): number => 2 * Math.ceil(BX / 2);

/** Term-by-value cell (cell kind tv). Its weight terms come decoded (TV_WDEC): {pair select [NPR], idx[0], sign, exp}. */
export const TV_CELL: Leaf = {
  suffix: 'cell',
  file: 'tv_cell.v',
  params: ['G', 'EW', 'XV', 'PW', 'P', 'ACCW'],
  ports(p) {
    const [G, EW, XV, , P, ACCW] = need(p, 'G', 'EW', 'XV', 'PW', 'P', 'ACCW') as [number, number, number, number, number, number];
    return [...clkRst, i('in_x', G * XV), i('in_ctl', 3), i('in_w', P * tvDecodedTermBits(G, EW)), i('in_shift', 1), i('in_next', ACCW), o('out_res', ACCW)];
  },
};

/** Weight-slot register of a tv array: N weight terms {nz, idx, sign, exp} in, registered with the pair select decoded. */
export const TV_WDEC: Leaf = {
  suffix: 'wdec',
  file: 'tv_wdec.v',
  params: ['N', 'G', 'IW', 'EW'],
  ports(p) {
    const [N, G, IW, EW] = need(p, 'N', 'G', 'IW', 'EW') as [number, number, number, number];
    return [...clkRst, i('in_w', N * (IW + EW + 2)), o('out_w', N * tvDecodedTermBits(G, EW))];
  },
};

/** Row edge that caps data values in binary (cell kind tv). */
export const TV_EDGE: Leaf = {
  suffix: 'edge',
  file: 'tv_edge.v',
  params: ['G', 'L', 'BX', 'TX', 'TCW', 'BCW', 'CWW'],
  ports(p) {
    const [G, L, BX, TX, , , CWW] = need(p, 'G', 'L', 'BX', 'TX', 'TCW', 'BCW', 'CWW') as [number, number, number, number, number, number, number];
    return [...clkRst, i('in_cw', CWW), i('in_dmask', L * TX), i('in_lanes', L * BX), i('in_lanes3', L * nafPairBits(BX)), o('out_x', G * (BX + 1)), o('out_ctl', 3)];
  },
};

export const SEQ: Leaf = {
  suffix: 'seq',
  file: 'tr_seq.v',
  params: ['R', 'C', 'G', 'L', 'BX', 'TW', 'TX', 'KW', 'DW', 'GW', 'NGW', 'TCW', 'BCW', 'WT', 'PSW', 'LMIN', 'LMW', 'CWW', 'TV', 'P'],
  ports(p) {
    const [R, C, L, BX, TX, KW, DW, GW, NGW, WT, PSW, CWW] = need(p, 'R', 'C', 'L', 'BX', 'TX', 'KW', 'DW', 'GW', 'NGW', 'WT', 'PSW', 'CWW') as [
      number, number, number, number, number, number, number, number, number, number, number, number,
    ];
    return [
      ...clkRst,
      i('in_t_valid', 1), o('out_t_ready', 1), i('in_t_mode', 1), i('in_t_k', KW), i('in_t_d', DW), i('in_t_g', GW),
      i('in_t_ngroups', NGW), i('in_t_relu', 1), i('in_t_pset', PSW),
      i('in_w_valid', 1), o('out_w_ready', 1), i('in_w_data', C * WT),
      i('in_x_valid', 1), o('out_x_ready', 1), i('in_x_data', R * L * BX),
      o('out_cw', CWW), o('out_dmask', L * TX), o('out_lanes', R * L * BX), o('out_lanes3', R * L * nafPairBits(BX)), o('out_w', C * WT),
      o('out_p_pset', PSW), o('out_p_relu', 1),
      o('out_err', 1), o('out_busy', 1), o('out_stat_work', 32),
    ];
  },
};

export const OUT: Leaf = {
  suffix: 'out',
  file: 'tr_out.v',
  params: ['ACCW', 'BBW', 'MBW', 'MULW', 'SW', 'BX', 'TAGW'],
  ports(p) {
    const [ACCW, BBW, MBW, SW, BX, TAGW] = need(p, 'ACCW', 'BBW', 'MBW', 'SW', 'BX', 'TAGW') as [number, number, number, number, number, number];
    return [
      ...clkRst, i('in_v', 1), i('in_acc', ACCW), i('in_bias', BBW), i('in_mul', MBW), i('in_shift', SW), i('in_relu', 1), i('in_tag', TAGW),
      o('out_v', 1), o('out_tag', TAGW), o('out_y', BX), o('out_acc', ACCW),
    ];
  },
};

/** Serial read-out: all R*C held results (tp), or the heads of the rows' result shift chains (tv, CHAIN = 1). */
export const READOUT: Leaf = {
  suffix: 'readout',
  file: 'tr_readout.v',
  params: ['R', 'C', 'CHAIN', 'NRES', 'ACCW', 'PSW', 'RW', 'CW'],
  ports(p) {
    const [R, , , NRES, ACCW, PSW, RW, CW] = need(p, 'R', 'C', 'CHAIN', 'NRES', 'ACCW', 'PSW', 'RW', 'CW') as number[] as [
      number, number, number, number, number, number, number, number,
    ];
    return [
      ...clkRst, i('in_go', 1), i('in_res', NRES * ACCW), o('out_shift', R), o('out_rd', 1), i('in_pset', PSW), o('out_p_addr', PSW + CW), i('in_relu', 1),
      o('out_v', 1), o('out_row', RW), o('out_col', CW), o('out_acc', ACCW), o('out_relu', 1),
    ];
  },
};

export const DELAY: Leaf = {
  suffix: 'delay',
  file: 'tr_delay.v',
  params: ['W', 'D'],
  ports(p) {
    const [W] = need(p, 'W', 'D') as [number, number];
    return [...clkRst, i('in_d', W), o('out_d', W)];
  },
};

/** The leaves of a TR design with cells of the given kind. */
export const trLeaves = (cell: 'tp' | 'tv'): readonly Leaf[] => (cell === 'tv' ? [SEQ, TV_EDGE, TV_WDEC, TV_CELL, READOUT, OUT, DELAY] : [SEQ, EDGE, CELL, READOUT, OUT, DELAY]);

/** Signature of a leaf instance with concrete parameters. */
export function leafSig(prefix: string, leaf: Leaf, params: Record<string, number>): Signature {
  for (const k of Object.keys(params)) if (!leaf.params.includes(k)) throw new Error(`leaf ${leaf.suffix} has no parameter ${k}`);
  return { name: `${prefix}_${leaf.suffix}`, ports: leaf.ports(params) };
}

/** A template's text with the module prefix substituted; its `parameter`s must be exactly `params`. */
export function templateText(prefix: string, file: string, params: readonly string[]): string {
  const raw = readFileSync(join(TEMPLATE_DIR, file), 'utf8');
  const declared = [...templateParams(raw)].sort().join(',');
  const expected = [...params].sort().join(',');
  if (declared !== expected) throw new TemplateError(`${file}: template parameters [${declared}] differ from the generator's [${expected}]`);
  return substitute(raw, { P: prefix }, file);
}

export function leafText(prefix: string, leaf: Leaf): string {
  return templateText(prefix, leaf.file, leaf.params);
}

/** A module registry: signatures by name (leaf instances register theirs on first use). */
export class Registry {
  readonly sigs: Record<string, Signature> = {};
  constructor(readonly prefix: string) {}
  leaf(leaf: Leaf, params: Record<string, number>): Signature {
    const sig = leafSig(this.prefix, leaf, params);
    // parameterised leaves share one module name; record the port list of this parameterisation
    this.sigs[sig.name] = sig;
    return sig;
  }
  add(m: Module): Signature {
    this.sigs[m.name] = m;
    return m;
  }
}

/** The widths the output path needs (Derived of the TR array and BaselineDerived both have them). */
export interface OutPathWidths {
  R: number; C: number; accW: number; BBW: number; MBW: number; MULW: number; SW: number; RW: number; CW: number; BX: number; PSW: number;
}

/**
 * The output path every design carries (the TR array and the baselines): the read-out (READOUT: one result per
 * cycle, from R shift chains with `chain`, else from all R·C held results) and the requantizing output stage
 * (OUT), driving the top's out_y_* ports `p`. `res`, `shifts`, `rd` and `go` connect the read-out to the
 * results; `pset` and `relu` are the parameter set and relu flag of the tile being read. The read-out addresses
 * the parameter memory outside the design through the top's out_p_addr, and the memory's word (in_p_bias,
 * in_p_mul, in_p_shift, one cycle later) goes straight to the output stage.
 */
export function outputPath(
  m: ModuleBuilder, reg: Registry, w: OutPathWidths, chain: boolean,
  c: { clk: Expr; rst: Expr; go: Expr; res: Expr; shifts: Expr; rd: Expr; pset: Expr; relu: Expr },
  p: Record<string, Expr>,
): void {
  const roParams = { R: w.R, C: w.C, CHAIN: chain ? 1 : 0, NRES: chain ? w.R : w.R * w.C, ACCW: w.accW, PSW: w.PSW, RW: w.RW, CW: w.CW };
  const rv = m.wire('ro_v', 1);
  const rrow = m.wire('ro_row', w.RW);
  const rcol = m.wire('ro_col', w.CW);
  const racc = m.wire('ro_acc', w.accW);
  const rrelu = m.wire('ro_relu', 1);
  m.inst(reg.leaf(READOUT, roParams), 'u_readout', roParams, {
    clk: c.clk, rst: c.rst, in_go: c.go, in_res: c.res, out_shift: c.shifts, out_rd: c.rd, in_pset: c.pset, out_p_addr: p['out_p_addr'] as Expr, in_relu: c.relu,
    out_v: rv, out_row: rrow, out_col: rcol, out_acc: racc, out_relu: rrelu,
  });
  // the parameter memory's word for the item read in the previous cycle arrives with the item (in_p_*)
  const outParams = { ACCW: w.accW, BBW: w.BBW, MBW: w.MBW, MULW: w.MULW, SW: w.SW, BX: w.BX, TAGW: w.RW + w.CW };
  m.inst(reg.leaf(OUT, outParams), 'u_out', outParams, {
    clk: c.clk, rst: c.rst, in_v: rv, in_acc: racc, in_bias: p['in_p_bias'] as Expr, in_mul: p['in_p_mul'] as Expr, in_shift: p['in_p_shift'] as Expr, in_relu: rrelu, in_tag: cat(rrow, rcol),
    out_v: p['out_y_valid'] as Expr, out_tag: cat(p['out_y_row'] as Expr, p['out_y_col'] as Expr), out_y: p['out_y_data'] as Expr, out_acc: p['out_y_acc'] as Expr,
  });
}

/** `input` delayed by `depth` register stages (a DELAY leaf instance), or `input` itself for depth 0. */
export function delayed(m: ModuleBuilder, reg: Registry, name: string, clk: Expr, rst: Expr, input: Expr, depth: number, doc?: string): Expr {
  if (depth === 0) return input;
  const out = m.wire(name, input.width, doc);
  m.inst(reg.leaf(DELAY, { W: input.width, D: depth }), `u_${name}`, { W: input.width, D: depth }, { clk, rst, in_d: input, out_d: out });
  return out;
}
