/**
 * Integer (quantized) MLP inference with the exact semantics of the hardware and the golden model:
 *   - weights: symmetric per-layer quantization to wBits (scale from max|w| or chosen to minimize the squared
 *     quantization error, see QuantOptions.wScale); in TR mode every row is term-revealed offline (group g
 *     along the input dimension, budget k terms per group, HESE terms) by sim/model revealVector itself;
 *   - activations: symmetric quantization to xBits with calibrated per-layer scales (pixels: 1/(2^(xBits-1)-1));
 *     in TR mode each data value keeps its d most significant HESE terms (the array edge does this at run time);
 *   - accumulate in integers; the requantization between hidden layers is itself quantized:
 *     y = clamp(((acc + bias) · mul) >> shift) with ReLU (integer multiplier + shift, or a pure shift), i.e.
 *     the output stage of docs/DESIGN.md §7 with a floor shift. The bias loaded into the output stage includes a
 *     rounding offset round(2^(shift-1)/mul), so the floor shift approximates round-to-nearest of
 *     (acc + b/(sw·sx))·realMul;
 *   - the last layer's logits are acc + bias (argmax needs no requantization).
 * Fast typed-array loops (an MLP pass over 2,000 digits takes about a second); test/fast/qmlp.test.ts checks
 * bit-exactness against sim/model (matmul, requant, termPairs).
 */
import { capTerms, encode, maxMagnitude, maxPrefixMagnitude, termsValue, type Encoding } from '../../sim/model/terms.ts';
import { quantizeMultiplier, quantizeMultiplierPow2, roundHalfAway } from '../../sim/model/quant.ts';
import { revealVector } from '../../sim/model/tr.ts';

export interface FloatLayer {
  /** out×in, row-major */
  W: Float32Array;
  b: Float32Array;
  inDim: number;
  outDim: number;
}

export interface QuantOptions {
  wBits: number;
  xBits: number;
  /** requantization multiplier width; 0 = power-of-two scale (pure shift) */
  mulBits: number;
  /** largest shift the output stage supports */
  maxShift: number;
  /** activation range calibration: this quantile of |activation| maps to the largest code (e.g. 0.9999) */
  quantile: number;
  /**
   * weight scale per layer: 'max' = max|w| / (2^(wBits-1)-1); 'mse' (default) = the clip c = r·max|w|,
   * r ∈ {1, 0.99, ..., 0.20}, with the least squared quantization error over the layer's weights
   */
  wScale?: 'max' | 'mse';
}

export interface QLayer {
  inDim: number;
  outDim: number;
  /** quantized weights, out×in */
  Wq: Int32Array;
  /** bias loaded into the output stage, in accumulator units (scale sw·sxIn), rounding offset included */
  bias: Int32Array;
  /** the real bias b/(sw·sxIn) in accumulator units (for the float-requantization reference) */
  biasReal: Float64Array;
  /** weight scale, input activation scale, output activation scale (0 for the last layer) */
  sw: number;
  sxIn: number;
  sxOut: number;
  /** integer requantization (same for every channel: per-layer scales) */
  mul: number;
  shift: number;
  /** the real multiplier it approximates: sw·sxIn/sxOut (1 for the last layer) */
  realMul: number;
  relu: boolean;
}

export interface QMlp {
  opts: QuantOptions;
  /** input pixel scale: pixel p in [0,1] -> round(p / inScale) */
  inScale: number;
  layers: QLayer[];
}

function quantileAbs(values: Float32Array | number[], q: number): number {
  const a = Float64Array.from(values, Math.abs).sort();
  if (a.length === 0) return 0;
  return a[Math.min(a.length - 1, Math.floor(q * (a.length - 1)))] as number;
}

function quantizeValue(v: number, scale: number, m: number): number {
  return Math.max(-m, Math.min(m, roundHalfAway(v / scale))) + 0;
}

/** Per-layer weight scale (see QuantOptions.wScale). */
export function weightScale(W: Float32Array, wBits: number, method: 'max' | 'mse'): number {
  const m = maxMagnitude(wBits);
  let mx = 0;
  for (const v of W) mx = Math.max(mx, Math.abs(v));
  if (mx === 0) return 1;
  if (method === 'max') return mx / m;
  let best = mx / m;
  let bestErr = Infinity;
  for (let step = 0; step <= 80; step++) {
    const s = ((1 - step / 100) * mx) / m;
    let err = 0;
    for (let i = 0; i < W.length; i++) {
      const v = W[i] as number;
      const e = v - quantizeValue(v, s, m) * s;
      err += e * e;
    }
    if (err < bestErr) {
      bestErr = err;
      best = s;
    }
  }
  return best;
}

/**
 * Quantize a float MLP. `calibInputs[l]` holds sampled float inputs of layer l (from collectLayerInputs on
 * training samples) for the activation scales (entry 0, the pixels, is not used: pixels are in [0, 1]).
 */
export function quantizeMlp(layers: readonly FloatLayer[], calibInputs: readonly Float32Array[], opts: QuantOptions): QMlp {
  if (layers.length === 0) throw new RangeError('quantizeMlp: no layers');
  const wMax = maxMagnitude(opts.wBits);
  const xMax = maxMagnitude(opts.xBits);
  if (!(opts.quantile > 0 && opts.quantile <= 1)) throw new RangeError(`quantile must be in (0, 1], got ${opts.quantile}`);
  const inScale = 1 / xMax; // pixels are in [0, 1]
  const sx: number[] = [inScale];
  for (let l = 1; l < layers.length; l++) {
    const c = calibInputs[l];
    if (!c) throw new RangeError(`quantizeMlp: no calibration inputs for layer ${l}`);
    const r = quantileAbs(c, opts.quantile);
    sx.push(r > 0 ? r / xMax : 1);
  }
  const out: QLayer[] = layers.map((L, l) => {
    if (L.W.length !== L.inDim * L.outDim || L.b.length !== L.outDim) throw new RangeError(`layer ${l} shape mismatch`);
    if (l > 0 && L.inDim !== (layers[l - 1] as FloatLayer).outDim) throw new RangeError(`layer ${l} input size mismatch`);
    const sw = weightScale(L.W, opts.wBits, opts.wScale ?? 'mse');
    const Wq = new Int32Array(L.W.length);
    for (let i = 0; i < L.W.length; i++) Wq[i] = quantizeValue(L.W[i] as number, sw, wMax);
    const sxIn = sx[l] as number;
    const last = l === layers.length - 1;
    const sxOut = last ? 0 : (sx[l + 1] as number);
    const realMul = last ? 1 : (sw * sxIn) / sxOut;
    const { mul, shift } = last
      ? { mul: 1, shift: 0 }
      : opts.mulBits === 0
        ? quantizeMultiplierPow2(realMul, opts.maxShift)
        : quantizeMultiplier(realMul, opts.mulBits, opts.maxShift);
    const biasReal = Float64Array.from(L.b, (b) => b / (sw * sxIn));
    // rounding offset: floor(((acc + bias) · mul) / 2^shift) ≈ round((acc + b) · mul / 2^shift)
    const offset = last || shift === 0 || mul === 0 ? 0 : Math.round(2 ** (shift - 1) / mul);
    const bias = Int32Array.from(biasReal, (b) => roundHalfAway(b) + offset);
    return { inDim: L.inDim, outDim: L.outDim, Wq, bias, biasReal, sw, sxIn, sxOut, mul, shift, realMul, relu: !last };
  });
  return { opts, inScale, layers: out };
}

export function quantizeInput(q: QMlp, pixels: Float32Array): Int32Array {
  const xMax = maxMagnitude(q.opts.xBits);
  const x = new Int32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) x[i] = quantizeValue(pixels[i] as number, q.inScale, xMax);
  return x;
}

/**
 * Per-block TR budgets of a conv layer (workloads/cnn only): output channels b·c .. b·c + c − 1 keep k[b] terms
 * per group (c = the array's column count, so a block is one channel tile with its own k register). The
 * layer's scalar `k` is then ignored by the CNN code paths (qcnn.ts channelK); the MLP code does not accept it.
 */
export interface TermBlocks {
  c: number;
  k: readonly number[];
}

/** How a layer's weights and data are reduced to terms. */
export type LayerTerms = { mode: 'conventional' } | { mode: 'tr'; g: number; k: number; d: number; blocks?: TermBlocks };

/** Effective weights of a layer (values of the kept terms), transposed for sparse-input accumulation. */
export interface PreparedLayer {
  /** in×out: WT[i*out + o] = effective weight of output o, input i */
  WT: Int32Array;
  /** per input i: Σ_o (kept terms of weight (o, i)); term pairs of a sample = Σ_i colTerms[i]·terms(x_i) */
  colTerms: Float64Array;
  /** total kept weight terms of the layer */
  weightTerms: number;
  /** data term cap (Infinity = all terms) */
  d: number;
  /** term encoding used for the counts (values are the same for 'binary' and 'hese' in conventional mode) */
  encoding: Encoding;
}

/**
 * Prepare a layer: conventional = all terms of every weight; tr = sim/model revealVector on each weight row
 * (group g, budget k) and data cap d. `encoding` (default 'hese') selects the term encoding; 'binary' is for
 * reference term-pair counts in conventional mode.
 */
export function prepareLayer(q: QLayer, wBits: number, t: LayerTerms, encoding: Encoding = 'hese'): PreparedLayer {
  const WT = new Int32Array(q.Wq.length);
  const colTerms = new Float64Array(q.inDim);
  let weightTerms = 0;
  if (t.mode === 'tr' && !(Number.isInteger(t.d) && t.d >= 1)) throw new RangeError(`data cap d must be an integer ≥ 1, got ${t.d}`);
  if (t.mode === 'tr' && t.blocks) throw new RangeError('per-block budgets are supported by the CNN code only');
  for (let o = 0; o < q.outDim; o++) {
    const row = Array.from(q.Wq.subarray(o * q.inDim, (o + 1) * q.inDim));
    const put = (i: number, v: number, nTerms: number): void => {
      WT[i * q.outDim + o] = v;
      colTerms[i] = (colTerms[i] as number) + nTerms;
      weightTerms += nTerms;
    };
    if (t.mode === 'conventional') {
      row.forEach((v, i) => put(i, v, encode(v, encoding).length));
    } else {
      const r = revealVector(row, wBits, { g: t.g, k: t.k, encoding });
      r.values.forEach((v, i) => put(i, v, (r.terms[i] as unknown[]).length));
    }
  }
  return { WT, colTerms, weightTerms, d: t.mode === 'tr' ? t.d : Infinity, encoding };
}

/** Largest |accumulator| a layer can reach; inferQ keeps accumulators in Int32. */
export function accumulatorBound(inDim: number, wBits: number, xBits: number): number {
  return inDim * maxPrefixMagnitude(wBits, 'hese') * maxPrefixMagnitude(xBits, 'hese');
}

const tableMemo = new Map<string, { value: Int32Array; terms: Uint8Array; offset: number }>();

/** Per data value v in ±maxMagnitude: value and term count after the cap d (lookup tables, memoized). */
export function dataTables(xBits: number, d: number, encoding: Encoding = 'hese'): { value: Int32Array; terms: Uint8Array; offset: number } {
  const key = `${xBits}/${d}/${encoding}`;
  const hit = tableMemo.get(key);
  if (hit) return hit;
  const m = maxMagnitude(xBits);
  const value = new Int32Array(2 * m + 1);
  const terms = new Uint8Array(2 * m + 1);
  for (let v = -m; v <= m; v++) {
    const ts = Number.isFinite(d) ? capTerms(encode(v, encoding), d) : encode(v, encoding);
    value[v + m] = termsValue(ts);
    terms[v + m] = ts.length;
  }
  const t = { value, terms, offset: m };
  tableMemo.set(key, t);
  return t;
}

/** Integer requantization exactly as the output stage (floor shift, clamp, ReLU); exact while |(acc+bias)·mul| < 2^53. */
export function requantFast(acc: number, bias: number, mul: number, shift: number, outBits: number, relu: boolean): number {
  const p = (acc + bias) * mul;
  if (!Number.isSafeInteger(p)) throw new RangeError(`requant product ${p} exceeds 2^53`);
  const y = Math.floor(p / 2 ** shift);
  const m = maxMagnitude(outBits);
  return Math.min(m, Math.max(relu ? 0 : -m, y)) + 0;
}

/** Float reference of the output stage: clamp(round((acc + b/(sw·sx)) · realMul)), computed in float64. */
export function requantFloat(acc: number, biasReal: number, realMul: number, outBits: number, relu: boolean): number {
  const y = Math.floor((acc + biasReal) * realMul + 0.5);
  const m = maxMagnitude(outBits);
  return Math.min(m, Math.max(relu ? 0 : -m, y)) + 0;
}

export interface InferOptions {
  /** use the float requantization reference instead of the integer output stage */
  floatRequant?: boolean;
}

export interface InferResult {
  /** per layer: integer accumulators (without bias), for hardware comparison */
  acc: Int32Array[];
  /** per layer: quantized outputs of hidden layers */
  y: Int32Array[];
  logits: Float64Array;
  pred: number;
  /** term pairs multiplied (kept weight terms × kept data terms, summed over MACs) */
  termPairs: number;
  /** the same per layer */
  layerTermPairs: number[];
}

function checkPrepared(q: QMlp, prepared: readonly PreparedLayer[]): void {
  if (prepared.length !== q.layers.length) throw new RangeError(`prepared ${prepared.length} layers, network has ${q.layers.length}`);
  q.layers.forEach((L, l) => {
    const P = prepared[l] as PreparedLayer;
    if (P.WT.length !== L.inDim * L.outDim) throw new RangeError(`prepared layer ${l} has the wrong size`);
    if (accumulatorBound(L.inDim, q.opts.wBits, q.opts.xBits) >= 2 ** 31) throw new RangeError(`layer ${l}: accumulator may exceed Int32`);
  });
}

/** One sample through the integer network. */
export function inferQ(q: QMlp, prepared: readonly PreparedLayer[], x0: Int32Array, opts: InferOptions = {}): InferResult {
  checkPrepared(q, prepared);
  let x = x0;
  const accs: Int32Array[] = [];
  const ys: Int32Array[] = [];
  const layerPairs: number[] = [];
  let logits = new Float64Array(0);
  q.layers.forEach((L, l) => {
    const P = prepared[l] as PreparedLayer;
    if (x.length !== L.inDim) throw new RangeError(`layer ${l}: input has ${x.length} values, expected ${L.inDim}`);
    const tab = dataTables(q.opts.xBits, P.d, P.encoding);
    const acc = new Int32Array(L.outDim);
    const out = L.outDim;
    let pairs = 0;
    for (let i = 0; i < L.inDim; i++) {
      const j = (x[i] as number) + tab.offset;
      const xi = tab.value[j];
      if (xi === undefined) throw new RangeError(`layer ${l}: input ${i} = ${x[i]} exceeds ${q.opts.xBits} bits`);
      pairs += (P.colTerms[i] as number) * (tab.terms[j] as number);
      if (xi === 0) continue;
      const base = i * out;
      for (let o = 0; o < out; o++) acc[o] = (acc[o] as number) + (P.WT[base + o] as number) * xi;
    }
    accs.push(acc);
    layerPairs.push(pairs);
    if (l === q.layers.length - 1) {
      logits = opts.floatRequant
        ? Float64Array.from(acc, (a, o) => a + (L.biasReal[o] as number))
        : Float64Array.from(acc, (a, o) => a + (L.bias[o] as number));
    } else {
      const y = new Int32Array(L.outDim);
      if (opts.floatRequant) {
        for (let o = 0; o < L.outDim; o++) y[o] = requantFloat(acc[o] as number, L.biasReal[o] as number, L.realMul, q.opts.xBits, L.relu);
      } else {
        for (let o = 0; o < L.outDim; o++) y[o] = requantFast(acc[o] as number, L.bias[o] as number, L.mul, L.shift, q.opts.xBits, L.relu);
      }
      ys.push(y);
      x = y;
    }
  });
  const pred = argmax(logits);
  return { acc: accs, y: ys, logits, pred, termPairs: layerPairs.reduce((a, b) => a + b, 0), layerTermPairs: layerPairs };
}

export interface EvalQResult {
  accuracy: number;
  /** mean term pairs per sample */
  termPairsPerSample: number;
  /** mean term pairs per sample, per layer */
  layerTermPairsPerSample: number[];
  /** mean softmax cross-entropy of the dequantized logits (logit · sw·sxIn of the last layer) */
  loss: number;
  /** predictions, one per sample */
  preds: Int8Array;
}

/** Accuracy, mean term pairs and loss over samples. */
export function evaluateQ(
  q: QMlp,
  prepared: readonly PreparedLayer[],
  samples: readonly { pixels: Float32Array; label: number }[],
  opts: InferOptions = {},
): EvalQResult {
  const last = q.layers[q.layers.length - 1] as QLayer;
  const logitScale = last.sw * last.sxIn;
  let correct = 0;
  let pairs = 0;
  let loss = 0;
  const perLayer = new Array<number>(q.layers.length).fill(0);
  const preds = new Int8Array(samples.length);
  samples.forEach((s, n) => {
    const r = inferQ(q, prepared, quantizeInput(q, s.pixels), opts);
    preds[n] = r.pred;
    if (r.pred === s.label) correct++;
    pairs += r.termPairs;
    r.layerTermPairs.forEach((p, l) => (perLayer[l] = (perLayer[l] as number) + p));
    loss += softmaxCrossEntropy(r.logits, s.label, logitScale);
  });
  const N = Math.max(1, samples.length);
  return {
    accuracy: correct / N,
    termPairsPerSample: pairs / N,
    layerTermPairsPerSample: perLayer.map((p) => p / N),
    loss: loss / N,
    preds,
  };
}

/** Argmax with ties to the lowest index. */
export function argmax(v: ArrayLike<number>): number {
  let p = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[p] as number)) p = i;
  return p;
}

/** Softmax cross-entropy of integer logits dequantized by `scale`, for the true class `label` (log-sum-exp). */
export function softmaxCrossEntropy(logits: ArrayLike<number>, label: number, scale: number): number {
  let mx = -Infinity;
  for (let i = 0; i < logits.length; i++) mx = Math.max(mx, (logits[i] as number) * scale);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) * scale - mx);
  return Math.log(sum) + mx - (logits[label] as number) * scale;
}
