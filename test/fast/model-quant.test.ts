import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { quantizeMultiplier, quantizeMultiplierPow2, quantizeSymmetric, requant, Rng } from '../../sim/model/index.ts';

const SEED = 9001;

describe('requant', () => {
  it('floor semantics on negatives', () => {
    expect(requant(-5, 0, 1, 1, 8, false)).toEqual(-3); // floor(−2.5) = −3
    expect(requant(5, 0, 1, 1, 8, false)).toEqual(2); // floor(2.5) = 2
    expect(requant(-1, 0, 1, 1, 8, false)).toEqual(-1); // floor(−0.5) = −1
    expect(requant(-4, -3, 3, 2, 8, false)).toEqual(-6); // (−7·3) = −21, floor(−21/4) = −6
    expect(requant(7, 3, 5, 0, 8, false)).toEqual(50);
  });
  it('clamp and relu', () => {
    expect(requant(1000, 0, 1, 0, 8, false)).toEqual(127);
    expect(requant(-1000, 0, 1, 0, 8, false)).toEqual(-127);
    expect(requant(-1000, 0, 1, 0, 4, false)).toEqual(-7);
    expect(requant(-5, 0, 1, 1, 8, true)).toEqual(0);
    expect(requant(1000, 0, 1, 0, 8, true)).toEqual(127);
    expect(requant(9, 0, 1, 1, 8, true)).toEqual(4);
  });
  it('exact beyond 2^53 (BigInt)', () => {
    // acc = (2^54 − 1)/3 (a safe integer), mul = 3: product = 2^54 − 1, >> 44 = floor(1024 − tiny) = 1023.
    // In doubles the product rounds to 2^54 and a naive floor would give 1024.
    const acc = 6004799503160661;
    expect(BigInt(acc) * 3n).toEqual(2n ** 54n - 1n);
    expect(Math.floor((acc * 3) / 2 ** 44)).toEqual(1024); // documents the double-precision trap
    expect(requant(acc, 0, 3, 44, 16, false)).toEqual(1023);
    // acc + bias = −(2^53 + 1): doubles round the sum to −2^53 (→ −8192); exact floor(−8192 − tiny) = −8193
    const m = Number.MAX_SAFE_INTEGER;
    expect(Math.floor((-m - 2) / 2 ** 40)).toEqual(-8192);
    expect(requant(-m, -2, 1, 40, 16, false)).toEqual(-8193);
    // acc + bias = 2^54 − 2 (> 2^53), >> 40 = floor(16384 − tiny) = 16383
    expect(requant(m, m, 1, 40, 16, false)).toEqual(16383);
  });
  it('throws on bad arguments', () => {
    expect(() => requant(1.5, 0, 1, 0, 8, false)).toThrow(RangeError);
    expect(() => requant(1, 0, -1, 0, 8, false)).toThrow(RangeError);
    expect(() => requant(1, 0, 1.5, 0, 8, false)).toThrow(RangeError);
    expect(() => requant(1, 0, 1, -1, 8, false)).toThrow(RangeError);
    expect(() => requant(1, 0, 1, 0, 1, false)).toThrow(RangeError);
  });
  it(`matches a double-precision floor reference where doubles are exact (fast-check seed ${SEED})`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 20), max: 2 ** 20 }),
        fc.integer({ min: -(2 ** 10), max: 2 ** 10 }),
        fc.integer({ min: 0, max: 2 ** 10 }),
        fc.integer({ min: 0, max: 24 }),
        fc.integer({ min: 2, max: 16 }),
        fc.boolean(),
        (acc, bias, mul, shift, outBits, relu) => {
          const m = 2 ** (outBits - 1) - 1;
          const y = Math.floor(((acc + bias) * mul) / 2 ** shift);
          const expected = Math.min(m, Math.max(relu ? 0 : -m, y)) + 0;
          expect(requant(acc, bias, mul, shift, outBits, relu)).toEqual(expected);
        },
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

describe('quantizeMultiplier', () => {
  it('hand cases', () => {
    // 0.3·2^9 = 153.6 → 154 (0.3·2^10 = 307.2 would not fit 8 bits)
    expect(quantizeMultiplier(0.3, 8, 16)).toEqual({ mul: 154, shift: 9 });
    expect(quantizeMultiplier(1, 8, 16)).toEqual({ mul: 128, shift: 7 });
    expect(quantizeMultiplier(0, 8, 16)).toEqual({ mul: 0, shift: 0 });
    expect(quantizeMultiplier(1000, 8, 16)).toEqual({ mul: 255, shift: 0 }); // clamped
    expect(quantizeMultiplier(255.7, 8, 16)).toEqual({ mul: 255, shift: 0 }); // round would give 256
    expect(quantizeMultiplier(2 ** -30, 8, 16)).toEqual({ mul: 0, shift: 16 }); // underflow rounds to 0
    expect(quantizeMultiplier(3 * 2 ** -17, 8, 16)).toEqual({ mul: 2, shift: 16 }); // 1.5 → 2 at maxShift
    expect(() => quantizeMultiplier(-0.5, 8, 16)).toThrow(RangeError);
    expect(() => quantizeMultiplier(Number.NaN, 8, 16)).toThrow(RangeError);
    expect(() => quantizeMultiplier(Infinity, 8, 16)).toThrow(RangeError);
    expect(() => quantizeMultiplier(0.5, 0, 16)).toThrow(RangeError);
    expect(() => quantizeMultiplier(0.5, 8, -1)).toThrow(RangeError);
  });
  it(`error ≤ 2^-shift, mul fits, normalized (fast-check seed ${SEED + 1})`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 31 }),
        fc.integer({ min: 0, max: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (mulBits, maxShift, u) => {
          // real log-uniform over [2^-maxShift, 2^mulBits)
          const real = 2 ** (-maxShift + u * (mulBits + maxShift)) * (1 - 1e-12);
          const { mul, shift } = quantizeMultiplier(real, mulBits, maxShift);
          expect(Number.isInteger(mul) && mul >= 0 && mul < 2 ** mulBits).toEqual(true);
          expect(Number.isInteger(shift) && shift >= 0 && shift <= maxShift).toEqual(true);
          expect(Math.abs(mul * 2 ** -shift - real) <= 2 ** -shift).toEqual(true);
          if (shift < maxShift) expect(mul >= 2 ** (mulBits - 1)).toEqual(true);
        },
      ),
      { seed: SEED + 1, numRuns: 2000 },
    );
  });
  it(`optimal vs brute force over all (mul, shift), small widths (fast-check seed ${SEED + 2})`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 7 }),
        fc.double({ min: 0, max: 40, noNaN: true }),
        (mulBits, maxShift, real) => {
          let best = Infinity;
          for (let s = 0; s <= maxShift; s++) for (let m = 0; m < 2 ** mulBits; m++) best = Math.min(best, Math.abs(m * 2 ** -s - real));
          const { mul, shift } = quantizeMultiplier(real, mulBits, maxShift);
          expect(Math.abs(mul * 2 ** -shift - real)).toEqual(best);
        },
      ),
      { seed: SEED + 2, numRuns: 1000 },
    );
  });
  it('quantizeMultiplierPow2', () => {
    expect(quantizeMultiplierPow2(0.3, 10)).toEqual({ mul: 1, shift: 2 }); // 0.25 (err .05) vs 0.5 (err .2)
    expect(quantizeMultiplierPow2(0.75, 10)).toEqual({ mul: 1, shift: 0 }); // tie 1 vs 0.5 → smaller shift
    expect(quantizeMultiplierPow2(5, 10)).toEqual({ mul: 1, shift: 0 });
    expect(quantizeMultiplierPow2(0, 10)).toEqual({ mul: 1, shift: 10 });
    expect(quantizeMultiplierPow2(2 ** -7, 4)).toEqual({ mul: 1, shift: 4 });
    expect(() => quantizeMultiplierPow2(-1, 4)).toThrow(RangeError);
    const rng = new Rng(SEED);
    for (let i = 0; i < 500; i++) {
      const real = rng.next() * 1.5;
      const { shift } = quantizeMultiplierPow2(real, 12);
      for (let s = 0; s <= 12; s++) expect(Math.abs(2 ** -shift - real) <= Math.abs(2 ** -s - real)).toEqual(true);
    }
  });
});

describe('quantizeSymmetric', () => {
  it('explicit scale: round half away from zero and clamp', () => {
    expect(quantizeSymmetric([0.5, -0.5, 1.5, -2.5, 2.49, 1000, -1000, 0], 8, 1)).toEqual({
      q: [1, -1, 2, -3, 2, 127, -127, 0],
      scale: 1,
    });
  });
  it('default scale max|x|/maxMagnitude', () => {
    // scale = 254/127 = 2: 127/2 = 63.5 → 64; −254/2 = −127; −1/2 = −0.5 → −1
    expect(quantizeSymmetric([127, -254, -1], 8)).toEqual({ q: [64, -127, -1], scale: 2 });
    expect(quantizeSymmetric(new Float32Array([0, 0]), 4)).toEqual({ q: [0, 0], scale: 1 });
    expect(quantizeSymmetric([-0.1], 4, 1).q).toEqual([0]); // no −0
  });
  it(`max |q| = maxMagnitude with default scale (fast-check seed ${SEED + 3})`, () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => (Math.abs(x) < 1e-300 ? 0 : x)), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 2, max: 16 }),
        (xs, bits) => {
          const m = 2 ** (bits - 1) - 1;
          const { q, scale } = quantizeSymmetric(xs, bits);
          expect(q.every((v) => Number.isInteger(v) && Math.abs(v) <= m)).toEqual(true);
          if (xs.some((x) => x !== 0)) {
            expect(Math.max(...q.map(Math.abs))).toEqual(m);
            xs.forEach((x, i) => expect(Math.abs(q[i]! * scale - x) <= scale / 2 + 1e-9 * Math.abs(x)).toEqual(true));
          }
        },
      ),
      { seed: SEED + 3, numRuns: 500 },
    );
  });
  it('throws on bad arguments', () => {
    expect(() => quantizeSymmetric([Number.NaN], 8)).toThrow(RangeError);
    expect(() => quantizeSymmetric([1], 8, 0)).toThrow(RangeError);
    expect(() => quantizeSymmetric([1], 1)).toThrow(RangeError);
    expect(() => quantizeSymmetric([5e-324], 8)).toThrow(RangeError); // default scale would underflow to 0
  });
});
