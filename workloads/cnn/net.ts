/**
 * A small CNN described as plain data (workloads/cnn): the net is an array of layer specs that other code
 * can walk (quantize each conv/FC, fold each BN into the preceding conv as a per-channel scale/bias), plus
 * the parameters that go with it, and a batched forward/backward engine used by the trainer, by
 * evaluateCnn and by forwardEval/forwardCollect.
 *
 * Layout: NHWC activations (x[((n·H + y)·W + x)·C + c]); public weights OHWI for conv
 * (w[((o·k + kh)·k + kw)·cinPerGroup + ci]) and out × in for FC (w[o·inF + i]) — see layers.ts.
 *
 * Layer spec format (NetSpec.layers[i]):
 *   { kind: 'conv', cin, cout, k, stride, pad, groups }  groups = 1 or = cin = cout (depthwise); no bias
 *   { kind: 'bn', c }                                    batch norm over channel c (γ, β, running mean/var)
 *   { kind: 'relu' }
 *   { kind: 'gap' }                                      global average pool h×w×c → 1×1×c
 *   { kind: 'fc', inF, outF }                            fully connected with bias (input flattened NHWC)
 * CnnParams.layers[i] holds the parameters of layer i (null for relu/gap).
 *
 * The optional `transform` hook (for quantization-aware training) is applied in the forward pass:
 *   weight(i, w): to the public-layout weight tensor of every conv/FC layer i (not to the FC bias);
 *   act(i, a):    to the input activation batch of every conv/FC layer i (a = NHWC, n·h·w·c values of the
 *                 current minibatch, or one image in forwardEval).
 * Both must return an array of the same length (they may return the argument itself or a new array and must
 * not modify the argument). Gradients pass straight through (STE): dL/d(transformed weight) is applied to the
 * float weight, and dL/d(transformed input) is passed on as dL/d(input).
 */
import type { Rng } from '../../sim/model/rng.ts';
import {
  type BnCache, type ConvGeom, type ConvScratch, bnBackward, bnCache, bnForwardEval, bnForwardTrain, conv2dBackward, conv2dForward,
  convGeom, convScratch, convWeightCount, fcBackward, fcForward, gapBackward, gapForward, hwioToOhwi, ohwiToHwio, reluBackward,
  reluForward, softmaxXent,
} from './layers.ts';

export type LayerSpec =
  | { kind: 'conv'; cin: number; cout: number; k: number; stride: number; pad: number; groups: number }
  | { kind: 'bn'; c: number }
  | { kind: 'relu' }
  | { kind: 'gap' }
  | { kind: 'fc'; inF: number; outF: number };

export interface TensorShape {
  h: number;
  w: number;
  c: number;
}

export interface NetSpec {
  /** one input image (MNIST: 28×28×1) */
  input: TensorShape;
  layers: LayerSpec[];
}

export type LayerParams =
  | { kind: 'conv'; w: Float32Array }
  | { kind: 'bn'; gamma: Float32Array; beta: Float32Array; runMean: Float32Array; runVar: Float32Array }
  | { kind: 'fc'; w: Float32Array; b: Float32Array }
  | null;

export interface CnnParams {
  spec: NetSpec;
  layers: LayerParams[];
}

export interface ForwardTransform {
  weight?(layerIndex: number, w: Float32Array): Float32Array;
  act?(layerIndex: number, a: Float32Array): Float32Array;
}

/** conv (no bias) + BN + ReLU. */
export function convBnRelu(cin: number, cout: number, k: number, stride: number, pad: number, groups = 1): LayerSpec[] {
  return [{ kind: 'conv', cin, cout, k, stride, pad, groups }, { kind: 'bn', c: cout }, { kind: 'relu' }];
}

/** Depthwise-separable block: depthwise k×k (stride s, pad ⌊k/2⌋) + BN + ReLU, pointwise 1×1 cin→cout + BN + ReLU. */
export function dwSeparable(cin: number, cout: number, stride = 1, k = 3): LayerSpec[] {
  return [...convBnRelu(cin, cin, k, stride, Math.floor(k / 2), cin), ...convBnRelu(cin, cout, 1, 1, 0)];
}

/**
 * The suggested starting MNIST net (widths c1, c2, c3 = 16, 32, 64):
 *   0 conv3x3 1→c1 s2 p1, 1 BN, 2 ReLU          28×28 → 14×14
 *   3 conv3x3 c1→c2 s2 p1, 4 BN, 5 ReLU         → 7×7
 *   6 depthwise 3x3 c2 s1 p1, 7 BN, 8 ReLU      → 7×7
 *   9 pointwise 1x1 c2→c3, 10 BN, 11 ReLU       → 7×7
 *   12 global average pool                      → 1×1×c3
 *   13 FC c3→10 (+bias)
 * Its receptive field is only 15×15 pixels and it learns much more slowly than mnistCnnSpecV2 (measured,
 * Adam 3e-3 cosine: 71.2 % test after epoch 1 and 90.2 % after a 4-epoch run, vs 85.8 % and 96.4 % after a
 * 10-epoch run for V2; see defaults.ts). The default net is mnistCnnSpecV2.
 */
export function mnistCnnSpec(widths: readonly [number, number, number] = [16, 32, 64], classes = 10): NetSpec {
  const [c1, c2, c3] = widths;
  return {
    input: { h: 28, w: 28, c: 1 },
    layers: [...convBnRelu(1, c1, 3, 2, 1), ...convBnRelu(c1, c2, 3, 2, 1), ...dwSeparable(c2, c3), { kind: 'gap' }, { kind: 'fc', inF: c3, outF: classes }],
  };
}

/**
 * mnistCnnSpec plus a second depthwise-separable block with stride 2 (widths c1..c4 = 16, 32, 64, 128):
 *   conv3x3 1→c1 s2 (14×14), conv3x3 c1→c2 s2 (7×7), dw3x3 c2 s1 + pw c2→c3 (7×7), dw3x3 c3 s2 + pw c3→c4
 *   (4×4), global average pool, FC c4→10. Receptive field 31×31 (the whole digit).
 */
export function mnistCnnSpecV2(widths: readonly [number, number, number, number] = [16, 32, 64, 128], classes = 10): NetSpec {
  const [c1, c2, c3, c4] = widths;
  return {
    input: { h: 28, w: 28, c: 1 },
    layers: [
      ...convBnRelu(1, c1, 3, 2, 1),
      ...convBnRelu(c1, c2, 3, 2, 1),
      ...dwSeparable(c2, c3, 1),
      ...dwSeparable(c3, c4, 2),
      { kind: 'gap' },
      { kind: 'fc', inF: c4, outF: classes },
    ],
  };
}

function size(s: TensorShape): number {
  return s.h * s.w * s.c;
}

/** Input and output shape (per image) of every layer; throws on inconsistent specs. */
export function layerShapes(spec: NetSpec): { in: TensorShape; out: TensorShape }[] {
  let cur = spec.input;
  return spec.layers.map((L, i) => {
    const inS = cur;
    const bad = (msg: string): never => {
      throw new RangeError(`layer ${i} (${L.kind}): ${msg} (input ${inS.h}×${inS.w}×${inS.c})`);
    };
    let out: TensorShape;
    switch (L.kind) {
      case 'conv': {
        if (L.cin !== inS.c) bad(`cin ${L.cin} ≠ input channels`);
        const g = convGeom(1, inS.h, inS.w, L.cin, L.cout, L.k, L.stride, L.pad, L.groups);
        out = { h: g.oh, w: g.ow, c: L.cout };
        break;
      }
      case 'bn':
        if (L.c !== inS.c) bad(`c ${L.c} ≠ input channels`);
        out = inS;
        break;
      case 'relu':
        out = inS;
        break;
      case 'gap':
        out = { h: 1, w: 1, c: inS.c };
        break;
      case 'fc':
        if (L.inF !== size(inS)) bad(`inF ${L.inF} ≠ input size ${size(inS)}`);
        out = { h: 1, w: 1, c: L.outF };
        break;
    }
    cur = out;
    return { in: inS, out };
  });
}

/** Number of output classes (size of the last layer's output). */
export function numClasses(spec: NetSpec): number {
  const sh = layerShapes(spec);
  const last = sh[sh.length - 1];
  if (!last) throw new RangeError('empty net');
  return size(last.out);
}

/**
 * Fresh parameters: conv weights He-normal N(0, 2/fanIn) with fanIn = k·k·cinPerGroup, FC weights
 * N(0, 1/inF) and bias 0, BN γ = 1, β = 0, running mean 0, running var 1. Drawn layer by layer in public
 * layout order from `rng`.
 */
export function initParams(spec: NetSpec, rng: Rng): CnnParams {
  layerShapes(spec);
  const layers: LayerParams[] = spec.layers.map((L) => {
    switch (L.kind) {
      case 'conv': {
        const cg = L.groups === 1 ? L.cin : 1;
        const w = new Float32Array(L.k * L.k * cg * L.cout);
        const std = Math.sqrt(2 / (L.k * L.k * cg));
        for (let j = 0; j < w.length; j++) w[j] = rng.normal() * std;
        return { kind: 'conv', w };
      }
      case 'bn':
        return { kind: 'bn', gamma: new Float32Array(L.c).fill(1), beta: new Float32Array(L.c), runMean: new Float32Array(L.c), runVar: new Float32Array(L.c).fill(1) };
      case 'fc': {
        const w = new Float32Array(L.inF * L.outF);
        const std = Math.sqrt(1 / L.inF);
        for (let j = 0; j < w.length; j++) w[j] = rng.normal() * std;
        return { kind: 'fc', w, b: new Float32Array(L.outF) };
      }
      default:
        return null;
    }
  });
  return { spec, layers };
}

export function cloneParams(p: CnnParams): CnnParams {
  return {
    spec: structuredClone(p.spec),
    layers: p.layers.map((L) => {
      if (!L) return null;
      switch (L.kind) {
        case 'conv':
          return { kind: 'conv', w: L.w.slice() };
        case 'bn':
          return { kind: 'bn', gamma: L.gamma.slice(), beta: L.beta.slice(), runMean: L.runMean.slice(), runVar: L.runVar.slice() };
        case 'fc':
          return { kind: 'fc', w: L.w.slice(), b: L.b.slice() };
      }
    }),
  };
}

/** A trainable tensor (public layout) with its gradient accumulator; `decay`: weight decay applies. */
export interface ParamSlot {
  layer: number;
  name: 'w' | 'b' | 'gamma' | 'beta';
  value: Float32Array;
  grad: Float64Array;
  decay: boolean;
}

interface Prepared {
  /** per layer: kernel-layout weights (conv HWIO, FC in×out) of the (transformed) weights */
  wt: (Float32Array | null)[];
  /** per layer: kernel-layout weight gradient accumulator */
  dwt: (Float64Array | null)[];
}

/**
 * Batched forward/backward over a CnnParams (which it updates in place: running BN statistics in training
 * forward passes; the trainer updates the weights through `slots`). One engine per capacity; not reentrant.
 */
export class CnnEngine {
  readonly shapes: { in: TensorShape; out: TensorShape }[];
  /** acts[i] = input batch of layer i, acts[i+1] its output (acts[0] = images) */
  readonly acts: Float32Array[];
  /** the input actually used by layer i (acts[i], or what transform.act returned) */
  private readonly used: Float32Array[];
  /** grads[i] = dL/d acts[i] (grads[0] unused) */
  private readonly grads: Float64Array[];
  private readonly prep: Prepared;
  private readonly geoms: (ConvGeom | null)[];
  private readonly bnCaches: (BnCache | null)[];
  private readonly sc: ConvScratch;
  private readonly acc: Float64Array;
  private readonly sumA: Float64Array;
  private readonly sumB: Float64Array;
  readonly labels: Int32Array;
  readonly slots: ParamSlot[];
  private readonly slotOf: Map<string, ParamSlot>;

  constructor(
    readonly params: CnnParams,
    readonly cap: number,
  ) {
    const spec = params.spec;
    this.shapes = layerShapes(spec);
    if (params.layers.length !== spec.layers.length) throw new RangeError('params/spec layer count mismatch');
    this.acts = [new Float32Array(cap * size(spec.input)), ...this.shapes.map((s) => new Float32Array(cap * size(s.out)))];
    this.used = this.acts.slice(0, spec.layers.length);
    this.grads = this.acts.map((a, i) => (i === 0 ? new Float64Array(0) : new Float64Array(a.length)));
    this.prep = { wt: [], dwt: [] };
    this.geoms = [];
    this.bnCaches = [];
    this.slots = [];
    this.slotOf = new Map();
    let maxC = 1;
    let maxField = 1;
    spec.layers.forEach((L, i) => {
      const P = params.layers[i];
      const sh = this.shapes[i]!;
      const want = L.kind === 'conv' || L.kind === 'bn' || L.kind === 'fc' ? L.kind : null;
      if ((P?.kind ?? null) !== want) throw new RangeError(`layer ${i}: params kind ${P?.kind ?? 'null'} does not match spec ${L.kind}`);
      maxC = Math.max(maxC, sh.in.c, sh.out.c, size(sh.out));
      if (L.kind === 'conv' && P?.kind === 'conv') {
        const g = convGeom(cap, sh.in.h, sh.in.w, L.cin, L.cout, L.k, L.stride, L.pad, L.groups);
        const nW = convWeightCount(g);
        if (P.w.length !== nW) throw new RangeError(`layer ${i}: conv weight length ${P.w.length} ≠ ${nW}`);
        this.geoms.push(g);
        this.prep.wt.push(new Float32Array(nW));
        this.prep.dwt.push(new Float64Array(nW));
        maxField = Math.max(maxField, L.k * L.k * L.cin);
        this.addSlot(i, 'w', P.w, true);
      } else if (L.kind === 'fc' && P?.kind === 'fc') {
        if (P.w.length !== L.inF * L.outF || P.b.length !== L.outF) throw new RangeError(`layer ${i}: fc shape mismatch`);
        this.geoms.push(null);
        this.prep.wt.push(new Float32Array(L.inF * L.outF));
        this.prep.dwt.push(new Float64Array(L.inF * L.outF));
        this.addSlot(i, 'w', P.w, true);
        this.addSlot(i, 'b', P.b, false);
      } else {
        this.geoms.push(null);
        this.prep.wt.push(null);
        this.prep.dwt.push(null);
      }
      if (L.kind === 'bn' && P?.kind === 'bn') {
        if ([P.gamma, P.beta, P.runMean, P.runVar].some((a) => a.length !== L.c)) throw new RangeError(`layer ${i}: bn shape mismatch`);
        this.bnCaches.push(bnCache(L.c));
        this.addSlot(i, 'gamma', P.gamma, false);
        this.addSlot(i, 'beta', P.beta, false);
      } else {
        this.bnCaches.push(null);
      }
    });
    this.sc = convScratch(maxC, maxField);
    this.acc = new Float64Array(maxC);
    this.sumA = new Float64Array(maxC);
    this.sumB = new Float64Array(maxC);
    this.labels = new Int32Array(cap);
  }

  private addSlot(layer: number, name: ParamSlot['name'], value: Float32Array, decay: boolean): void {
    const s: ParamSlot = { layer, name, value, grad: new Float64Array(value.length), decay };
    this.slots.push(s);
    this.slotOf.set(`${layer}.${name}`, s);
  }

  /** Gradient slot of a tensor (e.g. slot(0, 'w')). */
  slot(layer: number, name: ParamSlot['name']): ParamSlot {
    const s = this.slotOf.get(`${layer}.${name}`);
    if (!s) throw new RangeError(`no parameter ${layer}.${name}`);
    return s;
  }

  /** The input batch layer i used in the last forward pass (acts[i] or the transformed copy). */
  inputOf(i: number): Float32Array {
    const u = this.used[i];
    if (!u) throw new RangeError(`no layer ${i}`);
    return u;
  }

  /** Copy image `pixels` into batch position s. */
  setInput(s: number, pixels: Float32Array): void {
    const n = size(this.params.spec.input);
    if (pixels.length !== n) throw new RangeError(`input has ${pixels.length} values, net expects ${n}`);
    this.acts[0]!.set(pixels, s * n);
  }

  /**
   * Forward pass over the first n images of acts[0]. train = true: BN uses batch statistics (and, if
   * updateStats, updates the running statistics); false: BN uses the running statistics. Returns the logits
   * (n × classes, a view into the engine's buffer).
   */
  forward(n: number, train: boolean, transform?: ForwardTransform, updateStats = train): Float32Array {
    if (n < 1 || n > this.cap) throw new RangeError(`batch ${n} outside 1..${this.cap}`);
    const { spec, layers: P } = this.params;
    spec.layers.forEach((L, i) => {
      const sh = this.shapes[i]!;
      const x0 = this.acts[i]!;
      const y = this.acts[i + 1]!;
      const inLen = n * size(sh.in);
      let x = x0;
      const p = P[i];
      if ((L.kind === 'conv' || L.kind === 'fc') && p && (p.kind === 'conv' || p.kind === 'fc')) {
        if (transform?.act) {
          const t = transform.act(i, x0.subarray(0, inLen));
          if (t.length !== inLen) throw new RangeError(`transform.act(${i}) returned ${t.length} values, expected ${inLen}`);
          x = t;
        }
        const w = transform?.weight ? transform.weight(i, p.w) : p.w;
        if (w.length !== p.w.length) throw new RangeError(`transform.weight(${i}) returned ${w.length} values, expected ${p.w.length}`);
        const wt = this.prep.wt[i]!;
        if (L.kind === 'conv') {
          ohwiToHwio(w, L.cout, L.k, L.groups === 1 ? L.cin : 1, wt);
          const g = this.geoms[i]!;
          conv2dForward(x, wt, y, { ...g, n }, this.sc);
        } else if (p.kind === 'fc') {
          ohwiToHwio(w, L.outF, 1, L.inF, wt); // out×in → in×out
          fcForward(x, wt, p.b, y, n, L.inF, L.outF, this.acc);
        }
      } else if (L.kind === 'bn' && p?.kind === 'bn') {
        const m = n * sh.in.h * sh.in.w;
        if (train) bnForwardTrain(x, y, m, L.c, p.gamma, p.beta, updateStats ? p.runMean : null, updateStats ? p.runVar : null, this.bnCaches[i]!);
        else bnForwardEval(x, y, m, L.c, p.gamma, p.beta, p.runMean, p.runVar);
      } else if (L.kind === 'relu') {
        reluForward(x, y, inLen);
      } else if (L.kind === 'gap') {
        gapForward(x, y, n, sh.in.h * sh.in.w, sh.in.c, this.acc);
      }
      this.used[i] = x;
    });
    const last = this.shapes[this.shapes.length - 1]!;
    return this.acts[spec.layers.length]!.subarray(0, n * size(last.out));
  }

  /**
   * Training-mode forward + backward of the mean softmax cross-entropy over the first n images with labels
   * this.labels[0..n). Overwrites every slot's grad (public layout). Returns the summed (not mean) loss.
   */
  backprop(n: number, transform?: ForwardTransform, updateStats = true): number {
    const logits = this.forward(n, true, transform, updateStats);
    const { spec, layers: P } = this.params;
    const nL = spec.layers.length;
    const C = size(this.shapes[nL - 1]!.out);
    const loss = softmaxXent(logits, this.labels, n, C, this.grads[nL]!, 1 / n);
    for (const s of this.slots) s.grad.fill(0);
    for (const d of this.prep.dwt) d?.fill(0);
    for (let i = nL - 1; i >= 0; i--) {
      const L = spec.layers[i]!;
      const sh = this.shapes[i]!;
      const dy = this.grads[i + 1]!;
      const dx = i > 0 ? this.grads[i]! : null;
      const x = this.used[i]!;
      const p = P[i];
      if (L.kind === 'conv') {
        // ReLU before this conv zeroes dx wherever its output is 0: skip computing those entries
        const mask = i > 0 && spec.layers[i - 1]!.kind === 'relu' ? this.acts[i]! : null;
        const g = this.geoms[i]!;
        conv2dBackward(x, this.prep.wt[i]!, dy, this.prep.dwt[i]!, dx, mask, { ...g, n }, this.sc);
        hwioToOhwi(this.prep.dwt[i]!, L.cout, L.k, L.groups === 1 ? L.cin : 1, this.slot(i, 'w').grad);
      } else if (L.kind === 'fc') {
        fcBackward(x, this.prep.wt[i]!, dy, this.prep.dwt[i]!, this.slot(i, 'b').grad, dx, n, L.inF, L.outF);
        hwioToOhwi(this.prep.dwt[i]!, L.outF, 1, L.inF, this.slot(i, 'w').grad);
      } else if (L.kind === 'bn' && p?.kind === 'bn') {
        if (!dx) throw new RangeError('batch norm cannot be the first layer');
        const m = n * sh.in.h * sh.in.w;
        bnBackward(x, dy, dx, m, L.c, p.gamma, this.bnCaches[i]!, this.slot(i, 'gamma').grad, this.slot(i, 'beta').grad, this.sumA, this.sumB);
      } else if (L.kind === 'relu') {
        if (dx) reluBackward(this.acts[i + 1]!, dy, dx, n * size(sh.in));
      } else if (L.kind === 'gap') {
        if (dx) gapBackward(dy, dx, n, sh.in.h * sh.in.w, sh.in.c);
      }
    }
    return loss;
  }
}

/** Logits of one image in eval mode (BN with running statistics); optional transform as in training. */
export function forwardEval(params: CnnParams, pixels: Float32Array, transform?: ForwardTransform): Float32Array {
  const e = new CnnEngine(params, 1);
  e.setInput(0, pixels);
  return e.forward(1, false, transform).slice();
}

export interface LayerActivations {
  /** inputs[i] = input of layer i as used by it (after transform.act for conv/FC), NHWC for one image */
  inputs: Float32Array[];
  /** outputs[i] = output of layer i (outputs[last] = logits) */
  outputs: Float32Array[];
  shapes: { in: TensorShape; out: TensorShape }[];
}

/** Every layer's input and output activations for one image (eval mode), for quantization calibration. */
export function forwardCollect(params: CnnParams, pixels: Float32Array, transform?: ForwardTransform): LayerActivations {
  const e = new CnnEngine(params, 1);
  e.setInput(0, pixels);
  e.forward(1, false, transform);
  const nL = params.spec.layers.length;
  const inputs: Float32Array[] = [];
  const outputs: Float32Array[] = [];
  for (let i = 0; i < nL; i++) {
    const sh = e.shapes[i]!;
    inputs.push(e.inputOf(i).slice(0, size(sh.in)));
    outputs.push(e.acts[i + 1]!.slice(0, size(sh.out)));
  }
  return { inputs, outputs, shapes: e.shapes };
}

/** Trainable parameter count. */
export function paramCount(p: CnnParams): number {
  let k = 0;
  for (const L of p.layers) {
    if (!L) continue;
    if (L.kind === 'conv') k += L.w.length;
    else if (L.kind === 'fc') k += L.w.length + L.b.length;
    else k += 2 * L.gamma.length;
  }
  return k;
}
