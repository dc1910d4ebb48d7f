/**
 * The pieces of `npm run synth` (gen/synth/cli-synth.ts) that do not run tools: option parsing and checking, the
 * design to synthesize (board top or bare core in the bench wrapper), and the output file tree with
 * report.json / report.md. Pure functions, unit-tested in test/fast/synth-job.test.ts.
 */
import { type Board, boardNames, getBoard } from '../../constraints/boards.ts';
import { BOARDS, type BoardBuild, type BoardTarget, READBACKS, type Readback, buildBoard } from '../board.ts';
import { buildBenchWrapper } from '../bench/bench.ts';
import { type ArgSpec, type ParsedArgs, UserError, choiceOption } from '../cli-util.ts';
import { type Derived, PRESETS, type TrConfig } from '../config.ts';
import { GENERATOR_VERSION, buildDesign, topPorts } from '../design.ts';
import { PLACERS, ROUTERS, type Placer, type Router, type SynthReport, type SynthResult, reportMarkdown } from './flow.ts';

export const USAGE =
  'usage: npm run synth -- (--config FILE.json | --preset NAME) --board BOARD [--out DIR] [--seed N] [--freq MHZ] ' +
  '[--dsp on|off] [--router router1|router2] [--placer heap|sa] [--tmg-ripup] [--core] [--readback all|results] [--require-timing] [--verbose]';

export const SYNTH_ARGS: ArgSpec = {
  config: { type: 'string', help: 'design config (JSON: a "preset" and/or fields)' },
  preset: { type: 'string', help: `named preset (${Object.keys(PRESETS).join(', ')})` },
  board: { type: 'string', help: `target board (${boardNames().join(', ')})` },
  out: { type: 'string', help: 'output directory (default: out/synth/<name>-<board>[-core])' },
  seed: { type: 'string', help: 'nextpnr placement seed, an integer 0..2^31-1', default: '1' },
  freq: { type: 'string', help: 'clock constraint in MHz (default: the board oscillator, 12 MHz)' },
  dsp: { type: 'string', help: 'map multipliers to SB_MAC16 DSP blocks: on|off (default: on where the device has DSPs, i.e. UP5K)' },
  core: { type: 'boolean', help: 'synthesize the bare array in the LFSR/parity bench wrapper (gen/bench/bench.ts) instead of the usable board top' },
  router: { type: 'string', help: 'nextpnr router: router1 (default) or router2 (for placements on which router1 stalls)' },
  placer: { type: 'string', help: "nextpnr placer: heap (default) or sa (simulated annealing; an alternative when heap's legaliser stalls)" },
  'tmg-ripup': { type: 'boolean', help: "nextpnr's timing-driven rip-up in the router: rips up and reroutes failing paths (default off)" },
  readback: { type: 'string', help: 'board top: which memories READ serves, all (default) or results (Y and A only; saves the READ path of W, X, T and P)' },
  'require-timing': { type: 'boolean', help: 'exit with status 3 (after writing everything) when Fmax is below the constraint; default: warn, exit 0' },
  verbose: { type: 'boolean', help: 'echo every tool log line to stderr' },
};

export interface SynthJobOptions {
  board: Board;
  target: 'board' | 'core';
  readback: Readback;
  router: Router;
  placer: Placer;
  tmgRipup: boolean;
  seed: number;
  freqMHz: number;
  /** undefined: the flow's default (on for UP5K) */
  dsp: boolean | undefined;
  out: string | undefined;
  requireTiming: boolean;
  verbose: boolean;
}

/** Check everything about the options except the design config (see configFromArgs in gen/cli.ts). */
export function synthOptions(args: ParsedArgs): SynthJobOptions {
  if (args['config'] === undefined && args['preset'] === undefined) {
    throw new UserError(`give a design: --config FILE.json or --preset NAME (presets: ${Object.keys(PRESETS).join(', ')}) (usage: --help)`);
  }
  if (typeof args['board'] !== 'string') throw new UserError(`give a board: --board ${boardNames().join('|')} (usage: --help)`);
  const board = getBoard(args['board']);
  const seedText = String(args['seed'] ?? '1');
  if (!/^\d{1,10}$/.test(seedText) || Number(seedText) >= 2 ** 31) throw new UserError(`--seed: '${seedText}' is not an integer 0..2147483647`);
  let freqMHz = board.clockMHz;
  if (args['freq'] !== undefined) {
    const f = String(args['freq']);
    freqMHz = Number(f);
    if (!/^\d+(\.\d+)?$/.test(f) || !(freqMHz > 0 && freqMHz <= 1000)) throw new UserError(`--freq: '${f}' is not a clock frequency in MHz (0 < f <= 1000)`);
  }
  let dsp: boolean | undefined;
  if (args['dsp'] !== undefined) {
    if (args['dsp'] !== 'on' && args['dsp'] !== 'off') throw new UserError(`--dsp: '${String(args['dsp'])}' must be on or off`);
    dsp = args['dsp'] === 'on';
    if (dsp && board.resources.dsp === 0) throw new UserError(`--dsp on: board '${board.id}' (${board.part}) has no DSP blocks`);
  }
  const router = choiceOption(args, 'router', ROUTERS, 'router1');
  const placer = choiceOption(args, 'placer', PLACERS, 'heap');
  const readback = choiceOption(args, 'readback', READBACKS, 'all');
  if (readback !== 'all' && args['core'] === true) throw new UserError('--readback: applies to the board top, not to --core');
  return {
    board,
    target: args['core'] === true ? 'core' : 'board',
    readback,
    router,
    placer,
    tmgRipup: args['tmg-ripup'] === true,
    seed: Number(seedText),
    freqMHz,
    dsp,
    out: typeof args['out'] === 'string' ? args['out'] : undefined,
    requireTiming: args['require-timing'] === true,
    verbose: args['verbose'] === true,
  };
}

/** Board wrapper parameters for a board of constraints/boards.json (gen/board.ts BOARDS where it has one). */
export function boardTarget(board: Board): BoardTarget {
  const known = (BOARDS as Record<string, BoardTarget | undefined>)[board.id];
  if (known) return known;
  const led = board.signals['led'];
  return { name: board.id, ledWidth: led?.pins.length ?? 1, clkHz: board.clockMHz * 1e6, baud: 115_200, ledActiveLow: led?.activeLow ?? false };
}

export interface SynthTarget {
  cfg: TrConfig;
  target: 'board' | 'core';
  top: string;
  /** Verilog sources, keyed by file name */
  files: Record<string, string>;
  configHash: string;
  derived: Derived;
  /** the board top's memory map and host protocol (target 'board' only) */
  boardBuild: BoardBuild | undefined;
}

/** The design to synthesize: the board top (what a user flashes) or the bare array in the bench wrapper. */
export function synthTarget(cfg: TrConfig, board: Board, target: 'board' | 'core', readback: Readback = 'all'): SynthTarget {
  if (target === 'board') {
    const b = buildBoard(cfg, boardTarget(board), { readback });
    return { cfg, target, top: b.top, files: b.files, configHash: b.design.configHash, derived: b.design.derived, boardBuild: b };
  }
  const design = buildDesign(cfg);
  const led = board.signals['led']?.pins.length ?? 1;
  const w = buildBenchWrapper(cfg.name, { name: design.top, ports: topPorts(design.derived) }, design.files, led);
  return { cfg, target, top: w.top, files: w.files, configHash: design.configHash, derived: design.derived, boardBuild: undefined };
}

/** Default output directory. */
export function defaultOutDir(cfg: TrConfig, board: Board, target: 'board' | 'core'): string {
  return `out/synth/${cfg.name}-${board.id}${target === 'core' ? '-core' : ''}`;
}

/** A shell-quoted command line: npm run SCRIPT -- ARGV. */
export function commandLine(argv: readonly string[], script = 'synth'): string {
  const q = (a: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['npm', 'run', script, '--', ...argv].map(q).join(' ');
}

/** Compact description of the board top's host interface, for report.json. */
export function boardTopSummary(b: BoardBuild): Record<string, unknown> {
  const p = b.protocol;
  return {
    uart: { baud: p.baud, clksPerBit: p.clksPerBit, clkHz: p.clkHz, frame: '8N1' },
    protocolVersion: p.version,
    magic: p.magic,
    commands: p.commands,
    statusCodes: p.status,
    ping: p.info,
    primeCycles: p.primeCycles,
    runOverhead: p.runOverhead,
    memoryMap: b.memoryMap,
  };
}

export type CliReport = SynthReport & {
  generator: string;
  command: string;
  target: 'board' | 'core';
  config: TrConfig;
  configHash: string;
  derived: Derived;
  boardTop: Record<string, unknown> | null;
  /** every file written to the output directory */
  files: string[];
};

const SOURCE = /\.s?v$/;

/**
 * Everything `npm run synth` writes: <top>.bin, <top>.asc, report.json, report.md, the board .pcf, src/ (the
 * Verilog and the yosys script) and logs/ (tool logs plus yosys stat / nextpnr report JSON).
 */
export function outputFiles(t: SynthTarget, r: SynthResult, command: string): { files: Record<string, string | Uint8Array>; report: CliReport } {
  const rep = r.report;
  const f = r.files;
  const files: Record<string, string | Uint8Array> = {};
  const take = (from: string, to: string) => {
    const v = f[from];
    if (v !== undefined) files[to] = v;
  };
  files[`${rep.top}.bin`] = r.bitstream;
  take(`${rep.top}.asc`, `${rep.top}.asc`);
  const pcf = Object.keys(f).find((k) => k.endsWith('.pcf'));
  if (pcf) take(pcf, pcf);
  for (const k of Object.keys(t.files).sort()) if (SOURCE.test(k)) take(k, `src/${k}`);
  take('synth.ys', 'src/synth.ys');
  for (const log of ['yosys.log', 'nextpnr-ice40.log', 'icepack.log']) take(log, `logs/${log}`);
  take('stat.json', 'logs/yosys-stat.json');
  take('report.json', 'logs/nextpnr-report.json');
  const report: CliReport = {
    ...rep,
    generator: `trgen ${GENERATOR_VERSION}`,
    command,
    target: t.target,
    config: t.cfg,
    configHash: t.configHash,
    derived: t.derived,
    boardTop: t.boardBuild ? boardTopSummary(t.boardBuild) : null,
    files: [...Object.keys(files), 'report.json', 'report.md'].sort(),
  };
  files['report.json'] = JSON.stringify(report, null, 2) + '\n';
  files['report.md'] = cliReportMarkdown(report, t);
  return { files, report };
}

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/** report.md: the flow's utilisation summary plus the design, how to flash it, and the board top's interface. */
export function cliReportMarkdown(r: CliReport, t: SynthTarget): string {
  const c = r.config;
  const out: string[] = [
    `# ${r.top} on ${r.board}`,
    '',
    `Design \`${c.name}\` (config sha256 ${r.configHash.slice(0, 16)}): ${c.rows}x${c.cols} TR array, ${c.wBits}-bit weights, ` +
      `${c.xBits}-bit data, groups up to ${c.groupMax}, ${c.lanes} load lanes, maxK ${c.maxK}, accumulator ${r.derived.accW} bits; ` +
      (r.target === 'board' ? 'usable board top (UART host protocol, on-chip RAMs).' : 'bare array in the LFSR/parity bench wrapper (not usable on a board, for resource/timing measurements only).'),
    '',
    reportMarkdown(r).trimEnd(),
    '',
  ];
  if (!r.timingMet) out.push(`**WARNING: timing not met** — Fmax ${r.fmaxMHz ?? '–'} MHz is below the ${r.freqConstraintMHz} MHz constraint; the bitstream may misbehave at that clock.`, '');
  out.push('Tool versions:', '', `- ${r.toolVersions.yosys.package}: ${r.toolVersions.yosys.version}`, `- ${r.toolVersions.nextpnr.package}: ${r.toolVersions.nextpnr.version}`, '');
  out.push('Reproduce:', '', '```sh', r.command, '```', '');
  if (r.target === 'board' && t.boardBuild) {
    const b = t.boardBuild;
    const p = b.protocol;
    out.push(
      '## Flash and talk to it',
      '',
      '```sh',
      `iceprog ${r.top}.bin`,
      '```',
      '',
      `UART ${p.baud} baud 8N1 (${p.clksPerBit} clock cycles per bit at ${p.clkHz / 1e6} MHz). Every command is answered by ` +
        '`[0x80|cmd, status, payload]`; numbers are little-endian; an unknown command byte c gets `[0xFF, c]`. ' +
        'sim/driver/host.ts (planRun, decodeResponses) is the host side.',
      '',
      '| command | request bytes | answer after [0x80\\|cmd, status] |',
      '|---|---|---|',
      `| PING | \`${hex(p.commands.ping)}\` | 35 info bytes: "TRGN", version, config hash, widths, memory sizes, CLKS_PER_BIT |`,
      `| WRITE | \`${hex(p.commands.write)} mem addr16 count16\` + count words | – |`,
      `| READ | \`${hex(p.commands.read)} mem addr16 count16\` | count words |`,
      `| RUN | \`${hex(p.commands.run)} first16 count16 ybase16\` | flags, cycles32, work32 |`,
      `| STATUS | \`${hex(p.commands.status)}\` | flags, cycles32, work32 |`,
      '',
      `Status: ${Object.entries(p.status).map(([k, v]) => `${v} ${k}`).join(', ')}. ` +
        'Flags: bit0 busy, bit1 array err, bit2 UART framing error, bit3 RX FIFO overflow, bit4 watchdog.',
      '',
      '| mem | name | word bits | bytes/word | depth | EBR (est.) |',
      '|---:|---|---:|---:|---:|---:|',
      ...b.memoryMap.memories.map((m) => `| ${m.id} | ${m.name}: ${m.doc} | ${m.width} | ${m.bytes} | ${m.depth} | ${m.ebr} |`),
      '',
      `Tile table: ${b.memoryMap.table.entryBits}-bit entries of ${b.memoryMap.table.wordsPerEntry} x ${b.memoryMap.table.wordBits}-bit words ` +
        `(${b.memoryMap.table.capacity} entries); fields (LSB first): ` +
        b.memoryMap.table.fields.map((x) => `${x.name}[${x.lo + x.width - 1}:${x.lo}]`).join(', ') +
        `. RX FIFO ${b.memoryMap.rxFifoBytes} bytes. RUN cycles = schedule totalCycles + ${p.runOverhead}.`,
      '',
    );
  }
  out.push('## Files', '', ...r.files.filter((x) => !x.startsWith('src/')).map((x) => `- \`${x}\``), `- \`src/\`: ${r.files.filter((x) => x.startsWith('src/')).length} files (Verilog sources and the yosys script)`, '');
  return out.join('\n');
}

/** One-line result summary for the terminal. */
export function summaryLine(r: SynthReport): string {
  const u = r.utilization;
  const pc = (x: { used: number; available: number }) => `${x.used}/${x.available}`;
  const fmax = r.fmaxMHz === null ? 'no clock' : `Fmax ${r.fmaxMHz.toFixed(2)} MHz`;
  return (
    `${pc(u.lc)} LC (${((100 * u.lc.used) / u.lc.available).toFixed(1)}%), ${u.ff} FF, ${u.carry} carry, ${pc(u.bram)} BRAM, ` +
    `${pc(u.dsp)} DSP, ${pc(u.io)} I/O; ${fmax} vs ${r.freqConstraintMHz} MHz constraint: timing ${r.timingMet ? 'met' : 'NOT met'}`
  );
}
