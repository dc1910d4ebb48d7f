import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  binaryTerms,
  booth4Terms,
  capTerms,
  checkValue,
  encode,
  ENCODINGS,
  heseMaxTermsFormula,
  heseTerms,
  maxExponent,
  maxMagnitude,
  maxPrefixMagnitude,
  maxTerms,
  nafTerms,
  termsValue,
  type Term,
} from '../../sim/model/index.ts';

const SEED = 20240601;
const t = (sign: 1 | -1, exp: number): Term => ({ sign, exp });

/** every v with |v| ≤ maxMagnitude(bits) */
function allValues(bits: number): number[] {
  const m = maxMagnitude(bits);
  const out: number[] = [];
  for (let v = -m; v <= m; v++) out.push(v);
  return out;
}

/** Strictly decreasing exponents? (returns the first offending index or -1) */
function firstNonDecreasing(ts: readonly Term[]): number {
  for (let i = 1; i < ts.length; i++) if (ts[i]!.exp >= ts[i - 1]!.exp) return i;
  return -1;
}

/** Smallest gap between consecutive exponents (Infinity if < 2 terms). */
function minGap(ts: readonly Term[]): number {
  let g = Infinity;
  for (let i = 1; i < ts.length; i++) g = Math.min(g, ts[i - 1]!.exp - ts[i]!.exp);
  return g;
}

/**
 * Independent Booth radix-4 reference: table lookup on the bit string of |v| (with a leading '0' pad and
 * an implicit b[-1] = 0), triplets (b[2i+1], b[2i], b[2i-1]).
 */
const BOOTH_TABLE: Record<string, number> = { '000': 0, '001': 1, '010': 1, '011': 2, '100': -2, '101': -1, '110': -1, '111': 0 };
function boothRef(v: number): Term[] {
  const n = Math.abs(v);
  if (n === 0) return [];
  const bs = n.toString(2).split('').reverse(); // bs[i] = b[i]
  const L = bs.length;
  const bitAt = (i: number) => (i < 0 || i >= L ? '0' : bs[i]!);
  const digits = Math.ceil((L + 1) / 2); // top triplet's b[2i+1] is beyond the MSB (a 0 sign bit)
  const out: Term[] = [];
  for (let i = digits - 1; i >= 0; i--) {
    const d = BOOTH_TABLE[bitAt(2 * i + 1) + bitAt(2 * i) + bitAt(2 * i - 1)]!;
    if (d !== 0) out.push(t((Math.sign(d) * Math.sign(v)) as 1 | -1, Math.abs(d) === 1 ? 2 * i : 2 * i + 1));
  }
  return out;
}

describe('terms: hand cases', () => {
  it('HESE of small / boundary values (LSB→MSB rule incl. carry flush past the top bit)', () => {
    expect(heseTerms(0)).toEqual([]);
    expect(heseTerms(1)).toEqual([t(1, 0)]);
    expect(heseTerms(3)).toEqual([t(1, 2), t(-1, 0)]); // 3 = 4 − 1: the +4 is emitted after the top bit
    expect(heseTerms(7)).toEqual([t(1, 3), t(-1, 0)]);
    expect(heseTerms(127)).toEqual([t(1, 7), t(-1, 0)]); // 127 = 128 − 1
    expect(heseTerms(-91)).toEqual([t(-1, 7), t(1, 5), t(1, 2), t(1, 0)]); // 91 = 128 − 32 − 4 − 1
    expect(heseTerms(85)).toEqual([t(1, 6), t(1, 4), t(1, 2), t(1, 0)]); // 0b1010101 (4 terms, 8-bit worst)
    expect(heseTerms(11)).toEqual([t(1, 4), t(-1, 2), t(-1, 0)]); // 11 = 16 − 4 − 1
  });
  it('binary and booth4 hand cases', () => {
    expect(binaryTerms(-6)).toEqual([t(-1, 2), t(-1, 1)]);
    expect(binaryTerms(127)).toEqual([0, 1, 2, 3, 4, 5, 6].reverse().map((e) => t(1, e)));
    // 127 = 0b0111_1111: d0 = -2+1+0 = -1, d1 = -2+1+1 = 0, d2 = 0, d3 = 0+1+1 = +2 → +2^7 − 2^0
    expect(booth4Terms(127)).toEqual([t(1, 7), t(-1, 0)]);
    // 6 = 0b0110: d0 = -2·1+0+0 = −2 → −2^1; d1 = 0+1+1 = +2 → +2^3 → 8 − 2
    expect(booth4Terms(6)).toEqual([t(1, 3), t(-1, 1)]);
    // 3 = 0b11: d0 = -2+1 = −1; d1 = 0+0+1 = +1 → 4 − 1
    expect(booth4Terms(-3)).toEqual([t(-1, 2), t(1, 0)]);
    expect(booth4Terms(0)).toEqual([]);
  });
  it('maxTerms / maxExponent / maxPrefixMagnitude known values', () => {
    expect(maxTerms(8, 'hese')).toEqual(4);
    expect(maxTerms(9, 'hese')).toEqual(5);
    expect(maxTerms(8, 'binary')).toEqual(7);
    expect(maxTerms(8, 'booth4')).toEqual(4);
    expect(maxExponent(8, 'hese')).toEqual(7);
    expect(maxExponent(8, 'binary')).toEqual(6);
    expect(maxPrefixMagnitude(8, 'hese')).toEqual(128); // prefix +128 of 127 = +128 − 1
    expect(maxPrefixMagnitude(8, 'binary')).toEqual(127);
    expect(maxPrefixMagnitude(4, 'hese')).toEqual(8);
  });
  it('heseMaxTermsFormula equals exhaustive maxTerms(bits, hese) for bits 2..16', () => {
    for (let bits = 2; bits <= 16; bits++) expect([bits, heseMaxTermsFormula(bits)]).toEqual([bits, maxTerms(bits, 'hese')]);
  });
  it('maxPrefixMagnitude matches an independent brute force for bits 2..9, all encodings', () => {
    for (const enc of ENCODINGS) {
      for (let bits = 2; bits <= 9; bits++) {
        let best = 0;
        for (const v of allValues(bits)) {
          const ts = encode(v, enc);
          for (let d = 1; d <= ts.length; d++) best = Math.max(best, Math.abs(termsValue(capTerms(ts, d))));
        }
        expect([enc, bits, maxPrefixMagnitude(bits, enc)]).toEqual([enc, bits, best]);
      }
    }
  });
  it('capTerms', () => {
    const ts = heseTerms(-91);
    expect(capTerms(ts, 0)).toEqual([]);
    expect(capTerms(ts, 2)).toEqual([t(-1, 7), t(1, 5)]);
    const c = capTerms(ts, 9);
    expect(c).toEqual(ts);
    expect(c).not.toBe(ts);
    expect(capTerms(ts, Infinity)).toEqual(ts);
  });
});

describe('terms: argument checks', () => {
  it('throws RangeError on bad input', () => {
    expect(() => maxMagnitude(1)).toThrow(RangeError);
    expect(() => maxMagnitude(17)).toThrow(RangeError);
    expect(() => maxMagnitude(8.5)).toThrow(RangeError);
    expect(() => checkValue(128, 8)).toThrow(RangeError);
    expect(() => checkValue(-128, 8)).toThrow(RangeError);
    expect(() => checkValue(1.5, 8)).toThrow(RangeError);
    expect(() => checkValue(127, 8)).not.toThrow();
    expect(() => heseTerms(0.5)).toThrow(RangeError);
    expect(() => nafTerms(Number.NaN)).toThrow(RangeError);
    expect(() => capTerms([], -1)).toThrow(RangeError);
    expect(() => capTerms([], 1.5)).toThrow(RangeError);
    expect(() => encode(3, 'ternary' as never)).toThrow(RangeError);
    expect(() => termsValue([{ sign: 2 as never, exp: 0 }])).toThrow(RangeError);
  });
});

describe('terms: exhaustive bits ≤ 9 (|v| ≤ 255)', () => {
  const vals = allValues(9);
  it('HESE equals NAF term-for-term, is value-preserving, non-adjacent, ≤ binary terms', () => {
    for (const v of vals) {
      const h = heseTerms(v);
      expect([v, h]).toEqual([v, nafTerms(v)]);
      expect([v, termsValue(h)]).toEqual([v, v]);
      expect([v, minGap(h) >= 2]).toEqual([v, true]);
      expect([v, h.length <= binaryTerms(v).length]).toEqual([v, true]);
      if (v !== 0) expect([v, h[0]!.sign]).toEqual([v, Math.sign(v)]); // leading NAF digit carries sign(v)
    }
  });
  it('booth4 equals an independent table-driven Booth reference and is value-preserving', () => {
    for (const v of vals) {
      const b = booth4Terms(v);
      expect([v, b]).toEqual([v, boothRef(v)]);
      expect([v, termsValue(b)]).toEqual([v, v]);
    }
  });
  it('binary terms are the set bits', () => {
    for (const v of vals) {
      const b = binaryTerms(v);
      expect([v, termsValue(b)]).toEqual([v, v]);
      expect([v, b.length]).toEqual([v, Math.abs(v).toString(2).split('').filter((c) => c === '1').length]);
    }
  });
});

describe('terms: sampled |v| < 2^16', () => {
  const arbV = fc.integer({ min: -(2 ** 16 - 1), max: 2 ** 16 - 1 });
  it(`HESE == NAF, value-preserving, non-adjacent, sorted, ≤ binary (fast-check seed ${SEED})`, () => {
    fc.assert(
      fc.property(arbV, (v) => {
        const h = heseTerms(v);
        expect(h).toEqual(nafTerms(v));
        expect(termsValue(h)).toEqual(v);
        expect(firstNonDecreasing(h)).toEqual(-1);
        expect(minGap(h) >= 2).toEqual(true);
        expect(h.length <= binaryTerms(v).length).toEqual(true);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
  it(`booth4 value-preserving with legal digit positions (fast-check seed ${SEED + 1})`, () => {
    fc.assert(
      fc.property(arbV, (v) => {
        const b = booth4Terms(v);
        expect(termsValue(b)).toEqual(v);
        expect(firstNonDecreasing(b)).toEqual(-1);
        // one digit per radix-4 position, exponent 2i (±1) or 2i+1 (±2)
        const pos = b.map((x) => Math.floor(x.exp / 2));
        expect(new Set(pos).size).toEqual(pos.length);
        // digit positions needed: i with 2i−1 < bitlength(|v|)
        const L = Math.abs(v).toString(2).length * (v === 0 ? 0 : 1);
        for (const p of pos) expect(2 * p - 1 < L).toEqual(true);
        expect(b).toEqual(boothRef(v));
      }),
      { seed: SEED + 1, numRuns: 3000 },
    );
  });
  it(`capTerms keeps the most significant prefix (fast-check seed ${SEED + 2})`, () => {
    fc.assert(
      fc.property(arbV, fc.integer({ min: 0, max: 20 }), fc.constantFrom(...ENCODINGS), (v, d, enc) => {
        const ts = encode(v, enc);
        const c = capTerms(ts, d);
        expect(c.length).toEqual(Math.min(d, ts.length));
        expect(c).toEqual(ts.slice(0, c.length));
        // the dropped tail is smaller in magnitude than the lowest kept term (truncation, not rounding)
        if (c.length > 0 && c.length < ts.length) {
          expect(Math.abs(termsValue(ts) - termsValue(c)) < 2 ** c[c.length - 1]!.exp).toEqual(true);
        }
      }),
      { seed: SEED + 2, numRuns: 2000 },
    );
  });
  it('exps of every encoding stay within maxExponent and count within maxTerms (bits 8, 12)', () => {
    for (const bits of [8, 12]) {
      for (const enc of ENCODINGS) {
        const me = maxExponent(bits, enc);
        const mt = maxTerms(bits, enc);
        let seenE = -1;
        let seenT = 0;
        for (const v of allValues(bits)) {
          const ts = encode(v, enc);
          seenT = Math.max(seenT, ts.length);
          for (const x of ts) seenE = Math.max(seenE, x.exp);
        }
        expect([enc, bits, me, mt]).toEqual([enc, bits, seenE, seenT]);
      }
    }
  });
});
