/**
 * Hardware inference of the integer CNN on the Verilator-simulated TR array.
 *
 * Per mode (conventional, TR) and per conv layer, one driver Job per part of the layer's lowering
 * (sim/model/conv.ts): W = the part's lowered weight matrix (part.outC × K, tap-major, channel-minor; zeros
 * off the block diagonal for depthwise bundles), X = the im2col rows of every image (N = images × output
 * pixels), out = the part's per-channel QuantNorm parameters (bias, mul, shift, ReLU). Each job runs in one
 * continuous Verilator simulation. Global pooling runs on the host in integers. Layer l+1 gets the HARDWARE
 * outputs of layer l.
 *
 * Every hardware accumulator and output is compared with the driver's golden model (modelJob on the same job)
 * and with inferCnn run from the quantized pixels; cycles are checked against the driver's exact schedule.
 */
import { UserError } from '../../gen/cli-util.ts';
import { type TrConfig, bitsFor, derive, presetConfig, resolveConfig } from '../../gen/config.ts';
import { checkJob, type Job } from '../../sim/driver/driver.ts';
import { type ConvPart, convOutSize, convParts, im2col, weightMatrix } from '../../sim/model/conv.ts';
import type { LayerTerms } from '../mnist/qmlp.ts';
import { Comparison, controlFor, modeResult, runLayerJob, type HwModeResult } from '../mnist/hw.ts';
import { channelK, checkBlocks, convAccumulatorBound, convLayers, inferCnn, poolLayer, prepareCnn, quantizeImage, type CnnInferResult, type Qcnn } from './qcnn.ts';

/**
 * The array for the CNN: preset `mnist` (4×8, G = 16) with term-by-value cells taking P = 2 weight terms per
 * cycle, the net's largest weight width and its activation width, a multiplier width for its scales, maxK ≥
 * every lowered reduction length and a bias width holding every bias.
 */
export function cnnHwConfig(q: Qcnn): TrConfig {
  if (q.opts.scales.kind === 'float') throw new UserError('the array has no float output stage: quantize the scales (int or pow2) to run on hardware');
  const base = presetConfig('mnist');
  const convs = convLayers(q);
  const wBits = Math.max(...convs.map((L) => L.wBits));
  const maxK = Math.max(64, ...convs.flatMap((L) => convParts(L.geom, base.cols).map((p) => p.K)));
  const maxMul = Math.max(1, ...convs.flatMap((L) => Array.from(L.mul)));
  const mulBits = q.opts.scales.kind === 'pow2' ? 0 : Math.max(2, bitsFor(maxMul));
  const maxBias = Math.max(0, ...convs.flatMap((L) => Array.from(L.bias, Math.abs)));
  const cfg0 = resolveConfig({ preset: 'mnist', cell: 'tv', termsPerCycle: 2, wBits, xBits: q.opts.xBits, outMulBits: mulBits, maxK }, 'cnn hardware config');
  const biasNeed = bitsFor(maxBias + 1) + 1;
  const cfg = biasNeed > derive(cfg0).BBW ? resolveConfig({ ...cfg0, biasBits: biasNeed }, 'cnn hardware config') : cfg0;
  const d = derive(cfg);
  for (const L of convs) {
    if (Math.max(...L.shift) > d.maxShift) throw new UserError(`${L.name}: requant shift ${Math.max(...L.shift)} exceeds the design's maxShift ${d.maxShift}`);
    if (convAccumulatorBound(L, q.opts.xBits) >= 2 ** (d.accW - 1)) throw new UserError(`${L.name}: accumulator may exceed the design's ${d.accW} bits`);
  }
  return cfg;
}

/** The jobs of one conv layer on a batch of HWC inputs, one per part of its lowering. */
export function convJobs(cfg: TrConfig, q: Qcnn, convIndex: number, xs: readonly (readonly number[])[], t: LayerTerms): { part: ConvPart; job: Job }[] {
  const L = convLayers(q)[convIndex];
  if (!L) throw new RangeError(`no conv layer ${convIndex}`);
  // per-block budgets: a block is one channel tile (C = cfg.cols channels) with its own k register
  const blocks = t.mode === 'tr' ? t.blocks : undefined;
  if (blocks && blocks.c !== cfg.cols) throw new UserError(`${L.name}: budget blocks of ${blocks.c} channels, but a channel tile of the array has ${cfg.cols}`);
  if (blocks) checkBlocks(t, L.geom.outC, L.name);
  return convParts(L.geom, cfg.cols).map((part) => {
    if (blocks && part.o0 % cfg.cols !== 0) throw new UserError(`${L.name}: part at channel ${part.o0} is not aligned to the channel tiles`);
    const X: number[][] = [];
    for (const x of xs) X.push(...im2col(x, L.geom, part));
    const ch = Array.from({ length: part.outC }, (_, o) => part.o0 + o);
    const job: Job = {
      name: `${L.name} channels ${part.o0}..${part.o0 + part.outC - 1}`,
      control: controlFor(cfg, t),
      ...(blocks && t.mode === 'tr' ? { tileK: Array.from({ length: Math.ceil(part.outC / cfg.cols) }, (_, i) => channelK(t, part.o0 + i * cfg.cols)) } : {}),
      W: weightMatrix(L.Wq, L.geom, part),
      X,
      out: {
        relu: L.relu,
        bias: ch.map((o) => L.bias[o] as number),
        // the last layer: logits = acc + bias (compared through acc)
        mul: ch.map((o) => (L.last ? 1 : (L.mul[o] as number))),
        shift: ch.map((o) => (L.last ? 0 : (L.shift[o] as number))),
      },
    };
    return { part, job };
  });
}

export interface CnnHwResult {
  config: string;
  images: number;
  modes: HwModeResult[];
  cycleRatio: number;
}

/** Run samples through every layer on the simulated array in conventional and TR mode (`tr`: one setting per conv layer). */
export async function runCnnHardware(
  q: Qcnn,
  samples: readonly { pixels: Float32Array; label: number }[],
  tr: readonly LayerTerms[],
  opts: { onProgress?: (msg: string) => void; cfg?: TrConfig; /** test hook: compute the inferCnn references from this net instead */ referenceNet?: Qcnn } = {},
): Promise<CnnHwResult> {
  if (samples.length === 0) throw new UserError('hardware inference needs at least one image');
  const convs = convLayers(q);
  if (tr.length !== convs.length) throw new UserError(`TR settings: ${tr.length} entries for ${convs.length} conv layers`);
  const cfg = opts.cfg ?? cnnHwConfig(q);
  const progress = opts.onProgress ?? ((): void => {});
  const d = derive(cfg);
  progress(`hardware: ${cfg.name} ${cfg.rows}x${cfg.cols} ${cfg.cell} P=${cfg.termsPerCycle}, w${cfg.wBits}/x${cfg.xBits}, G=${cfg.groupMax}, maxK ${cfg.maxK}, acc ${d.accW} b, mul ${d.MULW} b`);
  const x0s = samples.map((s) => quantizeImage(q, s.pixels));
  const modes: HwModeResult[] = [];
  const conv: LayerTerms[] = convs.map(() => ({ mode: 'conventional' }));
  for (const [mode, terms] of [['conventional', conv], ['tr', tr]] as const) {
    const rq = opts.referenceNet ?? q;
    const prepared = prepareCnn(rq, terms, cfg.cols);
    const refs = x0s.map((x) => inferCnn(rq, prepared, x));
    modes.push(await runMode(mode, cfg, q, x0s, samples.map((s) => s.label), terms, refs, progress));
  }
  const [c, t] = modes as [HwModeResult, HwModeResult];
  return { config: `${cfg.name}: ${cfg.rows}x${cfg.cols} ${cfg.cell} P=${cfg.termsPerCycle}, w${cfg.wBits}/x${cfg.xBits}, G=${cfg.groupMax}`, images: samples.length, modes, cycleRatio: c.cyclesPerImage / t.cyclesPerImage };
}

async function runMode(
  mode: 'conventional' | 'tr',
  cfg: TrConfig,
  q: Qcnn,
  x0s: readonly Int32Array[],
  labels: readonly number[],
  terms: readonly LayerTerms[],
  refs: readonly CnnInferResult[],
  progress: (msg: string) => void,
): Promise<HwModeResult> {
  const t0 = performance.now();
  const cmp = new Comparison();
  const cyclesPerLayer: number[] = [];
  const scheduleCyclesPerLayer: number[] = [];
  let onSchedule = true;
  let simSeconds = 0;
  let xs: number[][] = x0s.map((x) => Array.from(x));
  let logits: number[][] = [];
  let ci = 0;
  let li = 0;
  for (const L of q.layers) {
    const layerIdx = li++;
    if (L.kind === 'gap') {
      // host: integer sum per channel and one requantization (the reference computes the same from ITS inputs)
      xs = xs.map((x, n) => {
        const y = Array.from(poolLayer(L, x, q.opts.xBits));
        y.forEach((v, ch) => cmp.check(v, { inferCnn: (refs[n] as CnnInferResult).y[layerIdx]![ch] as number }, `${L.name} image ${n} channel ${ch} y`));
        return y;
      });
      continue;
    }
    const l = ci++;
    const t = terms[l] as LayerTerms;
    const jobs = convJobs(cfg, q, l, xs, t);
    const { outH, outW } = convOutSize(L.geom);
    const pix = outH * outW;
    const next: number[][] = xs.map(() => new Array<number>(pix * L.geom.outC).fill(0));
    let cycles = 0;
    let sched = 0;
    for (const [pi, { part, job }] of jobs.entries()) {
      checkJob(cfg, job, `${mode} ${job.name}`);
      progress(`${mode} ${L.name} part ${pi + 1}/${jobs.length}: ${job.X.length} rows × K ${part.K} × ${part.outC} channels ...`);
      const run = await runLayerJob(cfg, job);
      simSeconds += run.simSeconds;
      cycles += run.cycles;
      sched += run.scheduleCycles;
      onSchedule &&= run.cyclesEqualSchedule;
      const before = cmp.mismatches;
      for (let n = 0; n < xs.length; n++) {
        const ref = refs[n] as CnnInferResult;
        for (let p = 0; p < pix; p++) {
          const row = n * pix + p;
          for (let oo = 0; oo < part.outC; oo++) {
            const o = part.o0 + oo;
            const i = p * L.geom.outC + o;
            const where = `${L.name} image ${n} pixel ${p} channel ${o}`;
            const hAcc = run.hw.acc[row]![oo]!;
            const hY = run.hw.y[row]![oo]!;
            cmp.check(hAcc, { model: run.model.acc[row]![oo]!, inferCnn: ref.acc[l]![i]! }, `${where} acc`);
            cmp.check(hY, L.last ? { model: run.model.y[row]![oo]! } : { model: run.model.y[row]![oo]!, inferCnn: ref.y[layerIdx]![i]! }, `${where} y`);
            next[n]![i] = L.last ? hAcc + (L.bias[o] as number) : hY;
          }
        }
      }
      progress(`${mode} ${L.name} part ${pi + 1}: ${run.tiles} tiles, ${run.cycles} cycles (schedule ${run.scheduleCycles}${run.cyclesEqualSchedule ? ', equal' : ', DIFFERENT'}), Verilator ${run.simSeconds.toFixed(1)} s, ${cmp.mismatches - before} mismatches`);
    }
    cyclesPerLayer.push(cycles);
    scheduleCyclesPerLayer.push(sched);
    if (L.last) logits = next;
    else xs = next;
  }
  return modeResult({ mode, terms, cmp, cyclesPerLayer, scheduleCyclesPerLayer, onSchedule, simSeconds, logits, refPreds: refs.map((r) => r.pred), labels, t0 });
}
