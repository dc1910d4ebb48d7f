/**
 * Dot products as the hardware computes them ("w" = weights, "x" = data/activations).
 * Conventional mode is exact; TR mode gives weights the group budget k per g values (offline) and data the
 * per-value cap d (at the array edge).
 */
import {
  capTerms,
  checkBits,
  checkEncoding,
  checkIntAtLeast,
  checkSafeInteger,
  checkTerm,
  checkValue,
  encode,
  type Encoding,
  type Term,
} from './terms.ts';
import { revealVector } from './tr.ts';

export interface DotSpec {
  mode: 'conventional' | 'tr';
  /** group size (≥ 1) */
  g: number;
  /** weight term budget per group (≥ 0) */
  k: number;
  /** data per-value term cap (≥ 1) */
  d: number;
  wBits: number;
  xBits: number;
  /** default 'hese' */
  encoding?: Encoding;
}

/** Throws RangeError on any malformed field (all fields are validated in both modes). */
export function checkDotSpec(spec: DotSpec): void {
  if (spec.mode !== 'conventional' && spec.mode !== 'tr') {
    throw new RangeError(`mode must be 'conventional' or 'tr', got ${String(spec.mode)}`);
  }
  checkIntAtLeast(spec.g, 1, 'group size g');
  checkIntAtLeast(spec.k, 0, 'group budget k');
  checkIntAtLeast(spec.d, 1, 'per-value cap d');
  checkBits(spec.wBits);
  checkBits(spec.xBits);
  checkEncoding(spec.encoding ?? 'hese');
}

function checkSameLength(a: readonly unknown[], b: readonly unknown[], what: string): void {
  if (a.length !== b.length) throw new RangeError(`${what}: length mismatch ${a.length} vs ${b.length}`);
}

/** Exact integer dot product (throws if any partial sum leaves the safe-integer range). */
export function dotExact(w: readonly number[], x: readonly number[]): number {
  checkSameLength(w, x, 'dotExact');
  let s = 0;
  for (let i = 0; i < w.length; i++) {
    const a = w[i]!;
    const b = x[i]!;
    checkSafeInteger(a, `w[${i}]`);
    checkSafeInteger(b, `x[${i}]`);
    const p = a * b;
    checkSafeInteger(p, `w[${i}]·x[${i}]`);
    s += p;
    checkSafeInteger(s, 'dot product partial sum');
  }
  return s;
}

/** Weight terms: conventional = all terms; tr = revealVector(w, wBits, {g, k, encoding}) (no per-value cap). */
export function prepareWeights(w: readonly number[], spec: DotSpec): Term[][] {
  checkDotSpec(spec);
  const enc = spec.encoding ?? 'hese';
  for (const v of w) checkValue(v, spec.wBits);
  if (spec.mode === 'conventional') return w.map((v) => encode(v, enc));
  return revealVector(w, spec.wBits, { g: spec.g, k: spec.k, encoding: enc }).terms;
}

/** Data terms: conventional = all terms; tr = capTerms(encode(x_i), d) (no group budget). */
export function prepareData(x: readonly number[], spec: DotSpec): Term[][] {
  checkDotSpec(spec);
  const enc = spec.encoding ?? 'hese';
  for (const v of x) checkValue(v, spec.xBits);
  if (spec.mode === 'conventional') return x.map((v) => encode(v, enc));
  return x.map((v) => capTerms(encode(v, enc), spec.d));
}

/** What a tMAC accumulates: Σ_i Σ_{a∈w_i} Σ_{b∈x_i} a.sign·b.sign·2^(a.exp+b.exp). */
export function dotTerms(wTerms: readonly (readonly Term[])[], xTerms: readonly (readonly Term[])[]): number {
  checkSameLength(wTerms, xTerms, 'dotTerms');
  let s = 0;
  for (let i = 0; i < wTerms.length; i++) {
    for (const a of wTerms[i]!) {
      checkTerm(a);
      for (const b of xTerms[i]!) {
        checkTerm(b);
        s += a.sign * b.sign * 2 ** (a.exp + b.exp);
        checkSafeInteger(s, 'term-pair accumulator');
      }
    }
  }
  return s;
}

/** Σ_i |w_i terms| · |x_i terms|: the number of tMAC term-pair operations. */
export function termPairs(wTerms: readonly (readonly Term[])[], xTerms: readonly (readonly Term[])[]): number {
  checkSameLength(wTerms, xTerms, 'termPairs');
  let s = 0;
  for (let i = 0; i < wTerms.length; i++) s += wTerms[i]!.length * xTerms[i]!.length;
  return s;
}

export function dot(w: readonly number[], x: readonly number[], spec: DotSpec): { value: number; termPairs: number } {
  checkSameLength(w, x, 'dot');
  const wt = prepareWeights(w, spec);
  const xt = prepareData(x, spec);
  return { value: dotTerms(wt, xt), termPairs: termPairs(wt, xt) };
}

/**
 * W is M×K (one weight row per output channel), X is N×K (one data row per sample).
 * acc[n][m] = dot(W[m], X[n]); weights are prepared once per row of W, data once per row of X.
 */
export function matmul(
  W: readonly (readonly number[])[],
  X: readonly (readonly number[])[],
  spec: DotSpec,
): { acc: number[][]; termPairs: number } {
  checkDotSpec(spec);
  const K = W[0]?.length ?? X[0]?.length ?? 0;
  for (const [m, row] of W.entries()) if (row.length !== K) throw new RangeError(`W row ${m} has length ${row.length}, expected ${K}`);
  for (const [n, row] of X.entries()) if (row.length !== K) throw new RangeError(`X row ${n} has length ${row.length}, expected ${K}`);
  const wt = W.map((row) => prepareWeights(row, spec));
  const xt = X.map((row) => prepareData(row, spec));
  let pairs = 0;
  const acc = xt.map((xr) =>
    wt.map((wr) => {
      pairs += termPairs(wr, xr);
      return dotTerms(wr, xr);
    }),
  );
  checkSafeInteger(pairs, 'term-pair count');
  return { acc, termPairs: pairs };
}
