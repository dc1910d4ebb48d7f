/**
 * npm run bench:hw -- --board icebreaker|hx8k [--config FILE | --preset NAME] [--out DIR] [--len K]
 *                     [--g G --k K --d D] [--seed N] [--freq MHz] [--bp-dsp]
 * npm run bench:hw -- --board B --fit [--bare | --readback all|results] [--config FILE | --preset NAME] [--shapes 1x1,1x2,...] [--out DIR]
 *
 * Benchmark: synthesizes the TR array and the bit-parallel / bit-serial baselines of the same config for one
 * board (sequentially) and writes bench.json + bench.md (gen/bench/bench-run.ts, gen/bench/bench-metrics.ts).
 * --fit: binary search for the largest TR array (R×C ladder) that fits the board; writes fit.json + fit.md
 * (fit-bare.* with --bare). Progress goes to stderr, the table to stdout; outputs are written atomically.
 */
import { join } from 'node:path';
import { UserError, checkOut, choiceOption, intOption, parseArgs, runCli, writeFilesAtomic } from '../cli-util.ts';
import { READBACKS, type Readback } from '../board.ts';
import { ROUTERS, type Router } from '../synth/flow.ts';
import { configFromArgs } from '../cli.ts';
import { PRESETS, type TrConfig, derive, resolveConfig } from '../config.ts';
import { type Budget, DEFAULT_DOT_LEN, checkBudget, defaultBudget, parseShape } from './bench-metrics.ts';
import { BOARD_IDS, DEFAULT_LADDER, MATCHED, type Matched, benchConfig, benchFiles, benchMarkdown, checkBoard, fitFiles, fitMarkdown, runBench, runFit } from './bench-run.ts';

const USAGE =
  `usage: npm run bench:hw -- --board ${BOARD_IDS.join('|')} [--config FILE | --preset NAME] [--out DIR] [--len K] [--g G --k K --d D] [--seed N] [--freq MHz] [--router router1|router2] [--tmg-ripup] [--bp-dsp] [--no-matched]\n` +
  `       npm run bench:hw -- --board ${BOARD_IDS.join('|')} --fit [--bare | --readback all|results] [--config FILE | --preset NAME] [--shapes ${DEFAULT_LADDER.join(',')}] [--router router1|router2] [--tmg-ripup] [--out DIR]`;

export const SPEC = {
  board: { type: 'string', help: `target board (${BOARD_IDS.join(', ')})` },
  config: { type: 'string', help: 'design config (JSON); default: the board\'s bench config' },
  preset: { type: 'string', help: `named preset (${Object.keys(PRESETS).join(', ')})` },
  out: { type: 'string', help: 'output directory (default: out/bench/<board>)' },
  len: { type: 'string', help: `dot-product length K (default ${DEFAULT_DOT_LEN}; at most the config's maxK)` },
  g: { type: 'string', help: 'TR-mode group size (default: min(16, groupMax))' },
  k: { type: 'string', help: 'TR-mode weight terms per group (default: g/2, the MNIST run\'s 8 per 16)' },
  d: { type: 'string', help: 'TR-mode data terms per value (default 3)' },
  seed: { type: 'string', help: 'nextpnr placement seed', default: '1' },
  freq: { type: 'string', help: 'nextpnr clock constraint in MHz (default: the board clock, 12)' },
  'bp-dsp': { type: 'boolean', help: 'UP5K only: map the bp multipliers to DSP blocks (default: all designs in logic cells)' },
  'no-matched': { type: 'boolean', help: 'skip the rows at matched MNIST accuracy (two more baseline syntheses)' },
  fit: { type: 'boolean', help: 'find the largest TR array that fits the board (binary search over --shapes)' },
  bare: { type: 'boolean', help: 'with --fit: the bare core in the bench wrapper instead of the usable board top' },
  router: { type: 'string', help: 'nextpnr router for every design: router1 (default) or router2' },
  'tmg-ripup': { type: 'boolean', help: "nextpnr's timing-driven rip-up in the router, for every design (default off)" },
  readback: { type: 'string', help: 'with --fit (board top): which memories READ serves, all (default) or results (Y and A only)' },
  shapes: { type: 'string', help: `with --fit: the R×C ladder (default ${DEFAULT_LADDER.join(',')})` },
} as const;

export function numFlag(args: Record<string, string | boolean | undefined>, name: string, lo: number, hi: number): number | undefined {
  const v = args[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n) || n < lo || n > hi) throw new UserError(`--${name}: expected a number ${lo}..${hi}, got '${String(v)}'`);
  return n;
}

/** The budget from --g/--k/--d over the defaults (k defaults to g/2 of the chosen g). */
export function budgetFromArgs(cfg: TrConfig, args: Record<string, string | boolean | undefined>): Budget {
  const d = derive(cfg);
  const def = defaultBudget(cfg);
  const g = intOption(args, 'g', 1, 1024) ?? def.g;
  const b: Budget = { g, k: intOption(args, 'k', 1, 1 << 16) ?? Math.max(1, Math.min(Math.floor(g / 2), g * d.TW)), d: intOption(args, 'd', 1, 64) ?? def.d };
  checkBudget(cfg, b);
  return b;
}

export interface BenchCommand {
  mode: 'bench' | 'fit';
  board: ReturnType<typeof checkBoard>;
  cfg: TrConfig;
  out: string;
  seed: number;
  freqMHz?: number;
  K: number;
  budget: Budget;
  bpDsp: boolean;
  /** add the rows at matched accuracy (MATCHED) where the config can run its budget */
  matched: boolean;
  bare: boolean;
  readback: Readback;
  router: Router;
  tmgRipup: boolean;
  shapes: { rows: number; cols: number }[];
}

/** Parse and validate everything before any synthesis run. */
export function parseBenchArgs(argv: readonly string[]): BenchCommand {
  const args = parseArgs(argv, SPEC, USAGE);
  const board = checkBoard(args['board']);
  const fit = args['fit'] === true;
  if (!fit) for (const f of ['bare', 'shapes', 'readback'] as const) if (args[f] !== undefined) throw new UserError(`--${f} only goes with --fit`);
  const router = choiceOption(args, 'router', ROUTERS, 'router1');
  const readback = choiceOption(args, 'readback', READBACKS, 'all');
  if (readback !== 'all' && args['bare'] === true) throw new UserError('--readback: applies to the board top, not to --bare');
  if (fit) for (const f of ['g', 'k', 'd', 'len', 'bp-dsp', 'no-matched'] as const) if (args[f] !== undefined) throw new UserError(`--${f} does not apply to --fit`);
  let cfg: TrConfig;
  if (args['config'] !== undefined || args['preset'] !== undefined) cfg = configFromArgs(args);
  else if (fit) cfg = resolveConfig({ ...benchConfig(board), ...FIT_KNOBS, name: `fit${board === 'icebreaker' ? 'up5k' : board}` }, 'fit config');
  else cfg = benchConfig(board);
  const seed = intOption(args, 'seed', 0, 2 ** 31 - 1) as number;
  const freqMHz = numFlag(args, 'freq', 1, 1000);
  const K = intOption(args, 'len', 1, 1 << 20) ?? DEFAULT_DOT_LEN;
  if (!fit && K > cfg.maxK) throw new UserError(`--len: dot-product length ${K} exceeds the config's maxK ${cfg.maxK} (a tile covers the whole dot product); use a config with maxK >= ${K} or a smaller --len`);
  const budget = fit ? defaultBudget(cfg) : budgetFromArgs(cfg, args);
  const shapes = (typeof args['shapes'] === 'string' ? args['shapes'].split(',') : DEFAULT_LADDER).map(parseShape);
  return {
    mode: fit ? 'fit' : 'bench', board, cfg, out: checkOut(typeof args['out'] === 'string' ? args['out'] : join('out', 'bench', board), 'dir'), seed,
    ...(freqMHz !== undefined ? { freqMHz } : {}), K, budget, bpDsp: args['bp-dsp'] === true, matched: args['no-matched'] !== true, bare: args['bare'] === true, readback, router, tmgRipup: args['tmg-ripup'] === true, shapes,
  };
}

/**
 * Area knobs of the default fit config (on top of the board's bench config, which already has them): a
 * shift-only output stage (no multiplier) and 16-bit biases. Stated in fit.md.
 */
export const FIT_KNOBS = { outMulBits: 0, biasBits: 16 } as const;

/** The default matched-accuracy point, or undefined (with a line saying why) when the config cannot run its budget. */
export function matchedFor(cfg: TrConfig, log: (s: string) => void): Matched | undefined {
  try {
    checkBudget(cfg, MATCHED.budget);
  } catch (e) {
    log(`matched-accuracy rows skipped: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  if (MATCHED.wBits >= cfg.wBits) {
    log(`matched-accuracy rows skipped: the config's weights (${cfg.wBits} bits) are not wider than the matched baseline's (${MATCHED.wBits})`);
    return undefined;
  }
  return MATCHED;
}

if (import.meta.url === `file://${process.argv[1]}`) runCli(async () => {
  const c = parseBenchArgs(process.argv.slice(2));
  const log = (s: string): void => void process.stderr.write(s + '\n');
  if (c.mode === 'fit') {
    const f = await runFit({ board: c.board, cfg: c.cfg, shapes: c.shapes, target: c.bare ? 'bare' : 'board', readback: c.readback, router: c.router, tmgRipup: c.tmgRipup, seed: c.seed, ...(c.freqMHz !== undefined ? { freqMHz: c.freqMHz } : {}), log });
    const written = writeFilesAtomic(c.out, fitFiles(f));
    process.stdout.write(fitMarkdown(f) + `\nwrote ${written.join(', ')}\n`);
    return;
  }
  const matched = c.matched ? matchedFor(c.cfg, log) : undefined;
  const r = await runBench({ board: c.board, cfg: c.cfg, budget: c.budget, K: c.K, seed: c.seed, router: c.router, tmgRipup: c.tmgRipup, ...(c.freqMHz !== undefined ? { freqMHz: c.freqMHz } : {}), bpDsp: c.bpDsp, ...(matched ? { matched } : {}), modules: async (o) => (await import('../synth/flow.ts')).moduleBreakdown(o), log });
  const written = writeFilesAtomic(c.out, benchFiles(r));
  process.stdout.write(benchMarkdown(r) + `\nwrote ${written.join(', ')}\n`);
  if (r.missing.length) process.exitCode = 1;
});
