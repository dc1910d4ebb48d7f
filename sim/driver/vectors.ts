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
  return { ...file, cases, expectedSchedule: { totalCycles: s.totalCycles, workCycles: s.workCycles, tileLastCycles: s.tiles.map((t) => t.last) } };
}

/** Compact JSON: one matrix row per line, so diffs of checked-in vectors stay readable. */
export function formatVectors(file: VectorFile): string {
  return JSON.stringify(file, null, 1).replace(/\[\n\s*(-?\d+(?:,\n\s*-?\d+)*)\n\s*\]/g, (_m, body: string) => `[${body.replace(/,\n\s*/g, ', ')}]`) + '\n';
}

export interface RandomVectorOptions {
  cases: number;
  /** largest M, N, K drawn */
  maxM?: number;
  maxN?: number;
  maxK?: number;
}

/** Random cases covering both modes, partial tiles/groups, ReLU and output scaling (reproducible from the seed). */
export function randomVectors(cfgInput: Record<string, unknown>, seed: number, opts: RandomVectorOptions): VectorFile {
  const cfg = resolveConfig(cfgInput);
  const d = derive(cfg);
  const rng = new Rng(seed);
  const wMax = maxMagnitude(cfg.wBits);
  const xMax = maxMagnitude(cfg.xBits);
  const cases: VectorCase[] = [];
  for (let i = 0; i < opts.cases; i++) {
    const mode = i % 2 === 0 ? 'conventional' : 'tr';
    const g = rng.int(1, d.G);
    const K = rng.int(1, Math.min(cfg.maxK, opts.maxK ?? 3 * d.G));
    const M = rng.int(1, opts.maxM ?? d.C + 2);
    const N = rng.int(1, opts.maxN ?? d.R + 1);
    const control: Control = { mode, g, k: rng.int(1, Math.min(d.kMax, g * d.TW)), d: rng.int(1, d.TX) };
    // sparse-ish values (as in real quantized tensors) as well as full-range ones
    const val = (max: number): number => (rng.next() < 0.3 ? 0 : rng.int(-max, max));
    const weights = Array.from({ length: M }, () => Array.from({ length: K }, () => val(wMax)));
    const inputs = Array.from({ length: N }, () => Array.from({ length: K }, () => val(xMax)));
    const bMax = Math.min(2 ** (d.BBW - 1) - 1, 4 * wMax * xMax);
    const bias = Array.from({ length: M }, () => rng.int(-bMax, bMax));
    const mul = Array.from({ length: M }, () => (d.MULW === 0 ? 1 : rng.int(1, 2 ** d.MULW - 1)));
    // shift so the output uses its range: about log2(K·wMax·xMax·mul / xMax)
    const shift = mul.map((m) => Math.min(d.maxShift, Math.max(0, Math.round(Math.log2(Math.max(1, (Math.sqrt(K) * wMax * xMax * m) / xMax))))));
    cases.push({ name: `${mode}-${i}`, control, relu: rng.next() < 0.5, weights, inputs, bias, mul, shift });
  }
  return { format: VECTOR_FORMAT, version: VECTOR_VERSION, config: cfgInput, seed, cases };
}
