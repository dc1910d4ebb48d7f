/**
 * Sweep files for `npm run dse` (gen/dse/cli-dse.ts): what to explore, and the synthesis jobs it expands to.
 *
 * A sweep file (JSON) names a base config, the config fields to vary, the designs (the TR array and the
 * bit-parallel / bit-serial baselines, the baselines optionally again at lower weight widths for matched-accuracy
 * comparisons), the boards, the placement seeds, the target (bare core in the bench wrapper, or the usable board
 * top), the clock constraint, the TR budgets to evaluate and where the workload accuracies come from. Every
 * field is checked, and every point's config is resolved, before any synthesis starts (UserError otherwise).
 *
 * Points are the cartesian product config variant × design × board × seed, in a fixed order; each is one
 * synthesis job. Budgets cost no synthesis: each TR point is evaluated at every budget from the schedule model.
 */
import { readFileSync } from 'node:fs';
import { BOARDS, READBACKS, type Readback } from '../board.ts';
import { ROUTERS, type Router } from '../synth/flow.ts';
import { UserError } from '../cli-util.ts';
import { type TrConfig, resolveConfig } from '../config.ts';
import { type Budget, DEFAULT_DOT_LEN, checkBudget, defaultBudget, parseShape } from '../bench/bench-metrics.ts';

export type BoardId = keyof typeof BOARDS;
export const DSE_BOARDS = Object.keys(BOARDS) as BoardId[];
export type DseDesign = 'tr' | 'bp' | 'bs';
export const DSE_DESIGNS: readonly DseDesign[] = ['tr', 'bp', 'bs'];

export interface Space {
  name: string;
  /** base config (fields, or a preset and fields) */
  base: Record<string, unknown>;
  /** config field -> the values it takes (cartesian product, in key order) */
  vary: Record<string, unknown[]>;
  /** R×C shapes (replace rows/cols; combined with vary) */
  shapes: string[] | null;
  designs: DseDesign[];
  /** extra weight widths for the baselines (matched-accuracy comparisons) */
  baselineWBits: number[];
  boards: BoardId[];
  seeds: number[];
  target: 'core' | 'board';
  /** board tops only: which memories READ serves (gen/board.ts BoardOptions.readback; default 'all') */
  readback: Readback;
  /** nextpnr router for every point (default router1) */
  router: Router;
  /** nextpnr's timing-driven rip-up in the router for every point (default false) */
  tmgRipup: boolean;
  /** clock constraint per board in MHz (absent: the board oscillator) */
  freqMHz: Partial<Record<BoardId, number>>;
  /** dot-product length K */
  K: number;
  /** TR budgets (default: each config's defaultBudget) */
  budgets: Budget[] | null;
  /** evaluate TR points in conventional mode too */
  conventional: boolean;
  /** results.json of `npm run mnist` or `npm run cnn` (accuracy per TR budget and QT weight width) */
  accuracy: string | null;
}

/** One synthesis job of a sweep. */
export interface SynthPoint {
  /** stable, human-readable id within the sweep, e.g. "tr 2x8 cell=tv hx8k s1" */
  id: string;
  design: DseDesign;
  /** the variant: the base config with the varied fields applied (baselines: with their weight width) */
  cfg: TrConfig;
  /** the varied fields of this point (for tables) */
  fields: Record<string, unknown>;
  board: BoardId;
  seed: number;
  target: 'core' | 'board';
  /** board tops: 'results' for a results-only READ path (absent: 'all') */
  readback?: Readback;
  /** nextpnr router (absent: router1) */
  router?: Router;
  /** nextpnr --tmg-ripup (absent: off) */
  tmgRipup?: true;
  freqMHz: number | null;
}

const KEYS = ['name', 'base', 'preset', 'vary', 'shapes', 'designs', 'baselineWBits', 'boards', 'seeds', 'target', 'readback', 'router', 'tmgRipup', 'freqMHz', 'K', 'budgets', 'conventional', 'accuracy'];

function fail(where: string, msg: string): never {
  throw new UserError(`${where}: ${msg}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function intList(v: unknown, where: string, lo: number, hi: number): number[] {
  if (!Array.isArray(v) || v.length === 0) fail(where, `expected a non-empty array of integers ${lo}..${hi}`);
  for (const x of v) if (!Number.isInteger(x) || (x as number) < lo || (x as number) > hi) fail(where, `${JSON.stringify(x)} is not an integer ${lo}..${hi}`);
  if (new Set(v).size !== v.length) fail(where, 'repeated value');
  return v as number[];
}

/** Parse and check a sweep object (`file` names it in messages). */
export function parseSpace(raw: unknown, file = 'sweep file'): Space {
  if (!isObj(raw)) fail(file, 'expected a JSON object');
  for (const k of Object.keys(raw)) if (!KEYS.includes(k)) fail(file, `unknown field '${k}' (known: ${KEYS.join(', ')})`);
  const base: Record<string, unknown> = raw['base'] === undefined ? {} : isObj(raw['base']) ? { ...raw['base'] } : fail(`${file}: base`, 'expected an object of config fields');
  if (raw['preset'] !== undefined) base['preset'] = raw['preset'];
  const vary: Record<string, unknown[]> = {};
  if (raw['vary'] !== undefined) {
    if (!isObj(raw['vary'])) fail(`${file}: vary`, 'expected an object: config field -> array of values');
    for (const [k, v] of Object.entries(raw['vary'])) {
      if (k === 'name' || k === 'preset') fail(`${file}: vary.${k}`, 'cannot be varied');
      if (!Array.isArray(v) || v.length === 0) fail(`${file}: vary.${k}`, 'expected a non-empty array of values');
      vary[k] = v;
    }
  }
  let shapes: string[] | null = null;
  if (raw['shapes'] !== undefined) {
    if (!Array.isArray(raw['shapes']) || raw['shapes'].length === 0) fail(`${file}: shapes`, 'expected a non-empty array of "RxC" strings');
    if ('rows' in vary || 'cols' in vary) fail(`${file}: shapes`, 'give either shapes or vary.rows / vary.cols, not both');
    shapes = raw['shapes'].map((s) => {
      if (typeof s !== 'string') fail(`${file}: shapes`, `${JSON.stringify(s)} is not a string "RxC"`);
      try {
        const { rows, cols } = parseShape(s);
        return `${rows}x${cols}`;
      } catch (e) {
        fail(`${file}: shapes`, (e as Error).message.replace(/^--shapes: /, ''));
      }
    });
  }
  const designs = (raw['designs'] ?? ['tr', 'bp', 'bs']) as unknown;
  if (!Array.isArray(designs) || designs.length === 0 || designs.some((d) => !(DSE_DESIGNS as unknown[]).includes(d))) {
    fail(`${file}: designs`, `expected a non-empty array of ${DSE_DESIGNS.join(', ')}`);
  }
  const boards = raw['boards'];
  if (!Array.isArray(boards) || boards.length === 0 || boards.some((b) => !(DSE_BOARDS as unknown[]).includes(b))) {
    fail(`${file}: boards`, `expected a non-empty array of ${DSE_BOARDS.join(', ')}`);
  }
  const target = raw['target'] ?? 'core';
  if (target !== 'core' && target !== 'board') fail(`${file}: target`, `expected "core" (bare array in the bench wrapper) or "board" (the usable board top)`);
  if (target === 'board' && (designs as string[]).some((d) => d !== 'tr')) fail(`${file}: designs`, 'the board top exists for the TR array only: with target "board" give designs ["tr"]');
  const readback = raw['readback'] ?? 'all';
  if (!(READBACKS as unknown[]).includes(readback)) fail(`${file}: readback`, `expected one of ${READBACKS.map((r) => `"${r}"`).join(', ')}`);
  if (readback !== 'all' && target !== 'board') fail(`${file}: readback`, 'applies to board tops only (target "board")');
  const router = raw['router'] ?? 'router1';
  if (!(ROUTERS as unknown[]).includes(router)) fail(`${file}: router`, `expected one of ${ROUTERS.map((r) => `"${r}"`).join(', ')}`);
  const tmgRipup = raw['tmgRipup'] ?? false;
  if (typeof tmgRipup !== 'boolean') fail(`${file}: tmgRipup`, 'expected true or false');
  const freqMHz: Partial<Record<BoardId, number>> = {};
  const f = raw['freqMHz'];
  if (f !== undefined) {
    const check = (v: unknown, where: string): number => (typeof v === 'number' && v > 0 && v <= 1000 ? v : fail(where, `${JSON.stringify(v)} is not a clock frequency in MHz (0 < f <= 1000)`));
    if (typeof f === 'number') for (const b of boards as BoardId[]) freqMHz[b] = check(f, `${file}: freqMHz`);
    else if (isObj(f)) {
      for (const [b, v] of Object.entries(f)) {
        if (!(boards as string[]).includes(b)) fail(`${file}: freqMHz.${b}`, 'is not one of the sweep\'s boards');
        freqMHz[b as BoardId] = check(v, `${file}: freqMHz.${b}`);
      }
    } else fail(`${file}: freqMHz`, 'expected a number or an object board -> MHz');
  }
  const K = raw['K'] ?? DEFAULT_DOT_LEN;
  if (!Number.isInteger(K) || (K as number) < 1) fail(`${file}: K`, `${JSON.stringify(K)} is not a positive integer`);
  let budgets: Budget[] | null = null;
  if (raw['budgets'] !== undefined) {
    if (!Array.isArray(raw['budgets']) || raw['budgets'].length === 0) fail(`${file}: budgets`, 'expected a non-empty array of {"g", "k", "d"}');
    budgets = raw['budgets'].map((b, i) => {
      if (!isObj(b) || Object.keys(b).sort().join() !== 'd,g,k' || ![b['g'], b['k'], b['d']].every((x) => Number.isInteger(x) && (x as number) >= 1)) {
        fail(`${file}: budgets[${i}]`, `expected {"g": G, "k": K, "d": D} with positive integers, got ${JSON.stringify(b)}`);
      }
      return { g: b['g'] as number, k: b['k'] as number, d: b['d'] as number };
    });
  }
  const conventional = raw['conventional'] ?? true;
  if (typeof conventional !== 'boolean') fail(`${file}: conventional`, 'expected true or false');
  const accuracy = raw['accuracy'] ?? null;
  if (accuracy !== null && typeof accuracy !== 'string') fail(`${file}: accuracy`, 'expected the path of a results.json of npm run mnist or npm run cnn');
  const name = raw['name'] ?? 'dse';
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) fail(`${file}: name`, 'expected 1..64 letters, digits, _ . -');
  return {
    name,
    base,
    vary,
    shapes,
    designs: [...new Set(designs as DseDesign[])],
    baselineWBits: raw['baselineWBits'] === undefined ? [] : intList(raw['baselineWBits'], `${file}: baselineWBits`, 2, 8),
    boards: [...new Set(boards as BoardId[])],
    seeds: raw['seeds'] === undefined ? [1] : intList(raw['seeds'], `${file}: seeds`, 0, 2 ** 31 - 1),
    target,
    readback: readback as Readback,
    router: router as Router,
    tmgRipup,
    freqMHz,
    K: K as number,
    budgets,
    conventional,
    accuracy,
  };
}

/** Read and parse a sweep file (UserError for a missing or malformed file). */
export function readSpace(path: string): Space {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`--space ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UserError(`--space ${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseSpace(raw, path);
}

/** Every combination of the varied fields (and shapes), in a fixed order. */
export function variants(s: Space): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  const dims: [string, unknown[]][] = Object.entries(s.vary);
  if (s.shapes) dims.unshift(['shape', s.shapes]);
  for (const [k, vals] of dims) out = out.flatMap((o) => vals.map((v) => ({ ...o, [k]: v })));
  return out;
}

/** The varied fields as in point ids and tables: "2x8 lanes=4 cell=tv" (a shape as is, other fields as k=v). */
export function fieldLabel(f: Record<string, unknown>): string {
  return Object.entries(f).map(([k, v]) => (k === 'shape' ? String(v) : `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)).join(' ');
}

/** The config of a variant (shape expanded into rows/cols; name made unique and short). */
function variantConfig(s: Space, fields: Record<string, unknown>, where: string): TrConfig {
  const { shape, ...rest } = fields;
  const sh = typeof shape === 'string' ? parseShape(shape) : {};
  return resolveConfig({ ...s.base, ...rest, ...sh }, where);
}

/**
 * Expand a sweep into its synthesis points. Every variant's config is resolved and every budget checked against
 * it here, so a bad sweep fails before the first synthesis.
 */
export function expandSpace(s: Space): SynthPoint[] {
  const points: SynthPoint[] = [];
  for (const fields of variants(s)) {
    const where = `sweep point ${fieldLabel(fields) || '(base)'}`;
    let cfg: TrConfig;
    try {
      cfg = variantConfig(s, fields, where);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`${where}: ${(e as Error).message}`);
    }
    for (const b of s.budgets ?? [defaultBudget(cfg)]) {
      try {
        checkBudget(cfg, b);
      } catch (e) {
        throw new UserError(`${where}: budget g${b.g} k${b.k} d${b.d}: ${(e as Error).message.replace(/^--\w+: /, '')}`);
      }
    }
    if (s.K > cfg.maxK) throw new UserError(`${where}: K = ${s.K} exceeds the config's maxK ${cfg.maxK} (a tile covers the whole dot product)`);
    const designCfgs: { design: DseDesign; cfg: TrConfig; extra: Record<string, unknown> }[] = [];
    for (const d of s.designs) {
      designCfgs.push({ design: d, cfg, extra: {} });
      if (d !== 'tr') {
        for (const w of s.baselineWBits) {
          if (w === cfg.wBits) continue;
          // named as the hardware benchmark names its matched-accuracy baselines, so both build the same Verilog
          designCfgs.push({ design: d, cfg: resolveConfig({ ...cfg, wBits: w, name: `${cfg.name}_w${w}` }, `${where} (${d} with ${w}-bit weights)`), extra: { wBits: w } });
        }
      }
    }
    for (const dc of designCfgs) {
      for (const board of s.boards) {
        for (const seed of s.seeds) {
          const f = { ...fields, ...dc.extra };
          points.push({
            id: [dc.design, fieldLabel(f), board, `s${seed}`].filter((x) => x !== '').join(' '),
            design: dc.design,
            cfg: dc.cfg,
            fields: f,
            board,
            seed,
            target: s.target,
            ...(s.readback !== 'all' ? { readback: s.readback } : {}),
            ...(s.router !== 'router1' ? { router: s.router } : {}),
            ...(s.tmgRipup ? { tmgRipup: true as const } : {}),
            freqMHz: s.freqMHz[board] ?? null,
          });
        }
      }
    }
  }
  const ids = new Set<string>();
  for (const p of points) {
    if (ids.has(p.id)) throw new UserError(`sweep: two points are the same (${p.id}): a varied field repeats a value`);
    ids.add(p.id);
  }
  return points;
}
