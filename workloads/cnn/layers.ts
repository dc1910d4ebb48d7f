/**
 * Float32 CNN layer kernels with forward and backward passes over a minibatch (workloads/cnn).
 *
 * Tensor layout: NHWC everywhere. An activation batch is a flat Float32Array indexed
 *   x[((n·H + y)·W + x)·C + c]
 * (one image = H·W·C values, channel fastest). Gradients w.r.t. activations are Float64Array with the same
 * layout. A fully-connected layer sees its input as n × inF rows.
 *
 * Weight layouts:
 *   - public (stored in CnnParams, seen by the quantization hook): conv OHWI,
 *       w[((o·k + kh)·k + kw)·cinPerGroup + ci]   (one contiguous row of k·k·cinPerGroup per output channel;
 *       depthwise: cinPerGroup = 1, so w[(c·k + kh)·k + kw]); FC out × in, w[o·inF + i] plus bias b[o].
 *   - kernel (used by the loops below): conv HWIO, wt[((kh·k + kw)·cinPerGroup + ci)·cout + o], FC in × out
 *     (wt[i·outF + o]), so the innermost loop always runs over contiguous output channels. ohwiToHwio /
 *     hwioToOhwi convert; the trainer converts once per step (the weights are tiny).
 *
 * Numerics: products and sums are formed in float64 (JS numbers), in a fixed order that depends only on
 * the shapes (never on the data, except that exact zeros of the input are skipped, which does not change
 * a float64 sum); outputs are rounded to float32 once. Weight and activation gradients are float64.
 * Every function here is deterministic.
 *
 * Convolutions: groups = 1 or depthwise (groups = cin = cout, one filter per channel); any odd or even kernel
 * size k, stride ≥ 1, zero padding `pad` on all four sides. Output size: floor((H + 2·pad − k) / stride) + 1.
 */

export interface ConvGeom {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  pad: number;
  /** true: groups = cin = cout (one k×k filter per channel) */
  depthwise: boolean;
  oh: number;
  ow: number;
}

export function convOutSize(size: number, k: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}

export function convGeom(
  n: number,
  h: number,
  w: number,
  cin: number,
  cout: number,
  k: number,
  stride: number,
  pad: number,
  groups: number,
): ConvGeom {
  if (groups !== 1 && !(groups === cin && cin === cout)) {
    throw new RangeError(`conv groups must be 1 or cin = cout (depthwise), got groups=${groups} cin=${cin} cout=${cout}`);
  }
  const oh = convOutSize(h, k, stride, pad);
  const ow = convOutSize(w, k, stride, pad);
  if (!(oh >= 1 && ow >= 1 && k >= 1 && stride >= 1 && pad >= 0)) throw new RangeError(`bad conv geometry k=${k} s=${stride} p=${pad} on ${h}×${w}`);
  return { n, h, w, cin, cout, k, stride, pad, depthwise: groups !== 1, oh, ow };
}

/** Number of weights of a conv (k·k·cinPerGroup·cout). */
export function convWeightCount(g: ConvGeom): number {
  return g.k * g.k * (g.depthwise ? 1 : g.cin) * g.cout;
}

/** OHWI (public) → HWIO (kernel). `cg` = input channels per group (1 for depthwise). */
export function ohwiToHwio(w: ArrayLike<number>, cout: number, k: number, cg: number, out: Float32Array): Float32Array {
  const kk = k * k;
  for (let o = 0; o < cout; o++) {
    for (let p = 0; p < kk; p++) {
      const src = (o * kk + p) * cg;
      const dst = p * cg * cout + o;
      for (let ci = 0; ci < cg; ci++) out[dst + ci * cout] = w[src + ci]!;
    }
  }
  return out;
}

/** HWIO (kernel) → OHWI (public); generic over the element array type (used for float64 gradients too). */
export function hwioToOhwi<T extends Float32Array | Float64Array>(wt: ArrayLike<number>, cout: number, k: number, cg: number, out: T): T {
  const kk = k * k;
  for (let o = 0; o < cout; o++) {
    for (let p = 0; p < kk; p++) {
      const dst = (o * kk + p) * cg;
      const src = p * cg * cout + o;
      for (let ci = 0; ci < cg; ci++) out[dst + ci] = wt[src + ci * cout]!;
    }
  }
  return out;
}

/** Scratch buffers for the conv kernels; size them with convScratch(maxCout, maxK·k·cin). */
export interface ConvScratch {
  acc: Float64Array;
  nzX: Float64Array;
  nzW: Int32Array;
  nzI: Int32Array;
}

export function convScratch(maxCout: number, maxField: number): ConvScratch {
  return {
    acc: new Float64Array(maxCout),
    nzX: new Float64Array(maxField),
    nzW: new Int32Array(maxField),
    nzI: new Int32Array(maxField),
  };
}

/**
 * y = conv(x, wt) (no bias). x: n×h×w×cin, y: n×oh×ow×cout, wt in HWIO.
 * groups = 1: per output pixel, the nonzero inputs of the receptive field (kh, kw, ci ascending) are gathered
 * and accumulated four at a time into a float64 row over the output channels.
 */
export function conv2dForward(x: Float32Array, wt: Float32Array, y: Float32Array, g: ConvGeom, sc: ConvScratch): void {
  if (g.depthwise) {
    depthwiseForward(x, wt, y, g, sc.acc);
    return;
  }
  const { n, h: H, w: W, cin, cout, k, stride, pad, oh: OH, ow: OW } = g;
  const { acc, nzX, nzW } = sc;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let cnt = 0;
        for (let kh = 0; kh < k; kh++) {
          const iy = oy * stride - pad + kh;
          if (iy < 0 || iy >= H) continue;
          for (let kw = 0; kw < k; kw++) {
            const ix = ox * stride - pad + kw;
            if (ix < 0 || ix >= W) continue;
            const xb = ((b * H + iy) * W + ix) * cin;
            const wb = (kh * k + kw) * cin * cout;
            for (let ci = 0; ci < cin; ci++) {
              const v = x[xb + ci]!;
              if (v !== 0) {
                nzX[cnt] = v;
                nzW[cnt++] = wb + ci * cout;
              }
            }
          }
        }
        for (let o = 0; o < cout; o++) acc[o] = 0;
        let q = 0;
        for (; q + 3 < cnt; q += 4) {
          const x0 = nzX[q]!;
          const x1 = nzX[q + 1]!;
          const x2 = nzX[q + 2]!;
          const x3 = nzX[q + 3]!;
          const w0 = nzW[q]!;
          const w1 = nzW[q + 1]!;
          const w2 = nzW[q + 2]!;
          const w3 = nzW[q + 3]!;
          for (let o = 0; o < cout; o++) {
            acc[o] = acc[o]! + x0 * wt[w0 + o]! + x1 * wt[w1 + o]! + x2 * wt[w2 + o]! + x3 * wt[w3 + o]!;
          }
        }
        for (; q < cnt; q++) {
          const x0 = nzX[q]!;
          const w0 = nzW[q]!;
          for (let o = 0; o < cout; o++) acc[o] = acc[o]! + x0 * wt[w0 + o]!;
        }
        const yb = ((b * OH + oy) * OW + ox) * cout;
        for (let o = 0; o < cout; o++) y[yb + o] = acc[o]!;
      }
    }
  }
}

function depthwiseForward(x: Float32Array, wt: Float32Array, y: Float32Array, g: ConvGeom, acc: Float64Array): void {
  const { n, h: H, w: W, cin: C, k, stride, pad, oh: OH, ow: OW } = g;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        for (let c = 0; c < C; c++) acc[c] = 0;
        for (let kh = 0; kh < k; kh++) {
          const iy = oy * stride - pad + kh;
          if (iy < 0 || iy >= H) continue;
          for (let kw = 0; kw < k; kw++) {
            const ix = ox * stride - pad + kw;
            if (ix < 0 || ix >= W) continue;
            const xb = ((b * H + iy) * W + ix) * C;
            const wb = (kh * k + kw) * C;
            for (let c = 0; c < C; c++) acc[c] = acc[c]! + x[xb + c]! * wt[wb + c]!;
          }
        }
        const yb = ((b * OH + oy) * OW + ox) * C;
        for (let c = 0; c < C; c++) y[yb + c] = acc[c]!;
      }
    }
  }
}

/**
 * Backward of conv2dForward. Adds dL/dwt (HWIO, float64) into dW. If dx is given it is overwritten with
 * dL/dx; if `dxMask` is also given, dx is only computed where dxMask ≠ 0 and left 0 elsewhere (the trainer
 * passes the previous ReLU's output, whose backward zeroes those entries anyway).
 */
export function conv2dBackward(
  x: Float32Array,
  wt: Float32Array,
  dy: Float64Array,
  dW: Float64Array,
  dx: Float64Array | null,
  dxMask: Float32Array | null,
  g: ConvGeom,
  sc: ConvScratch,
): void {
  if (dx) dx.fill(0, 0, g.n * g.h * g.w * g.cin);
  if (g.depthwise) {
    depthwiseBackward(x, wt, dy, dW, dx, g);
    if (dx && dxMask) for (let i = 0, len = g.n * g.h * g.w * g.cin; i < len; i++) if (dxMask[i]! === 0) dx[i] = 0;
    return;
  }
  const { n, h: H, w: W, cin, cout, k, stride, pad, oh: OH, ow: OW } = g;
  const { nzX, nzW, nzI } = sc;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const eb = ((b * OH + oy) * OW + ox) * cout;
        let cnt = 0;
        for (let kh = 0; kh < k; kh++) {
          const iy = oy * stride - pad + kh;
          if (iy < 0 || iy >= H) continue;
          for (let kw = 0; kw < k; kw++) {
            const ix = ox * stride - pad + kw;
            if (ix < 0 || ix >= W) continue;
            const xb = ((b * H + iy) * W + ix) * cin;
            const wb = (kh * k + kw) * cin * cout;
            for (let ci = 0; ci < cin; ci++) {
              const xi = xb + ci;
              const v = x[xi]!;
              const needDx = dx !== null && (dxMask === null || dxMask[xi]! !== 0);
              if (v === 0 && !needDx) continue;
              nzX[cnt] = v;
              nzW[cnt] = wb + ci * cout;
              nzI[cnt++] = needDx ? xi : -1;
            }
          }
        }
        let q = 0;
        for (; q + 3 < cnt; q += 4) {
          const x0 = nzX[q]!;
          const x1 = nzX[q + 1]!;
          const x2 = nzX[q + 2]!;
          const x3 = nzX[q + 3]!;
          const w0 = nzW[q]!;
          const w1 = nzW[q + 1]!;
          const w2 = nzW[q + 2]!;
          const w3 = nzW[q + 3]!;
          let d0 = 0;
          let d1 = 0;
          let d2 = 0;
          let d3 = 0;
          for (let o = 0; o < cout; o++) {
            const e = dy[eb + o]!;
            dW[w0 + o] = dW[w0 + o]! + x0 * e;
            dW[w1 + o] = dW[w1 + o]! + x1 * e;
            dW[w2 + o] = dW[w2 + o]! + x2 * e;
            dW[w3 + o] = dW[w3 + o]! + x3 * e;
            d0 += e * wt[w0 + o]!;
            d1 += e * wt[w1 + o]!;
            d2 += e * wt[w2 + o]!;
            d3 += e * wt[w3 + o]!;
          }
          if (dx) {
            const i0 = nzI[q]!;
            const i1 = nzI[q + 1]!;
            const i2 = nzI[q + 2]!;
            const i3 = nzI[q + 3]!;
            if (i0 >= 0) dx[i0] = dx[i0]! + d0;
            if (i1 >= 0) dx[i1] = dx[i1]! + d1;
            if (i2 >= 0) dx[i2] = dx[i2]! + d2;
            if (i3 >= 0) dx[i3] = dx[i3]! + d3;
          }
        }
        for (; q < cnt; q++) {
          const x0 = nzX[q]!;
          const w0 = nzW[q]!;
          let d0 = 0;
          for (let o = 0; o < cout; o++) {
            const e = dy[eb + o]!;
            dW[w0 + o] = dW[w0 + o]! + x0 * e;
            d0 += e * wt[w0 + o]!;
          }
          if (dx) {
            const i0 = nzI[q]!;
            if (i0 >= 0) dx[i0] = dx[i0]! + d0;
          }
        }
      }
    }
  }
}

function depthwiseBackward(x: Float32Array, wt: Float32Array, dy: Float64Array, dW: Float64Array, dx: Float64Array | null, g: ConvGeom): void {
  const { n, h: H, w: W, cin: C, k, stride, pad, oh: OH, ow: OW } = g;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const eb = ((b * OH + oy) * OW + ox) * C;
        for (let kh = 0; kh < k; kh++) {
          const iy = oy * stride - pad + kh;
          if (iy < 0 || iy >= H) continue;
          for (let kw = 0; kw < k; kw++) {
            const ix = ox * stride - pad + kw;
            if (ix < 0 || ix >= W) continue;
            const xb = ((b * H + iy) * W + ix) * C;
            const wb = (kh * k + kw) * C;
            if (dx) {
              for (let c = 0; c < C; c++) {
                const e = dy[eb + c]!;
                dW[wb + c] = dW[wb + c]! + x[xb + c]! * e;
                dx[xb + c] = dx[xb + c]! + wt[wb + c]! * e;
              }
            } else {
              for (let c = 0; c < C; c++) dW[wb + c] = dW[wb + c]! + x[xb + c]! * dy[eb + c]!;
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Batch norm (per channel over N·H·W, NHWC)

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/** Per-call statistics kept for the backward pass. */
export interface BnCache {
  mean: Float64Array;
  invStd: Float64Array;
  /** scratch: per-channel coefficients */
  a: Float64Array;
  b: Float64Array;
}

export function bnCache(c: number): BnCache {
  return { mean: new Float64Array(c), invStd: new Float64Array(c), a: new Float64Array(c), b: new Float64Array(c) };
}

/**
 * Training-mode batch norm over m = n·h·w positions with c channels: y = γ·(x − μ)/√(σ² + eps) + β, μ and σ²
 * (biased) from the batch. Updates the running statistics in place, PyTorch-style:
 *   runMean ← (1 − momentum)·runMean + momentum·μ,  runVar ← (1 − momentum)·runVar + momentum·σ²·m/(m − 1).
 * Pass runMean/runVar = null to leave them alone (gradient checks).
 */
export function bnForwardTrain(
  x: Float32Array,
  y: Float32Array,
  m: number,
  c: number,
  gamma: Float32Array,
  beta: Float32Array,
  runMean: Float32Array | null,
  runVar: Float32Array | null,
  cache: BnCache,
  momentum = BN_MOMENTUM,
  eps = BN_EPS,
): void {
  const { mean, invStd } = cache;
  mean.fill(0, 0, c);
  for (let p = 0; p < m; p++) {
    const b = p * c;
    for (let j = 0; j < c; j++) mean[j] = mean[j]! + x[b + j]!;
  }
  for (let j = 0; j < c; j++) mean[j] = mean[j]! / m;
  const vr = invStd; // reuse as the variance accumulator
  vr.fill(0, 0, c);
  for (let p = 0; p < m; p++) {
    const b = p * c;
    for (let j = 0; j < c; j++) {
      const d = x[b + j]! - mean[j]!;
      vr[j] = vr[j]! + d * d;
    }
  }
  for (let j = 0; j < c; j++) {
    const v = vr[j]! / m;
    if (runMean && runVar) {
      runMean[j] = (1 - momentum) * runMean[j]! + momentum * mean[j]!;
      runVar[j] = (1 - momentum) * runVar[j]! + momentum * (m > 1 ? (v * m) / (m - 1) : v);
    }
    invStd[j] = 1 / Math.sqrt(v + eps);
  }
  // y = x·a + b with a = γ·invStd, b = β − μ·a
  const { a, b: bb } = cache;
  for (let j = 0; j < c; j++) {
    a[j] = gamma[j]! * invStd[j]!;
    bb[j] = beta[j]! - mean[j]! * a[j]!;
  }
  for (let p = 0; p < m; p++) {
    const b = p * c;
    for (let j = 0; j < c; j++) y[b + j] = x[b + j]! * a[j]! + bb[j]!;
  }
}

/** Eval-mode batch norm with the running statistics. */
export function bnForwardEval(
  x: Float32Array,
  y: Float32Array,
  m: number,
  c: number,
  gamma: Float32Array,
  beta: Float32Array,
  runMean: Float32Array,
  runVar: Float32Array,
  eps = BN_EPS,
): void {
  for (let p = 0; p < m; p++) {
    const b = p * c;
    for (let j = 0; j < c; j++) y[b + j] = (gamma[j]! * (x[b + j]! - runMean[j]!)) / Math.sqrt(runVar[j]! + eps) + beta[j]!;
  }
}

/**
 * Backward of bnForwardTrain (batch statistics): with x̂ = (x − μ)·invStd,
 *   dβ += Σ dy, dγ += Σ dy·x̂, dx = γ·invStd/m · (m·dy − Σdy − x̂·Σ dy·x̂).
 */
export function bnBackward(
  x: Float32Array,
  dy: Float64Array,
  dx: Float64Array,
  m: number,
  c: number,
  gamma: Float32Array,
  cache: BnCache,
  dGamma: Float64Array,
  dBeta: Float64Array,
  sumDy: Float64Array,
  sumDyXhat: Float64Array,
): void {
  const { mean, invStd, a: A, b: B } = cache;
  sumDy.fill(0, 0, c);
  sumDyXhat.fill(0, 0, c); // first Σ dy·x, then converted
  for (let p = 0; p < m; p++) {
    const b = p * c;
    for (let j = 0; j < c; j++) {
      const e = dy[b + j]!;
      sumDy[j] = sumDy[j]! + e;
      sumDyXhat[j] = sumDyXhat[j]! + e * x[b + j]!;
    }
  }
  // Σ dy·x̂ = invStd·(Σ dy·x − μ·Σ dy);  dx = A·dy + B·x + C per channel (C kept in sumDy after use)
  for (let j = 0; j < c; j++) {
    const is = invStd[j]!;
    const sdx = is * (sumDyXhat[j]! - mean[j]! * sumDy[j]!);
    sumDyXhat[j] = sdx;
    dGamma[j] = dGamma[j]! + sdx;
    dBeta[j] = dBeta[j]! + sumDy[j]!;
    const gi = gamma[j]! * is;
    A[j] = gi;
    B[j] = (-gi * is * sdx) / m;
    sumDy[j] = (-gi * sumDy[j]!) / m - B[j]! * mean[j]!;
  }
  for (let p = 0; p < m; p++) {
    const b = p * c;
    for (let j = 0; j < c; j++) dx[b + j] = A[j]! * dy[b + j]! + B[j]! * x[b + j]! + sumDy[j]!;
  }
}

// ---------------------------------------------------------------------------------------------------------
// ReLU, global average pooling, fully connected, softmax cross-entropy

export function reluForward(x: Float32Array, y: Float32Array, len: number): void {
  for (let i = 0; i < len; i++) {
    const v = x[i]!;
    y[i] = v > 0 ? v : 0;
  }
}

/** dx = dy where the ReLU output y > 0, else 0. */
export function reluBackward(y: Float32Array, dy: Float64Array, dx: Float64Array, len: number): void {
  for (let i = 0; i < len; i++) dx[i] = y[i]! > 0 ? dy[i]! : 0;
}

/** y[b][c] = mean over the hw positions of x[b][·][c]. */
export function gapForward(x: Float32Array, y: Float32Array, n: number, hw: number, c: number, acc: Float64Array): void {
  for (let b = 0; b < n; b++) {
    acc.fill(0, 0, c);
    for (let p = 0; p < hw; p++) {
      const xb = (b * hw + p) * c;
      for (let j = 0; j < c; j++) acc[j] = acc[j]! + x[xb + j]!;
    }
    for (let j = 0; j < c; j++) y[b * c + j] = acc[j]! / hw;
  }
}

export function gapBackward(dy: Float64Array, dx: Float64Array, n: number, hw: number, c: number): void {
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < hw; p++) {
      const xb = (b * hw + p) * c;
      for (let j = 0; j < c; j++) dx[xb + j] = dy[b * c + j]! / hw;
    }
  }
}

/** y[b][o] = bias[o] + Σ_i x[b][i]·wt[i][o] (wt: in × out), i ascending. */
export function fcForward(x: Float32Array, wt: Float32Array, bias: Float32Array, y: Float32Array, n: number, inF: number, outF: number, acc: Float64Array): void {
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < outF; o++) acc[o] = bias[o]!;
    const xb = b * inF;
    for (let i = 0; i < inF; i++) {
      const v = x[xb + i]!;
      if (v === 0) continue;
      const wb = i * outF;
      for (let o = 0; o < outF; o++) acc[o] = acc[o]! + v * wt[wb + o]!;
    }
    const yb = b * outF;
    for (let o = 0; o < outF; o++) y[yb + o] = acc[o]!;
  }
}

/** Adds dL/dwt (in × out) into dWt and dL/dbias into dB; overwrites dx (n × in) if given. */
export function fcBackward(
  x: Float32Array,
  wt: Float32Array,
  dy: Float64Array,
  dWt: Float64Array,
  dB: Float64Array,
  dx: Float64Array | null,
  n: number,
  inF: number,
  outF: number,
): void {
  for (let b = 0; b < n; b++) {
    const eb = b * outF;
    for (let o = 0; o < outF; o++) dB[o] = dB[o]! + dy[eb + o]!;
    const xb = b * inF;
    for (let i = 0; i < inF; i++) {
      const v = x[xb + i]!;
      const wb = i * outF;
      let d = 0;
      for (let o = 0; o < outF; o++) {
        const e = dy[eb + o]!;
        dWt[wb + o] = dWt[wb + o]! + v * e;
        d += e * wt[wb + o]!;
      }
      if (dx) dx[xb + i] = d;
    }
  }
}

/** Softmax cross-entropy on logits (n × C): returns the summed loss; if dZ, dZ = (softmax − onehot)·scale. */
export function softmaxXent(logits: Float32Array, labels: Int32Array, n: number, C: number, dZ: Float64Array | null, scale: number): number {
  let loss = 0;
  for (let s = 0; s < n; s++) {
    const base = s * C;
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, logits[base + c]!);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[base + c]! - m);
    const y = labels[s]!;
    loss += Math.log(sum) + m - logits[base + y]!;
    if (dZ) {
      for (let c = 0; c < C; c++) {
        const p = Math.exp(logits[base + c]! - m) / sum;
        dZ[base + c] = (p - (c === y ? 1 : 0)) * scale;
      }
    }
  }
  return loss;
}
