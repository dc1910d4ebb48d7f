/**
 * Convolutions lowered onto the array's matrix jobs (docs/DESIGN.md §10 "Convolutions").
 *
 * Tensors are integer activations in HWC order (channel fastest): x[(y·W + x)·C + c]. Weights are OIHW with
 * I = C_in / groups: w[((o·I + i)·kh + ky)·kw + kx].
 *
 * A conv output pixel is one dot product per output channel over the reduction vector of its patch. The
 * reduction index is tap-major, channel-minor:  r = (ky·kw + kx)·I + i  (i = channel within the group), so a
 * TR group of g consecutive reduction values is g consecutive input channels at one kernel tap whenever g
 * divides I (the grouping of the original term-revealing code); with I < g (the first layer's single input
 * channel) a group spans taps. Zero padding contributes data value 0 (no terms).
 *
 * Grouped and depthwise convolutions (groups > 1) are lowered as block-diagonal dense jobs: a *part* bundles
 * `bundle` consecutive groups; its reduction vector holds the patches of the part's input channels (tap-major,
 * then group, then channel within the group) and output channel o of group j has zero weights outside group
 * j's block. Bundling by the array's column count keeps every column busy with one group each; the zeros cost
 * schedule slots (see workloads/cnn/cost.ts) but no term pairs.
 *
 * The TR semantics of a conv layer are defined by this lowering (the matrix job's rows are what the array
 * groups); convDirect is the exact reference the lowering is checked against in conventional mode.
 */

export interface ConvGeom {
  inH: number;
  inW: number;
  inC: number;
  outC: number;
  kh: number;
  kw: number;
  stride: number;
  pad: number;
  /** 1 = dense; inC = outC = groups for depthwise */
  groups: number;
}

export interface ConvPart {
  /** first group of the part and number of groups in it */
  g0: number;
  nGroups: number;
  /** output channels [o0, o0 + outC) */
  o0: number;
  outC: number;
  /** input channels [c0, c0 + inC) */
  c0: number;
  inC: number;
  /** reduction length of the part's matrix job */
  K: number;
}

function checkInt(v: number, min: number, what: string): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${what} must be an integer ≥ ${min}, got ${v}`);
}

export function checkGeom(g: ConvGeom): void {
  checkInt(g.inH, 1, 'inH');
  checkInt(g.inW, 1, 'inW');
  checkInt(g.inC, 1, 'inC');
  checkInt(g.outC, 1, 'outC');
  checkInt(g.kh, 1, 'kh');
  checkInt(g.kw, 1, 'kw');
  checkInt(g.stride, 1, 'stride');
  checkInt(g.pad, 0, 'pad');
  checkInt(g.groups, 1, 'groups');
  if (g.inC % g.groups !== 0 || g.outC % g.groups !== 0) throw new RangeError(`groups ${g.groups} must divide inC ${g.inC} and outC ${g.outC}`);
  const { outH, outW } = convOutSize(g);
  if (outH < 1 || outW < 1) throw new RangeError(`kernel ${g.kh}x${g.kw} with pad ${g.pad} does not fit the ${g.inH}x${g.inW} input`);
}

export function convOutSize(g: ConvGeom): { outH: number; outW: number } {
  return { outH: Math.floor((g.inH + 2 * g.pad - g.kh) / g.stride) + 1, outW: Math.floor((g.inW + 2 * g.pad - g.kw) / g.stride) + 1 };
}

/** Reduction length of one group (dense: the whole layer). */
export const groupK = (g: ConvGeom): number => g.kh * g.kw * (g.inC / g.groups);

/** The parts of a layer: one for a dense conv, ⌈groups / bundle⌉ block-diagonal bundles otherwise. */
export function convParts(g: ConvGeom, bundle = 1): ConvPart[] {
  checkGeom(g);
  checkInt(bundle, 1, 'bundle');
  const I = g.inC / g.groups;
  const O = g.outC / g.groups;
  const nb = g.groups === 1 ? g.groups : bundle;
  const parts: ConvPart[] = [];
  for (let g0 = 0; g0 < g.groups; g0 += nb) {
    const n = Math.min(nb, g.groups - g0);
    parts.push({ g0, nGroups: n, o0: g0 * O, outC: n * O, c0: g0 * I, inC: n * I, K: g.kh * g.kw * n * I });
  }
  return parts;
}

/**
 * Reduction vector of output pixel (oy, ox) for a part: index ((ky·kw + kx)·nGroups + j)·I + i holds input
 * channel c0 + j·I + i at tap (ky, kx) (for a dense conv: (ky·kw + kx)·C + c).
 */
export function patchRow(x: ArrayLike<number>, g: ConvGeom, part: ConvPart, oy: number, ox: number): number[] {
  const row = new Array<number>(part.K).fill(0);
  const y0 = oy * g.stride - g.pad;
  const x0 = ox * g.stride - g.pad;
  for (let ky = 0; ky < g.kh; ky++) {
    const yy = y0 + ky;
    if (yy < 0 || yy >= g.inH) continue;
    for (let kx = 0; kx < g.kw; kx++) {
      const xx = x0 + kx;
      if (xx < 0 || xx >= g.inW) continue;
      const src = (yy * g.inW + xx) * g.inC + part.c0;
      const dst = (ky * g.kw + kx) * part.inC;
      for (let c = 0; c < part.inC; c++) row[dst + c] = x[src + c] as number;
    }
  }
  return row;
}

/** All reduction vectors of a part, one per output pixel in raster order (N = outH·outW rows). */
export function im2col(x: ArrayLike<number>, g: ConvGeom, part: ConvPart): number[][] {
  if (x.length !== g.inH * g.inW * g.inC) throw new RangeError(`input has ${x.length} values, expected ${g.inH}x${g.inW}x${g.inC}`);
  const { outH, outW } = convOutSize(g);
  const rows: number[][] = [];
  for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++) rows.push(patchRow(x, g, part, oy, ox));
  return rows;
}

/** The part's weight matrix (part.outC × part.K) in the reduction order of patchRow; zeros off the block diagonal. */
export function weightMatrix(w: ArrayLike<number>, g: ConvGeom, part: ConvPart): number[][] {
  const I = g.inC / g.groups;
  const O = g.outC / g.groups;
  if (w.length !== g.outC * I * g.kh * g.kw) throw new RangeError(`weights have ${w.length} values, expected ${g.outC}x${I}x${g.kh}x${g.kw}`);
  const W: number[][] = [];
  for (let oo = 0; oo < part.outC; oo++) {
    const o = part.o0 + oo;
    const j = Math.floor(oo / O); // group within the part
    const row = new Array<number>(part.K).fill(0);
    for (let ky = 0; ky < g.kh; ky++) {
      for (let kx = 0; kx < g.kw; kx++) {
        for (let i = 0; i < I; i++) row[((ky * g.kw + kx) * part.nGroups + j) * I + i] = w[((o * I + i) * g.kh + ky) * g.kw + kx] as number;
      }
    }
    W.push(row);
  }
  return W;
}

/** Exact integer convolution, HWC output (outH·outW·outC accumulators): the reference for the lowering. */
export function convDirect(x: ArrayLike<number>, w: ArrayLike<number>, g: ConvGeom): number[] {
  checkGeom(g);
  const { outH, outW } = convOutSize(g);
  const I = g.inC / g.groups;
  const O = g.outC / g.groups;
  const out = new Array<number>(outH * outW * g.outC).fill(0);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let o = 0; o < g.outC; o++) {
        const grp = Math.floor(o / O);
        let s = 0;
        for (let i = 0; i < I; i++) {
          const c = grp * I + i;
          for (let ky = 0; ky < g.kh; ky++) {
            const yy = oy * g.stride - g.pad + ky;
            if (yy < 0 || yy >= g.inH) continue;
            for (let kx = 0; kx < g.kw; kx++) {
              const xx = ox * g.stride - g.pad + kx;
              if (xx < 0 || xx >= g.inW) continue;
              s += (x[(yy * g.inW + xx) * g.inC + c] as number) * (w[((o * I + i) * g.kh + ky) * g.kw + kx] as number);
            }
          }
        }
        out[(oy * outW + ox) * g.outC + o] = s;
      }
    }
  }
  return out;
}

/** Scatter a part's results (N pixels × part.outC, raster order) into the layer's HWC output. */
export function scatterPart(out: number[] | Int32Array, rows: readonly (readonly number[])[], g: ConvGeom, part: ConvPart): void {
  for (let p = 0; p < rows.length; p++) {
    const r = rows[p] as readonly number[];
    for (let oo = 0; oo < part.outC; oo++) out[p * g.outC + part.o0 + oo] = r[oo] as number;
  }
}

/** Integer global sum pooling of an HWC tensor: one sum per channel (the average's scale goes into the next requantization). */
export function globalSumPool(x: ArrayLike<number>, h: number, w: number, c: number): number[] {
  if (x.length !== h * w * c) throw new RangeError(`input has ${x.length} values, expected ${h}x${w}x${c}`);
  const s = new Array<number>(c).fill(0);
  for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) s[ch] = (s[ch] as number) + (x[p * c + ch] as number);
  return s;
}
