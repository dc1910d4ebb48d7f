/**
 * Cost metrics (docs/DESIGN.md §6 "Cost").
 */
import { checkDotSpec, type DotSpec } from './dot.ts';
import { checkIntAtLeast, checkSafeInteger, maxTerms } from './terms.ts';

/** ACE = MACs × b_w × b_x. */
export function ace(macs: number, wBits: number, xBits: number): number {
  checkIntAtLeast(macs, 0, 'macs');
  checkIntAtLeast(wBits, 1, 'wBits');
  checkIntAtLeast(xBits, 1, 'xBits');
  const r = macs * wBits * xBits;
  checkSafeInteger(r, 'ACE');
  return r;
}

/**
 * Upper bound on term pairs per MAC: conventional = maxTerms(wBits)·maxTerms(xBits) (spec encoding,
 * default 'hese'); tr = k·d/g (per full group of g MACs; a last partial group of g' < g MACs still costs
 * at most k·d in total).
 */
export function termPairCost(spec: DotSpec): number {
  checkDotSpec(spec);
  const enc = spec.encoding ?? 'hese';
  if (spec.mode === 'conventional') return maxTerms(spec.wBits, enc) * maxTerms(spec.xBits, enc);
  return (spec.k * spec.d) / spec.g;
}
