/**
 * Reference-vector files: a design config, a sequence of cases (control registers, weights, inputs, output
 * stage parameters) and the outputs the hardware must produce. Cases run back to back in one stream, so a
 * file with cases of different modes exercises run-time mode switches. Format documented in the README.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../../gen/cli-util.ts';
import { type TrConfig, derive, resolveConfig } from '../../gen/config.ts';
import { type Control, type Job, buildStreams, checkJob, modelJob, schedule } from './driver.ts';
import { Rng } from '../model/rng.ts';
import { maxMagnitude } from '../model/terms.ts';

export const VECTOR_FORMAT = 'trgen-vectors';
export const VECTOR_VERSION = 1;

export interface VectorCase {
  name: string;
  control: Control;
  relu: boolean;
  /** M×K */
  weights: number[][];
  /** N×K */
  inputs: number[][];
  bias: number[];
  mul: number[];
  shift: number[];
  /** termPairs: the term pairs the model multiplies for the whole case (docs/DESIGN.md §6); optional on input, checked when present */
  expected?: { acc: number[][]; y: number[][]; termPairs?: number };
}

export interface VectorFile {
  format: typeof VECTOR_FORMAT;
  version: number;
  description?: string;
  /** design config (a preset name and/or fields, as accepted by `npm run gen`) */
  config: Record<string, unknown>;
  seed?: number;
  cases: VectorCase[];
  /** cycle schedule of the whole file run as one stream (all inputs available) */
  expectedSchedule?: { totalCycles: number; workCycles: number; tileLastCycles: number[] };
  /** the design's limits (vectorLimits); optional, must equal the design's when present */
  limits?: VectorLimits;
}

export function caseToJob(c: VectorCase): Job {
  return { name: c.name, control: c.control, W: c.weights, X: c.inputs, out: { relu: c.relu, bias: c.bias, mul: c.mul, shift: c.shift } };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse and validate a vector file; every problem is a UserError naming the file, case and field. */
export function parseVectors(text: string, where: string): { file: VectorFile; cfg: TrConfig; jobs: Job[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  if (!isObj(raw)) throw new UserError(`${where}: expected a JSON object`);
  if (raw['format'] !== VECTOR_FORMAT) throw new UserError(`${where}: "format" must be "${VECTOR_FORMAT}"`);
  if (raw['version'] !== VECTOR_VERSION) throw new UserError(`${where}: unsupported version ${JSON.stringify(raw['version'])} (this trgen reads version ${VECTOR_VERSION})`);
  if (!isObj(raw['config'])) throw new UserError(`${where}: "config" must be an object (a preset and/or design fields)`);
  const cfg = resolveConfig(raw['config'], `${where}: config`);
  if (raw['limits'] !== undefined) {
    const want = vectorLimits(cfg);
    const got = raw['limits'];
    if (!isObj(got)) throw new UserError(`${where}: "limits" must be an object`);
    for (const [k, v] of Object.entries(want)) {
      if (got[k] !== v) throw new UserError(`${where}: "limits.${k}" is ${JSON.stringify(got[k])} but the design's is ${v}`);
    }
  }
  const cases = raw['cases'];
  if (!Array.isArray(cases) || cases.length === 0) throw new UserError(`${where}: "cases" must be a non-empty array`);
  const jobs: Job[] = [];
  cases.forEach((c: unknown, i: number) => {
    const at = `${where}: case ${i}${isObj(c) && typeof c['name'] === 'string' ? ` (${c['name']})` : ''}`;
    if (!isObj(c)) throw new UserError(`${at}: expected an object`);
    if (typeof c['name'] !== 'string') throw new UserError(`${at}: "name" must be a string`);
    const ctl = c['control'];
    if (!isObj(ctl)) throw new UserError(`${at}: "control" must be an object {mode, k, d, g}`);
    for (const f of ['weights', 'inputs', 'bias', 'mul', 'shift']) if (!Array.isArray(c[f])) throw new UserError(`${at}: "${f}" must be an array`);
    if (typeof c['relu'] !== 'boolean') throw new UserError(`${at}: "relu" must be true or false`);
    const exp = c['expected'];
    if (exp !== undefined) {
      if (!isObj(exp) || !Array.isArray(exp['acc']) || !Array.isArray(exp['y'])) throw new UserError(`${at}: "expected" must be an object {acc, y, termPairs}`);
      const tp = exp['termPairs'];
      if (tp !== undefined && !(Number.isSafeInteger(tp) && (tp as number) >= 0)) throw new UserError(`${at}: "expected.termPairs" must be a non-negative integer`);
    }
    const job = caseToJob(c as unknown as VectorCase);
    checkJob(cfg, job, at);
    jobs.push(job);
  });
  return { file: raw as unknown as VectorFile, cfg, jobs };
}

export function loadVectors(path: string): { file: VectorFile; cfg: TrConfig; jobs: Job[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read vectors file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseVectors(text, path);
}

/** Fill in the golden-model expectations (outputs per case and the cycle schedule of the whole file). */
export function withExpected(file: VectorFile, cfg: TrConfig, jobs: readonly Job[]): VectorFile {
  const cases = file.cases.map((c, i) => {
    const r = modelJob(cfg, jobs[i] as Job);
    return { ...c, expected: { acc: r.acc, y: r.y, termPairs: r.termPairs } };
  });
  const s = schedule(cfg, buildStreams(cfg, jobs).tiles);
  return { ...file, limits: vectorLimits(cfg), cases, expectedSchedule: { totalCycles: s.totalCycles, workCycles: s.workCycles, tileLastCycles: s.tiles.map((t) => t.last) } };
}

/** Compact JSON: one matrix row per line, so diffs of checked-in vectors stay readable. */
export function formatVectors(file: VectorFile): string {
  return JSON.stringify(file, null, 1).replace(/\[\n\s*(-?\d+(?:,\n\s*-?\d+)*)\n\s*\]/g, (_m, body: string) => `[${body.replace(/,\n\s*/g, ', ')}]`) + '\n';
}

export const MODE_MIXES = ['alternate', 'conventional', 'tr', 'random'] as const;
export type ModeMix = (typeof MODE_MIXES)[number];

export interface RandomVectorOptions {
  cases: number;
  /** largest M, N, K drawn */
  maxM?: number;
  maxN?: number;
  maxK?: number;
  /** smallest K drawn (default 1) */
  minK?: number;
  /** modes of the cases: alternate (default, conventional first), all conventional, all TR, or random */
  modes?: ModeMix;
  /** control-register ranges (clipped to the design): group size g, budget k, data cap d */
  g?: [number, number];
  k?: [number, number];
  d?: [number, number];
  /** output stage at its extremes: bias at ±the largest bias, multiplier 1 or its largest value, shift 0 or the largest shift */
  extremes?: boolean;
}

/** The design limits a vector file's cases must respect (written into files with expectations, checked on read). */
export interface VectorLimits {
  wBits: number;
  xBits: number;
  rows: number;
  cols: number;
  maxK: number;
  groupMax: number;
  /** largest k (groupMax · T_w) and d (T_x) */
  kMax: number;
  dMax: number;
  biasBits: number;
  /** 0: shift-only output stage (mul must be 1) */
  mulBits: number;
  maxShift: number;
  accBits: number;
}

export function vectorLimits(cfg: TrConfig): VectorLimits {
  const d = derive(cfg);
  return { wBits: cfg.wBits, xBits: cfg.xBits, rows: d.R, cols: d.C, maxK: cfg.maxK, groupMax: d.G, kMax: d.kMax, dMax: d.TX, biasBits: d.BBW, mulBits: d.MULW, maxShift: d.maxShift, accBits: d.accW };
}

const clipRange = (r: [number, number] | undefined, lo: number, hi: number): [number, number] => {
  if (!r) return [lo, hi];
  const a = Math.max(lo, Math.min(hi, r[0]));
  const b = Math.max(a, Math.min(hi, r[1]));
  return [a, b];
};

/** Random cases covering both modes, partial tiles/groups, ReLU and output scaling (reproducible from the seed). */
export function randomVectors(cfgInput: Record<string, unknown>, seed: number, opts: RandomVectorOptions): VectorFile {
  const cfg = resolveConfig(cfgInput);
  const d = derive(cfg);
  const rng = new Rng(seed);
  const wMax = maxMagnitude(cfg.wBits);
  const xMax = maxMagnitude(cfg.xBits);
  const cases: VectorCase[] = [];
  const bLim = 2 ** (d.BBW - 1) - 1;
  /** output stage at its limits: largest bias of either sign, multiplier 1 or its largest, shift 0 or the largest */
  const extremeOutput = (M: number): Pick<VectorCase, 'bias' | 'mul' | 'shift'> => ({
    bias: Array.from({ length: M }, () => (rng.next() < 0.5 ? -bLim : bLim)),
    mul: Array.from({ length: M }, () => (d.MULW === 0 || rng.next() < 0.5 ? 1 : 2 ** d.MULW - 1)),
    shift: Array.from({ length: M }, () => (rng.next() < 0.5 ? 0 : d.maxShift)),
  });
  /** moderate biases, random multipliers, and shifts so the output uses its range: about log2(√K·wMax·mul) */
  const scaledOutput = (M: number, K: number): Pick<VectorCase, 'bias' | 'mul' | 'shift'> => {
    const bMax = Math.min(bLim, 4 * wMax * xMax);
    const bias = Array.from({ length: M }, () => rng.int(-bMax, bMax));
    const mul = Array.from({ length: M }, () => (d.MULW === 0 ? 1 : rng.int(1, 2 ** d.MULW - 1)));
    const shift = mul.map((m) => Math.min(d.maxShift, Math.max(0, Math.round(Math.log2(Math.max(1, (Math.sqrt(K) * wMax * xMax * m) / xMax))))));
    return { bias, mul, shift };
  };
  for (let i = 0; i < opts.cases; i++) {
    const mix = opts.modes ?? 'alternate';
    const mode = mix === 'alternate' ? (i % 2 === 0 ? 'conventional' : 'tr') : mix === 'random' ? (rng.next() < 0.5 ? 'conventional' : 'tr') : mix;
    const [g0, g1] = clipRange(opts.g, 1, d.G);
    const g = rng.int(g0, g1);
    const K = rng.int(Math.min(opts.minK ?? 1, cfg.maxK), Math.max(Math.min(opts.minK ?? 1, cfg.maxK), Math.min(cfg.maxK, opts.maxK ?? 3 * d.G)));
    const M = rng.int(1, opts.maxM ?? d.C + 2);
    const N = rng.int(1, opts.maxN ?? d.R + 1);
    const [k0, k1] = clipRange(opts.k, 1, Math.min(d.kMax, g * d.TW));
    const [d0, d1] = clipRange(opts.d, 1, d.TX);
    const control: Control = { mode, g, k: rng.int(k0, k1), d: rng.int(d0, d1) };
    // sparse-ish values (as in real quantized tensors) as well as full-range ones
    const val = (max: number): number => (rng.next() < 0.3 ? 0 : rng.int(-max, max));
    const weights = Array.from({ length: M }, () => Array.from({ length: K }, () => val(wMax)));
    const inputs = Array.from({ length: N }, () => Array.from({ length: K }, () => val(xMax)));
    const out = opts.extremes ? extremeOutput(M) : scaledOutput(M, K);
    cases.push({ name: `${mode}-${i}`, control, relu: rng.next() < 0.5, weights, inputs, ...out });
  }
  return { format: VECTOR_FORMAT, version: VECTOR_VERSION, config: cfgInput, seed, cases };
}

/**
 * Edge cases of a design, in both modes: every weight and data value at +max, at −max, alternating, all zero;
 * K = maxK with the largest group, K = 1; the largest k and d and the smallest; the output stage at its extremes
 * (largest bias of either sign, largest multiplier, shift 0 and the largest shift) so results saturate both ways.
 */
export function edgeVectors(cfgInput: Record<string, unknown>): VectorFile {
  const cfg = resolveConfig(cfgInput);
  const d = derive(cfg);
  const wMax = maxMagnitude(cfg.wBits);
  const xMax = maxMagnitude(cfg.xBits);
  const bLim = 2 ** (d.BBW - 1) - 1;
  const mulMax = d.MULW === 0 ? 1 : 2 ** d.MULW - 1;
  const M = d.C;
  const N = d.R;
  const fill = (rows: number, K: number, f: (r: number, i: number) => number): number[][] => Array.from({ length: rows }, (_, r) => Array.from({ length: K }, (_, i) => f(r, i)));
  const patterns: [string, (r: number, i: number) => number, (r: number, i: number) => number][] = [
    ['max-max', () => wMax, () => xMax],
    ['max-min', () => wMax, () => -xMax],
    ['min-min', () => -wMax, () => -xMax],
    ['alternating', (r, i) => ((r + i) % 2 ? wMax : -wMax), (r, i) => ((r * 3 + i) % 2 ? -xMax : xMax)],
    ['zero', () => 0, () => 0],
  ];
  const cases: VectorCase[] = [];
  for (const [name, w, x] of patterns) {
    for (const K of [cfg.maxK, 1]) {
      for (const mode of ['conventional', 'tr'] as const) {
        for (const [cname, control] of [
          ['kmax', { mode, g: d.G, k: d.kMax, d: d.TX }],
          ['kmin', { mode, g: d.G, k: 1, d: 1 }],
        ] as [string, Control][]) {
          if (mode === 'conventional' && cname === 'kmin') continue; // conventional ignores k and d
          const shiftMax = cname === 'kmax';
          cases.push({
            name: `${name}-K${K}-${mode}${mode === 'tr' ? `-${cname}` : ''}`,
            control,
            relu: name === 'alternating',
            weights: fill(M, K, w),
            inputs: fill(N, K, x),
            bias: Array.from({ length: M }, (_, m) => (m % 2 ? -bLim : bLim)),
            mul: Array.from({ length: M }, (_, m) => (m % 3 === 2 ? 1 : mulMax)),
            shift: Array.from({ length: M }, (_, m) => (shiftMax && m % 2 ? d.maxShift : 0)),
          });
        }
      }
    }
  }
  return { format: VECTOR_FORMAT, version: VECTOR_VERSION, description: `edge cases of ${cfg.name}`, config: cfgInput, cases };
}
