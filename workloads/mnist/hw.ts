/**
 * Hardware inference of the quantized MNIST MLP on the Verilator-simulated TR array.
 *
 * Per mode (conventional, TR) and per layer, one driver Job: W = the layer's quantized weights (M = outDim
 * channels × K = inDim), X = the batch of the layer's inputs (N = images × K), out = the layer's requant
 * parameters (bias in accumulator units, the layer's mul/shift for every channel, ReLU; the last layer uses
 * mul 1, shift 0, no ReLU, and its logits are acc + bias). The driver tiles the job (C channels × R vectors ×
 * the whole K per tile, K in groups of g) and the layer runs in one continuous Verilator simulation. Layer
 * l+1 gets the HARDWARE outputs y of layer l (the chain goes through the hardware, not through a model).
 *
 * Every hardware output (acc and y of every image, channel and layer) is compared against two references
 * that must both agree with it: the driver's golden model (modelJob on the same job) and the fast integer
 * network of qmlp.ts (inferQ with the matching prepared layers, run from the quantized pixels). Predictions
 * (argmax of hardware acc + bias, ties to the lowest class) must equal inferQ's. Cycles are measured by the
 * simulation (end.cycles per layer run) and checked against the driver's exact schedule (total cycles and
 * the cycle of every single result).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../gen/cli-util.ts';
import { type TrConfig, bitsFor, derive, presetConfig, resolveConfig } from '../../gen/config.ts';
import { buildDesign } from '../../gen/design.ts';
import { type Control, type Job, type JobResult, assemble, buildStreams, checkJob, itemsPerTile, modelJob, schedule, unpackOutItem } from '../../sim/driver/driver.ts';
import { stimulusLines } from '../../sim/verilator/stimulus.ts';
import { buildTrSimulator, runSimulator } from '../../sim/verilator/verilator.ts';
import { type InferResult, type LayerTerms, type QMlp, argmax, inferQ, prepareLayer, quantizeInput } from './qmlp.ts';

export interface HwModeResult {
  mode: 'conventional' | 'tr';
  layers: LayerTerms[];
  /** measured (Verilator) cycles of each layer's run */
  cyclesPerLayer: number[];
  cyclesPerImage: number;
  /** hardware output values compared (acc and y of every image × channel × layer) */
  outputsCompared: number;
  /** hardware output values that differ from either reference */
  mismatches: number;
  predictionsEqualModel: boolean;
  /** accuracy of the hardware predictions on the samples' labels */
  accuracy: number;
  /** wall clock of the Verilator runs (stimulus build, golden model and comparisons excluded) */
  simSeconds: number;
  // ---- extra detail (not needed by callers) ----
  /** schedule() total cycles of each layer run; must equal cyclesPerLayer */
  scheduleCyclesPerLayer: number[];
  /** every run: end.cycles = schedule total, each result at its scheduled cycle, work cycles as scheduled, no error flag */
  cyclesEqualSchedule: boolean;
  /** hardware predictions per image */
  predictions: number[];
  /** first mismatches, one line each (expected vs actual) */
  mismatchExamples: string[];
  /** wall clock of the whole mode (streams, Verilator, golden model, comparisons) */
  wallSeconds: number;
}

export interface HwInferenceResult {
  config: string;
  images: number;
  modes: HwModeResult[];
  /** conventional / tr cycles per image */
  cycleRatio: number;
}

export interface HwOptions {
  onProgress?: (msg: string) => void;
  cfg?: TrConfig;
}

const MAX_EXAMPLES = 8;

/**
 * The array configuration for a quantized net: preset `mnist` (4×8, G = 16, L = 16) with the net's weight and
 * activation widths, a multiplier width that holds every requant multiplier (shift-only if the net uses pure
 * shifts), maxK ≥ every layer's fan-in, and a bias width that holds every bias. Validated by resolveConfig;
 * the largest shift of the net must be within the design's maxShift.
 */
export function hwConfigFor(q: QMlp): TrConfig {
  const base = presetConfig('mnist');
  const maxK = Math.max(base.maxK, ...q.layers.map((L) => L.inDim));
  let mulBits = 0;
  if (q.opts.mulBits !== 0) {
    const maxMul = Math.max(1, ...q.layers.map((L) => L.mul));
    mulBits = Math.max(2, q.opts.mulBits, bitsFor(maxMul));
  }
  const cfg0 = resolveConfig({ preset: 'mnist', wBits: q.opts.wBits, xBits: q.opts.xBits, outMulBits: mulBits, maxK }, 'mnist hardware config');
  const maxBias = Math.max(0, ...q.layers.flatMap((L) => Array.from(L.bias, Math.abs)));
  const biasNeed = bitsFor(maxBias + 1) + 1;
  const cfg = biasNeed > derive(cfg0).BBW ? resolveConfig({ ...cfg0, biasBits: biasNeed }, 'mnist hardware config') : cfg0;
  checkNetFits(cfg, q);
  return cfg;
}

function checkNetFits(cfg: TrConfig, q: QMlp): void {
  const d = derive(cfg);
  if (cfg.wBits !== q.opts.wBits || cfg.xBits !== q.opts.xBits) {
    throw new UserError(`hardware config ${cfg.name}: wBits/xBits ${cfg.wBits}/${cfg.xBits} differ from the quantized net's ${q.opts.wBits}/${q.opts.xBits}`);
  }
  q.layers.forEach((L, l) => {
    if (L.shift > d.maxShift) throw new UserError(`layer ${l + 1}: requant shift ${L.shift} exceeds the design's maxShift ${d.maxShift}`);
    if (L.inDim > cfg.maxK) throw new UserError(`layer ${l + 1}: fan-in ${L.inDim} exceeds the design's maxK ${cfg.maxK}`);
  });
}

export function describeConfig(cfg: TrConfig): string {
  const d = derive(cfg);
  return `${cfg.name}: ${cfg.rows}×${cfg.cols} array, w${cfg.wBits}/x${cfg.xBits}, G=${cfg.groupMax}, L=${cfg.lanes}, maxK=${cfg.maxK}, acc ${d.accW} b, bias ${d.BBW} b, mul ${d.MULW} b, maxShift ${d.maxShift}`;
}

/** Hardware control registers for a layer's term setting. */
export function controlFor(cfg: TrConfig, t: LayerTerms): Control {
  const d = derive(cfg);
  // conventional mode ignores k and d (k_eff = g·T_w, d_eff = T_x); g = G gives the fewest groups
  return t.mode === 'conventional' ? { mode: 'conventional', g: d.G, k: d.kMax, d: d.TX } : { mode: 'tr', g: t.g, k: t.k, d: t.d };
}

/** The driver job of layer l of q on the input batch X (N×inDim). */
export function layerJob(cfg: TrConfig, q: QMlp, l: number, X: number[][], t: LayerTerms): Job {
  const L = q.layers[l];
  if (!L) throw new RangeError(`no layer ${l}`);
  const W: number[][] = [];
  for (let o = 0; o < L.outDim; o++) W.push(Array.from(L.Wq.subarray(o * L.inDim, (o + 1) * L.inDim)));
  const last = l === q.layers.length - 1;
  const job: Job = {
    name: `layer ${l + 1}`,
    control: controlFor(cfg, t),
    W,
    X,
    out: {
      relu: L.relu,
      bias: Array.from(L.bias),
      // the last layer: logits = acc + bias (compared through acc); y = clamp(acc + bias) is still a valid output
      mul: new Array<number>(L.outDim).fill(last ? 1 : L.mul),
      shift: new Array<number>(L.outDim).fill(last ? 0 : L.shift),
    },
  };
  return job;
}

export interface LayerRun {
  hw: { acc: number[][]; y: number[][] };
  model: JobResult;
  cycles: number;
  scheduleCycles: number;
  cyclesEqualSchedule: boolean;
  simSeconds: number;
  tiles: number;
}

/** One job in one continuous Verilator run (block-mode stimulus), with the golden model and the schedule check. */
export async function runLayerJob(cfg: TrConfig, job: Job): Promise<LayerRun> {
  const design = buildDesign(cfg);
  const d = design.derived;
  const sim = await buildTrSimulator(design);
  const streams = buildStreams(cfg, [job], { blocks: true });
  const sched = schedule(cfg, streams.tiles);
  const dir = mkdtempSync(join(tmpdir(), 'trgen-mnist-hw-'));
  try {
    const stim = join(dir, 'stimulus.jsonl');
    writeFileSync(stim, stimulusLines(d, streams).join('\n') + '\n');
    const t0 = performance.now();
    const { rows, end } = await runSimulator(sim, stim, join(dir, 'output.jsonl'), {
      expectRows: streams.tiles.length * itemsPerTile(d),
      maxCycles: sched.totalCycles * 2 + 1000,
    });
    const simSeconds = (performance.now() - t0) / 1000;
    const items = rows.map((r) => unpackOutItem(d, r.cyc, r.ports));
    const hw = assemble(cfg, [job], streams, items)[0] as { acc: number[][]; y: number[][] };
    const scheduled = sched.tiles.flatMap((t) => t.itemCycles);
    const itemsOnTime = items.length === scheduled.length && items.every((it, i) => it.cycle === scheduled[i]);
    const cyclesEqualSchedule = end.cycles === sched.totalCycles && end.work === sched.workCycles && end.err === 0 && itemsOnTime;
    return { hw, model: modelJob(cfg, job), cycles: end.cycles, scheduleCycles: sched.totalCycles, cyclesEqualSchedule, simSeconds, tiles: streams.tiles.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Argmax with ties to the lowest index (as inferQ). */
export { argmax };

/** Mismatch bookkeeping of one mode. */
export class Comparison {
  compared = 0;
  mismatches = 0;
  examples: string[] = [];

  /** Compare one hardware value against its references (name -> expected); count a mismatch once. */
  check(hw: number, refs: Record<string, number>, where: string): void {
    this.compared++;
    if (Object.values(refs).every((v) => v === hw)) return;
    this.mismatches++;
    if (this.examples.length < MAX_EXAMPLES) {
      const exp = Object.entries(refs).map(([k, v]) => `${k} ${v}`).join(', ');
      this.examples.push(`${where}: expected ${exp} | hardware ${hw}`);
    }
  }
}

/** Compare a layer's hardware outputs with the golden model and the inferQ references of every image. */
export function compareLayer(cmp: Comparison, l: number, lastLayer: boolean, run: Pick<LayerRun, 'hw' | 'model'>, refs: readonly InferResult[]): void {
  refs.forEach((ref, n) => {
    const hAcc = run.hw.acc[n] as number[];
    const hY = run.hw.y[n] as number[];
    const mAcc = run.model.acc[n] as number[];
    const mY = run.model.y[n] as number[];
    const rAcc = ref.acc[l] as Int32Array;
    const rY = lastLayer ? null : (ref.y[l] as Int32Array);
    for (let m = 0; m < hAcc.length; m++) {
      const where = `layer ${l + 1} image ${n} channel ${m}`;
      cmp.check(hAcc[m] as number, { model: mAcc[m] as number, inferQ: rAcc[m] as number }, `${where} acc`);
      cmp.check(hY[m] as number, rY ? { model: mY[m] as number, inferQ: rY[m] as number } : { model: mY[m] as number }, `${where} y`);
    }
  });
}

async function runMode(
  mode: 'conventional' | 'tr',
  cfg: TrConfig,
  q: QMlp,
  x0s: readonly Int32Array[],
  labels: readonly number[],
  terms: readonly LayerTerms[],
  refs: readonly InferResult[],
  progress: (msg: string) => void,
): Promise<HwModeResult> {
  const t0 = performance.now();
  const cmp = new Comparison();
  const cyclesPerLayer: number[] = [];
  const scheduleCyclesPerLayer: number[] = [];
  let onSchedule = true;
  let simSeconds = 0;
  let X: number[][] = x0s.map((x) => Array.from(x));
  let logits: number[][] = [];
  for (let l = 0; l < q.layers.length; l++) {
    const L = q.layers[l]!;
    const t = terms[l] as LayerTerms;
    const job = layerJob(cfg, q, l, X, t);
    checkJob(cfg, job, `${mode} layer ${l + 1}`);
    const c = job.control;
    progress(`${mode} layer ${l + 1}/${q.layers.length}: ${L.inDim}→${L.outDim}, ${X.length} images, ${c.mode} g=${c.g}${c.mode === 'tr' ? ` k=${c.k} d=${c.d}` : ''} ...`);
    const run = await runLayerJob(cfg, job);
    simSeconds += run.simSeconds;
    cyclesPerLayer.push(run.cycles);
    scheduleCyclesPerLayer.push(run.scheduleCycles);
    onSchedule &&= run.cyclesEqualSchedule;
    const last = l === q.layers.length - 1;
    const before = cmp.mismatches;
    compareLayer(cmp, l, last, run, refs);
    progress(
      `${mode} layer ${l + 1}: ${run.tiles} tiles, ${run.cycles} cycles (schedule ${run.scheduleCycles}${run.cyclesEqualSchedule ? ', equal' : ', DIFFERENT'}), ` +
        `Verilator ${run.simSeconds.toFixed(1)} s, ${cmp.mismatches - before} mismatches`,
    );
    if (last) logits = run.hw.acc.map((row) => row.map((a, m) => a + (L.bias[m] as number)));
    else X = run.hw.y; // chained through the hardware
  }
  return modeResult({ mode, terms, cmp, cyclesPerLayer, scheduleCyclesPerLayer, onSchedule, simSeconds, logits, refPreds: refs.map((r) => r.pred), labels, t0 });
}

/** The HwModeResult of a finished mode (shared by the MLP and CNN hardware runs). */
export function modeResult(r: {
  mode: 'conventional' | 'tr';
  terms: readonly LayerTerms[];
  cmp: Comparison;
  cyclesPerLayer: number[];
  scheduleCyclesPerLayer: number[];
  onSchedule: boolean;
  simSeconds: number;
  /** hardware logits per image */
  logits: readonly (readonly number[])[];
  refPreds: readonly number[];
  labels: readonly number[];
  t0: number;
}): HwModeResult {
  const predictions = r.logits.map((z) => argmax(z));
  const predictionsEqualModel = predictions.length === r.refPreds.length && predictions.every((p, n) => p === r.refPreds[n]);
  const correct = predictions.filter((p, n) => p === r.labels[n]).length;
  const total = r.cyclesPerLayer.reduce((a, b) => a + b, 0);
  const images = r.labels.length;
  return {
    mode: r.mode,
    layers: r.terms.map((t) => ({ ...t })),
    cyclesPerLayer: r.cyclesPerLayer,
    cyclesPerImage: total / images,
    outputsCompared: r.cmp.compared,
    mismatches: r.cmp.mismatches,
    predictionsEqualModel,
    accuracy: correct / images,
    simSeconds: r.simSeconds,
    scheduleCyclesPerLayer: r.scheduleCyclesPerLayer,
    cyclesEqualSchedule: r.onSchedule,
    predictions,
    mismatchExamples: r.cmp.examples,
    wallSeconds: (performance.now() - r.t0) / 1000,
  };
}

/** The inferQ references of a set of quantized inputs. */
export function referenceInference(q: QMlp, x0s: readonly Int32Array[], terms: readonly LayerTerms[]): InferResult[] {
  const prepared = q.layers.map((L, l) => prepareLayer(L, q.opts.wBits, terms[l] as LayerTerms));
  return x0s.map((x) => inferQ(q, prepared, x));
}

/**
 * Run the samples through the simulated array in conventional mode and in TR mode (per-layer settings `tr`),
 * chaining every layer through the hardware; compare every output with the golden model and inferQ.
 */
export async function runHardwareInference(
  q: QMlp,
  samples: readonly { pixels: Float32Array; label: number }[],
  tr: readonly LayerTerms[],
  opts: HwOptions = {},
): Promise<HwInferenceResult> {
  if (samples.length === 0) throw new UserError('hardware inference needs at least one image');
  if (tr.length !== q.layers.length) throw new UserError(`TR settings: ${tr.length} entries for ${q.layers.length} layers`);
  const cfg = opts.cfg ?? hwConfigFor(q);
  checkNetFits(cfg, q);
  const progress = opts.onProgress ?? ((): void => {});
  progress(`hardware: ${describeConfig(cfg)}`);
  const x0s = samples.map((s) => quantizeInput(q, s.pixels));
  const labels = samples.map((s) => s.label);
  const modes: HwModeResult[] = [];
  const conv: LayerTerms[] = q.layers.map(() => ({ mode: 'conventional' }));
  for (const [mode, terms] of [['conventional', conv], ['tr', tr]] as const) {
    const refs = referenceInference(q, x0s, terms);
    modes.push(await runMode(mode, cfg, q, x0s, labels, terms, refs, progress));
  }
  const [c, t] = modes as [HwModeResult, HwModeResult];
  return { config: describeConfig(cfg), images: samples.length, modes, cycleRatio: c.cyclesPerImage / t.cyclesPerImage };
}

/** Test hook: run one mode against references computed elsewhere (e.g. from an untampered net). */
export async function runHardwareMode(
  mode: 'conventional' | 'tr',
  cfg: TrConfig,
  q: QMlp,
  samples: readonly { pixels: Float32Array; label: number }[],
  terms: readonly LayerTerms[],
  refs: readonly InferResult[],
  onProgress?: (msg: string) => void,
): Promise<HwModeResult> {
  const x0s = samples.map((s) => quantizeInput(q, s.pixels));
  return runMode(mode, cfg, q, x0s, samples.map((s) => s.label), terms, refs, onProgress ?? ((): void => {}));
}
