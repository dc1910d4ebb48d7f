/**
 * iCE40 board wrapper of a TR array: UART command processor, on-chip RAMs for weights / data / tile table /
 * results, and stream feeders, so the array can be driven from a host over the FTDI UART (sim/driver/host.ts is the
 * host side). The hand-written part is rtl-templates/board_top.v (`<P>_board_core`) with its leaves
 * board_ram.v, board_feed.v, uart_rx.v, uart_tx.v; this file chooses the memory sizes and the tile-table
 * layout (the one place that defines it), passes them as Verilog parameters, and generates the top module
 * `<P>_board` (ports exactly clk, uart_rx, uart_tx, led) that wires the core to the array `<P>_top` through
 * the width-checked netlist.
 */
import { getBoard } from '../constraints/boards.ts';
import { UserError } from './cli-util.ts';
import { type Derived, type TrConfig, clog2, derive } from './config.ts';
import { type Design, GENERATOR_VERSION, buildDesign, topPorts } from './design.ts';
import { emitModule } from './emit.ts';
import { inPort, outPort, templateText } from './leaves.ts';
import { type Expr, ModuleBuilder, type Port, type Signature } from './netlist.ts';

export interface BoardTarget {
  /** board name, e.g. 'icebreaker' or 'hx8k' (known names also set the LED polarity from constraints/boards.json) */
  name: string;
  ledWidth: number;
  clkHz: number;
  baud: number;
  /** LEDs light on a low level (default: from constraints/boards.json for known boards, else false) */
  ledActiveLow?: boolean;
}

export const BOARDS: Record<'icebreaker' | 'hx8k', BoardTarget> = {
  icebreaker: { name: 'icebreaker', ledWidth: 2, clkHz: 12_000_000, baud: 115_200, ledActiveLow: true },
  hx8k: { name: 'hx8k', ledWidth: 8, clkHz: 12_000_000, baud: 115_200, ledActiveLow: false },
};

export interface BoardOptions {
  /** words of each memory (powers of two, 16..65536); defaults are chosen to fit the EBR budget. P holds
   *  whole sets of 2^CW words, at least 2 and at most the array's 2^psetBits. */
  depths?: Partial<Record<'w' | 'x' | 't' | 'y' | 'p', number>>;
  /** EBR blocks the board top may use in total, memories, RX FIFO and the PING ROM (default 29; UP5K has 30, HX8K 32) */
  ebrBudget?: number;
  /** also store the raw accumulators of every result row (memory 'a', same depth as 'y'); default false */
  acc?: boolean;
  /** which memories READ serves: 'all' (default) or 'results' (Y and A only; READ of W, X, T or P answers
   *  status 1). The READ path costs about one LUT4 per readable bit, so 'results' saves the logic cells of
   *  reading back W, X, T and P, which the host never does (it checks every upload through the results). */
  readback?: Readback;
  /** UART bit period in clock cycles (default round(clkHz / baud)); simulations use small values */
  clksPerBit?: number;
  /** RX FIFO bytes (power of two, default 512 = one EBR) */
  rxFifo?: number;
  /** the run watchdog aborts a run after 2**watchdogBits - 1 cycles without stream progress (default 24) */
  watchdogBits?: number;
  /** tile-table word width (multiple of 16); default: one whole entry (TE = 1) */
  tableWordBits?: number;
}

export type MemName = 'w' | 'x' | 't' | 'y' | 'a' | 'p';

export interface BoardMemory {
  id: number;
  name: MemName;
  /** bits per word and bytes per word on the wire (little-endian, upper bits of the last byte zero) */
  width: number;
  bytes: number;
  depth: number;
  addrBits: number;
  /** EBR blocks yosys needs for it (estimate) */
  ebr: number;
  doc: string;
}

export interface TableField {
  name: string;
  lo: number;
  width: number;
  doc: string;
}

export interface TableLayout {
  fields: TableField[];
  entryBits: number;
  wordBits: number;
  wordsPerEntry: number;
  /** entries the table memory holds */
  capacity: number;
}

export interface MemoryMap {
  memories: BoardMemory[];
  table: TableLayout;
  rxFifoBytes: number;
  ebrEstimate: number;
  acc: boolean;
  readback: Readback;
}

export type Readback = 'all' | 'results';
export const READBACKS: readonly Readback[] = ['all', 'results'];

export const PROTOCOL_VERSION = 4;
export const MAGIC = 'TRGN';
export const COMMANDS = { ping: 0x01, write: 0x02, read: 0x03, run: 0x04, status: 0x05 } as const;
export const STATUS_CODES = { ok: 0, badMemory: 1, range: 2, watchdog: 4 } as const;

/** What PING returns (after [0x81, status]): 36 bytes, in this order. */
export interface PingInfo {
  magic: string;
  version: number;
  /** first 4 bytes of the config's sha256 as a little-endian 32-bit number */
  hash: number;
  R: number; C: number; L: number; G: number; BW: number; BX: number; WT: number; accW: number; BBW: number;
  MULW: number; SW: number; KW: number; DW: number; GW: number; NGW: number;
  tableWordBits: number; wordsPerEntry: number;
  wAddrBits: number; xAddrBits: number; tAddrBits: number; yAddrBits: number; pAddrBits: number; rxAddrBits: number;
  acc: number;
  /** 1: READ serves every memory; 0: only Y and A (readback 'results') */
  readback: number;
  clksPerBit: number;
}
/** PING info fields in wire order with their byte counts (the rest of the info is one byte each). */
export const PING_FIELDS: readonly (readonly [keyof PingInfo, number])[] = [
  ['magic', 4], ['version', 1], ['hash', 4], ['R', 1], ['C', 1], ['L', 1], ['G', 1], ['BW', 1], ['BX', 1], ['WT', 1],
  ['accW', 1], ['BBW', 1], ['MULW', 1], ['SW', 1], ['KW', 1], ['DW', 1], ['GW', 1], ['NGW', 1], ['tableWordBits', 1],
  ['wordsPerEntry', 1], ['wAddrBits', 1], ['xAddrBits', 1], ['tAddrBits', 1], ['yAddrBits', 1], ['pAddrBits', 1], ['rxAddrBits', 1],
  ['acc', 1], ['readback', 1], ['clksPerBit', 2],
];

export interface Protocol {
  version: number;
  magic: string;
  commands: typeof COMMANDS;
  status: typeof STATUS_CODES;
  clkHz: number;
  baud: number;
  clksPerBit: number;
  /** the PING answer this bitstream gives */
  info: PingInfo;
  /** cycles before the first descriptor is offered to the array (3 * wordsPerEntry + 3) */
  primeCycles: number;
  /** RUN cycles = schedule(...).totalCycles + runOverhead (runOverhead = primeCycles + 1) */
  runOverhead: number;
}

export interface BoardBuild {
  design: Design;
  files: Record<string, string>;
  top: string;
  memoryMap: MemoryMap;
  protocol: Protocol;
  /** parameters of <P>_board_core */
  params: Record<string, number>;
}

const EBR_SHAPES: readonly [number, number][] = [[16, 256], [8, 512], [4, 1024], [2, 2048]];

/** The PING reply's info bytes are a 64 x 8 ROM in one block RAM (board_top.v). */
export const INFO_ROM_EBR = 1;

/** SB_RAM40_4K blocks for a W x D memory (the best of the four EBR shapes). */
export function ebrCount(width: number, depth: number): number {
  return Math.min(...EBR_SHAPES.map(([w, d]) => Math.ceil(width / w) * Math.ceil(depth / d)));
}

const isPow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

/** Tile-table entry fields (LSB first) for given memory address widths. */
function tableFields(d: Derived, waw: number, xaw: number, pbw: number): TableField[] {
  const spec: [string, number, string][] = [
    ['mode', 1, 'in_t_mode: 0 conventional, 1 term revealing'],
    ['k', d.KW, 'in_t_k: weight terms per group (TR)'],
    ['d', d.DW, 'in_t_d: data terms per value (TR)'],
    ['g', d.GW, 'in_t_g: group size'],
    ['ngroups', d.NGW, 'in_t_ngroups: groups in the tile'],
    ['relu', 1, 'in_t_relu'],
    ['pset', pbw, 'in_t_pset: output-parameter set (P words pset * 2^CW + column)'],
    ['wFirst', waw, 'first weight-slot word (W address)'],
    ['wLast', waw, 'last weight-slot word (inclusive): wFirst + ngroups*k_eff - 1'],
    ['xFirst', xaw, 'first data-beat word (X address)'],
    ['xLast', xaw, 'last data-beat word (inclusive): xFirst + ngroups*ceil(g/L) - 1'],
  ];
  const out: TableField[] = [];
  let lo = 0;
  for (const [name, width, doc] of spec) {
    out.push({ name, lo, width, doc });
    lo += width;
  }
  return out;
}

/** Memory sizes and the tile-table layout of a board build (no files; sim/driver/host.ts uses this). */
export function boardMemoryMap(cfg: TrConfig, opts: BoardOptions = {}): MemoryMap {
  const d = derive(cfg);
  const acc = opts.acc ?? false;
  const readback = opts.readback ?? 'all';
  if (!READBACKS.includes(readback)) throw new UserError(`board: readback ${JSON.stringify(readback)} must be one of ${READBACKS.join(', ')}`);
  const widths: Record<MemName, number> = {
    w: d.C * d.WS, x: d.R * d.L * d.BX, t: 16, y: d.C * d.BX, a: d.C * d.accW, p: d.PWW,
  };
  const rx = opts.rxFifo ?? 512;
  if (!isPow2(rx) || rx < 16 || rx > 65536) throw new UserError(`board: rxFifo ${rx} must be a power of two in 16..65536`);
  for (const [k, v] of Object.entries(opts.depths ?? {})) {
    if (v === undefined) continue;
    if (!isPow2(v) || v < 16 || v > 65536) throw new UserError(`board: depths.${k} = ${v} must be a power of two in 16..65536`);
  }
  const fixed = opts.depths ?? {};
  // P: whole sets, 2..2^PSW of them; by default it starts as deep as its narrowest EBR shape allows at
  // the fewest blocks and then grows with the others (the host checks that a job's sets fit)
  const pMin = Math.max(16, 2 ** (d.CW + 1));
  const pMax = 2 ** d.PAW;
  if (fixed.p !== undefined && (fixed.p < pMin || fixed.p > pMax)) {
    throw new UserError(`board: depths.p = ${fixed.p} must hold ${pMin / 2 ** d.CW}..${2 ** d.PSW} parameter sets of ${2 ** d.CW} words (${pMin}..${pMax})`);
  }
  let pStart = pMin;
  while (pStart < pMax && ebrCount(widths.p, pStart * 2) === ebrCount(widths.p, pMin)) pStart *= 2;
  const depth: Record<'w' | 'x' | 't' | 'y' | 'p', number> = {
    w: fixed.w ?? 256, x: fixed.x ?? 256, t: fixed.t ?? 256, y: fixed.y ?? 256, p: fixed.p ?? pStart,
  };
  const pbw = (): number => clog2(depth.p) - d.CW;

  // table word: by default one whole entry (TE = 1), so the table RAM's read register is the core's staging
  // register and no entry-wide register of flip-flops is needed (where an entry exceeds 240 bits: the
  // narrowest multiple of 16 bits whose fetch, TE words + 2 cycles, fits in the shortest tile, LMIN); depends on
  // the address widths, so settle it together with the depths
  const layout = (): { fields: TableField[]; entryBits: number; tbw: number; te: number } => {
    const fields = tableFields(d, clog2(depth.w), clog2(depth.x), pbw());
    const last = fields[fields.length - 1] as TableField;
    const entryBits = last.lo + last.width;
    const maxTe = d.LMIN - 2;
    const whole = 16 * Math.ceil(entryBits / 16);
    const tbw = opts.tableWordBits ?? (whole <= 240 ? whole : 16 * Math.max(1, Math.ceil(entryBits / (16 * maxTe))));
    if (!Number.isInteger(tbw) || tbw < 16 || tbw % 16 !== 0 || tbw > 240) {
      throw new UserError(`board: tableWordBits ${tbw} must be a multiple of 16 in 16..240`);
    }
    const te = Math.ceil(entryBits / tbw);
    if (te > 255) throw new UserError(`board: a tile-table entry (${entryBits} bits) needs ${te} words of ${tbw} bits (at most 255)`);
    if (te > maxTe) {
      throw new UserError(`board: a tile-table entry (${entryBits} bits) needs ${te} words of ${tbw} bits, but at most ${maxTe} (R*C+3) keep the array fed; use wider table words`);
    }
    return { fields, entryBits, tbw, te };
  };
  const total = (): number => {
    const l = layout();
    let n = ebrCount(widths.w, depth.w) + ebrCount(widths.x, depth.x) + ebrCount(l.tbw, depth.t) + ebrCount(widths.y, depth.y) + ebrCount(widths.p, depth.p) + ebrCount(8, rx) + INFO_ROM_EBR;
    if (acc) n += ebrCount(widths.a, depth.y);
    return n;
  };
  const budget = opts.ebrBudget ?? 29;
  const MAX_DEFAULT = 1024;
  const growable = (['x', 'w', 't', 'y', 'p'] as const).filter((k) => fixed[k] === undefined);
  for (let grew = true; grew; ) {
    grew = false;
    for (const k of growable) {
      if (depth[k] >= (k === 'p' ? pMax : MAX_DEFAULT)) continue;
      depth[k] *= 2;
      if (total() <= budget) grew = true;
      else depth[k] /= 2;
    }
  }
  const l = layout();
  widths.t = l.tbw;
  const docs: Record<MemName, string> = {
    w: `weight slots: one word = one in_w_data beat (C x ${d.WS}-bit slot of ${d.P} term(s) {nz, idx, sign, exp}, column 0 low)`,
    x: `data beats: one word = one in_x_data beat (R x L x ${d.BX}-bit raw values, row 0 lane 0 low)`,
    t: `tile table: ${l.te} words of ${l.tbw} bits per entry, word 0 = entry bits [${l.tbw - 1}:0]`,
    y: `results: one word per result row (C x ${d.BX}-bit y, column 0 low), R rows per tile entry`,
    a: `raw accumulators: one word per result row (C x ${d.accW}-bit, column 0 low), same addresses as y`,
    p: `output parameters: one word per column of a set, set s column c at s * ${2 ** d.CW} + c (${2 ** pbw()} of the array's ${2 ** d.PSW} sets), {shift, mul, bias} = ${d.SW}-bit shift (high), ${d.MBW}-bit mul, ${d.BBW}-bit signed bias (low)`,
  };
  const mems: BoardMemory[] = [];
  const add = (id: number, name: MemName, dep: number): void => {
    const width = widths[name];
    mems.push({ id, name, width, bytes: Math.ceil(width / 8), depth: dep, addrBits: clog2(dep), ebr: ebrCount(width, dep), doc: docs[name] });
  };
  add(0, 'w', depth.w);
  add(1, 'x', depth.x);
  add(2, 't', depth.t);
  add(3, 'y', depth.y);
  if (acc) add(4, 'a', depth.y);
  add(5, 'p', depth.p);
  return {
    memories: mems,
    table: { fields: l.fields, entryBits: l.entryBits, wordBits: l.tbw, wordsPerEntry: l.te, capacity: Math.floor(depth.t / l.te) },
    rxFifoBytes: rx,
    ebrEstimate: total(),
    acc,
    readback,
  };
}

export function memory(map: MemoryMap, name: MemName): BoardMemory {
  const m = map.memories.find((x) => x.name === name);
  if (!m) throw new UserError(`board: this build has no memory '${name}'${name === 'a' ? ' (build with acc: true)' : ''}`);
  return m;
}

/** Cycles the board adds to the array's schedule in a RUN: RUN cycles = schedule.totalCycles + this. */
export function runOverhead(map: MemoryMap): number {
  return primeCycles(map) + 1;
}

/** Cycles from the start of a RUN until the first descriptor is offered (three entries staged). */
export function primeCycles(map: MemoryMap): number {
  return 3 * map.table.wordsPerEntry + 3;
}

export function tableField(map: MemoryMap, name: string): TableField {
  const f = map.table.fields.find((x) => x.name === name);
  if (!f) throw new Error(`internal: no table field ${name}`);
  return f;
}

// ---------------------------------------------------------------- the core's interface (board_top.v)

const CORE_PARAMS = [
  'R', 'C', 'L', 'G', 'BW', 'BX', 'WT', 'KW', 'DW', 'GW', 'NGW', 'BBW', 'MBW', 'MULW', 'SW', 'ACCW', 'CW', 'VERSION', 'HASH_LO', 'HASH_HI',
  'CLKS_PER_BIT', 'LEDW', 'LED_LOW', 'HBW', 'WDW', 'RXAW', 'WAW', 'XAW', 'TAW', 'YAW', 'ACC_EN', 'RB_ALL', 'PSW', 'APAW', 'PBW', 'PAW', 'TBW', 'TE',
  'O_MODE', 'O_K', 'O_D', 'O_G', 'O_NG', 'O_RELU', 'O_PS', 'O_WF', 'O_WL', 'O_XF', 'O_XL',
] as const;

/** core port -> array port (array ports not listed: clk, out_y_row) */
const CORE_TO_ARRAY: readonly [string, string][] = [
  ['a_rst', 'rst'], ['a_t_valid', 'in_t_valid'], ['a_t_ready', 'out_t_ready'], ['a_t_mode', 'in_t_mode'], ['a_t_k', 'in_t_k'],
  ['a_t_d', 'in_t_d'], ['a_t_g', 'in_t_g'], ['a_t_ngroups', 'in_t_ngroups'], ['a_t_relu', 'in_t_relu'], ['a_t_pset', 'in_t_pset'],
  ['a_p_addr', 'out_p_addr'], ['a_p_bias', 'in_p_bias'], ['a_p_mul', 'in_p_mul'], ['a_p_shift', 'in_p_shift'], ['a_w_valid', 'in_w_valid'], ['a_w_ready', 'out_w_ready'], ['a_w_data', 'in_w_data'],
  ['a_x_valid', 'in_x_valid'], ['a_x_ready', 'out_x_ready'], ['a_x_data', 'in_x_data'], ['a_y_valid', 'out_y_valid'], ['a_y_col', 'out_y_col'],
  ['a_y_data', 'out_y_data'], ['a_y_acc', 'out_y_acc'], ['a_err', 'out_err'], ['a_busy', 'out_busy'], ['a_stat_work', 'out_stat_work'],
];

/** Ports of <P>_board_core as a function of its parameters (mirrors board_top.v). */
function corePorts(p: Record<string, number>): Port[] {
  const v = (n: string): number => {
    const x = p[n];
    if (x === undefined) throw new Error(`internal: core parameter ${n} missing`);
    return x;
  };
  const i = inPort;
  const o = outPort;
  const C = v('C');
  return [
    i('clk', 1), i('uart_rx', 1), o('uart_tx', 1), o('led', v('LEDW')),
    o('a_rst', 1), o('a_t_valid', 1), i('a_t_ready', 1), o('a_t_mode', 1), o('a_t_k', v('KW')), o('a_t_d', v('DW')), o('a_t_g', v('GW')),
    o('a_t_ngroups', v('NGW')), o('a_t_relu', 1), o('a_t_pset', v('PSW')),
    i('a_p_addr', v('APAW')), o('a_p_bias', v('BBW')), o('a_p_mul', v('MBW')), o('a_p_shift', v('SW')),
    o('a_w_valid', 1), i('a_w_ready', 1), o('a_w_data', C * v('WT')),
    o('a_x_valid', 1), i('a_x_ready', 1), o('a_x_data', v('R') * v('L') * v('BX')),
    i('a_y_valid', 1), i('a_y_col', v('CW')), i('a_y_data', v('BX')), i('a_y_acc', v('ACCW')),
    i('a_err', 1), i('a_busy', 1), i('a_stat_work', 32),
  ];
}

function checkTarget(board: BoardTarget): void {
  if (typeof board.name !== 'string' || !/^[a-z0-9_-]+$/i.test(board.name)) throw new UserError(`board: name ${JSON.stringify(board.name)} is not a board name`);
  if (!Number.isInteger(board.ledWidth) || board.ledWidth < 1 || board.ledWidth > 32) throw new UserError(`board: ledWidth ${board.ledWidth} must be 1..32`);
  if (!(board.clkHz > 0) || !(board.baud > 0)) throw new UserError('board: clkHz and baud must be positive');
}

function ledActiveLow(board: BoardTarget): boolean {
  if (board.ledActiveLow !== undefined) return board.ledActiveLow;
  try {
    return getBoard(board.name).signals['led']?.activeLow ?? false;
  } catch {
    return false;
  }
}

/** Build the board design: the array's files plus the board wrapper, top `<P>_board`. */
export function buildBoard(cfg: TrConfig, board: BoardTarget, opts: BoardOptions = {}): BoardBuild {
  checkTarget(board);
  const design = buildDesign(cfg);
  const d = design.derived;
  const P = cfg.name;
  const map = boardMemoryMap(cfg, opts);
  const cpb = opts.clksPerBit ?? Math.round(board.clkHz / board.baud);
  if (!Number.isInteger(cpb) || cpb < 4 || cpb > 65535) throw new UserError(`board: ${cpb} clock cycles per UART bit (clkHz / baud) must be an integer in 4..65535`);
  if (opts.clksPerBit === undefined && Math.abs(board.clkHz / (cpb * board.baud) - 1) > 0.02) {
    throw new UserError(`board: ${board.baud} baud is more than 2% off ${board.clkHz} Hz / ${cpb}`);
  }
  const wdw = opts.watchdogBits ?? 24;
  if (!Number.isInteger(wdw) || wdw < 8 || wdw > 31) throw new UserError(`board: watchdogBits ${wdw} must be 8..31`);
  const mem = (n: MemName): BoardMemory => memory(map, n);
  const off = (n: string): number => tableField(map, n).lo;
  // the 4 hash bytes in wire order are the first 4 bytes of the sha256: little-endian number of those bytes
  const hashLe = Buffer.from(design.configHash.slice(0, 8), 'hex').readUInt32LE(0);
  const params: Record<string, number> = {
    R: d.R, C: d.C, L: d.L, G: d.G, BW: d.BW, BX: d.BX, WT: d.WS, KW: d.KW, DW: d.DW, GW: d.GW, NGW: d.NGW, BBW: d.BBW, MBW: d.MBW,
    MULW: d.MULW, SW: d.SW, ACCW: d.accW, CW: d.CW, VERSION: PROTOCOL_VERSION, HASH_LO: hashLe & 0xffff, HASH_HI: hashLe >>> 16,
    CLKS_PER_BIT: cpb, LEDW: board.ledWidth, LED_LOW: ledActiveLow(board) ? 1 : 0,
    HBW: Math.max(4, Math.round(Math.log2(board.clkHz))), WDW: wdw, RXAW: clog2(map.rxFifoBytes),
    WAW: mem('w').addrBits, XAW: mem('x').addrBits, TAW: mem('t').addrBits, YAW: mem('y').addrBits, PSW: d.PSW, APAW: d.PAW, PBW: mem('p').addrBits - d.CW, PAW: mem('p').addrBits, ACC_EN: map.acc ? 1 : 0, RB_ALL: map.readback === 'all' ? 1 : 0,
    TBW: map.table.wordBits, TE: map.table.wordsPerEntry,
    O_MODE: off('mode'), O_K: off('k'), O_D: off('d'), O_G: off('g'), O_NG: off('ngroups'), O_RELU: off('relu'), O_PS: off('pset'),
    O_WF: off('wFirst'), O_WL: off('wLast'), O_XF: off('xFirst'), O_XL: off('xLast'),
  };

  // generated top: <P>_board = <P>_board_core + <P>_top
  const core: Signature = { name: `${P}_board_core`, ports: corePorts(params) };
  const array: Signature = { name: design.top, ports: topPorts(d) };
  const top = `${P}_board`;
  const m = new ModuleBuilder(top, [
    `${top}: ${board.name} board wrapper of ${design.top} (${board.ledWidth} LEDs, ${board.clkHz / 1e6} MHz, UART ${cpb} cycles/bit).`,
    'Host protocol over the UART: see board_core / sim/driver/host.ts. Ports are the board signals of constraints/<board>.pcf.',
  ]);
  const clk = m.input('clk', 1, 'board oscillator');
  const rx = m.input('uart_rx', 1, 'UART into the FPGA');
  const tx = m.output('uart_tx', 1, 'UART out of the FPGA');
  const led = m.output('led', board.ledWidth, ledActiveLow(board) ? 'LEDs (active-low)' : 'LEDs');
  const arrayConns: Record<string, Expr> = { clk };
  const coreConns: Record<string, Expr> = { clk, uart_rx: rx, uart_tx: tx, led };
  for (const [cp, ap] of CORE_TO_ARRAY) {
    const port = array.ports.find((q) => q.name === ap);
    if (!port) throw new Error(`internal: array has no port ${ap}`);
    const w = m.wire(ap, port.width);
    arrayConns[ap] = w;
    coreConns[cp] = w;
  }
  arrayConns['out_y_row'] = m.wire('out_y_row', d.RW, 'row tag of a result (the core counts rows itself)', { unused: true });
  m.inst(core, 'u_core', params, coreConns);
  m.inst(array, 'u_array', {}, arrayConns);
  const mod = m.build({ [core.name]: core, [array.name]: array });

  const head = `// trgen ${GENERATOR_VERSION}, design "${P}" (config sha256 ${design.configHash.slice(0, 16)}), board ${board.name}; generated, do not edit\n`;
  const files: Record<string, string> = { ...design.files };
  const put = (module: string, text: string): void => {
    files[`${module}.v`] = `${head}\n\`default_nettype none\n\n${text}\n\`default_nettype wire\n`;
  };
  put(`${P}_uart_rx`, templateText(P, 'uart_rx.v', ['CLKS_PER_BIT']));
  put(`${P}_uart_tx`, templateText(P, 'uart_tx.v', ['CLKS_PER_BIT']));
  put(`${P}_board_ram`, templateText(P, 'board_ram.v', ['W', 'AW']));
  put(`${P}_board_feed`, templateText(P, 'board_feed.v', ['AW', 'QAW']));
  put(`${P}_board_core`, templateText(P, 'board_top.v', CORE_PARAMS));
  put(top, emitModule(mod));

  const info: PingInfo = {
    magic: MAGIC, version: PROTOCOL_VERSION, hash: hashLe, R: d.R, C: d.C, L: d.L, G: d.G, BW: d.BW, BX: d.BX, WT: d.WS, accW: d.accW,
    BBW: d.BBW, MULW: d.MULW, SW: d.SW, KW: d.KW, DW: d.DW, GW: d.GW, NGW: d.NGW, tableWordBits: map.table.wordBits,
    wordsPerEntry: map.table.wordsPerEntry, wAddrBits: mem('w').addrBits, xAddrBits: mem('x').addrBits, tAddrBits: mem('t').addrBits,
    yAddrBits: mem('y').addrBits, pAddrBits: mem('p').addrBits, rxAddrBits: clog2(map.rxFifoBytes), acc: map.acc ? 1 : 0, readback: map.readback === 'all' ? 1 : 0, clksPerBit: cpb,
  };
  return {
    design,
    files,
    top,
    memoryMap: map,
    protocol: {
      version: PROTOCOL_VERSION, magic: MAGIC, commands: COMMANDS, status: STATUS_CODES, clkHz: board.clkHz, baud: board.baud,
      clksPerBit: cpb, info, primeCycles: primeCycles(map), runOverhead: runOverhead(map),
    },
    params,
  };
}
