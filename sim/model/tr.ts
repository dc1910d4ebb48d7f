/**
 * Term revealing (docs/DESIGN.md §4 "Group term revealing").
 */
import {
  capTerms,
  checkIntAtLeast,
  checkTerm,
  checkValue,
  encode,
  termsValue,
  type Encoding,
  type Term,
} from './terms.ts';

/**
 * Greedy group budget: repeat k times: among the values' next unused (most significant remaining) terms,
 * pick the one with the largest |term| (largest exp), ties to the lowest index; stop when none remain.
 * Each input list must be most significant first (strictly decreasing exp). Returns per value the kept
 * prefix of its list (fresh arrays), most significant first.
 */
export function revealGroup(termLists: readonly (readonly Term[])[], k: number): Term[][] {
  checkIntAtLeast(k, 0, 'group budget k');
  for (const [i, ts] of termLists.entries()) {
    for (let j = 0; j < ts.length; j++) {
      checkTerm(ts[j]!);
      if (j > 0 && ts[j]!.exp >= ts[j - 1]!.exp) {
        throw new RangeError(`term list ${i} is not most significant first (strictly decreasing exp)`);
      }
    }
  }
  const used = termLists.map(() => 0);
  for (let step = 0; step < k; step++) {
    let best = -1;
    let bestExp = -1;
    for (let i = 0; i < termLists.length; i++) {
      const next = termLists[i]![used[i]!];
      if (next !== undefined && next.exp > bestExp) {
        // strict '>' keeps the lowest index on ties
        best = i;
        bestExp = next.exp;
      }
    }
    if (best < 0) break; // no terms remain
    used[best]!++;
  }
  return termLists.map((ts, i) => capTerms(ts, used[i]!));
}

export interface TrSpec {
  /** group size along the reduction dimension (≥ 1) */
  g: number;
  /** term budget per group (≥ 0) */
  k: number;
  /** optional per-value cap applied before revealing (≥ 1) */
  d?: number;
  /** default 'hese' */
  encoding?: Encoding;
}

/** Number of groups of g covering K values: ceil(K/g). */
export function groupCount(K: number, g: number): number {
  checkIntAtLeast(K, 0, 'K');
  checkIntAtLeast(g, 1, 'group size g');
  return Math.ceil(K / g);
}

/**
 * Encode each value (checked against bits), apply the optional per-value cap d, then reveal each group of g
 * consecutive values with budget k. A last partial group is padded with zeros (which have no terms and so
 * never take budget); the padding is dropped from the result.
 */
export function revealVector(
  values: readonly number[],
  bits: number,
  spec: TrSpec,
): { terms: Term[][]; values: number[] } {
  const { g, k, d } = spec;
  const enc: Encoding = spec.encoding ?? 'hese';
  checkIntAtLeast(g, 1, 'group size g');
  checkIntAtLeast(k, 0, 'group budget k');
  if (d !== undefined) checkIntAtLeast(d, 1, 'per-value cap d');
  for (const v of values) checkValue(v, bits);
  const terms: Term[][] = [];
  const n = groupCount(values.length, g);
  for (let gi = 0; gi < n; gi++) {
    const group: Term[][] = [];
    for (let j = 0; j < g; j++) {
      const idx = gi * g + j;
      const v = idx < values.length ? values[idx]! : 0; // zero padding
      const ts = encode(v, enc);
      group.push(d === undefined ? ts : capTerms(ts, d));
    }
    const kept = revealGroup(group, k);
    for (let j = 0; j < g && gi * g + j < values.length; j++) terms.push(kept[j]!);
  }
  return { terms, values: terms.map(termsValue) };
}
