/**
 * The fully integer CNN with the exact semantics of the array (docs/DESIGN.md §10):
 *   - every conv / depthwise / FC layer is a matrix job of sim/model/conv.ts (an FC layer is a 1x1 conv on a
 *     1x1 image); in TR mode its lowered weight rows are term-revealed offline (group g along the lowered
 *     reduction, i.e. g input channels at one tap; budget k) and each data value keeps its d most significant
 *     HESE terms (the array edge does this at run time);
 *   - QuantNorm: batch norm is not folded into the weights but applied in the output stage as a per-channel
 *     multiplier and bias, y = clamp(((acc + bias_o) · mul_o) >> shift_o), ReLU; the weights keep per-channel
 *     scales (a channel whose BN scale is negative gets its weights negated, so every multiplier is ≥ 0);
 *   - Double Quantization: the per-channel real multipliers M_o are themselves quantized, either to mulBits-bit
 *     integers sharing one power-of-two scale per layer (mul_o = round(M_o · 2^s), one s per layer), or to a
 *     power of two per channel (mul = 1, shift_o), or kept in float (the reference with a float elementwise op);
 *     the per-channel bias is quantized to biasBits (saturating) in accumulator units;
 *   - global average pooling runs on the host in integers: a per-channel sum, then one integer requantization
 *     (the 1/(h·w) and the scale change folded into its multiplier);
 *   - the last layer's logits are acc + bias (one per-layer weight scale, so argmax needs no requantization).
 * Fast typed-array loops; test/fast/qcnn.test.ts checks bit-exactness against the lowered sim/model matmul and
 * requant.
 */
import { convOutSize, convParts, groupK, type ConvGeom, type ConvPart } from '../../sim/model/conv.ts';
import { quantizeMultiplier, quantizeMultiplierPow2, roundHalfAway } from '../../sim/model/quant.ts';
import { revealVector } from '../../sim/model/tr.ts';
import { encode, maxMagnitude, maxPrefixMagnitude, maxTerms } from '../../sim/model/terms.ts';
import { argmax, dataTables, requantFast, requantFloat, softmaxCrossEntropy, weightScale, type LayerTerms } from '../mnist/qmlp.ts';
import { weightMatrix } from '../../sim/model/conv.ts';

export interface BatchNorm {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  var: Float32Array;
  eps: number;
}

/** Float network as the quantizer sees it (converted from the trainer's parameters). */
export interface FConv {
  kind: 'conv';
  name: string;
  geom: ConvGeom;
  /** OIHW, I = inC / groups */
  w: Float32Array;
  b?: Float32Array;
  bn?: BatchNorm;
  relu: boolean;
}
export interface FGap {
  kind: 'gap';
  name: string;
  h: number;
  w: number;
  c: number;
}
export type FLayer = FConv | FGap;

/** How the requantization multipliers are stored (Double Quantization). */
export type ScaleMode = { kind: 'float' } | { kind: 'int'; bits: number } | { kind: 'pow2' };

export interface QcnnOptions {
  wBits: number;
  xBits: number;
  scales: ScaleMode;
  /** bias width in accumulator units (saturating) */
  biasBits: number;
  maxShift: number;
  /** activation calibration quantile of |a| */
  quantile: number;
  /** per-layer weight bit widths (override wBits), by conv-layer index */
  layerWBits?: readonly number[];
}

export interface QConv {
  kind: 'conv';
  name: string;
  geom: ConvGeom;
  wBits: number;
  /** quantized weights, OIHW (sign of negative BN scales folded in) */
  Wq: Int32Array;
  /** per output channel */
  sw: Float64Array;
  sxIn: number;
  /** 0 for the last layer */
  sxOut: number;
  bias: Int32Array;
  biasReal: Float64Array;
  mul: Int32Array;
  shift: Int32Array;
  realMul: Float64Array;
  relu: boolean;
  last: boolean;
}
export interface QGap {
  kind: 'gap';
  name: string;
  h: number;
  w: number;
  c: number;
  bias: number;
  mul: number;
  shift: number;
  realMul: number;
}
export type QLayerC = QConv | QGap;

export interface Qcnn {
  opts: QcnnOptions;
  inScale: number;
  inShape: [number, number, number];
  layers: QLayerC[];
}

function quantileAbs(values: Float32Array, q: number): number {
  const a = Float64Array.from(values, Math.abs).sort();
  if (a.length === 0) return 0;
  return a[Math.min(a.length - 1, Math.floor(q * (a.length - 1)))] as number;
}

const clampInt = (v: number, m: number): number => Math.max(-m, Math.min(m, v)) + 0;

/**
 * Quantize a float CNN. calib[l] holds sampled float inputs of layer l (entry 0, the pixels in [0, 1], is not
 * used). Activation scales: input of layer l = quantile(|calib[l]|) / xMax.
 */
export function quantizeCnn(layers: readonly FLayer[], calib: readonly Float32Array[], inShape: [number, number, number], opts: QcnnOptions): Qcnn {
  const xMax = maxMagnitude(opts.xBits);
  const inScale = 1 / xMax;
  const sx: number[] = [inScale];
  for (let l = 1; l < layers.length; l++) {
    const c = calib[l];
    if (!c) throw new RangeError(`quantizeCnn: no calibration inputs for layer ${l}`);
    const r = quantileAbs(c, opts.quantile);
    sx.push(r > 0 ? r / xMax : 1);
  }
  const bMax = maxMagnitude(opts.biasBits);
  let convIdx = 0;
  const out: QLayerC[] = layers.map((L, l) => {
    const sxIn = sx[l] as number;
    const last = l === layers.length - 1;
    const sxOut = last ? 0 : (sx[l + 1] as number);
    if (L.kind === 'gap') {
      // y = round(sum / (h·w) · sxIn / sxOut)
      const realMul = sxIn / (L.h * L.w * sxOut);
      const { mul, shift } = quantizeMultiplier(realMul, 16, opts.maxShift);
      const bias = shift === 0 || mul === 0 ? 0 : Math.round(2 ** (shift - 1) / mul);
      return { kind: 'gap', name: L.name, h: L.h, w: L.w, c: L.c, bias, mul, shift, realMul } satisfies QGap;
    }
    const g = L.geom;
    const wBits = opts.layerWBits?.[convIdx] ?? opts.wBits;
    convIdx++;
    const wMax = maxMagnitude(wBits);
    const per = L.w.length / g.outC;
    // per-channel affine after the accumulation: y = a_o · z + c_o (z = Σ w·x in float)
    const a = new Float64Array(g.outC).fill(1);
    const c = new Float64Array(g.outC);
    for (let o = 0; o < g.outC; o++) {
      const b0 = L.b ? (L.b[o] as number) : 0;
      if (L.bn) {
        const s = (L.bn.gamma[o] as number) / Math.sqrt((L.bn.var[o] as number) + L.bn.eps);
        a[o] = s === 0 ? 1e-12 : s;
        c[o] = (L.bn.beta[o] as number) + s * (b0 - (L.bn.mean[o] as number));
      } else c[o] = b0;
    }
    const Wq = new Int32Array(L.w.length);
    const sw = new Float64Array(g.outC);
    const layerScale = last ? weightScale(L.w, wBits, 'mse') : 0;
    for (let o = 0; o < g.outC; o++) {
      const row = L.w.subarray(o * per, (o + 1) * per);
      const s = last ? layerScale : weightScale(row, wBits, 'mse');
      sw[o] = s;
      const sign = (a[o] as number) < 0 ? -1 : 1;
      for (let i = 0; i < per; i++) Wq[o * per + i] = sign * clampInt(roundHalfAway((row[i] as number) / s), wMax) + 0;
    }
    const realMul = new Float64Array(g.outC);
    const biasReal = new Float64Array(g.outC);
    for (let o = 0; o < g.outC; o++) {
      const ao = Math.abs(a[o] as number);
      if (last) {
        realMul[o] = 1;
        biasReal[o] = (c[o] as number) / (ao * (sw[o] as number) * sxIn);
      } else {
        realMul[o] = (ao * (sw[o] as number) * sxIn) / sxOut;
        biasReal[o] = (c[o] as number) / (ao * (sw[o] as number) * sxIn);
      }
    }
    const mul = new Int32Array(g.outC).fill(1);
    const shift = new Int32Array(g.outC);
    if (!last) {
      const sm = opts.scales;
      if (sm.kind === 'pow2') {
        for (let o = 0; o < g.outC; o++) shift[o] = quantizeMultiplierPow2(realMul[o] as number, opts.maxShift).shift;
      } else if (sm.kind === 'int') {
        // one shared power-of-two scale per layer: the largest shift at which the largest multiplier fits
        const mx = Math.max(...realMul);
        const s = quantizeMultiplier(mx, sm.bits, opts.maxShift).shift;
        for (let o = 0; o < g.outC; o++) {
          mul[o] = Math.min(2 ** sm.bits - 1, Math.round((realMul[o] as number) * 2 ** s));
          shift[o] = s;
        }
      } else {
        // float scales: the integer path still needs values; use 24-bit per-channel multipliers (inferCnn uses realMul)
        for (let o = 0; o < g.outC; o++) ({ mul: mul[o], shift: shift[o] } = quantizeMultiplier(realMul[o] as number, 24, opts.maxShift));
      }
    }
    const bias = new Int32Array(g.outC);
    for (let o = 0; o < g.outC; o++) {
      const m = mul[o] as number;
      const sh = shift[o] as number;
      const offset = last || sh === 0 || m === 0 ? 0 : Math.round(2 ** (sh - 1) / m);
      bias[o] = clampInt(roundHalfAway(biasReal[o] as number) + offset, bMax);
    }
    return { kind: 'conv', name: L.name, geom: g, wBits, Wq, sw, sxIn, sxOut, bias, biasReal, mul, shift, realMul, relu: L.relu && !last, last } satisfies QConv;
  });
  return { opts, inScale, inShape, layers: out };
}

export function quantizeImage(q: Qcnn, pixels: Float32Array): Int32Array {
  const xMax = maxMagnitude(q.opts.xBits);
  const x = new Int32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) x[i] = clampInt(roundHalfAway((pixels[i] as number) / q.inScale), xMax);
  return x;
}

/** Global average pooling on the host: per channel an integer sum, then one requantization (float with floatRequant). */
export function poolLayer(L: QGap, x: ArrayLike<number>, xBits: number, floatRequant = false): Int32Array {
  const xm = maxMagnitude(xBits);
  const y = new Int32Array(L.c);
  for (let ch = 0; ch < L.c; ch++) {
    let s = 0;
    for (let p = 0; p < L.h * L.w; p++) s += x[p * L.c + ch] as number;
    y[ch] = floatRequant ? clampInt(Math.floor(s * L.realMul + 0.5), xm) : requantFast(s, L.bias, L.mul, L.shift, xBits, false);
  }
  return y;
}

/** A conv layer's parts with their effective (term-revealed) weights, transposed K × outC. */
export interface PreparedPart {
  part: ConvPart;
  WT: Int32Array;
  /** per reduction index: Σ over the part's channels of kept weight terms */
  colTerms: Float64Array;
}
export interface PreparedConv {
  parts: PreparedPart[];
  d: number;
  weightTerms: number;
}

/**
 * Prepare every conv layer for a term setting (one LayerTerms per conv layer, in order). Grouped layers are
 * bundled `bundle` groups per part (the array's column count on hardware).
 */
export function prepareCnn(q: Qcnn, terms: readonly LayerTerms[], bundle: number): PreparedConv[] {
  const convs = convLayers(q);
  if (terms.length !== convs.length) throw new RangeError(`${terms.length} term settings for ${convs.length} conv layers`);
  return convs.map((L, l) => prepareConv(L, terms[l] as LayerTerms, bundle));
}

/** One conv layer for one term setting: its parts' effective weights (K × outC) and per-index term counts. */
export function prepareConv(L: QConv, t: LayerTerms, bundle: number): PreparedConv {
  checkBlocks(t, L.geom.outC, L.name);
  let weightTerms = 0;
  const parts = convParts(L.geom, bundle).map((part) => {
    const W = weightMatrix(L.Wq, L.geom, part);
    const WT = new Int32Array(part.K * part.outC);
    const colTerms = new Float64Array(part.K);
    W.forEach((row, o) => {
      const vals = t.mode === 'tr' ? revealVector(row, L.wBits, { g: t.g, k: channelK(t, part.o0 + o) }) : { values: row, terms: row.map((v) => encode(v, 'hese')) };
      vals.values.forEach((v, r) => {
        WT[r * part.outC + o] = v;
        const n = (vals.terms[r] as unknown[]).length;
        colTerms[r] = (colTerms[r] as number) + n;
        weightTerms += n;
      });
    });
    return { part, WT, colTerms };
  });
  return { parts, d: t.mode === 'tr' ? t.d : Infinity, weightTerms };
}

export interface CnnInferResult {
  /** per conv layer: raw accumulators, HWC */
  acc: Int32Array[];
  /** per layer (conv and gap): outputs (the last conv layer's entry is its logits acc + bias) */
  y: Int32Array[];
  logits: Float64Array;
  pred: number;
  termPairs: number;
  layerTermPairs: number[];
}

export interface CnnInferOptions {
  /** float requantization (realMul, biasReal): the reference with float elementwise operations (default: when scales are 'float') */
  floatRequant?: boolean;
}

/** One image (HWC integer pixels) through the integer network. */
export function inferCnn(q: Qcnn, prepared: readonly PreparedConv[], x0: Int32Array, options: CnnInferOptions = {}): CnnInferResult {
  const opts = { floatRequant: options.floatRequant ?? q.opts.scales.kind === 'float' };
  const xBits = q.opts.xBits;
  let x = x0;
  const accs: Int32Array[] = [];
  const ys: Int32Array[] = [];
  const pairsPer: number[] = [];
  let logits = new Float64Array(0);
  let ci = 0;
  for (const L of q.layers) {
    if (L.kind === 'gap') {
      const y = poolLayer(L, x, xBits, opts.floatRequant);
      ys.push(y);
      x = y;
      continue;
    }
    const P = prepared[ci++] as PreparedConv;
    const g = L.geom;
    const { outH, outW } = convOutSize(g);
    const tab = dataTables(xBits, P.d, 'hese');
    // capped data values and their term counts, once per input value
    const xe = new Int32Array(x.length);
    const xt = new Uint8Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const j = (x[i] as number) + tab.offset;
      const v = tab.value[j];
      if (v === undefined) throw new RangeError(`${L.name}: input ${x[i]} exceeds ${xBits} bits`);
      xe[i] = v;
      xt[i] = tab.terms[j] as number;
    }
    const acc = new Int32Array(outH * outW * g.outC);
    let pairs = 0;
    for (const { part, WT, colTerms } of P.parts) {
      const oc = part.outC;
      const a = new Int32Array(oc);
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          a.fill(0);
          for (let ky = 0; ky < g.kh; ky++) {
            const yy = oy * g.stride - g.pad + ky;
            if (yy < 0 || yy >= g.inH) continue;
            for (let kx = 0; kx < g.kw; kx++) {
              const xx = ox * g.stride - g.pad + kx;
              if (xx < 0 || xx >= g.inW) continue;
              const src = (yy * g.inW + xx) * g.inC + part.c0;
              const r0 = (ky * g.kw + kx) * part.inC;
              for (let c = 0; c < part.inC; c++) {
                const xi = xe[src + c] as number;
                pairs += (colTerms[r0 + c] as number) * (xt[src + c] as number);
                if (xi === 0) continue;
                const base = (r0 + c) * oc;
                for (let o = 0; o < oc; o++) a[o] = (a[o] as number) + (WT[base + o] as number) * xi;
              }
            }
          }
          const dst = (oy * outW + ox) * g.outC + part.o0;
          for (let o = 0; o < oc; o++) acc[dst + o] = a[o] as number;
        }
      }
    }
    accs.push(acc);
    pairsPer.push(pairs);
    if (L.last) {
      logits = Float64Array.from(acc, (v, o) => v + (opts.floatRequant ? (L.biasReal[o] as number) : (L.bias[o] as number)));
      ys.push(Int32Array.from(acc, (v, o) => v + (L.bias[o] as number)));
    } else {
      const y = new Int32Array(acc.length);
      for (let i = 0; i < acc.length; i++) {
        const o = i % g.outC;
        y[i] = opts.floatRequant
          ? requantFloat(acc[i] as number, L.biasReal[o] as number, L.realMul[o] as number, xBits, L.relu)
          : requantFast(acc[i] as number, L.bias[o] as number, L.mul[o] as number, L.shift[o] as number, xBits, L.relu);
      }
      ys.push(y);
      x = y;
    }
  }
  const pred = argmax(logits);
  return { acc: accs, y: ys, logits, pred, termPairs: pairsPer.reduce((s, v) => s + v, 0), layerTermPairs: pairsPer };
}

export interface CnnEval {
  accuracy: number;
  correct: number;
  samples: number;
  termPairsPerSample: number;
  layerTermPairsPerSample: number[];
  /** mean softmax cross-entropy of the dequantized logits (logit · sw · sxIn of the last layer) */
  loss: number;
  preds: Int8Array;
}

export function evaluateQcnn(
  q: Qcnn,
  prepared: readonly PreparedConv[],
  samples: readonly { pixels: Float32Array; label: number }[],
  opts: CnnInferOptions = {},
): CnnEval {
  let correct = 0;
  let pairs = 0;
  let loss = 0;
  const per: number[] = [];
  const preds = new Int8Array(samples.length);
  const last = convLayers(q).at(-1);
  const logitScale = last ? (last.sw[0] as number) * last.sxIn : 1;
  samples.forEach((s, n) => {
    const r = inferCnn(q, prepared, quantizeImage(q, s.pixels), opts);
    preds[n] = r.pred;
    if (r.pred === s.label) correct++;
    loss += softmaxCrossEntropy(r.logits, s.label, logitScale);
    pairs += r.termPairs;
    r.layerTermPairs.forEach((p, l) => (per[l] = (per[l] ?? 0) + p));
  });
  const N = Math.max(1, samples.length);
  return { accuracy: correct / N, correct, samples: samples.length, termPairsPerSample: pairs / N, layerTermPairsPerSample: per.map((p) => p / N), loss: loss / N, preds };
}

/** Largest |accumulator| of a conv layer (the hardware's accumulator must hold it). */
export function convAccumulatorBound(L: QConv, xBits: number): number {
  return groupK(L.geom) * maxPrefixMagnitude(L.wBits, 'hese') * maxPrefixMagnitude(xBits, 'hese');
}

export const convLayers = (q: Qcnn): QConv[] => q.layers.filter((L): L is QConv => L.kind === 'conv');

/** HESE term bound of a width (T_w, T_x). */
export const termBound = (bits: number): number => maxTerms(bits, 'hese');

type TrTerms = Extract<LayerTerms, { mode: 'tr' }>;

/** The budget k of output channel o of a TR setting: its block's k (per-block budgets) or the layer's k. */
export function channelK(t: TrTerms, o: number): number {
  if (!t.blocks) return t.k;
  const k = t.blocks.k[Math.floor(o / t.blocks.c)];
  if (k === undefined) throw new RangeError(`no budget for output channel ${o} (${t.blocks.k.length} blocks of ${t.blocks.c})`);
  return k;
}

/** Per-block budgets must cover the layer's outC channels exactly: ⌈outC / c⌉ blocks. */
export function checkBlocks(t: LayerTerms, outC: number, where: string): void {
  if (t.mode !== 'tr' || !t.blocks) return;
  const { c, k } = t.blocks;
  if (!Number.isInteger(c) || c < 1) throw new RangeError(`${where}: block size must be an integer ≥ 1, got ${c}`);
  if (k.length !== Math.ceil(outC / c)) throw new RangeError(`${where}: ${k.length} block budgets for ${outC} channels in blocks of ${c}`);
}

/**
 * Effective (term-revealed) weights of a conv layer in OIHW, through the same lowering as the array: each part's
 * lowered rows are revealed (group g, budget k) and mapped back. Conventional mode returns a copy.
 */
export function revealConvWeights(Wq: Int32Array, geom: ConvGeom, wBits: number, t: LayerTerms, bundle: number): Int32Array {
  const out = Int32Array.from(Wq);
  if (t.mode !== 'tr') return out;
  checkBlocks(t, geom.outC, 'revealConvWeights');
  const I = geom.inC / geom.groups;
  const O = geom.outC / geom.groups;
  for (const part of convParts(geom, bundle)) {
    weightMatrix(Wq, geom, part).forEach((row, oo) => {
      const o = part.o0 + oo;
      const j = Math.floor(oo / O);
      const vals = revealVector(row, wBits, { g: t.g, k: channelK(t, o) }).values;
      for (let tap = 0; tap < geom.kh * geom.kw; tap++) {
        const ky = Math.floor(tap / geom.kw);
        const kx = tap % geom.kw;
        for (let i = 0; i < I; i++) out[((o * I + i) * geom.kh + ky) * geom.kw + kx] = vals[(tap * part.nGroups + j) * I + i] as number;
      }
    });
  }
  return out;
}
