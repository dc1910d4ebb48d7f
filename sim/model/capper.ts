/**
 * The tv row edge's data capper at the bit level (rtl-templates/tv_edge.v), as a reference for tests: the
 * value of the d most significant HESE (= NAF) terms of v, computed the way the hardware does, without term
 * lists. The NAF carry into bit i is the carry into bit i of the adder x + (x >>> 1), and a nonzero digit sits
 * where (x >>> 1) XOR (x + (x >>> 1)) is set, never two in one bit pair (2q+1, 2q). Dropping every digit below
 * bit c leaves (x with the bits below c cleared) + carry_c·2^c; the cut is c = 2q for the lowest bit pair q that
 * still holds one of the d most significant digits.
 */
import { checkValue } from './terms.ts';

export function capBinary(v: number, bits: number, d: number): number {
  checkValue(v, bits);
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`cap d must be an integer ≥ 1, got ${d}`);
  const pairs = Math.ceil(bits / 2);
  const width = 2 * pairs + 2;
  const mask = 2 ** width - 1;
  const h = v >> 1; // arithmetic shift (|v| < 2^15, so 32-bit operators are exact)
  const x3 = v + h;
  const bit = (n: number, i: number): number => ((n & mask) >> i) & 1;
  // keep pair q while fewer than d nonzero pairs lie above it; the cut is at the lowest kept pair
  let cutPair = pairs - 1;
  let above = 0;
  for (let q = pairs - 1; q >= 0; q--) {
    if (above < d) cutPair = q;
    above += (bit(h, 2 * q) ^ bit(x3, 2 * q)) | (bit(h, 2 * q + 1) ^ bit(x3, 2 * q + 1));
  }
  const c = 2 * cutPair;
  const carry = bit(x3, c) ^ bit(v, c) ^ bit(h, c);
  return ((v >> c) + carry) * 2 ** c;
}
