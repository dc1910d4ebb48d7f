/**
 * Verilog → iCE40 bitstream: yosys (synth_ice40) → nextpnr-ice40 → icepack, all through runTool().
 *
 * Numbers in the report come from machine-readable tool output only, never from scraping logs:
 *   - yosys `stat -json` (written with `tee -q -o stat.json stat -json`): cell counts by type after
 *     synthesis → `yosysCells`, and from them `utilization.ff` (all SB_DFF* cells) and
 *     `utilization.carry` (SB_CARRY cells). nextpnr packs FFs and carries into logic cells, so these
 *     two only exist as yosys counts.
 *   - nextpnr `--report report.json`: placed-and-routed utilisation (`utilization.*.used/available`
 *     from ICESTORM_LC, ICESTORM_RAM, ICESTORM_SPRAM, ICESTORM_DSP, ICESTORM_PLL, SB_IO, SB_GB) and
 *     achieved clock frequencies (`fmax`).
 *   - I/O `available` is the exception: nextpnr reports the die's I/O sites (96 on the UP5K, 256 on the
 *     HX8K), not the pins bonded out in the package, so it comes from constraints/boards.json.
 *     Resources nextpnr does not list for a device (e.g. DSP on the HX8K) fall back to boards.json.
 */
import { boardPcf, getBoard, parsePcf, type Board } from '../../constraints/boards.ts';
import { UserError } from '../cli-util.ts';
import { asBytes, asText, runTool, ToolError, toolVersions, type FileTree, type ToolName, type ToolVersions } from './run.ts';

export type Stage = 'yosys' | 'nextpnr' | 'icepack';

/** nextpnr's routers: router1 (its default) and router2. router1 can stall on a congested placement (its
 *  overuse stops falling and it never finishes); router2 routes such designs in seconds. */
export type Router = 'router1' | 'router2';
export const ROUTERS: readonly Router[] = ['router1', 'router2'];

/** nextpnr's placers: heap (analytical, its default) and sa (simulated annealing), an alternative to try when heap's
 *  legaliser stalls on a nearly full device (it is not guaranteed to succeed there either). */
export type Placer = 'heap' | 'sa';
export const PLACERS: readonly Placer[] = ['heap', 'sa'];

export interface SynthOptions {
  /** Verilog sources (*.v, *.sv are read; any other file, e.g. an `include`d header or $readmemh data, is just made available). */
  files: FileTree;
  top: string;
  board: string;
  /** Clock constraint for nextpnr; default: the board's oscillator frequency. */
  freqMHz?: number;
  /** nextpnr placement seed; default 1. */
  seed?: number;
  /** nextpnr router; default router1 (nextpnr's default). */
  router?: Router;
  /** nextpnr placer; default heap (nextpnr's default). */
  placer?: Placer;
  /** nextpnr's timing-driven rip-up in the router (`--tmg-ripup`); default off (nextpnr's default). */
  tmgRipup?: boolean;
  /** Map multipliers to SB_MAC16 DSP blocks (`synth_ice40 -dsp`); default: on when the device has DSPs (UP5K). */
  dsp?: boolean;
  /** Called with (stage) when a stage starts and (stage, line) for each log line. */
  onProgress?: (stage: Stage, line?: string) => void;
  signal?: AbortSignal;
}

/** The nextpnr choices that callers pass through to synthesize() (the bench, the fit search, sweep jobs). */
export type PnrChoices = Pick<SynthOptions, 'router' | 'placer' | 'tmgRipup'>;

/** o's nextpnr choices, for spreading into SynthOptions: only those given (an absent field is nextpnr's default). */
export function pnrChoices(o: PnrChoices): PnrChoices {
  return { ...(o.router ? { router: o.router } : {}), ...(o.placer ? { placer: o.placer } : {}), ...(o.tmgRipup ? { tmgRipup: true } : {}) };
}

export interface Used {
  used: number;
  available: number;
}

/** Everything is plain JSON data (JSON.stringify/parse round-trips it). */
export interface SynthReport {
  board: string;
  device: string;
  package: string;
  top: string;
  seed: number;
  /** yosys mapped multipliers to DSP blocks (synth_ice40 -dsp). */
  dspMapping: boolean;
  freqConstraintMHz: number;
  /** Achieved Fmax of the main clock (the `clk` port's net) from report.json; null if the design has no clock. */
  fmaxMHz: number | null;
  /** Every constrained clock reached its constraint. */
  timingMet: boolean;
  /** All clocks nextpnr analysed, by net name. */
  clocks: Record<string, { fmaxMHz: number; constraintMHz: number }>;
  utilization: {
    /** nextpnr ICESTORM_LC (logic cells: LUT4 + FF + carry). */
    lc: Used;
    /** yosys: number of SB_DFF* cells. */
    ff: number;
    /** yosys: number of SB_CARRY cells. */
    carry: number;
    /** nextpnr ICESTORM_RAM (4 kbit EBR blocks). */
    bram: Used;
    /** nextpnr ICESTORM_SPRAM (256 kbit single-port RAM, UP5K only). */
    spram: Used;
    /** nextpnr ICESTORM_DSP (SB_MAC16, UP5K only). */
    dsp: Used;
    /** used: nextpnr SB_IO; available: pins bonded out in the package (boards.json). */
    io: Used;
    /** nextpnr ICESTORM_PLL. */
    pll: Used;
    /** nextpnr SB_GB (global buffers). */
    globalBuffers: Used;
  };
  /** yosys `stat -json`: cell counts by type for the whole design. */
  yosysCells: Record<string, number>;
  toolVersions: ToolVersions;
  durationsMs: { yosys: number; nextpnr: number; icepack: number; total: number };
}

export interface SynthResult {
  bitstream: Uint8Array;
  report: SynthReport;
  /** Sources, synth.ys, <top>.json, stat.json, the board .pcf, report.json, <top>.asc, <top>.bin, every <tool>.log, synth-report.{json,md}. */
  files: FileTree;
}

// ---------------------------------------------------------------------------------------------
// Parsing machine-readable tool output (pure; exported for tests)

export interface YosysStat {
  cells: Record<string, number>;
}

/** yosys `stat -json`: the whole-design cell counts ("design" section; else the single module), minus `$scopeinfo`. */
export function parseYosysStat(json: string): YosysStat {
  const raw = JSON.parse(json) as {
    design?: { num_cells_by_type?: Record<string, number> };
    modules?: Record<string, { num_cells_by_type?: Record<string, number> }>;
  };
  let byType = raw.design?.num_cells_by_type;
  if (!byType) {
    const mods = Object.values(raw.modules ?? {});
    if (mods.length === 1) byType = mods[0]?.num_cells_by_type;
  }
  if (!byType) throw new Error('yosys stat.json: no num_cells_by_type');
  const cells: Record<string, number> = {};
  // $scopeinfo cells only record the flattened hierarchy for debugging; they are not hardware.
  for (const [k, v] of Object.entries(byType)) if (typeof v === 'number' && k !== '$scopeinfo') cells[k] = v;
  return { cells };
}

/** One module of a hierarchical synthesis (`synth_ice40 -noflatten`): its instances under the top and the cells
 *  of all of them together (every parameterisation of the module summed). */
export interface ModuleStat {
  module: string;
  instances: number;
  lut: number;
  ff: number;
  carry: number;
}

/** The module name a yosys stat key stands for: `\m` -> m, `$paramod$<hash>\m` or `$paramod\m\P=...` -> m. */
function baseModuleName(key: string): string {
  const parts = key.split('\\');
  return key.startsWith('$paramod') ? (parts[1] ?? key) : (parts[parts.length - 1] ?? key);
}

/**
 * Per-module cell counts from `stat -json` of a design synthesized with `-noflatten`: each module's own LUT4s,
 * flip-flops and carries times its number of instances under `top` (submodule instances appear in a module's
 * cell types under the submodule's key), summed per module name, largest first.
 */
export function parseModuleStat(json: string, top: string): ModuleStat[] {
  const raw = JSON.parse(json) as { modules?: Record<string, { num_cells_by_type?: Record<string, number> }> };
  const mods = raw.modules ?? {};
  const topKey = Object.keys(mods).find((k) => baseModuleName(k) === top && !k.startsWith('$paramod'));
  if (!topKey) throw new Error(`yosys stat.json: no module ${top}`);
  // a module key is escaped (`\\name`) where the same module as a cell type is not
  const keyOf = new Map<string, string>();
  for (const k of Object.keys(mods)) keyOf.set(k.startsWith('\\') ? k.slice(1) : k, k);
  const children = (k: string): [string, number][] =>
    Object.entries(mods[k]?.num_cells_by_type ?? {}).flatMap(([t, c]) => {
      const child = keyOf.get(t.startsWith('\\') ? t.slice(1) : t);
      return child ? [[child, c] as [string, number]] : [];
    });
  const count = new Map<string, number>([[topKey, 1]]);
  // walk the hierarchy top-down (it is a DAG; a module's count is final once every parent has been visited)
  const order: string[] = [];
  const visit = (k: string, seen: Set<string>): void => {
    if (seen.has(k)) return;
    seen.add(k);
    for (const [t] of children(k)) visit(t, seen);
    order.push(k);
  };
  visit(topKey, new Set());
  for (const k of order.reverse()) {
    const n = count.get(k) ?? 0;
    for (const [t, c] of children(k)) count.set(t, (count.get(t) ?? 0) + n * c);
  }
  const rows = new Map<string, ModuleStat>();
  for (const [k, n] of count) {
    const cells = mods[k]?.num_cells_by_type ?? {};
    const name = baseModuleName(k);
    const r = rows.get(name) ?? { module: name, instances: 0, lut: 0, ff: 0, carry: 0 };
    r.instances += n;
    r.lut += n * (cells['SB_LUT4'] ?? 0);
    r.ff += n * countFFs(cells);
    r.carry += n * (cells['SB_CARRY'] ?? 0);
    rows.set(name, r);
  }
  return [...rows.values()].filter((r) => r.lut + r.ff + r.carry > 0).sort((a, b) => b.lut + b.ff - (a.lut + a.ff) || a.module.localeCompare(b.module));
}

/** Per-module LUT4 / FF / carry counts of a design: yosys `synth_ice40 -noflatten` (no place and route). */
export async function moduleBreakdown(opts: Pick<SynthOptions, 'files' | 'top' | 'board' | 'dsp' | 'signal'>): Promise<ModuleStat[]> {
  const board = getBoard(opts.board);
  if (!TOP_NAME.test(opts.top)) throw new UserError(`invalid top module name '${opts.top}'`);
  const useDsp = opts.dsp ?? board.device === 'up5k';
  const sources = Object.keys(opts.files).filter((f) => /\.s?v$/.test(f)).sort();
  const script = [
    ...sources.map((f) => `read_verilog ${f.endsWith('.sv') ? '-sv ' : ''}${f}`),
    `synth_ice40 -noflatten -top ${opts.top}${useDsp ? ' -dsp' : ''}`,
    'tee -q -o modstat.json stat -json',
    '',
  ].join('\n');
  const out = await runTool('yosys', ['-s', 'modules.ys'], { ...opts.files, 'modules.ys': script }, opts.signal ? { signal: opts.signal } : {});
  const json = out['modstat.json'];
  if (json === undefined) throw new ToolError({ tool: 'yosys', status: 'no modstat.json written', log: asText(out['yosys.log'] ?? '').split('\n'), files: out });
  return parseModuleStat(asText(json), opts.top);
}

export function countFFs(cells: Record<string, number>): number {
  return Object.entries(cells).reduce((s, [k, v]) => (k.startsWith('SB_DFF') ? s + v : s), 0);
}

export interface NextpnrReport {
  utilization: Record<string, Used>;
  fmax: Record<string, { achieved: number; constraint: number }>;
}

/** nextpnr `--report` JSON: utilisation per bel type and achieved/constrained frequency per clock. */
export function parseNextpnrReport(json: string): NextpnrReport {
  const raw = JSON.parse(json) as {
    utilization?: Record<string, { used?: unknown; available?: unknown }>;
    fmax?: Record<string, { achieved?: unknown; constraint?: unknown }>;
  };
  if (!raw.utilization) throw new Error('nextpnr report.json: no utilization section');
  const utilization: Record<string, Used> = {};
  for (const [k, v] of Object.entries(raw.utilization))
    if (typeof v.used === 'number' && typeof v.available === 'number') utilization[k] = { used: v.used, available: v.available };
  const fmax: NextpnrReport['fmax'] = {};
  for (const [k, v] of Object.entries(raw.fmax ?? {}))
    if (typeof v.achieved === 'number' && typeof v.constraint === 'number') fmax[k] = { achieved: v.achieved, constraint: v.constraint };
  return { utilization, fmax };
}

/**
 * The main clock among nextpnr's clock nets: the one driven by the `clk` port. nextpnr names it after
 * the net, e.g. 'clk$SB_IO_IN_$glb_clk' (through the global buffer). Falls back to the only clock.
 */
export function mainClock(fmax: NextpnrReport['fmax'], clockPort = 'clk'): string | undefined {
  const names = Object.keys(fmax);
  return (
    names.find((n) => n === clockPort) ??
    names.find((n) => n.startsWith(`${clockPort}$`)) ??
    (names.length === 1 ? names[0] : undefined)
  );
}

export interface ReportInputs {
  board: Board;
  top: string;
  seed: number;
  dsp: boolean;
  freqMHz: number;
  stat: YosysStat;
  pnr: NextpnrReport;
  toolVersions: ToolVersions;
  durationsMs: SynthReport['durationsMs'];
}

const r2 = (x: number) => Math.round(x * 100) / 100;

export function buildReport(inp: ReportInputs): SynthReport {
  const { board, pnr, stat } = inp;
  const u = (belType: string, fallbackAvailable: number): Used => {
    const v = pnr.utilization[belType];
    return v ? { used: v.used, available: v.available } : { used: 0, available: fallbackAvailable };
  };
  const clocks: SynthReport['clocks'] = {};
  for (const [k, v] of Object.entries(pnr.fmax)) clocks[k] = { fmaxMHz: r2(v.achieved), constraintMHz: v.constraint };
  const main = mainClock(pnr.fmax);
  const mainFmax = main !== undefined ? pnr.fmax[main] : undefined;
  return {
    board: board.id,
    device: board.device,
    package: board.package,
    top: inp.top,
    seed: inp.seed,
    dspMapping: inp.dsp,
    freqConstraintMHz: inp.freqMHz,
    fmaxMHz: mainFmax ? r2(mainFmax.achieved) : null,
    timingMet: Object.values(pnr.fmax).every((c) => c.achieved >= c.constraint),
    clocks,
    utilization: {
      lc: u('ICESTORM_LC', board.resources.lc),
      ff: countFFs(stat.cells),
      carry: stat.cells['SB_CARRY'] ?? 0,
      bram: u('ICESTORM_RAM', board.resources.bram),
      spram: u('ICESTORM_SPRAM', board.resources.spram),
      dsp: u('ICESTORM_DSP', board.resources.dsp),
      io: { used: pnr.utilization['SB_IO']?.used ?? 0, available: board.resources.io },
      pll: u('ICESTORM_PLL', board.resources.pll),
      globalBuffers: u('SB_GB', 8),
    },
    yosysCells: { ...stat.cells },
    toolVersions: inp.toolVersions,
    durationsMs: inp.durationsMs,
  };
}

function pct(x: Used): string {
  return x.available > 0 ? `${((100 * x.used) / x.available).toFixed(1)}%` : '–';
}

/** A short Markdown summary: header line, timing line, utilisation table. */
export function reportMarkdown(r: SynthReport): string {
  const u = r.utilization;
  const row = (name: string, x: Used) => `| ${name} | ${x.used} | ${x.available} | ${pct(x)} |`;
  const fmax = r.fmaxMHz === null ? 'no clock' : `${r.fmaxMHz.toFixed(2)} MHz`;
  const d = r.durationsMs;
  return [
    `**${r.top}** on ${r.board} (iCE40${r.device.toUpperCase()}-${r.package.toUpperCase()}), seed ${r.seed}`,
    '',
    `Fmax ${fmax} (constraint ${r.freqConstraintMHz} MHz): timing ${r.timingMet ? 'met' : 'NOT met'}`,
    '',
    '| resource | used | available | util |',
    '|---|---:|---:|---:|',
    row('logic cells (LC)', u.lc),
    `| flip-flops (SB_DFF*) | ${u.ff} | | |`,
    `| carry (SB_CARRY) | ${u.carry} | | |`,
    row('block RAM (EBR)', u.bram),
    row('SPRAM', u.spram),
    row('DSP (SB_MAC16)', u.dsp),
    row('I/O pins', u.io),
    row('PLL', u.pll),
    row('global buffers', u.globalBuffers),
    '',
    `yosys ${(d.yosys / 1000).toFixed(1)} s, nextpnr ${(d.nextpnr / 1000).toFixed(1)} s, icepack ${(d.icepack / 1000).toFixed(1)} s ` +
      `(${r.toolVersions.yosys.package}, ${r.toolVersions.nextpnr.package})`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Design checks between synthesis and place & route

interface NetlistPort {
  direction: string;
  bits: unknown[];
  offset?: number;
  upto?: number;
}

/** Top-level port bit names as nextpnr names the I/O cells: 'clk', 'led[0]', ... */
export function topPortBits(netlistJson: string, top: string): string[] {
  const raw = JSON.parse(netlistJson) as { modules?: Record<string, { ports?: Record<string, NetlistPort> }> };
  const mod = raw.modules?.[top];
  if (!mod) throw new Error(`yosys netlist has no module '${top}'`);
  const out: string[] = [];
  for (const [name, p] of Object.entries(mod.ports ?? {})) {
    const w = p.bits.length;
    const offset = p.offset ?? 0;
    if (w === 1 && offset === 0) out.push(name);
    else for (let i = 0; i < w; i++) out.push(`${name}[${p.upto ? offset + w - 1 - i : offset + i}]`);
  }
  return out;
}

function listSome(xs: readonly string[], max = 8): string {
  return xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')}, … (${xs.length} in all)`;
}

/**
 * Fail early, with a clear message, on designs whose ports cannot be placed: more I/O bits than the
 * package has pins, or ports the board has no pin for (nextpnr would abort on either).
 */
export function checkPorts(bits: readonly string[], board: Board, pcfText: string, top: string, files: FileTree): void {
  const pinned = new Set(parsePcf(pcfText).map((e) => e.signal));
  const boardSignals = Object.keys(board.signals).map((s) => {
    const n = board.signals[s]?.pins.length ?? 0;
    return board.signals[s]?.vector ? `${s}[${n - 1}:0]` : s;
  });
  const mk = (summary: string) =>
    new ToolError({ tool: 'nextpnr-ice40', status: 'design check before place & route', summary, log: [], files });
  if (bits.length > board.resources.io)
    throw mk(
      `module '${top}' has ${bits.length} I/O port bits, but the ${board.part} package of board '${board.id}' has only ` +
        `${board.resources.io} user I/O pins (the board wires up: ${boardSignals.join(', ')}). Put the design behind a ` +
        'board wrapper whose ports are only the board signals.',
    );
  const missing = bits.filter((b) => !pinned.has(b));
  if (missing.length > 0)
    throw mk(
      `top-level I/O port bit(s) ${listSome(missing)} of module '${top}' have no pin on board '${board.id}' ` +
        `(board signals: ${boardSignals.join(', ')}); unconstrained I/O is not allowed.`,
    );
}

/** nextpnr's "no BELs remaining" error → which resource overflowed, in words. */
const BEL_NAMES: Record<string, string> = {
  ICESTORM_LC: 'logic cells',
  ICESTORM_RAM: 'block RAMs',
  ICESTORM_DSP: 'DSP blocks',
  ICESTORM_SPRAM: 'SPRAM blocks',
  ICESTORM_PLL: 'PLLs',
  SB_IO: 'I/O cells',
  SB_GB: 'global buffers',
};

/** Re-raise a nextpnr ToolError with all flow files attached, explaining "does not fit" failures in words. */
export function explainNextpnrFailure(e: ToolError, board: Board, flowFiles: FileTree): ToolError {
  const files = { ...flowFiles, ...e.files };
  const log = asText(e.files['nextpnr-ice40.log'] ?? '').split('\n');
  const m = log.map((l) => /no BELs remaining to implement cell type '([^']+)'/.exec(l)).find((x) => x !== null);
  if (!m) return new ToolError({ tool: e.tool, status: e.status, log, files });
  const bel = m[1] as string;
  // The utilisation table nextpnr printed just before giving up, e.g. "ICESTORM_LC: 6002/ 5280 113%".
  const over = log
    .map((l) => /^Info:\s+(\S+):\s+(\d+)\/\s*(\d+)\s+\d+%$/.exec(l.trim()))
    .filter((x): x is RegExpExecArray => x !== null && Number(x[2]) > Number(x[3]))
    .map((x) => `${x[1]} ${x[2]}/${x[3]}`);
  const summary =
    `the design does not fit the ${board.part} of board '${board.id}': it needs more ${BEL_NAMES[bel] ?? bel} (${bel}) ` +
    `than the device has${over.length ? ` (needed/available: ${over.join(', ')})` : ''}.`;
  return new ToolError({ tool: e.tool, status: e.status, summary, log, files });
}

// ---------------------------------------------------------------------------------------------

const TOP_NAME = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/;

/** Synthesize, place & route and pack `opts.top` for `opts.board`. Failures are UserError/ToolError. */
export async function synthesize(opts: SynthOptions): Promise<SynthResult> {
  const t0 = performance.now();
  const board = getBoard(opts.board);
  const top = opts.top;
  if (!TOP_NAME.test(top)) throw new UserError(`invalid top module name '${top}'`);
  const freqMHz = opts.freqMHz ?? board.clockMHz;
  if (!(Number.isFinite(freqMHz) && freqMHz > 0 && freqMHz <= 1000)) throw new UserError(`invalid clock constraint ${freqMHz} MHz`);
  const seed = opts.seed ?? 1;
  if (!(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31)) throw new UserError(`invalid seed ${seed} (an integer 0..2^31-1)`);

  const hasDsp = board.device === 'up5k';
  if (opts.dsp === true && !hasDsp) throw new UserError(`board '${board.name}' (${board.device}) has no DSP blocks; drop the DSP option`);
  const useDsp = opts.dsp ?? hasDsp;

  const sources = Object.keys(opts.files).filter((f) => /\.s?v$/.test(f)).sort();
  if (sources.length === 0) throw new UserError('no Verilog sources (*.v, *.sv) given to synthesize');
  for (const f of Object.keys(opts.files)) if (!FILE_NAME.test(f) || f.split('/').includes('..')) throw new UserError(`unsupported source file name '${f}'`);
  const generated = ['synth.ys', `${top}.json`, 'stat.json', board.pcf, 'report.json', `${top}.asc`, `${top}.bin`, 'synth-report.json', 'synth-report.md', 'yosys.log', 'nextpnr-ice40.log', 'icepack.log'];
  for (const g of generated) if (Object.hasOwn(opts.files, g)) throw new UserError(`source file name '${g}' clashes with a file the flow generates`);

  const progress = (stage: Stage) => (line: string) => opts.onProgress?.(stage, line);
  const run = async (stage: Stage, tool: ToolName, args: string[], files: FileTree) => {
    opts.onProgress?.(stage);
    const t = performance.now();
    const out = await runTool(tool, args, files, { onLine: progress(stage), ...(opts.signal ? { signal: opts.signal } : {}) });
    return { out, ms: Math.round(performance.now() - t) };
  };

  // Versions are cheap to ask (tools run once per process) and independent of the design.
  const versions = toolVersions();
  versions.catch(() => undefined);

  // 1. yosys
  const script = [
    ...sources.map((f) => `read_verilog ${f.endsWith('.sv') ? '-sv ' : ''}${f}`),
    `synth_ice40 -top ${top}${useDsp ? ' -dsp' : ''} -json ${top}.json`,
    'tee -q -o stat.json stat -json',
    '',
  ].join('\n');
  const y = await run('yosys', 'yosys', ['-s', 'synth.ys'], { ...opts.files, 'synth.ys': script });
  let files: FileTree = y.out;
  const netlist = files[`${top}.json`];
  const statJson = files['stat.json'];
  if (netlist === undefined || statJson === undefined)
    throw new ToolError({ tool: 'yosys', status: 'no netlist written', log: asText(files['yosys.log'] ?? '').split('\n'), files });
  const stat = parseYosysStat(asText(statJson));

  // 2. checks, then nextpnr
  const pcfText = boardPcf(board);
  files = { ...files, [board.pcf]: pcfText };
  checkPorts(topPortBits(asText(netlist), top), board, pcfText, top, files);
  const pnrArgs = [
    `--${board.device}`,
    '--package', board.package,
    '--json', `${top}.json`,
    '--pcf', board.pcf,
    '--freq', String(freqMHz),
    '--seed', String(seed),
    ...(opts.router !== undefined && opts.router !== 'router1' ? ['--router', opts.router] : []),
    ...(opts.placer !== undefined && opts.placer !== 'heap' ? ['--placer', opts.placer] : []),
    ...(opts.tmgRipup === true ? ['--tmg-ripup'] : []),
    '--report', 'report.json',
    '--asc', `${top}.asc`,
    // A missed clock target is a result (timingMet: false), not a failure.
    '--timing-allow-fail',
  ];
  let p: Awaited<ReturnType<typeof run>>;
  try {
    p = await run('nextpnr', 'nextpnr-ice40', pnrArgs, { [`${top}.json`]: netlist, [board.pcf]: pcfText });
  } catch (e) {
    throw e instanceof ToolError ? explainNextpnrFailure(e, board, files) : e;
  }
  files = { ...files, ...p.out };
  const reportJson = files['report.json'];
  const asc = files[`${top}.asc`];
  if (reportJson === undefined || asc === undefined)
    throw new ToolError({ tool: 'nextpnr-ice40', status: 'no report.json / .asc written', log: asText(files['nextpnr-ice40.log'] ?? '').split('\n'), files });
  const pnr = parseNextpnrReport(asText(reportJson));

  // 3. icepack
  const k = await run('icepack', 'icepack', [`${top}.asc`, `${top}.bin`], { [`${top}.asc`]: asc });
  files = { ...files, 'icepack.log': k.out['icepack.log'] ?? '' };
  const bin = k.out[`${top}.bin`];
  if (bin === undefined) throw new ToolError({ tool: 'icepack', status: 'no bitstream written', log: asText(k.out['icepack.log'] ?? '').split('\n'), files });
  const bitstream = asBytes(bin);
  files[`${top}.bin`] = bitstream;

  const report = buildReport({
    board,
    top,
    seed,
    dsp: useDsp,
    freqMHz,
    stat,
    pnr,
    toolVersions: await versions,
    durationsMs: { yosys: y.ms, nextpnr: p.ms, icepack: k.ms, total: Math.round(performance.now() - t0) },
  });
  files['synth-report.json'] = JSON.stringify(report, null, 2) + '\n';
  files['synth-report.md'] = reportMarkdown(report);
  return { bitstream, report, files };
}
