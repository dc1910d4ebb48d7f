/**
 * Mixed precision for TR: per-layer weight budgets k_l (fractional bits k_l/g per weight, in the spirit of
 * FracBits) chosen by a search under a total term-pair target.
 *
 * The search only sees an evaluator (allocation → validation loss, accuracy, term pairs per sample), so it is
 * independent of MNIST and testable with synthetic objectives. Algorithm:
 *   1. greedy descent from `start`: at each step, try lowering each layer's k by one and take the move with the
 *      smallest loss increase per term pair saved (Δloss/Δcost; moves that save nothing are skipped), until the
 *      cost is at or below the smallest target or no move is left. The path is shared by all targets: for each
 *      target the first state on the path with cost ≤ target is the greedy allocation;
 *   2. local refinement per target, starting from the state with the lowest loss among the greedy state and the
 *      feasible `extraStarts` (e.g. the uniform allocation that defines the target): moves that raise one layer's k by 1 and lower another's by 1 (or lower one
 *      layer by 1) are accepted when they keep cost ≤ target and lower the validation loss; repeated until
 *      no move improves or `refineIters` rounds are done.
 * Every evaluation is memoized by allocation.
 */

export interface Evaluation {
  /** validation loss (the objective) */
  loss: number;
  accuracy: number;
  /** term pairs per sample */
  cost: number;
}

export interface Candidate extends Evaluation {
  ks: number[];
}

export interface SearchOptions {
  kMin: number;
  kMax: number;
  start: readonly number[];
  /** term-pair targets per sample */
  targets: readonly number[];
  refineIters: number;
  /** further allocations (e.g. the uniform ones); refinement starts from the best feasible of these and the greedy state */
  extraStarts?: readonly (readonly number[])[];
  onEval?: (c: Candidate, evaluations: number) => void;
}

export interface TargetResult {
  target: number;
  /** first greedy-path state under the target (null if the path never got there) */
  greedy: Candidate | null;
  /** after refinement */
  found: Candidate | null;
}

export interface SearchResult {
  path: Candidate[];
  results: TargetResult[];
  evaluations: number;
}

export function searchAllocation(evaluate: (ks: readonly number[]) => Evaluation, opts: SearchOptions): SearchResult {
  const { kMin, kMax } = opts;
  if (!(Number.isInteger(kMin) && Number.isInteger(kMax) && kMin >= 0 && kMax >= kMin)) throw new RangeError(`bad k range ${kMin}..${kMax}`);
  if (opts.start.some((k) => !Number.isInteger(k) || k < kMin || k > kMax)) throw new RangeError(`start ${opts.start.join(',')} outside ${kMin}..${kMax}`);
  const memo = new Map<string, Candidate>();
  const ev = (ks: readonly number[]): Candidate => {
    const key = ks.join(',');
    let c = memo.get(key);
    if (!c) {
      c = { ks: ks.slice(), ...evaluate(ks) };
      memo.set(key, c);
      opts.onEval?.(c, memo.size);
    }
    return c;
  };
  const minTarget = Math.min(...opts.targets);
  let cur = ev(opts.start);
  const path: Candidate[] = [cur];
  while (cur.cost > minTarget) {
    let best: Candidate | null = null;
    let bestScore = Infinity;
    for (let l = 0; l < cur.ks.length; l++) {
      if ((cur.ks[l] as number) <= kMin) continue;
      const ks = cur.ks.slice();
      ks[l] = (ks[l] as number) - 1;
      const c = ev(ks);
      const saved = cur.cost - c.cost;
      if (!(saved > 0)) continue;
      const score = (c.loss - cur.loss) / saved;
      if (score < bestScore) {
        bestScore = score;
        best = c;
      }
    }
    if (!best) break;
    cur = best;
    path.push(cur);
  }
  const results = opts.targets.map((target): TargetResult => {
    const greedy = path.find((c) => c.cost <= target) ?? null;
    const starts = [...(greedy ? [greedy] : []), ...(opts.extraStarts ?? []).map(ev).filter((c) => c.cost <= target)];
    if (starts.length === 0) return { target, greedy, found: null };
    let found = starts.reduce((a, b) => (b.loss < a.loss ? b : a));
    for (let it = 0; it < opts.refineIters; it++) {
      let improved: Candidate | null = null;
      for (const ks of neighbours(found.ks, kMin, kMax)) {
        const c = ev(ks);
        if (c.cost <= target && c.loss < (improved ?? found).loss) improved = c;
      }
      if (!improved) break;
      found = improved;
    }
    return { target, greedy, found };
  });
  return { path, results, evaluations: memo.size };
}

/** Refinement moves: +1 on one layer with −1 on another, or −1 on one layer. */
export function neighbours(ks: readonly number[], kMin: number, kMax: number): number[][] {
  const out: number[][] = [];
  const n = ks.length;
  for (let a = 0; a < n; a++) {
    if ((ks[a] as number) - 1 >= kMin) {
      const m = ks.slice();
      m[a] = (m[a] as number) - 1;
      out.push(m);
    }
    for (let b = 0; b < n; b++) {
      if (a === b || (ks[a] as number) + 1 > kMax) continue;
      for (const dec of [1]) {
        if ((ks[b] as number) - dec < kMin) continue;
        const m = ks.slice();
        m[a] = (m[a] as number) + 1;
        m[b] = (m[b] as number) - dec;
        out.push(m);
      }
    }
  }
  return out;
}
