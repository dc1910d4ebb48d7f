/**
 * Trainer, evaluation, persistence and the trained-model cache for the float MNIST CNN (workloads/cnn), in
 * the style of workloads/mnist/mlp.ts: seeded Rng, Adam (decoupled weight decay on conv/FC weights only),
 * optional cosine schedule, ±shift augmentation, disk cache keyed by trainer version + options + data.
 *
 * Determinism: a fixed seed gives the same parameters bit-for-bit. Randomness comes only from the seeded Rng:
 * root = new Rng(seed); parameter init from root.fork(), the per-epoch shuffles from the second fork, the
 * ±augmentShift translations from the third. All summation orders are fixed by the shapes (layers.ts), the
 * training is single-threaded. The only library math is Math.exp/log (softmax), Math.sqrt (BN, Adam),
 * Math.cos (schedule) and the Box-Muller init; same Node/V8 build ⇒ same bits.
 *
 * Quantization-aware training: pass `transform` (see net.ts) and usually `init` (start from trained float
 * parameters). trainCnnCached needs `transformId` (a string naming the transform, part of the cache key)
 * whenever `transform` is set, since functions cannot be hashed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../sim/model/rng.ts';
import { softmaxXent } from './layers.ts';
import { dataHash } from '../mnist/mlp.ts';
import { cachedTraining } from '../train-cache.ts';
import { type CnnParams, CnnEngine, type ForwardTransform, type NetSpec, type ParamSlot, cloneParams, initParams, layerShapes, mnistCnnSpecV2, numClasses } from './net.ts';

/** Anything with pixels and a label (MNIST Sample, or synthetic data in tests). */
export interface LabeledInput {
  pixels: Float32Array;
  label: number;
}

export interface CnnTrainOptions {
  seed: number;
  epochs: number;
  batchSize: number;
  /** Adam learning rate (peak value with the cosine schedule) */
  lr: number;
  /** net description; default mnistCnnSpecV2() */
  net?: NetSpec;
  /** Adam moments; defaults 0.9, 0.999, 1e-8 */
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** decoupled weight decay on conv/FC weights (not biases, not BN), w -= lr·wd·w; default 0 */
  weightDecay?: number;
  /** 'constant' or 'cosine' (default) decay from lr to 0 over all steps */
  lrSchedule?: 'constant' | 'cosine';
  /** random integer translation |dx|, |dy| ≤ augmentShift per training sample and step (vacated pixels 0); default 0 */
  augmentShift?: number;
  /** start from these parameters (copied) instead of a fresh init (e.g. QAT fine-tuning); net is taken from it */
  init?: CnnParams;
  /** forward-pass hook (quantization-aware training, straight-through gradients); see net.ts */
  transform?: ForwardTransform;
  /** names `transform` in the cache key (required by trainCnnCached when transform is set) */
  transformId?: string;
  /**
   * called after every backward pass, before the Adam step, with the parameter slots (slot.grad = gradient
   * of the mean minibatch loss, public layout; slot.value = the float tensor). Not part of the cache key.
   */
  onGradients?: (slots: readonly ParamSlot[]) => void;
  /** called after every step with the mean minibatch loss */
  onProgress?: (epoch: number, step: number, steps: number, loss: number) => void;
  /** called after every epoch; snapshot() returns a copy of the current parameters */
  onEpoch?: (epoch: number, snapshot: () => CnnParams) => void;
}

/** Bump when the training numerics change (invalidates cached parameters). */
export const CNN_TRAINER_VERSION = 1;

interface Resolved {
  seed: number;
  epochs: number;
  batchSize: number;
  lr: number;
  net: NetSpec;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  lrSchedule: 'constant' | 'cosine';
  augmentShift: number;
}

function resolveOptions(opts: CnnTrainOptions): Resolved {
  const r: Resolved = {
    seed: opts.seed,
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    lr: opts.lr,
    net: opts.init?.spec ?? opts.net ?? mnistCnnSpecV2(),
    beta1: opts.beta1 ?? 0.9,
    beta2: opts.beta2 ?? 0.999,
    eps: opts.eps ?? 1e-8,
    weightDecay: opts.weightDecay ?? 0,
    lrSchedule: opts.lrSchedule ?? 'cosine',
    augmentShift: opts.augmentShift ?? 0,
  };
  if (!Number.isInteger(r.seed)) throw new RangeError(`seed must be an integer, got ${r.seed}`);
  if (!Number.isInteger(r.epochs) || r.epochs < 0) throw new RangeError(`bad epochs ${r.epochs}`);
  if (!Number.isInteger(r.batchSize) || r.batchSize < 2) throw new RangeError(`bad batchSize ${r.batchSize} (batch norm needs ≥ 2)`);
  if (!(r.lr > 0)) throw new RangeError(`bad lr ${r.lr}`);
  if (!Number.isInteger(r.augmentShift) || r.augmentShift < 0) throw new RangeError(`bad augmentShift ${r.augmentShift}`);
  layerShapes(r.net);
  return r;
}

/** dst[base + (y·side + x)] = src[(y−dy)·side + (x−dx)], 0 outside (single-channel square image). */
function translate(src: Float32Array, dst: Float32Array, base: number, side: number, dx: number, dy: number): void {
  dst.fill(0, base, base + side * side);
  for (let y = Math.max(0, dy); y < Math.min(side, side + dy); y++) {
    const sy = y - dy;
    const x0 = Math.max(0, dx);
    const x1 = Math.min(side, side + dx);
    dst.set(src.subarray(sy * side + x0 - dx, sy * side + x1 - dx), base + y * side + x0);
  }
}

/** Load samples idx[start..start+n) into the engine's input batch (optionally randomly translated). */
function loadBatch(e: CnnEngine, samples: readonly LabeledInput[], idx: ArrayLike<number>, start: number, n: number, shift = 0, rng?: Rng): void {
  const inp = e.params.spec.input;
  const len = inp.h * inp.w * inp.c;
  if (shift > 0 && (inp.c !== 1 || inp.h !== inp.w)) throw new RangeError('augmentShift needs a square single-channel input');
  const X = e.acts[0]!;
  for (let s = 0; s < n; s++) {
    const smp = samples[idx[start + s]!]!;
    if (smp.pixels.length !== len) throw new RangeError(`sample has ${smp.pixels.length} values, net expects ${len}`);
    e.labels[s] = smp.label;
    if (shift > 0 && rng) translate(smp.pixels, X, s * len, inp.h, rng.int(-shift, shift), rng.int(-shift, shift));
    else X.set(smp.pixels, s * len);
  }
}

/** Train with minibatch Adam; each epoch visits the samples in a fresh seeded permutation (last batch may be smaller; a final batch of 1 is dropped since BN needs ≥ 2). */
export function trainCnn(train: readonly LabeledInput[], opts: CnnTrainOptions): CnnParams {
  const o = resolveOptions(opts);
  if (train.length < 2) throw new RangeError('training set too small');
  const root = new Rng(o.seed);
  const initRng = root.fork();
  const shuffleRng = root.fork();
  const augmentRng = root.fork();
  const params = opts.init ? cloneParams(opts.init) : initParams(o.net, initRng);
  const e = new CnnEngine(params, o.batchSize);
  const m = e.slots.map((s) => new Float64Array(s.value.length));
  const v = e.slots.map((s) => new Float64Array(s.value.length));
  const order = Array.from(train, (_, k) => k);
  const steps = Math.floor(train.length / o.batchSize) + (train.length % o.batchSize >= 2 ? 1 : 0);
  const totalSteps = steps * o.epochs;
  let t = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    shuffleRng.shuffle(order);
    for (let step = 0; step < steps; step++) {
      const start = step * o.batchSize;
      const n = Math.min(o.batchSize, train.length - start);
      loadBatch(e, train, order, start, n, o.augmentShift, augmentRng);
      const loss = e.backprop(n, opts.transform) / n;
      opts.onGradients?.(e.slots);
      t++;
      const lr = o.lrSchedule === 'cosine' ? o.lr * 0.5 * (1 + Math.cos((Math.PI * (t - 1)) / totalSteps)) : o.lr;
      const c1 = 1 / (1 - o.beta1 ** t);
      const c2 = 1 / (1 - o.beta2 ** t);
      e.slots.forEach((s, j) => adamUpdate(s.value, s.grad, m[j]!, v[j]!, c1, c2, lr, o, s.decay ? o.weightDecay : 0));
      opts.onProgress?.(epoch, step, steps, loss);
    }
    opts.onEpoch?.(epoch, () => cloneParams(params));
  }
  return params;
}

function adamUpdate(w: Float32Array, g: Float64Array, m: Float64Array, v: Float64Array, c1: number, c2: number, lr: number, o: Resolved, wd: number): void {
  const b1 = o.beta1;
  const b2 = o.beta2;
  const eps = o.eps;
  const decay = 1 - lr * wd;
  for (let k = 0; k < w.length; k++) {
    const gk = g[k]!;
    const mk = b1 * m[k]! + (1 - b1) * gk;
    const vk = b2 * v[k]! + (1 - b2) * gk * gk;
    m[k] = mk;
    v[k] = vk;
    w[k] = w[k]! * decay - (lr * (mk * c1)) / (Math.sqrt(vk * c2) + eps);
  }
}

export interface CnnEvaluation {
  accuracy: number;
  /** confusion[true][predicted] */
  confusion: number[][];
  /** mean cross-entropy */
  loss: number;
  correct: number;
  total: number;
}

/** Eval-mode (running BN statistics) accuracy, confusion matrix and mean loss; batched, same numbers as forwardEval. */
export function evaluateCnn(params: CnnParams, samples: readonly LabeledInput[], transform?: ForwardTransform, batch = 250): CnnEvaluation {
  const C = numClasses(params.spec);
  const e = new CnnEngine(params, Math.max(1, Math.min(batch, samples.length)));
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  const idx = Array.from(samples, (_, k) => k);
  let correct = 0;
  let loss = 0;
  for (let start = 0; start < samples.length; start += e.cap) {
    const n = Math.min(e.cap, samples.length - start);
    loadBatch(e, samples, idx, start, n);
    const logits = e.forward(n, false, transform);
    loss += softmaxXent(logits, e.labels, n, C, null, 1);
    for (let s = 0; s < n; s++) {
      let p = 0;
      for (let c = 1; c < C; c++) if (logits[s * C + c]! > logits[s * C + p]!) p = c;
      const y = e.labels[s]!;
      confusion[y]![p] = confusion[y]![p]! + 1;
      if (p === y) correct++;
    }
  }
  const N = Math.max(1, samples.length);
  return { accuracy: correct / N, confusion, loss: loss / N, correct, total: samples.length };
}

// ---------------------------------------------------------------------------------------------------------
// Persistence and the trained-model cache

const MAGIC = 0x4e435254; // "TRCN" little-endian
const FORMAT_VERSION = 1;

/**
 * Binary file: u32 magic "TRCN", u32 format version, u32 header length, UTF-8 JSON header { spec, meta },
 * zero padding to a multiple of 4, then per layer (in spec order) little-endian float32 tensors:
 * conv w (OHWI); bn gamma, beta, runMean, runVar; fc w (out×in), b.
 */
export function serializeParams(params: CnnParams, meta: Record<string, unknown> = {}): Uint8Array {
  const tensors = paramTensors(params);
  const header = new TextEncoder().encode(JSON.stringify({ spec: params.spec, meta }));
  const dataStart = (12 + header.length + 3) & ~3;
  const nFloats = tensors.reduce((a, t) => a + t.length, 0);
  const buf = new Uint8Array(dataStart + 4 * nFloats);
  const dv = new DataView(buf.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, FORMAT_VERSION, true);
  dv.setUint32(8, header.length, true);
  buf.set(header, 12);
  let p = dataStart;
  for (const t of tensors) for (let k = 0; k < t.length; k++, p += 4) dv.setFloat32(p, t[k]!, true);
  return buf;
}

function paramTensors(params: CnnParams): Float32Array[] {
  const out: Float32Array[] = [];
  for (const L of params.layers) {
    if (!L) continue;
    if (L.kind === 'conv') out.push(L.w);
    else if (L.kind === 'bn') out.push(L.gamma, L.beta, L.runMean, L.runVar);
    else out.push(L.w, L.b);
  }
  return out;
}

export function deserializeParams(buf: Uint8Array): { params: CnnParams; meta: Record<string, unknown> } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.byteLength < 12 || dv.getUint32(0, true) !== MAGIC) throw new Error('not a TRCN parameter file');
  const ver = dv.getUint32(4, true);
  if (ver !== FORMAT_VERSION) throw new Error(`unsupported TRCN version ${ver}`);
  const hLen = dv.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(buf.subarray(12, 12 + hLen))) as { spec: NetSpec; meta: Record<string, unknown> };
  // shapes come from a fresh zero init of the spec
  const params = initParams(header.spec, new Rng(0));
  let p = (12 + hLen + 3) & ~3;
  for (const t of paramTensors(params)) {
    if (p + 4 * t.length > buf.byteLength) throw new Error('truncated TRCN parameter file');
    for (let k = 0; k < t.length; k++, p += 4) t[k] = dv.getFloat32(p, true);
  }
  if (p !== buf.byteLength) throw new Error('trailing bytes in TRCN parameter file');
  return { params, meta: header.meta };
}

export function saveParams(path: string, params: CnnParams, meta: Record<string, unknown> = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, serializeParams(params, meta));
  renameSync(tmp, path); // atomic
}

export function loadParams(path: string): { params: CnnParams; meta: Record<string, unknown> } {
  if (!existsSync(path)) throw new Error(`parameter file not found: ${path}`);
  return deserializeParams(readFileSync(path));
}

/** Cache key: hash of trainer version, resolved options, transformId, init parameters and data. */
export function cnnTrainingKey(train: readonly LabeledInput[], opts: CnnTrainOptions): string {
  if (opts.transform && !opts.transformId) throw new Error('cnnTrainingKey: options with a transform need a transformId');
  const o = resolveOptions(opts);
  const init = opts.init ? createHash('sha256').update(serializeParams(opts.init)).digest('hex') : null;
  const canon = JSON.stringify({ v: CNN_TRAINER_VERSION, o, transformId: opts.transform ? opts.transformId : null, init, n: train.length, data: dataHash(train) });
  return createHash('sha256').update(canon).digest('hex').slice(0, 24);
}

/** workloads/cnn/cache (should be gitignored). */
export const CNN_CACHE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'cache');

/**
 * trainCnn with a disk cache: reuses <cacheDir>/cnn-<key>.bin if it exists, otherwise trains and saves.
 * onProgress/onEpoch are only called when training actually runs.
 */
export function trainCnnCached(
  train: readonly LabeledInput[],
  opts: CnnTrainOptions,
  cacheDir: string = CNN_CACHE_DIR,
): { params: CnnParams; key: string; path: string; cached: boolean; trainSeconds: number } {
  const key = cnnTrainingKey(train, opts);
  const path = join(cacheDir, `cnn-${key}.bin`);
  const r = cachedTraining(path, (p) => loadParams(p).params, () => trainCnn(train, opts), (p, params, trainSeconds) =>
    saveParams(p, params, { key, options: resolveOptions(opts), transformId: opts.transformId ?? null, trainSeconds, trainSamples: train.length }),
  );
  return { params: r.value, key, path, cached: r.cached, trainSeconds: r.trainSeconds };
}
