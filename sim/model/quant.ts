/**
 * Quantization helpers and the output stage y = clamp(((acc + bias)·M) >> s) (docs/DESIGN.md §7 "Output stage").
 */
import { checkIntAtLeast, checkSafeInteger, maxMagnitude } from './terms.ts';

/** Round half away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/**
 * Symmetric quantization: scale defaults to max|x| / maxMagnitude(bits) (1 if all zero);
 * q = clamp(roundHalfAway(x / scale), ±maxMagnitude(bits)).
 */
export function quantizeSymmetric(xs: ArrayLike<number>, bits: number, scale?: number): { q: number[]; scale: number } {
  const m = maxMagnitude(bits);
  let maxAbs = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (!Number.isFinite(x)) throw new RangeError(`input ${i} is not finite: ${x}`);
    maxAbs = Math.max(maxAbs, Math.abs(x));
  }
  let s: number;
  if (scale === undefined) {
    s = maxAbs === 0 ? 1 : maxAbs / m;
    if (s === 0) throw new RangeError(`max|x| = ${maxAbs} is too small: the default scale underflows to 0`);
  } else {
    if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`scale must be finite and > 0, got ${scale}`);
    s = scale;
  }
  const q: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const r = roundHalfAway(xs[i]! / s);
    q.push(Math.min(m, Math.max(-m, r)) + 0); // + 0 turns -0 into 0
  }
  return { q, scale: s };
}

/**
 * Output stage: y = clamp(((acc + bias) · mul) >> shift) with an arithmetic (floor) shift on the exact
 * integer product (BigInt), clamp to [-maxMagnitude(outBits), maxMagnitude(outBits)]; relu raises the low
 * end of the clamp to 0.
 */
export function requant(acc: number, bias: number, mul: number, shift: number, outBits: number, relu: boolean): number {
  checkSafeInteger(acc, 'acc');
  checkSafeInteger(bias, 'bias');
  checkIntAtLeast(mul, 0, 'mul');
  checkIntAtLeast(shift, 0, 'shift');
  const m = maxMagnitude(outBits);
  const p = (BigInt(acc) + BigInt(bias)) * BigInt(mul);
  const y = p >> BigInt(shift); // BigInt >> floors toward -infinity
  const lo = relu ? 0n : BigInt(-m);
  const hi = BigInt(m);
  return Number(y < lo ? lo : y > hi ? hi : y);
}

const MAX_MUL_BITS = 52;
const MAX_SHIFT = 1023;

function checkReal(real: number): void {
  if (!Number.isFinite(real) || real < 0) throw new RangeError(`real multiplier must be finite and ≥ 0, got ${real}`);
}

/**
 * Integer mul < 2^mulBits and shift in [0, maxShift] with mul·2^-shift as close to real as possible.
 * Picks the largest shift at which round(real·2^shift) still fits (so mul lands in [2^(mulBits-1), 2^mulBits)
 * whenever shift < maxShift); this is optimal over all (mul, shift) pairs. Reals too large for shift 0 clamp
 * to mul = 2^mulBits − 1, shift 0; reals too small round to what shift = maxShift allows (possibly mul 0).
 * real = 0 gives { mul: 0, shift: 0 }.
 */
export function quantizeMultiplier(real: number, mulBits: number, maxShift: number): { mul: number; shift: number } {
  checkReal(real);
  if (!Number.isInteger(mulBits) || mulBits < 1 || mulBits > MAX_MUL_BITS) {
    throw new RangeError(`mulBits must be an integer in [1, ${MAX_MUL_BITS}], got ${mulBits}`);
  }
  if (!Number.isInteger(maxShift) || maxShift < 0 || maxShift > MAX_SHIFT) {
    throw new RangeError(`maxShift must be an integer in [0, ${MAX_SHIFT}], got ${maxShift}`);
  }
  if (real === 0) return { mul: 0, shift: 0 };
  const limit = 2 ** mulBits;
  for (let s = maxShift; s >= 0; s--) {
    const mul = Math.round(real * 2 ** s); // real·2^s is exact (power-of-two scaling); real ≥ 0 so half-up = half-away
    if (mul < limit) return { mul, shift: s };
  }
  return { mul: limit - 1, shift: 0 };
}

/**
 * Pure shift (mul = 1): shift in [0, maxShift] minimizing |2^-shift − real|; on an exact tie the smaller
 * shift (larger multiplier) wins. Reals ≥ 1 give shift 0; real = 0 gives shift = maxShift.
 */
export function quantizeMultiplierPow2(real: number, maxShift: number): { mul: 1; shift: number } {
  checkReal(real);
  if (!Number.isInteger(maxShift) || maxShift < 0 || maxShift > MAX_SHIFT) {
    throw new RangeError(`maxShift must be an integer in [0, ${MAX_SHIFT}], got ${maxShift}`);
  }
  let best = 0;
  let bestErr = Math.abs(1 - real);
  for (let s = 1; s <= maxShift; s++) {
    const err = Math.abs(2 ** -s - real);
    if (err < bestErr) {
      best = s;
      bestErr = err;
    }
  }
  return { mul: 1, shift: best };
}
