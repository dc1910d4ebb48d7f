/**
 * One synthesis job of a sweep: a serializable spec (what a queue worker on another machine receives), the
 * Verilog it builds, its content key, and running it with the real flow.
 *
 * The content key is the sha256 of everything the result depends on: the generated sources (each file's
 * sha256), the top, board, seed, clock constraint and DSP mapping, the pinned tool packages, the generator
 * version and the synthesis flow's own source (gen/synth/flow.ts). Equal keys mean equal results (the flow is
 * deterministic), so results are cached and shared by key: a repeated or interrupted sweep only runs what is
 * missing, and a worker whose generator or tools differ computes a different key and refuses the job.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { getBoard } from '../../constraints/boards.ts';
import { buildBaseline } from '../baselines.ts';
import { buildBenchWrapper } from '../bench/bench.ts';
import type { SynthNumbers } from '../bench/bench-metrics.ts';
import { failureReason, fitDesign } from '../bench/bench-run.ts';
import { BOARDS, type Readback } from '../board.ts';
import { UserError } from '../cli-util.ts';
import { type TrConfig, resolveConfig } from '../config.ts';
import { GENERATOR_VERSION } from '../design.ts';
import { type Router, type SynthOptions, type SynthReport, pnrChoices } from '../synth/flow.ts';
import { packageVersion } from '../synth/run.ts';
import type { BoardId, DseDesign, SynthPoint } from './space.ts';

/** What a worker needs to rebuild and run a job (JSON-serializable). */
export interface JobSpec {
  design: DseDesign;
  cfg: TrConfig;
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

/** The deterministic outcome of a job: synthesis numbers, or why the design did not synthesize (e.g. does not fit). */
export type JobOutcome =
  | { ok: true; synth: SynthNumbers & { carry: number; timingMet: boolean } }
  | { ok: false; reason: string };

/** A finished job as cached and reported. `run` (time, machine) is the only part that differs between runs. */
export interface JobEntry {
  format: 'trgen-dse-job';
  version: 1;
  key: string;
  spec: JobSpec;
  outcome: JobOutcome;
  run: { seconds: number; worker: string };
}

/** One line for progress logs: "5478 LC, 102.4 MHz" or why it did not synthesize. */
export function outcomeText(o: JobOutcome): string {
  return o.ok ? `${o.synth.lc} LC, ${o.synth.fmaxMHz.toFixed(1)} MHz` : o.reason;
}

export function specOf(p: SynthPoint): JobSpec {
  return { design: p.design, cfg: p.cfg, board: p.board, seed: p.seed, target: p.target, ...(p.readback ? { readback: p.readback } : {}), ...(p.router ? { router: p.router } : {}), ...(p.tmgRipup ? { tmgRipup: true as const } : {}), freqMHz: p.freqMHz };
}

/** DSP blocks: only the UP5K has them; bare cores are measured in logic cells only, board tops as `npm run synth` builds them. */
export function jobDsp(spec: JobSpec): boolean | undefined {
  if (getBoard(spec.board).resources.dsp === 0) return undefined;
  return spec.target === 'board';
}

/** The sources and top of a job (the TR core or board top, or a baseline in the bench wrapper). */
export function jobDesign(spec: JobSpec): { files: Record<string, string>; top: string } {
  const cfg = resolveConfig(spec.cfg, 'job config');
  if (spec.design === 'tr') return fitDesign(cfg, spec.board, spec.target === 'board' ? 'board' : 'bare', spec.readback ?? 'all');
  if (spec.target !== 'core') throw new UserError(`a ${spec.design} baseline has no board top`);
  const b = buildBaseline(cfg, spec.design);
  return buildBenchWrapper(`${cfg.name}_${spec.design}`, b.signature, b.files, BOARDS[spec.board].ledWidth);
}

const sha256 = (s: string | Uint8Array): string => createHash('sha256').update(s).digest('hex');

let flowHash: string | undefined;
/** The synthesis flow's source: a change to the flow (yosys script, nextpnr options) changes every key. */
function flowSourceHash(): string {
  flowHash ??= sha256(readFileSync(new URL('../synth/flow.ts', import.meta.url)));
  return flowHash;
}

/** The content key of a job (see the file comment). */
export function jobKey(spec: JobSpec, design = jobDesign(spec)): string {
  const files = Object.keys(design.files).sort().map((n) => [n, sha256(design.files[n] as string)]);
  const doc = {
    format: 'trgen-dse-key/1',
    generator: GENERATOR_VERSION,
    flow: flowSourceHash(),
    tools: [packageVersion('@yowasp/yosys'), packageVersion('@yowasp/nextpnr-ice40')],
    top: design.top,
    board: spec.board,
    seed: spec.seed,
    freqMHz: spec.freqMHz,
    dsp: jobDsp(spec) ?? null,
    ...(spec.router !== undefined && spec.router !== 'router1' ? { router: spec.router } : {}),
    ...(spec.tmgRipup === true ? { tmgRipup: true } : {}),
    files,
  };
  return sha256(JSON.stringify(doc));
}

export type SynthFn = (opts: SynthOptions) => Promise<{ report: SynthReport }>;

/** The error a job's time limit stops it with (see withTimeLimit). */
export class JobTimeout extends Error {
  constructor(readonly seconds: number) {
    super(`timed out after ${seconds} s (--job-timeout; not cached: a time limit says nothing about the design)`);
  }
}

/**
 * A signal for one job: aborted with a JobTimeout `seconds` after the call (none when `seconds` is undefined),
 * or when `outer` aborts. `clear` stops the timer when the job is done.
 */
export function withTimeLimit(outer: AbortSignal | undefined, seconds: number | undefined): { signal: AbortSignal | undefined; clear: () => void } {
  if (seconds === undefined) return { signal: outer, clear: () => {} };
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new JobTimeout(seconds)), seconds * 1000);
  return { signal: outer ? AbortSignal.any([outer, ac.signal]) : ac.signal, clear: () => clearTimeout(timer) };
}

export function workerName(slot: number | string): string {
  return `${hostname()}:${process.pid}:${slot}`;
}

/**
 * Run one job. A design that does not synthesize (does not fit, no legal placement, any tool error that is the
 * design's fault) is a result, not a failure. Anything else (the worker ran out of memory, was aborted) throws,
 * and the job is retried.
 */
export async function runJob(spec: JobSpec, o: { synth?: SynthFn; worker: string; expectKey?: string; signal?: AbortSignal }): Promise<JobEntry> {
  const design = jobDesign(spec);
  const key = jobKey(spec, design);
  if (o.expectKey !== undefined && key !== o.expectKey) {
    throw new UserError(`job ${o.expectKey.slice(0, 12)}: this worker builds it with key ${key.slice(0, 12)} (a different generator, flow or tool version): refusing to run it`);
  }
  const synth: SynthFn = o.synth ?? (async (opts) => (await import('../synth/flow.ts')).synthesize(opts));
  const board = getBoard(spec.board);
  const t0 = performance.now();
  let outcome: JobOutcome;
  try {
    const dsp = jobDsp(spec);
    const r = await synth({
      files: design.files, top: design.top, board: spec.board, seed: spec.seed, ...pnrChoices(spec),
      ...(spec.freqMHz !== null ? { freqMHz: spec.freqMHz } : {}), ...(dsp !== undefined ? { dsp } : {}), ...(o.signal ? { signal: o.signal } : {}),
    });
    const rep = r.report;
    if (rep.fmaxMHz === null) throw new Error(`no Fmax for ${rep.top}`);
    const u = rep.utilization;
    outcome = { ok: true, synth: { lc: u.lc.used, lcAvailable: u.lc.available, ff: u.ff, dsp: u.dsp.used, bram: u.bram.used, fmaxMHz: rep.fmaxMHz, carry: u.carry, timingMet: rep.timingMet } };
  } catch (e) {
    if (!(e instanceof UserError) || o.signal?.aborted) throw e;
    outcome = { ok: false, reason: failureReason(e, board.resources.lc) };
  }
  return { format: 'trgen-dse-job', version: 1, key, spec, outcome, run: { seconds: Math.round((performance.now() - t0) / 100) / 10, worker: o.worker } };
}
