import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  encode,
  ENCODINGS,
  groupCount,
  heseTerms,
  maxMagnitude,
  revealGroup,
  revealVector,
  termsValue,
  type Term,
} from '../../sim/model/index.ts';

const SEED = 7070;
const t = (sign: 1 | -1, exp: number): Term => ({ sign, exp });

/**
 * Independent reference for the greedy budget: list every term as a candidate (exp, index, position), sort
 * by exp desc, index asc, position asc and take the first k. Because each list is strictly decreasing in exp,
 * this order respects prefix order and equals the step-by-step greedy. Returns kept counts per value.
 */
function referenceCounts(lists: readonly Term[][], k: number): number[] {
  const cands: { exp: number; idx: number; pos: number }[] = [];
  lists.forEach((ts, idx) => ts.forEach((x, pos) => cands.push({ exp: x.exp, idx, pos })));
  cands.sort((a, b) => b.exp - a.exp || a.idx - b.idx || a.pos - b.pos);
  const counts = lists.map(() => 0);
  for (const c of cands.slice(0, k)) counts[c.idx]!++;
  return counts;
}

/** Arbitrary term list: distinct exponents 0..12, random signs, most significant first. */
const arbList = fc
  .uniqueArray(fc.integer({ min: 0, max: 12 }), { maxLength: 6 })
  .chain((es) => fc.tuple(fc.constant(es.sort((a, b) => b - a)), fc.array(fc.boolean(), { minLength: es.length, maxLength: es.length })))
  .map(([es, ss]) => es.map((e, i) => t(ss[i] ? 1 : -1, e)));

describe('revealGroup: hand cases', () => {
  it('ties go to the lowest index', () => {
    // 8 and −8 both have a single term of exp 3; k = 1 keeps the first one only
    expect(revealGroup([heseTerms(8), heseTerms(-8)], 1)).toEqual([[t(1, 3)], []]);
    // the same with the order swapped keeps −8
    expect(revealGroup([heseTerms(-8), heseTerms(8)], 1)).toEqual([[t(-1, 3)], []]);
    // 3 = 4 − 1 and −5 = −4 − 1: both heads exp 2 → index 0 first, then index 1's −4 (exp 2) beats −1 (exp 0)
    expect(revealGroup([heseTerms(3), heseTerms(-5)], 2)).toEqual([[t(1, 2)], [t(-1, 2)]]);
  });
  it('largest term wins: [5, 6] (5 = 4 + 1, 6 = 8 − 2)', () => {
    expect(revealGroup([heseTerms(5), heseTerms(6)], 1)).toEqual([[], [t(1, 3)]]);
    expect(revealGroup([heseTerms(5), heseTerms(6)], 2)).toEqual([[t(1, 2)], [t(1, 3)]]); // then 4 (exp 2) beats −2
    expect(revealGroup([heseTerms(5), heseTerms(6)], 3)).toEqual([[t(1, 2)], [t(1, 3), t(-1, 1)]]);
    expect(revealGroup([heseTerms(5), heseTerms(6)], 4)).toEqual([heseTerms(5), heseTerms(6)]);
  });
  it('k = 0 keeps nothing; k ≥ total keeps everything; empty group', () => {
    const lists = [heseTerms(91), heseTerms(-7), heseTerms(0)];
    expect(revealGroup(lists, 0)).toEqual([[], [], []]);
    expect(revealGroup(lists, 100)).toEqual(lists);
    expect(revealGroup([], 3)).toEqual([]);
  });
  it('throws on bad arguments', () => {
    expect(() => revealGroup([heseTerms(3)], -1)).toThrow(RangeError);
    expect(() => revealGroup([heseTerms(3)], 1.5)).toThrow(RangeError);
    expect(() => revealGroup([[t(1, 0), t(1, 2)]], 1)).toThrow(RangeError); // not most significant first
  });
});

describe('revealGroup: properties', () => {
  it(`matches the sorted-candidates reference; ≤ k terms; prefixes (fast-check seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.array(arbList, { maxLength: 8 }), fc.integer({ min: 0, max: 40 }), (lists, k) => {
        const kept = revealGroup(lists, k);
        const total = lists.reduce((s, l) => s + l.length, 0);
        const counts = kept.map((l) => l.length);
        expect(counts).toEqual(referenceCounts(lists, k));
        expect(counts.reduce((a, b) => a + b, 0)).toEqual(Math.min(k, total));
        kept.forEach((l, i) => expect(l).toEqual(lists[i]!.slice(0, l.length)));
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
  it(`greedy is monotone in k and k ≥ total is exact (fast-check seed ${SEED + 1})`, () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -127, max: 127 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(...ENCODINGS),
        fc.integer({ min: 0, max: 30 }),
        (vals, enc, k) => {
          const lists = vals.map((v) => encode(v, enc));
          const a = revealGroup(lists, k).map((l) => l.length);
          const b = revealGroup(lists, k + 1).map((l) => l.length);
          // one more unit of budget adds exactly one term somewhere (or nothing if exhausted)
          const diff = b.map((x, i) => x - a[i]!);
          expect(diff.every((x) => x === 0 || x === 1)).toEqual(true);
          const total = lists.reduce((s, l) => s + l.length, 0);
          expect(diff.reduce((s, x) => s + x, 0)).toEqual(k < total ? 1 : 0);
          expect(revealGroup(lists, total).map(termsValue)).toEqual(vals);
        },
      ),
      { seed: SEED + 1, numRuns: 1500 },
    );
  });
});

describe('revealVector', () => {
  it('groupCount', () => {
    expect(groupCount(5, 4)).toEqual(2);
    expect(groupCount(8, 4)).toEqual(2);
    expect(groupCount(0, 3)).toEqual(0);
    expect(groupCount(1, 16)).toEqual(1);
    expect(() => groupCount(4, 0)).toThrow(RangeError);
    expect(() => groupCount(-1, 2)).toThrow(RangeError);
  });
  it('hand case with a padded last group', () => {
    // g = 2, k = 1: groups [3, 6], [5] (+ zero padding)
    // group 0: heads 3 → +4 (exp 2), 6 → +8 (exp 3) → keep +8 of index 1 → values [0, 8]
    // group 1: 5 → +4 (exp 2) vs padding (no terms) → keep +4 → value 4
    const r = revealVector([3, 6, 5], 8, { g: 2, k: 1 });
    expect(r.values).toEqual([0, 8, 4]);
    expect(r.terms).toEqual([[], [t(1, 3)], [t(1, 2)]]);
  });
  it('per-value cap d is applied before revealing', () => {
    // 91 = 128 − 32 − 4 − 1, 7 = 8 − 1; d = 1 → [128], [8]; k = 4 can only use 2 terms
    const r = revealVector([91, 7], 8, { g: 2, k: 4, d: 1 });
    expect(r.values).toEqual([128, 8]);
    const r2 = revealVector([91, 7], 8, { g: 2, k: 4, d: 2 });
    expect(r2.values).toEqual([96, 7]); // k = 4 exactly covers the 2 + 2 capped terms
  });
  it('throws on bad arguments', () => {
    expect(() => revealVector([128], 8, { g: 1, k: 1 })).toThrow(RangeError);
    expect(() => revealVector([1], 8, { g: 0, k: 1 })).toThrow(RangeError);
    expect(() => revealVector([1], 8, { g: 1, k: -1 })).toThrow(RangeError);
    expect(() => revealVector([1], 8, { g: 1, k: 1, d: 0 })).toThrow(RangeError);
  });
  it(`equals per-group revealGroup, padding-free; k = 0 gives zeros (fast-check seed ${SEED + 2})`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 10 }).chain((bits) =>
          fc.tuple(
            fc.constant(bits),
            fc.array(fc.integer({ min: -maxMagnitude(bits), max: maxMagnitude(bits) }), { maxLength: 23 }),
          ),
        ),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 20 }),
        fc.constantFrom(...ENCODINGS),
        ([bits, vals], g, k, enc) => {
          const r = revealVector(vals, bits, { g, k, encoding: enc });
          expect(r.terms.length).toEqual(vals.length);
          expect(r.values).toEqual(r.terms.map(termsValue));
          // independent slicing: group j = vals[j·g .. j·g+g) (the partial last group simply has fewer values)
          const expected: Term[][] = [];
          for (let s = 0; s < vals.length; s += g) expected.push(...revealGroup(vals.slice(s, s + g).map((v) => encode(v, enc)), k));
          expect(r.terms).toEqual(expected);
          // per-group budget respected
          for (let s = 0; s < vals.length; s += g) {
            const used = r.terms.slice(s, s + g).reduce((a, l) => a + l.length, 0);
            expect(used <= k).toEqual(true);
          }
          expect(revealVector(vals, bits, { g, k: 0, encoding: enc }).values).toEqual(vals.map(() => 0));
          expect(revealVector(vals, bits, { g, k: g * 16, encoding: enc }).values).toEqual(vals);
        },
      ),
      { seed: SEED + 2, numRuns: 800 },
    );
  });
});
