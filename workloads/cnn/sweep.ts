/**
 * Operating points of the integer CNN: accuracy on a sample set plus the cost of one image (cost.ts), a cache
 * of prepared layers, and the matched-accuracy comparison of QT and TR points by fixed-schedule term pairs
 * (what the array's cycles follow), with the measured term pairs next to it.
 */
import { searchAllocation } from '../mnist/mixed.ts';
import type { LayerTerms } from '../mnist/qmlp.ts';
import { type CnnCost, cnnCost } from './cost.ts';
import { budgetsToTerms, fracCost } from './fracbits.ts';
import { type PreparedConv, type Qcnn, convLayers, evaluateQcnn, prepareConv } from './qcnn.ts';

export type Series = 'qt' | 'tr' | 'dhq' | 'qat-tr' | 'fracbits-tr' | 'greedy-tr' | 'uniform-tr';

export interface CnnPoint {
  series: Series;
  label: string;
  wBits: number[];
  terms: LayerTerms[];
  accuracy: number;
  correct: number;
  samples: number;
  /** measured term pairs per image */
  termPairs: number;
  layerTermPairs: number[];
  cost: CnnCost;
}

export type Samples = readonly { pixels: Float32Array; label: number }[];

/** Prepared conv layers cached per (layer, g, k or per-block ks); d only changes the data cap. */
export class PreparedCnnCache {
  private readonly memo = new Map<string, PreparedConv>();
  constructor(
    readonly q: Qcnn,
    readonly bundle: number,
  ) {}
  layers(terms: readonly LayerTerms[]): PreparedConv[] {
    const convs = convLayers(this.q);
    if (terms.length !== convs.length) throw new RangeError(`${terms.length} settings for ${convs.length} conv layers`);
    return convs.map((L, l) => {
      const t = terms[l] as LayerTerms;
      const key = `${l}/${t.mode === 'tr' ? `${t.g}/${t.blocks ? `b${t.blocks.c}:${t.blocks.k.join(',')}` : t.k}` : 'conv'}`;
      let p = this.memo.get(key);
      if (!p) {
        p = prepareConv(L, t.mode === 'tr' ? { ...t, d: 1 } : t, this.bundle);
        this.memo.set(key, p);
      }
      return t.mode === 'tr' ? { ...p, d: t.d } : p;
    });
  }
}

export function evaluateCnnPoint(cache: PreparedCnnCache, samples: Samples, series: Series, label: string, terms: readonly LayerTerms[]): CnnPoint {
  const q = cache.q;
  const r = evaluateQcnn(q, cache.layers(terms), samples);
  return {
    series,
    label,
    wBits: convLayers(q).map((L) => L.wBits),
    terms: terms.map((t) => ({ ...t })),
    accuracy: r.accuracy,
    correct: r.correct,
    samples: r.samples,
    termPairs: r.termPairsPerSample,
    layerTermPairs: r.layerTermPairsPerSample,
    cost: cnnCost(q, terms, cache.bundle),
  };
}

export interface CnnMatch {
  qt: string;
  qtAccuracy: number;
  qtBudget: number;
  qtTermPairs: number;
  /** the TR point with the smallest budget among those with accuracy ≥ QT accuracy − tolerance; null if none */
  tr: string | null;
  trAccuracy?: number;
  trBudget?: number;
  trTermPairs?: number;
  /** QT / TR fixed-schedule term pairs (the target ratio) */
  ratioBudget?: number;
  /** QT / TR measured term pairs */
  ratioMeasured?: number;
}

/** Matched accuracy by fixed-schedule budget (ties to the higher accuracy, then the earlier point). */
export function matchByBudget(qt: readonly CnnPoint[], tr: readonly CnnPoint[], tolerance: number): CnnMatch[] {
  return qt.map((p) => {
    let best: CnnPoint | null = null;
    for (const t of tr) {
      if (t.accuracy < p.accuracy - tolerance - 1e-12) continue;
      if (!best || t.cost.budgetTermPairs < best.cost.budgetTermPairs || (t.cost.budgetTermPairs === best.cost.budgetTermPairs && t.accuracy > best.accuracy)) best = t;
    }
    const m: CnnMatch = { qt: p.label, qtAccuracy: p.accuracy, qtBudget: p.cost.budgetTermPairs, qtTermPairs: p.termPairs, tr: best?.label ?? null };
    if (best) {
      m.trAccuracy = best.accuracy;
      m.trBudget = best.cost.budgetTermPairs;
      m.trTermPairs = best.termPairs;
      m.ratioBudget = p.cost.budgetTermPairs / best.cost.budgetTermPairs;
      m.ratioMeasured = p.termPairs / best.termPairs;
    }
    return m;
  });
}

/**
 * The greedy budget search (post-training): per-layer budgets k in [1, 16] at g, d whose fixed-schedule term
 * pairs (slopes · k) stay within those of the uniform budget ku, scored by the loss on `val`; started from
 * ku + 2 everywhere and from the uniform allocation. Falls back to uniform if nothing is found.
 */
export function greedyBudgets(cache: PreparedCnnCache, val: Samples, slopes: readonly number[], ku: number, g: number, d: number, refineIters: number, onEval?: (ks: readonly number[], loss: number, n: number) => void): number[] {
  const K_MIN = 1;
  const K_MAX = 16;
  const target = fracCost(slopes.map(() => ku), slopes);
  const search = searchAllocation(
    (ks) => {
      const r = evaluateQcnn(cache.q, cache.layers(budgetsToTerms(ks, g, d)), val);
      return { loss: r.loss, accuracy: r.accuracy, cost: fracCost(ks, slopes) };
    },
    {
      kMin: K_MIN,
      kMax: K_MAX,
      start: slopes.map(() => Math.min(K_MAX, ku + 2)),
      targets: [target],
      refineIters,
      extraStarts: [slopes.map(() => ku)],
      onEval: onEval && ((c, n) => onEval(c.ks, c.loss, n)),
    },
  );
  return search.results[0]?.found?.ks ?? slopes.map(() => ku);
}
