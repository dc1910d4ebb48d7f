import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ace,
  dot,
  dotExact,
  dotTerms,
  encode,
  ENCODINGS,
  groupCount,
  matmul,
  maxMagnitude,
  maxTerms,
  prepareData,
  prepareWeights,
  termPairCost,
  termPairs,
  termsValue,
  type DotSpec,
  type Encoding,
} from '../../sim/model/index.ts';

const SEED = 31337;

const conv = (wBits: number, xBits: number, encoding: Encoding = 'hese'): DotSpec => ({
  mode: 'conventional',
  g: 1,
  k: 1,
  d: 1,
  wBits,
  xBits,
  encoding,
});

/** Vectors of equal length K with random widths. */
const arbCase = fc
  .record({
    wBits: fc.integer({ min: 2, max: 8 }),
    xBits: fc.integer({ min: 2, max: 8 }),
    K: fc.integer({ min: 0, max: 24 }),
    enc: fc.constantFrom(...ENCODINGS),
  })
  .chain(({ wBits, xBits, K, enc }) =>
    fc.record({
      wBits: fc.constant(wBits),
      xBits: fc.constant(xBits),
      enc: fc.constant(enc),
      w: fc.array(fc.integer({ min: -maxMagnitude(wBits), max: maxMagnitude(wBits) }), { minLength: K, maxLength: K }),
      x: fc.array(fc.integer({ min: -maxMagnitude(xBits), max: maxMagnitude(xBits) }), { minLength: K, maxLength: K }),
    }),
  );

describe('dot: hand-computed examples', () => {
  it('example 1: conventional HESE, w = [3, −5], x = [7, 2]', () => {
    // exact: 3·7 + (−5)·2 = 21 − 10 = 11
    // HESE terms: 3 = 4 − 1 (2), −5 = −4 − 1 (2), 7 = 8 − 1 (2), 2 = 2 (1) → pairs 2·2 + 2·1 = 6
    expect(dot([3, -5], [7, 2], conv(8, 8))).toEqual({ value: 11, termPairs: 6 });
  });
  it('example 2: TR HESE g=2 k=2 d=1, w = [3, −5], x = [7, 2]', () => {
    // weights: heads +4 (idx 0, exp 2) and −4 (idx 1, exp 2) tie → idx 0 takes +4; next heads −1 (exp 0)
    //   vs −4 (exp 2) → idx 1 takes −4. w' = [4, −4]
    // data d = 1: 7 → +8, 2 → +2. x' = [8, 2]
    // value 4·8 + (−4)·2 = 24; pairs 1·1 + 1·1 = 2
    const spec: DotSpec = { mode: 'tr', g: 2, k: 2, d: 1, wBits: 8, xBits: 8 };
    expect(dot([3, -5], [7, 2], spec)).toEqual({ value: 24, termPairs: 2 });
  });
  it('example 3: TR binary g=3 k=3 d=2, w = [5, 6, −7], x = [3, −1, 7]', () => {
    // binary weights: 5 = [4, 1], 6 = [4, 2], −7 = [−4, −2, −1]; all heads exp 2 → idx 0, then idx 1,
    //   then idx 2 (each takes its 4). w' = [4, 4, −4]
    // data d = 2: 3 = [2, 1] → 3; −1 = [−1] → −1; 7 = [4, 2, 1] → 6
    // value 4·3 + 4·(−1) + (−4)·6 = 12 − 4 − 24 = −16; pairs 1·2 + 1·1 + 1·2 = 5 (exact would be −40)
    const spec: DotSpec = { mode: 'tr', g: 3, k: 3, d: 2, wBits: 4, xBits: 4, encoding: 'binary' };
    expect(dot([5, 6, -7], [3, -1, 7], spec)).toEqual({ value: -16, termPairs: 5 });
    expect(dotExact([5, 6, -7], [3, -1, 7])).toEqual(-40);
  });
  it('matmul hand case: acc is N×M', () => {
    // W (M=2, K=2) = [[1, 2], [3, 4]], X (N=3, K=2) = [[1, 0], [0, 1], [1, 1]]
    const r = matmul(
      [
        [1, 2],
        [3, 4],
      ],
      [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
      conv(4, 4),
    );
    expect(r.acc).toEqual([
      [1, 3],
      [2, 4],
      [3, 7],
    ]);
    // HESE term counts: 1→1, 2→1, 3→2, 4→1; x rows: [1,0]→(1,0), [0,1]→(0,1), [1,1]→(1,1)
    // row0: (1·1 + 1·0) + (2·1 + 1·0) = 3; row1: 1 + 1 = 2; row2: (1+1) + (2+1) = 5 → 10
    expect(r.termPairs).toEqual(10);
  });
  it('cost', () => {
    expect(ace(10, 8, 4)).toEqual(320);
    expect(termPairCost(conv(8, 8))).toEqual(16); // 4 · 4 HESE terms
    expect(termPairCost(conv(8, 8, 'binary'))).toEqual(49);
    expect(termPairCost({ mode: 'tr', g: 4, k: 8, d: 2, wBits: 8, xBits: 8 })).toEqual(4);
    expect(() => ace(-1, 8, 8)).toThrow(RangeError);
  });
  it('throws on bad arguments', () => {
    expect(() => dotExact([1, 2], [1])).toThrow(RangeError);
    expect(() => dot([128], [1], conv(8, 8))).toThrow(RangeError);
    expect(() => dot([1], [8], conv(8, 4))).toThrow(RangeError);
    const tr: DotSpec = { mode: 'tr', g: 2, k: 2, d: 1, wBits: 8, xBits: 8 };
    expect(() => dot([1], [1], { ...tr, g: 0 })).toThrow(RangeError);
    expect(() => dot([1], [1], { ...tr, d: 0 })).toThrow(RangeError);
    expect(() => dot([1], [1], { ...tr, k: -1 })).toThrow(RangeError);
    expect(() => dot([1], [1], { ...tr, mode: 'fast' as never })).toThrow(RangeError);
    expect(() => matmul([[1, 2]], [[1]], tr)).toThrow(RangeError);
    expect(dotExact([2 ** 26], [2 ** 26])).toEqual(2 ** 52);
    expect(() => dotExact([2 ** 26, 2 ** 26], [2 ** 26, 2 ** 26])).toThrow(RangeError); // 2^53 is not safe
    expect(() => dotExact([2 ** 40], [2 ** 20])).toThrow(RangeError); // 2^60 is not a safe integer
  });
});

describe('dot: properties', () => {
  it(`conventional == dotExact, termPairs = Σ|w terms|·|x terms| (fast-check seed ${SEED})`, () => {
    fc.assert(
      fc.property(arbCase, ({ wBits, xBits, enc, w, x }) => {
        const r = dot(w, x, conv(wBits, xBits, enc));
        expect(r.value).toEqual(dotExact(w, x));
        expect(r.termPairs).toEqual(w.reduce((s, v, i) => s + encode(v, enc).length * encode(x[i]!, enc).length, 0));
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
  it(`tr with k ≥ g·maxTerms(w) and d ≥ maxTerms(x) is exact (fast-check seed ${SEED + 1})`, () => {
    fc.assert(
      fc.property(arbCase, fc.integer({ min: 1, max: 8 }), ({ wBits, xBits, enc, w, x }, g) => {
        const spec: DotSpec = { mode: 'tr', g, k: g * maxTerms(wBits, enc), d: maxTerms(xBits, enc), wBits, xBits, encoding: enc };
        expect(dot(w, x, spec).value).toEqual(dotExact(w, x));
      }),
      { seed: SEED + 1, numRuns: 800 },
    );
  });
  it(`tr: value = dot of revealed values, termPairs ≤ k·d per group (fast-check seed ${SEED + 2})`, () => {
    fc.assert(
      fc.property(
        arbCase,
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        ({ wBits, xBits, enc, w, x }, g, k, d) => {
          const spec: DotSpec = { mode: 'tr', g, k, d, wBits, xBits, encoding: enc };
          const wt = prepareWeights(w, spec);
          const xt = prepareData(x, spec);
          const r = dot(w, x, spec);
          expect(r.value).toEqual(dotExact(wt.map(termsValue), xt.map(termsValue)));
          expect(r.value).toEqual(dotTerms(wt, xt));
          expect(r.termPairs).toEqual(termPairs(wt, xt));
          // data: every value capped at d; weights: ≤ k terms per group
          expect(xt.every((l) => l.length <= d)).toEqual(true);
          for (let s = 0; s < w.length; s += g) {
            expect(wt.slice(s, s + g).reduce((a, l) => a + l.length, 0) <= k).toEqual(true);
            expect(termPairs(wt.slice(s, s + g), xt.slice(s, s + g)) <= k * d).toEqual(true);
          }
          expect(r.termPairs <= k * d * groupCount(w.length, g)).toEqual(true);
          // full groups only: per-MAC average within the termPairCost bound
          if (w.length > 0 && w.length % g === 0) expect(r.termPairs / w.length <= termPairCost(spec)).toEqual(true);
        },
      ),
      { seed: SEED + 2, numRuns: 800 },
    );
  });
  it(`matmul equals per-element dot (fast-check seed ${SEED + 3})`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom<'conventional' | 'tr'>('conventional', 'tr'),
        fc.integer({ min: 0, max: 1_000_000 }),
        (M, N, K, mode, salt) => {
          // deterministic values derived from salt (no RNG needed)
          const val = (i: number) => (((i * 7919 + salt) % 255) + 255) % 255 - 127;
          const W = Array.from({ length: M }, (_, m) => Array.from({ length: K }, (_, k) => val(m * 31 + k)));
          const X = Array.from({ length: N }, (_, n) => Array.from({ length: K }, (_, k) => val(1000 + n * 17 + k * 3)));
          const spec: DotSpec = { mode, g: 3, k: 4, d: 2, wBits: 8, xBits: 8 };
          const r = matmul(W, X, spec);
          let pairs = 0;
          const expected = X.map((xr) =>
            W.map((wr) => {
              const e = dot(wr, xr, spec);
              pairs += e.termPairs;
              return e.value;
            }),
          );
          expect(r.acc).toEqual(expected);
          expect(r.termPairs).toEqual(pairs);
          if (mode === 'conventional') expect(r.acc).toEqual(X.map((xr) => W.map((wr) => dotExact(wr, xr))));
        },
      ),
      { seed: SEED + 3, numRuns: 300 },
    );
  });
});
