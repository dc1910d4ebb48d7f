/**
 * Cost of one image through the integer CNN (docs/DESIGN.md §10 "Convolutions"):
 *   - macs: real multiply-accumulates (a depthwise layer's lowered zeros are not counted);
 *   - loweredMacs: what the array computes after lowering (block-diagonal zeros included);
 *   - budget term pairs (the fixed hardware schedule, over the lowered jobs, same for every setting):
 *     conventional = K·T_w·T_x per dot product, TR = ⌈K/g⌉·min(k, g·T_w)·min(d, T_x) (T = HESE term bound;
 *     with per-block budgets each output channel's dot product uses its block's k);
 *   - measured term pairs: counted by inferCnn on real data;
 *   - ACE = Σ MACs·b_w·b_x (nominal widths; TR: effective widths b_w,eff = 2·min(k, g·T_w)/g, b_x,eff = 2·min(d, T_x));
 *   - ACEv2 (every operation priced by its operand widths, PikeLPN-style):
 *       MAC               b_w·b_x                (TR: effective widths as in ACE)
 *       bias add          A        (A = accumulator width of the layer)
 *       requant multiply  (A+1)·m  (m = multiplier width; 0 for a power-of-two scale, which is a shift)
 *       shift             A+1+m
 *       clamp / ReLU      A+1+m    (one compare-and-select at the shifted width; ReLU is the clamp's lower bound)
 *       pool add          S        (S = width of the running sum), one per input value after the first of each channel
 *       float op          32·32 for a multiply, 32 for an add or compare (the float-BN reference: per output
 *                         value one multiply and one add for BN, one multiply for the scale, one compare for ReLU)
 *     and every elementwise operation is counted (`elementwise`), whether it runs in the output stage or on the host.
 */
import { convOutSize, convParts } from '../../sim/model/conv.ts';
import { bitsFor } from '../../gen/config.ts';
import { maxPrefixMagnitude } from '../../sim/model/terms.ts';
import type { LayerTerms } from '../mnist/qmlp.ts';
import { channelK, checkBlocks, convAccumulatorBound, termBound, type QConv, type Qcnn } from './qcnn.ts';

export interface Elementwise {
  biasAdds: number;
  requantMuls: number;
  shifts: number;
  clamps: number;
  poolAdds: number;
  total: number;
}

export interface LayerCost {
  name: string;
  macs: number;
  loweredMacs: number;
  budgetTermPairs: number;
  ace: number;
  aceV2Mac: number;
  aceV2Elementwise: number;
}

export interface CnnCost {
  macs: number;
  loweredMacs: number;
  budgetTermPairs: number;
  ace: number;
  /** ACEv2 of the integer model (MACs + elementwise) */
  aceV2: number;
  aceV2Mac: number;
  aceV2Elementwise: number;
  /** ACEv2 of the same model with batch norm and scales in float32 (the elementwise part priced as float ops) */
  aceV2FloatElementwise: number;
  elementwise: Elementwise;
  layers: LayerCost[];
}


/** Effective (b_w, b_x) of a setting (as workloads/mnist/sweep.ts effectiveBits). */
export function effBits(t: LayerTerms, wBits: number, xBits: number): { bw: number; bx: number } {
  if (t.mode === 'conventional') return { bw: wBits, bx: xBits };
  return { bw: (2 * Math.min(t.k, t.g * termBound(wBits))) / t.g, bx: 2 * Math.min(t.d, termBound(xBits)) };
}

/** Budget term pairs of one lowered dot product of length K. */
export function dotBudget(K: number, t: LayerTerms, wBits: number, xBits: number): number {
  const Tw = termBound(wBits);
  const Tx = termBound(xBits);
  if (t.mode === 'conventional') return K * Tw * Tx;
  return Math.ceil(K / t.g) * Math.min(t.k, t.g * Tw) * Math.min(t.d, Tx);
}

export function cnnCost(q: Qcnn, terms: readonly LayerTerms[], bundle: number): CnnCost {
  const xBits = q.opts.xBits;
  const ew: Elementwise = { biasAdds: 0, requantMuls: 0, shifts: 0, clamps: 0, poolAdds: 0, total: 0 };
  const layers: LayerCost[] = [];
  let floatEw = 0;
  let ci = 0;
  for (const L of q.layers) {
    if (L.kind === 'gap') {
      const n = L.h * L.w;
      const S = bitsFor(n * maxPrefixMagnitude(xBits, 'hese')) + 1;
      const adds = (n - 1) * L.c;
      const m = 16;
      const e = adds * S + L.c * ((S + 1) * m + 2 * (S + 1 + m));
      ew.poolAdds += adds;
      ew.requantMuls += L.c;
      ew.shifts += L.c;
      ew.clamps += L.c;
      floatEw += adds * 32 + L.c * (32 * 32 + 32);
      layers.push({ name: L.name, macs: 0, loweredMacs: 0, budgetTermPairs: 0, ace: 0, aceV2Mac: 0, aceV2Elementwise: e });
      continue;
    }
    const t = terms[ci++] as LayerTerms;
    const c = convCost(L, t, xBits, bundle);
    const outs = c.outputs;
    const A = c.accW;
    const m = L.last ? 0 : q.opts.scales.kind === 'int' ? q.opts.scales.bits : q.opts.scales.kind === 'pow2' ? 0 : 32;
    let e = outs * A; // bias add
    ew.biasAdds += outs;
    if (!L.last) {
      if (m > 0) ew.requantMuls += outs;
      ew.shifts += outs;
      ew.clamps += outs;
      e += outs * ((A + 1) * m + 2 * (A + 1 + m));
      floatEw += outs * (32 * 32 + 32 + 32 * 32 + 32); // BN multiply + add, scale multiply, ReLU compare
    } else floatEw += outs * 32;
    layers.push({ name: L.name, macs: c.macs, loweredMacs: c.loweredMacs, budgetTermPairs: c.budget, ace: c.ace, aceV2Mac: c.ace, aceV2Elementwise: e });
  }
  ew.total = ew.biasAdds + ew.requantMuls + ew.shifts + ew.clamps + ew.poolAdds;
  const sum = (f: (l: LayerCost) => number): number => layers.reduce((s, l) => s + f(l), 0);
  const aceV2Mac = sum((l) => l.aceV2Mac);
  const aceV2Elementwise = sum((l) => l.aceV2Elementwise);
  return {
    macs: sum((l) => l.macs),
    loweredMacs: sum((l) => l.loweredMacs),
    budgetTermPairs: sum((l) => l.budgetTermPairs),
    ace: sum((l) => l.ace),
    aceV2: aceV2Mac + aceV2Elementwise,
    aceV2Mac,
    aceV2Elementwise,
    aceV2FloatElementwise: aceV2Mac + floatEw,
    elementwise: ew,
    layers,
  };
}

/** Per conv layer: MACs, lowered MACs, budget term pairs, ACE (effective widths for TR), outputs, accumulator width. */
export function convCost(L: QConv, t: LayerTerms, xBits: number, bundle: number): { macs: number; loweredMacs: number; budget: number; ace: number; outputs: number; accW: number } {
  const { outH, outW } = convOutSize(L.geom);
  const pix = outH * outW;
  const I = L.geom.inC / L.geom.groups;
  const macs = pix * L.geom.outC * I * L.geom.kh * L.geom.kw;
  let lowered = 0;
  let budget = 0;
  for (const p of convParts(L.geom, bundle)) {
    lowered += pix * p.outC * p.K;
    if (t.mode === 'tr' && t.blocks) for (let o = p.o0; o < p.o0 + p.outC; o++) budget += pix * dotBudget(p.K, { ...t, k: channelK(t, o) }, L.wBits, xBits);
    else budget += pix * p.outC * dotBudget(p.K, t, L.wBits, xBits);
  }
  const accW = bitsFor(convAccumulatorBound(L, xBits)) + 1;
  let ace: number;
  if (t.mode === 'tr' && t.blocks) {
    // per-block budgets: each output channel's MACs at its own effective weight width
    checkBlocks(t, L.geom.outC, L.name);
    ace = 0;
    for (let o = 0; o < L.geom.outC; o++) {
      const { bw, bx } = effBits({ ...t, k: channelK(t, o) }, L.wBits, xBits);
      ace += (macs / L.geom.outC) * bw * bx;
    }
  } else {
    const { bw, bx } = effBits(t, L.wBits, xBits);
    ace = macs * bw * bx;
  }
  return { macs, loweredMacs: lowered, budget, ace, outputs: pix * L.geom.outC, accW };
}
