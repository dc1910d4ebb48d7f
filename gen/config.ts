/**
 * The one validated configuration object of a trgen design, its defaults, named presets, and every derived
 * width (computed here and nowhere else: RTL parameters, the Verilator harness, params.json and the TS driver
 * all read `derive(cfg)`).
 */
import { UserError } from './cli-util.ts';
import { maxExponent, maxPrefixMagnitude, maxTerms } from '../sim/model/terms.ts';

/** Cell kinds (README "Cell kinds"): 'tp' the term-pair cell (one weight term x one data term per cycle, the
 *  paper's tMAC); 'tv' the term-by-value cell (P weight terms x whole data values capped to d terms). */
export type CellKind = 'tp' | 'tv';
export const CELL_KINDS: readonly CellKind[] = ['tp', 'tv'];

export interface TrConfig {
  /** Design name; prefix of every emitted module. [a-z][a-z0-9_]*, at most 24 characters. */
  name: string;
  /** Cell kind: 'tp' (term pair) or 'tv' (term by value). */
  cell: CellKind;
  /** Weight terms a cell takes per cycle: 1, or 2 (tv only). */
  termsPerCycle: number;
  /** Array rows R: data vectors (samples) processed side by side. */
  rows: number;
  /** Array columns C: output channels processed side by side. */
  cols: number;
  /** Weight bit width b_w (2..8): values in ±(2^(b_w-1)-1). */
  wBits: number;
  /** Data (activation) and output bit width b_x (2..8). */
  xBits: number;
  /** Design maximum group size G; the run-time register g may be 1..G. */
  groupMax: number;
  /** Data load lanes: raw values per row accepted per cycle (1..G). */
  lanes: number;
  /** Longest reduction (dot-product) length per tile; sets the accumulator width. */
  maxK: number;
  /** Width of the per-channel output multiplier M (2..18); 0 = pure power-of-two scale (shift only). */
  outMulBits: number;
  /** Width of the per-channel bias (signed); 0 = same as the accumulator. */
  biasBits: number;
  /** Width of a tile's output-parameter-set index: the parameter memory the core reads holds 2^psetBits sets
   *  of C columns (a set is one tile's per-column bias, multiplier and shift). */
  psetBits: number;
}

export const DEFAULTS: TrConfig = {
  name: 'trgen',
  cell: 'tp',
  termsPerCycle: 1,
  rows: 4,
  cols: 4,
  wBits: 8,
  xBits: 8,
  groupMax: 8,
  lanes: 8,
  maxK: 1024,
  outMulBits: 16,
  biasBits: 0,
  psetBits: 8,
};

/** Named presets (partial configs over DEFAULTS). */
export const PRESETS: Record<string, Partial<TrConfig>> = {
  default: {},
  tiny: { name: 'trtiny', rows: 2, cols: 2, wBits: 4, xBits: 4, groupMax: 4, lanes: 4, maxK: 64, outMulBits: 8 },
  small: { name: 'trsmall', rows: 2, cols: 4, wBits: 8, xBits: 8, groupMax: 8, lanes: 4, maxK: 256, outMulBits: 12 },
  wide: { name: 'trwide', rows: 3, cols: 5, wBits: 6, xBits: 5, groupMax: 6, lanes: 4, maxK: 300, outMulBits: 0 },
  mnist: { name: 'trmnist', rows: 4, cols: 8, wBits: 8, xBits: 8, groupMax: 16, lanes: 16, maxK: 1024, outMulBits: 16 },
  /** 8-bit board preset: the board top (gen/board.ts) fits and meets 12 MHz on both the iCEBreaker (UP5K) and the HX8K */
  ice: { name: 'trice', rows: 1, cols: 2, wBits: 8, xBits: 8, groupMax: 8, lanes: 4, maxK: 1024, outMulBits: 16 },
};

interface FieldRule {
  min: number;
  max: number;
  help: string;
}

const RULES: Record<Exclude<keyof TrConfig, 'name' | 'cell'>, FieldRule> = {
  termsPerCycle: { min: 1, max: 2, help: 'weight terms per cell per cycle' },
  rows: { min: 1, max: 32, help: 'array rows R' },
  cols: { min: 1, max: 32, help: 'array columns C' },
  wBits: { min: 2, max: 8, help: 'weight bit width' },
  xBits: { min: 2, max: 8, help: 'data bit width' },
  groupMax: { min: 1, max: 32, help: 'maximum group size G' },
  lanes: { min: 1, max: 32, help: 'data load lanes per row' },
  maxK: { min: 1, max: 1 << 20, help: 'maximum reduction length per tile' },
  outMulBits: { min: 0, max: 18, help: 'output multiplier width (0 = shift only)' },
  biasBits: { min: 0, max: 48, help: 'bias width (0 = accumulator width)' },
  psetBits: { min: 4, max: 12, help: 'output-parameter-set index width' },
};

/** Validate and complete a user config (unknown keys, types and ranges are UserErrors naming the field). */
export function resolveConfig(input: unknown, where = 'config'): TrConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new UserError(`${where}: expected a JSON object with design parameters`);
  }
  const raw = input as Record<string, unknown>;
  const known = new Set<string>(Object.keys(DEFAULTS));
  const unknown = Object.keys(raw).filter((k) => !known.has(k) && k !== 'preset' && k !== '$schema' && k !== 'comment');
  if (unknown.length) {
    throw new UserError(`${where}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (known: preset, ${[...known].join(', ')})`);
  }
  let base: TrConfig = { ...DEFAULTS };
  if (raw['preset'] !== undefined) {
    const p = raw['preset'];
    if (typeof p !== 'string' || !(p in PRESETS)) {
      throw new UserError(`${where}: preset: unknown preset ${JSON.stringify(p)} (known: ${Object.keys(PRESETS).join(', ')})`);
    }
    base = { ...base, ...PRESETS[p] };
  }
  const cfg: TrConfig = { ...base };
  if (raw['name'] !== undefined) {
    if (typeof raw['name'] !== 'string') throw new UserError(`${where}: name: expected a string`);
    cfg.name = raw['name'];
  }
  // any value here; checkConfig below names the field when it is not a cell kind
  if (raw['cell'] !== undefined) cfg.cell = raw['cell'] as CellKind;
  for (const [key, rule] of Object.entries(RULES) as [keyof typeof RULES, FieldRule][]) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new UserError(`${where}: ${key}: expected an integer (${rule.help}), got ${JSON.stringify(v)}`);
    }
    cfg[key] = v;
  }
  // lanes not given: the preset's (or default) lane count, but never more than the group size
  if (raw['lanes'] === undefined) cfg.lanes = Math.min(cfg.lanes, cfg.groupMax);
  checkConfig(cfg, where);
  return cfg;
}

/** Range and cross-field checks on a complete config. */
export function checkConfig(cfg: TrConfig, where = 'config'): void {
  if (!/^[a-z][a-z0-9_]{0,23}$/.test(cfg.name)) {
    throw new UserError(`${where}: name: ${JSON.stringify(cfg.name)} is not a valid module prefix (lower-case letter, then letters/digits/_; at most 24 characters)`);
  }
  for (const [key, rule] of Object.entries(RULES) as [keyof typeof RULES, FieldRule][]) {
    const v = cfg[key];
    if (!Number.isInteger(v) || v < rule.min || v > rule.max) {
      throw new UserError(`${where}: ${key}: ${v} is out of range ${rule.min}..${rule.max} (${rule.help})`);
    }
  }
  if (!CELL_KINDS.includes(cfg.cell)) {
    throw new UserError(`${where}: cell: expected one of ${CELL_KINDS.map((k) => `"${k}"`).join(', ')} (cell kind), got ${JSON.stringify(cfg.cell)}`);
  }
  if (cfg.cell === 'tp' && cfg.termsPerCycle !== 1) {
    throw new UserError(`${where}: termsPerCycle: ${cfg.termsPerCycle} needs cell "tv" (the term-pair cell takes one term pair per cycle)`);
  }
  if (cfg.lanes > cfg.groupMax) {
    throw new UserError(`${where}: lanes: ${cfg.lanes} exceeds groupMax ${cfg.groupMax} (a load beat cannot span two groups)`);
  }
  if (cfg.outMulBits === 1) throw new UserError(`${where}: outMulBits: must be 0 (shift only) or 2..18`);
  const d = deriveUnchecked(cfg);
  if (cfg.biasBits !== 0 && cfg.biasBits < 2) throw new UserError(`${where}: biasBits: must be 0 (auto) or >= 2`);
  if (d.accW > 48) {
    throw new UserError(`${where}: accumulator would need ${d.accW} bits (> 48); reduce maxK or the bit widths`);
  }
}

export const clog2 = (n: number): number => {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`clog2 of ${n}`);
  let b = 0;
  while (2 ** b < n) b++;
  return b;
};
/** Bits to hold the unsigned value n (at least 1). */
export const bitsFor = (n: number): number => Math.max(1, clog2(n + 1));

/** Latencies of the microarchitecture in cycles (must match rtl-templates; verified by the exact-latency tests). */
export const LATENCY = {
  /** tp: sequencer output register -> edge output register (swap/encode stage + slice stage) */
  edge: 2,
  /** tp: cell input register -> stage A -> stage B (accumulator / result register) */
  cell: 3,
  /** tv: sequencer output register -> the edge's active group and control bits */
  tvEdge: 1,
  /** tv: stage A (select) -> stage B (shift, invert) -> accumulator -> result register (the accumulator
   *  restarts with the addend in the cycle the result register takes it); one more stage (pair sum) with P = 2 */
  tvCell: 4,
  /** read-out start pulse -> first read -> read-out output register */
  readout: 2,
  /** output stage: bias, scale, shift, clamp */
  out: 4,
  /** output stage of a shift-only design (outMulBits 0): bias, shift, clamp */
  outShiftOnly: 3,
} as const;

export interface Derived {
  cell: CellKind;
  /** weight terms per slot and column (termsPerCycle) */
  P: number;
  R: number;
  C: number;
  G: number;
  L: number;
  BW: number;
  BX: number;
  /** max HESE terms of a weight / data value */
  TW: number;
  TX: number;
  /** largest exponent of a weight / data term */
  maxExpW: number;
  maxExpX: number;
  /** exponent field widths */
  EW: number;
  EX: number;
  /** weight index width */
  IW: number;
  /** product exponent width */
  PE: number;
  /** data term {nz, sign, exp} and weight term {nz, idx, sign, exp} widths */
  XT: number;
  WT: number;
  /** data slice bus {last, first, work, G terms} (tp) */
  XB: number;
  /** weight slot bits per column: P weight terms */
  WS: number;
  /** tv: capped data value width (signed) and product width (signed) */
  XV: number;
  PW: number;
  /** tv: width of a weight term as the cells take it (tvDecodedTermBits) */
  WD: number;
  /** cycles from the sequencer's control word to the edge output, and through the cell to its result register */
  edgeLatency: number;
  cellLatency: number;
  /** largest |accumulator| reachable and the accumulator width (signed) */
  accBound: number;
  accW: number;
  /** descriptor field widths */
  KW: number;
  DW: number;
  GW: number;
  NGW: number;
  /** term index, beat index widths; beats per full group */
  TCW: number;
  BCW: number;
  NB: number;
  /** control word width */
  CWW: number;
  /** output stage widths: bias, mul port (>=1), mul used (0 = none), shift, largest legal shift */
  BBW: number;
  MBW: number;
  MULW: number;
  SW: number;
  maxShift: number;
  /** largest k (weight slots per group) the k register can hold; conventional mode uses g*TW */
  kMax: number;
  /** largest number of groups in a tile */
  maxGroups: number;
  /** minimum tile length in cycles (result read-out), and the width of its counter */
  LMIN: number;
  LMW: number;
  /** delay of the read-out start after the control word of a tile's last work cycle */
  goDelay: number;
  /** register stages of the output stage (tr_out.v): 4, or 3 without a multiplier */
  outStages: number;
  /** result (r,c) of a tile appears on out_y outLatency + r*C + c cycles after the control word of its last work cycle */
  outLatency: number;
  /** row / column index widths of the result stream */
  RW: number;
  CW: number;
  /** output-parameter-set index width, and the parameter memory's address width: address = pset * 2^CW + column */
  PSW: number;
  PAW: number;
  /** bits of one column's parameter word {shift, mul, bias} (bias in the low bits) */
  PWW: number;
  /** port widths of the data and weight streams */
  xBeatW: number;
  wBeatW: number;
}

function deriveUnchecked(cfg: TrConfig): Derived {
  const R = cfg.rows;
  const C = cfg.cols;
  const G = cfg.groupMax;
  const L = cfg.lanes;
  const TW = maxTerms(cfg.wBits, 'hese');
  const TX = maxTerms(cfg.xBits, 'hese');
  const maxExpW = maxExponent(cfg.wBits, 'hese');
  const maxExpX = maxExponent(cfg.xBits, 'hese');
  const EW = bitsFor(maxExpW);
  const EX = bitsFor(maxExpX);
  const IW = Math.max(1, clog2(G));
  const PE = bitsFor(maxExpW + maxExpX);
  const XT = EX + 2;
  const WT = IW + EW + 2;
  const XB = 3 + G * XT;
  // A TR'd weight and a capped data value are prefixes of their HESE term lists, so the largest magnitude a
  // term-pair sum over one tile can reach is maxK * maxPrefix(w) * maxPrefix(x) (a prefix of 127 is 128).
  const accBound = cfg.maxK * maxPrefixMagnitude(cfg.wBits, 'hese') * maxPrefixMagnitude(cfg.xBits, 'hese');
  const accW = bitsFor(accBound) + 1;
  const kMax = G * TW;
  const KW = bitsFor(kMax);
  const DW = bitsFor(TX);
  const GW = bitsFor(G);
  const maxGroups = cfg.maxK;
  const NGW = bitsFor(maxGroups);
  const TCW = Math.max(1, clog2(TX));
  const NB = Math.ceil(G / L);
  const BCW = Math.max(1, clog2(NB));
  const CWW = 6 + TCW + BCW + L;
  const BBW = cfg.biasBits === 0 ? accW : cfg.biasBits;
  const MULW = cfg.outMulBits;
  const MBW = Math.max(1, MULW);
  const SUMW = Math.max(accW, BBW) + 1;
  const PW = SUMW + MULW + 1;
  const maxShift = PW - 1;
  const SW = bitsFor(maxShift);
  // The control word of a tile's last work cycle is visible at cycle S. Cell (r,c) holds its result from
  // S + edge + cell + r + c on; the read-out starts at S + goDelay and reads item (r,c) at S + goDelay + 1 +
  // r*C + c, never earlier than the cell finished. It reads the item's column parameters at address
  // {pset, column} of the parameter memory, with the tile's pset held by the sequencer from S until the next
  // tile's last cycle, so the next tile may end no sooner than R*C + goDelay + 1 cycles later; that also keeps
  // every held result until it is read.
  const tv = cfg.cell === 'tv';
  const P = cfg.termsPerCycle;
  const edgeLatency = tv ? LATENCY.tvEdge : LATENCY.edge;
  const cellLatency = tv ? LATENCY.tvCell + (P === 2 ? 1 : 0) : LATENCY.cell;
  const goDelay = edgeLatency + cellLatency - 1;
  const LMIN = R * C + goDelay + 1;
  const LMW = bitsFor(LMIN);
  const outStages = MULW > 0 ? LATENCY.out : LATENCY.outShiftOnly;
  const outLatency = goDelay + LATENCY.readout + outStages;
  const XV = cfg.xBits + 1;
  const CW = Math.max(1, clog2(C));
  return {
    cell: cfg.cell, P, WS: P * WT, XV, PW: XV + maxExpW, WD: tvDecodedTermBits(G, EW), edgeLatency, cellLatency,
    R, C, G, L, BW: cfg.wBits, BX: cfg.xBits, TW, TX, maxExpW, maxExpX, EW, EX, IW, PE, XT, WT, XB,
    accBound, accW, KW, DW, GW, NGW, TCW, BCW, NB, CWW, BBW, MBW, MULW, SW, maxShift, kMax, maxGroups,
    LMIN, LMW, goDelay, outStages, outLatency, RW: Math.max(1, clog2(R)), CW,
    PSW: cfg.psetBits, PAW: cfg.psetBits + CW, PWW: BBW + MBW + SW, xBeatW: R * L * cfg.xBits, wBeatW: C * WT,
  };
}

/** All derived widths of a (validated) config. */
/** tv: bits of a weight term as the cells take it, decoded once per column ahead of the rows (tv_wdec.v):
 *  {pair select (one-hot over the ceil(G/2) value pairs, 0 for no term), idx[0], sign, exp[EW]}. */
export function tvDecodedTermBits(G: number, EW: number): number {
  return Math.ceil(G / 2) + EW + 2;
}

export function derive(cfg: TrConfig): Derived {
  return deriveUnchecked(cfg);
}

/** Resolve a preset by name (UserError listing the presets otherwise). */
export function presetConfig(name: string): TrConfig {
  if (!(name in PRESETS)) throw new UserError(`unknown preset '${name}' (known: ${Object.keys(PRESETS).join(', ')})`);
  return resolveConfig({ preset: name }, `preset ${name}`);
}
