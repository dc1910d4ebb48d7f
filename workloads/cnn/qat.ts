/**
 * Quantization-aware training with TR in the loop (straight-through estimator).
 *
 * The forward pass of the trainer (net.ts ForwardTransform) sees, for every conv / FC layer:
 *   weights: quantized per output channel (per layer for the last layer) to the layer's width with the same
 *            MSE-chosen scales as the post-training quantizer, term-revealed through the array's lowering
 *            (revealConvWeights: group g, budget k), dequantized;
 *   inputs:  quantized to xBits with the calibrated activation scale of the post-training quantizer, each value
 *            capped to its d most significant HESE terms, dequantized.
 * Gradients pass straight through to the float tensors. After fine-tuning, the network goes through the same
 * post-training pipeline (fold, calibrate, quantize, TR) and is evaluated as an integer network, so QAT and
 * post-training TR are compared on exactly the same deployment path.
 *
 * Learned fractional budgets (FracBits on TR budgets): with a real budget k_l = n + a (0 ≤ a < 1), the forward
 * weights interpolate between the revealed weights at n and at n + 1: w = (1 − a)·TR_n(w) + a·TR_{n+1}(w); the
 * gradient of the loss with respect to a is Σ dL/dw · (TR_{n+1}(w) − TR_n(w)) (the weight gradient the trainer
 * computes is dL/dw of the transformed weights). The same holds per block of output channels with one real
 * budget per block (per-block budgets, fracbits.ts budgetUnits).
 */
import { roundHalfAway } from '../../sim/model/quant.ts';
import { maxMagnitude } from '../../sim/model/terms.ts';
import { dataTables, weightScale, type LayerTerms, type TermBlocks } from '../mnist/qmlp.ts';
import type { ForwardTransform } from './net.ts';
import { type Folded, ohwiToOihw } from './fold.ts';
import { type Qcnn, channelK, checkBlocks, revealConvWeights } from './qcnn.ts';

/** OIHW back to OHWI (the trainer's layout). */
export function oihwToOhwi(w: ArrayLike<number>, O: number, kh: number, kw: number, I: number): Float32Array {
  const out = new Float32Array(O * kh * kw * I);
  for (let o = 0; o < O; o++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < I; i++) out[((o * kh + y) * kw + x) * I + i] = w[((o * I + i) * kh + y) * kw + x] as number;
  return out;
}

export interface QatLayer {
  /** FLayer index */
  l: number;
  wBits: number;
  /** per-layer weight scale (the last layer) instead of per channel */
  perLayer: boolean;
  sxIn: number;
}

/** Per spec-layer index: the quantization of the conv / FC layer there, from a calibrated post-training net. */
export function qatLayers(folded: Folded, q: Qcnn): Map<number, QatLayer> {
  const m = new Map<number, QatLayer>();
  q.layers.forEach((L, l) => {
    if (L.kind !== 'conv') return;
    m.set(folded.specIndex[l] as number, { l, wBits: L.wBits, perLayer: L.last, sxIn: L.sxIn });
  });
  return m;
}

/** Quantize a conv/FC weight tensor (OIHW float) to integers with the post-training quantizer's scales. */
export function quantizeWeightsOIHW(w: Float32Array, O: number, wBits: number, perLayer: boolean): { Wq: Int32Array; scale: Float64Array } {
  const per = w.length / O;
  const m = maxMagnitude(wBits);
  const Wq = new Int32Array(w.length);
  const scale = new Float64Array(O);
  const layerScale = perLayer ? weightScale(w, wBits, 'mse') : 0;
  for (let o = 0; o < O; o++) {
    const row = w.subarray(o * per, (o + 1) * per);
    const s = perLayer ? layerScale : weightScale(row, wBits, 'mse');
    scale[o] = s;
    for (let i = 0; i < per; i++) Wq[o * per + i] = Math.max(-m, Math.min(m, roundHalfAway((row[i] as number) / s))) + 0;
  }
  return { Wq, scale };
}

/**
 * Revealed, dequantized weights of one layer in the trainer's layout for a real budget k (fractional k
 * interpolates between ⌊k⌋ and ⌊k⌋ + 1); also returns the difference TR_{n+1} − TR_n for the budget gradient.
 * With per-block budgets (t.blocks, real values) every block of output channels interpolates with its own k.
 * `alwaysDk`: return TR_{n+1} − TR_n also where every k is an integer (the forward weights are then exactly
 * TR_k; the difference is the one-sided derivative, so budgets sitting on an integer still get a gradient).
 */
export function fakeQuantWeights(
  wOhwi: Float32Array,
  folded: Folded,
  ql: QatLayer,
  t: LayerTerms,
  bundle: number,
  alwaysDk = false,
): { w: Float32Array; dk?: Float32Array } {
  const F = folded.layers[ql.l];
  if (F?.kind !== 'conv') throw new RangeError(`FLayer ${ql.l} is not a conv layer`);
  const g = F.geom;
  const I = g.inC / g.groups;
  const w = ohwiToOihw(wOhwi, g.outC, g.kh, g.kw, I);
  const { Wq, scale } = quantizeWeightsOIHW(w, g.outC, ql.wBits, ql.perLayer);
  const per = w.length / g.outC;
  const deq = (e: Int32Array): Float32Array => oihwToOhwi(Float32Array.from(e, (v, i) => v * (scale[Math.floor(i / per)] as number)), g.outC, g.kh, g.kw, I);
  if (t.mode !== 'tr') return { w: deq(Wq) };
  checkBlocks(t, g.outC, F.name);
  const mapK = (f: (k: number) => number): LayerTerms => ({ ...t, k: f(t.k), ...(t.blocks ? { blocks: { c: t.blocks.c, k: t.blocks.k.map(f) } } : {}) });
  // per output channel: the fraction a_o = k_o − ⌊k_o⌋ (o is the outermost index of OHWI as of OIHW)
  const frac = Float64Array.from({ length: g.outC }, (_, o) => channelK(t, o) - Math.floor(channelK(t, o)));
  const lo = revealConvWeights(Wq, g, ql.wBits, mapK(Math.floor), bundle);
  if (!alwaysDk && frac.every((a) => a === 0)) return { w: deq(lo) };
  const hi = revealConvWeights(Wq, g, ql.wBits, mapK((k) => Math.floor(k) + 1), bundle);
  const wl = deq(lo);
  const wh = deq(hi);
  const dk = Float32Array.from(wh, (v, i) => v - (wl[i] as number));
  return { w: Float32Array.from(wl, (v, i) => v + (frac[Math.floor(i / per)] as number) * (dk[i] as number)), dk };
}

/** Fake-quantize an activation batch: xBits with scale s, each value capped to d HESE terms. */
export function fakeQuantActs(a: Float32Array, s: number, xBits: number, d: number): Float32Array {
  const tab = dataTables(xBits, d, 'hese');
  const m = tab.offset;
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const q = Math.max(-m, Math.min(m, roundHalfAway((a[i] as number) / s)));
    out[i] = (tab.value[q + m] as number) * s;
  }
  return out;
}

/**
 * The QAT transform for per-layer settings (indexed like the conv layers of q). `budget(l)` may override the
 * budget of conv layer l with a real value, or with real per-block values (FracBits); `onDk` receives
 * TR_{n+1} − TR_n per layer and step (in the trainer's weight layout); `alwaysDk` also at integer budgets.
 */
export function trTransform(
  folded: Folded,
  q: Qcnn,
  terms: readonly LayerTerms[],
  bundle: number,
  hooks: { budget?: (convIndex: number) => number | TermBlocks | undefined; onDk?: (convIndex: number, dk: Float32Array | undefined) => void; alwaysDk?: boolean } = {},
): ForwardTransform {
  const layers = qatLayers(folded, q);
  const convIndex = new Map<number, number>();
  [...layers.keys()].sort((a, b) => a - b).forEach((si, c) => convIndex.set(si, c));
  const xBits = q.opts.xBits;
  return {
    weight(i, w) {
      const ql = layers.get(i);
      const c = convIndex.get(i);
      if (!ql || c === undefined) return w;
      const t = terms[c] as LayerTerms;
      const k = hooks.budget?.(c);
      const tt = t.mode !== 'tr' || k === undefined ? t : typeof k === 'number' ? { ...t, k, blocks: undefined } : { ...t, blocks: k };
      const r = fakeQuantWeights(w, folded, ql, tt, bundle, hooks.alwaysDk ?? false);
      hooks.onDk?.(c, r.dk);
      return r.w;
    },
    act(i, a) {
      const ql = layers.get(i);
      const c = convIndex.get(i);
      if (!ql || c === undefined) return a;
      const t = terms[c] as LayerTerms;
      return fakeQuantActs(a, ql.sxIn, xBits, t.mode === 'tr' ? t.d : Infinity);
    },
  };
}
