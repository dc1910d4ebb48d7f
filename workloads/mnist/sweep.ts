/**
 * Accuracy-vs-cost sweep of the quantized MNIST MLP: cost model (term pairs, ACE, elementwise ops), one
 * evaluated operating point, and the matched-accuracy comparison of QT and TR points.
 *
 * Cost definitions (per sample):
 *   - term pairs (measured): Σ over MACs of (kept weight terms) × (kept data terms), counted by inferQ on the
 *     actual data (zero values have no terms). QT counts all HESE terms (binary-encoding counts for reference).
 *   - budget term pairs (the fixed hardware schedule): conventional = MACs·T_w·T_x (T = max HESE terms of the
 *     width); TR = per group of g MACs min(k, g·T_w)·min(d, T_x).
 *   - ACE = Σ MACs·b_w·b_x (sim/model/cost.ts ace). For TR an effective-bit ACE: b_w,eff = 2·min(k, g·T_w)/g,
 *     b_x,eff = 2·min(d, T_x): a b-bit value has at most ⌊(b−1)/2⌋+1 HESE terms, so one HESE term stands for
 *     two bits and the effective width of a term budget t is 2t (for QT, b_w and b_x are the real widths).
 *   - elementwise ops (ACEv2-style, counted separately): bias adds, requant multiplies (0 for power-of-two
 *     scales), shifts, clamps (saturation) and ReLUs of the output stage; the last layer has bias adds only
 *     (its argmax is not counted).
 */
import { ace } from '../../sim/model/cost.ts';
import { maxTerms } from '../../sim/model/terms.ts';
import { type LayerTerms, type PreparedLayer, type QMlp, evaluateQ, prepareLayer } from './qmlp.ts';

export interface Elementwise {
  biasAdds: number;
  requantMuls: number;
  shifts: number;
  clamps: number;
  relus: number;
  total: number;
}

export interface Cost {
  /** measured term pairs per sample (HESE) */
  termPairs: number;
  layerTermPairs: number[];
  /** measured term pairs per sample with binary encoding (QT points only) */
  termPairsBinary?: number;
  /** fixed-schedule bound per sample */
  budgetTermPairs: number;
  macs: number;
  /** Σ MACs·b_w·b_x with the nominal widths */
  ace: number;
  /** Σ MACs·b_w,eff·b_x,eff (equals ace for conventional layers) */
  aceEff: number;
  elementwise: Elementwise;
}

export type Series = 'qt' | 'qt-wx' | 'tr' | 'mixed' | 'uniform';

export interface Point {
  series: Series;
  label: string;
  wBits: number;
  xBits: number;
  terms: LayerTerms[];
  accuracy: number;
  correct: number;
  samples: number;
  cost: Cost;
}

export function layerMacs(q: QMlp): number[] {
  return q.layers.map((L) => L.inDim * L.outDim);
}

/** Effective (b_w, b_x) of a layer setting (see the file comment). */
export function effectiveBits(t: LayerTerms, wBits: number, xBits: number): { bw: number; bx: number } {
  if (t.mode === 'conventional') return { bw: wBits, bx: xBits };
  const Tw = maxTerms(wBits, 'hese');
  const Tx = maxTerms(xBits, 'hese');
  return { bw: (2 * Math.min(t.k, t.g * Tw)) / t.g, bx: 2 * Math.min(t.d, Tx) };
}

/** Fixed-schedule term pairs per sample. */
export function budgetTermPairs(q: QMlp, terms: readonly LayerTerms[]): number {
  const Tw = maxTerms(q.opts.wBits, 'hese');
  const Tx = maxTerms(q.opts.xBits, 'hese');
  return q.layers.reduce((s, L, l) => {
    const t = terms[l] as LayerTerms;
    if (t.mode === 'conventional') return s + L.inDim * L.outDim * Tw * Tx;
    return s + L.outDim * Math.ceil(L.inDim / t.g) * Math.min(t.k, t.g * Tw) * Math.min(t.d, Tx);
  }, 0);
}

export function elementwiseOps(q: QMlp): Elementwise {
  const e: Elementwise = { biasAdds: 0, requantMuls: 0, shifts: 0, clamps: 0, relus: 0, total: 0 };
  q.layers.forEach((L, l) => {
    e.biasAdds += L.outDim;
    if (l === q.layers.length - 1) return;
    if (q.opts.mulBits !== 0) e.requantMuls += L.outDim;
    e.shifts += L.outDim;
    e.clamps += L.outDim;
    if (L.relu) e.relus += L.outDim;
  });
  e.total = e.biasAdds + e.requantMuls + e.shifts + e.clamps + e.relus;
  return e;
}

/** Static cost parts (everything but the measured term pairs). */
export function staticCost(q: QMlp, terms: readonly LayerTerms[]): Omit<Cost, 'termPairs' | 'layerTermPairs'> {
  const macs = layerMacs(q);
  let aceNom = 0;
  let aceEff = 0;
  macs.forEach((m, l) => {
    aceNom += ace(m, q.opts.wBits, q.opts.xBits);
    const { bw, bx } = effectiveBits(terms[l] as LayerTerms, q.opts.wBits, q.opts.xBits);
    aceEff += m * bw * bx;
  });
  return { budgetTermPairs: budgetTermPairs(q, terms), macs: macs.reduce((a, b) => a + b, 0), ace: aceNom, aceEff, elementwise: elementwiseOps(q) };
}

export type Samples = readonly { pixels: Float32Array; label: number }[];

/** Prepared layers cached per (layer, setting); a prepared layer's weights do not depend on d. */
export class PreparedCache {
  private readonly memo = new Map<string, PreparedLayer>();
  constructor(readonly q: QMlp) {}
  get(l: number, t: LayerTerms, encoding: 'hese' | 'binary' = 'hese'): PreparedLayer {
    const key = `${l}/${t.mode === 'tr' ? `${t.g}/${t.k}` : 'conv'}/${encoding}`;
    let p = this.memo.get(key);
    if (!p) {
      p = prepareLayer(this.q.layers[l]!, this.q.opts.wBits, t.mode === 'tr' ? { ...t, d: 1 } : t, encoding);
      this.memo.set(key, p);
    }
    return t.mode === 'tr' ? { ...p, d: t.d } : p;
  }
  layers(terms: readonly LayerTerms[], encoding: 'hese' | 'binary' = 'hese'): PreparedLayer[] {
    return this.q.layers.map((_, l) => this.get(l, terms[l] as LayerTerms, encoding));
  }
}

/** Evaluate one operating point on `samples`. */
export function evaluatePoint(
  cache: PreparedCache,
  samples: Samples,
  series: Series,
  label: string,
  terms: readonly LayerTerms[],
  opts: { binary?: boolean } = {},
): Point {
  const q = cache.q;
  const r = evaluateQ(q, cache.layers(terms), samples);
  const cost: Cost = { termPairs: r.termPairsPerSample, layerTermPairs: r.layerTermPairsPerSample, ...staticCost(q, terms) };
  if (opts.binary) cost.termPairsBinary = evaluateQ(q, cache.layers(terms, 'binary'), samples).termPairsPerSample;
  return {
    series,
    label,
    wBits: q.opts.wBits,
    xBits: q.opts.xBits,
    terms: terms.map((t) => ({ ...t })),
    accuracy: r.accuracy,
    correct: Math.round(r.accuracy * samples.length),
    samples: samples.length,
    cost,
  };
}

export interface Match {
  qt: string;
  qtAccuracy: number;
  qtTermPairs: number;
  qtTermPairsBinary?: number;
  qtBudget: number;
  /** cheapest (measured term pairs) TR point with accuracy ≥ qt accuracy − tolerance; null if none */
  tr: string | null;
  trAccuracy?: number;
  trTermPairs?: number;
  trBudget?: number;
  /** qt / tr measured term pairs (HESE) */
  ratio?: number;
  /** qt (binary encoding) / tr measured term pairs */
  ratioBinary?: number;
  /** qt / tr fixed-schedule term pairs */
  ratioBudget?: number;
}

/**
 * Matched-accuracy comparison: for each QT point, the TR point with the fewest measured term pairs among those
 * with accuracy ≥ QT accuracy − tolerance (tolerance in accuracy units, e.g. 0.001 = 0.1 pp; ties on cost go
 * to the higher accuracy, then to the earlier point).
 */
export function matchedComparison(qt: readonly Point[], tr: readonly Point[], tolerance: number): Match[] {
  return qt.map((p) => {
    let best: Point | null = null;
    for (const t of tr) {
      if (t.accuracy < p.accuracy - tolerance - 1e-12) continue;
      if (!best || t.cost.termPairs < best.cost.termPairs || (t.cost.termPairs === best.cost.termPairs && t.accuracy > best.accuracy)) best = t;
    }
    const m: Match = { qt: p.label, qtAccuracy: p.accuracy, qtTermPairs: p.cost.termPairs, qtBudget: p.cost.budgetTermPairs, tr: best ? best.label : null };
    if (p.cost.termPairsBinary !== undefined) m.qtTermPairsBinary = p.cost.termPairsBinary;
    if (best) {
      m.trAccuracy = best.accuracy;
      m.trTermPairs = best.cost.termPairs;
      m.trBudget = best.cost.budgetTermPairs;
      m.ratio = p.cost.termPairs / best.cost.termPairs;
      if (p.cost.termPairsBinary !== undefined) m.ratioBinary = p.cost.termPairsBinary / best.cost.termPairs;
      m.ratioBudget = p.cost.budgetTermPairs / best.cost.budgetTermPairs;
    }
    return m;
  });
}

/** Short label of a per-layer setting list. */
export function termsLabel(terms: readonly LayerTerms[]): string {
  const one = (t: LayerTerms): string => (t.mode === 'tr' ? `g${t.g}/k${t.k}/d${t.d}` : 'exact');
  const all = terms.map(one);
  return all.every((s) => s === all[0]) ? (all[0] as string) : all.join(' · ');
}
