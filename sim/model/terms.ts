/**
 * Term encodings of quantized integers (docs/DESIGN.md §1-3).
 *
 * A term is sign·2^exp. Every encoder works on |v| and multiplies each digit by sign(v); term lists are
 * always most significant first (strictly decreasing exp). Encoders accept any safe integer; the bit-width
 * helpers (maxTerms, maxExponent, maxPrefixMagnitude) enumerate every value of a width exhaustively.
 */

export type Sign = 1 | -1;
export interface Term {
  sign: Sign;
  exp: number;
}
export type Encoding = 'binary' | 'hese' | 'booth4';

export const ENCODINGS: readonly Encoding[] = ['binary', 'hese', 'booth4'];

export const MIN_BITS = 2;
export const MAX_BITS = 16;

/** Throws unless bits is an integer in [MIN_BITS, MAX_BITS]. */
export function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < MIN_BITS || bits > MAX_BITS) {
    throw new RangeError(`bit width must be an integer in [${MIN_BITS}, ${MAX_BITS}], got ${bits}`);
  }
}

/** Throws unless n is a safe integer. */
export function checkSafeInteger(n: number, what: string): void {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} must be a safe integer, got ${n}`);
}

/** Throws unless n is an integer ≥ min. */
export function checkIntAtLeast(n: number, min: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`${what} must be an integer ≥ ${min}, got ${n}`);
}

export function checkEncoding(enc: Encoding): void {
  if (!ENCODINGS.includes(enc)) throw new RangeError(`unknown encoding ${String(enc)} (expected ${ENCODINGS.join(' | ')})`);
}

/** 2^(bits-1) - 1: the largest |v| of a symmetric signed quantized value. */
export function maxMagnitude(bits: number): number {
  checkBits(bits);
  return 2 ** (bits - 1) - 1;
}

/** Throws unless v is an integer with |v| ≤ maxMagnitude(bits). */
export function checkValue(v: number, bits: number): void {
  const m = maxMagnitude(bits);
  if (!Number.isInteger(v) || Math.abs(v) > m) {
    throw new RangeError(`value must be an integer with |v| ≤ ${m} for ${bits} bits, got ${v}`);
  }
}

/** Bit i of the non-negative safe integer n (no 32-bit truncation). */
function bit(n: number, i: number): number {
  if (i < 0) return 0;
  return Math.floor(n / 2 ** i) % 2;
}

function signOf(v: number): Sign {
  return v < 0 ? -1 : 1;
}

/** Terms from (digit, exp) pairs gathered LSB first: reverse to MSB first and apply the value's sign. */
function finish(lsbFirst: { digit: Sign; exp: number }[], s: Sign): Term[] {
  const out: Term[] = [];
  for (let j = lsbFirst.length - 1; j >= 0; j--) {
    const t = lsbFirst[j]!;
    out.push({ sign: (t.digit * s) as Sign, exp: t.exp });
  }
  return out;
}

/** Set bits of |v|, each with sign(v), most significant first. */
export function binaryTerms(v: number): Term[] {
  checkSafeInteger(v, 'value');
  const n = Math.abs(v);
  const acc: { digit: Sign; exp: number }[] = [];
  for (let i = 0; 2 ** i <= n; i++) if (bit(n, i) === 1) acc.push({ digit: 1, exp: i });
  return finish(acc, signOf(v));
}

/**
 * HESE: the literal one-pass LSB→MSB rule of docs/DESIGN.md §2 over (b[i+1], b[i]) with mode bit m (m=0 at start):
 *   m=0,01 → +2^i (m=0); m=0,11 → −2^i (m=1); m=1,00 → +2^i (m=0); m=1,10 → −2^i (m=1);
 *   otherwise nothing, m unchanged.
 * The scan runs past the top bit of |v| (reading zeros) until the mode bit is flushed back to 0.
 */
export function heseTerms(v: number): Term[] {
  checkSafeInteger(v, 'value');
  const n = Math.abs(v);
  const acc: { digit: Sign; exp: number }[] = [];
  let m = 0;
  for (let i = 0; m === 1 || 2 ** i <= n; i++) {
    const hi = bit(n, i + 1);
    const lo = bit(n, i);
    if (m === 0 && hi === 0 && lo === 1) {
      acc.push({ digit: 1, exp: i });
      m = 0;
    } else if (m === 0 && hi === 1 && lo === 1) {
      acc.push({ digit: -1, exp: i });
      m = 1;
    } else if (m === 1 && hi === 0 && lo === 0) {
      acc.push({ digit: 1, exp: i });
      m = 0;
    } else if (m === 1 && hi === 1 && lo === 0) {
      acc.push({ digit: -1, exp: i });
      m = 1;
    }
    // otherwise: no digit, m unchanged
  }
  return finish(acc, signOf(v));
}

/**
 * Independent reference NAF (the textbook algorithm): while n > 0: if n odd, z = 2 - (n mod 4), n -= z;
 * n /= 2. Applied to |v|, digits times sign(v), most significant first.
 */
export function nafTerms(v: number): Term[] {
  checkSafeInteger(v, 'value');
  let n = Math.abs(v);
  const acc: { digit: Sign; exp: number }[] = [];
  for (let i = 0; n > 0; i++) {
    if (n % 2 === 1) {
      const z = 2 - (n % 4); // +1 or -1
      acc.push({ digit: z as Sign, exp: i });
      n -= z;
    }
    n /= 2;
  }
  return finish(acc, signOf(v));
}

/**
 * Radix-4 Booth recoding of |v|: d_i = -2·b[2i+1] + b[2i] + b[2i-1] (b[-1] = 0), for i = 0.. while
 * b[2i-1] or any higher bit can still be nonzero (so the top digit sees a 0 sign bit and the value is
 * positive). Digit ±1 → ±2^(2i), ±2 → ±2^(2i+1); zero digits dropped; times sign(v); MSB first.
 */
export function booth4Terms(v: number): Term[] {
  checkSafeInteger(v, 'value');
  const n = Math.abs(v);
  const acc: { digit: Sign; exp: number }[] = [];
  for (let i = 0; n > 0 && (i === 0 || Math.floor(n / 2 ** (2 * i - 1)) > 0); i++) {
    const d = -2 * bit(n, 2 * i + 1) + bit(n, 2 * i) + bit(n, 2 * i - 1);
    if (d === 0) continue;
    const s: Sign = d > 0 ? 1 : -1;
    acc.push({ digit: s, exp: Math.abs(d) === 1 ? 2 * i : 2 * i + 1 });
  }
  return finish(acc, signOf(v));
}

export function encode(v: number, enc: Encoding): Term[] {
  switch (enc) {
    case 'binary':
      return binaryTerms(v);
    case 'hese':
      return heseTerms(v);
    case 'booth4':
      return booth4Terms(v);
    default:
      checkEncoding(enc);
      throw new RangeError(`unknown encoding ${String(enc)}`);
  }
}

/** Σ sign·2^exp (exact; throws if the sum leaves the safe-integer range). */
export function termsValue(terms: readonly Term[]): number {
  let s = 0;
  for (const t of terms) {
    checkTerm(t);
    s += t.sign * 2 ** t.exp;
    if (!Number.isSafeInteger(s)) throw new RangeError(`term sum ${s} is not a safe integer`);
  }
  return s;
}

/** Throws unless t has sign ±1 and a non-negative integer exponent. */
export function checkTerm(t: Term): void {
  if ((t.sign !== 1 && t.sign !== -1) || !Number.isInteger(t.exp) || t.exp < 0 || t.exp > 52) {
    throw new RangeError(`bad term ${JSON.stringify(t)} (sign must be ±1, exp an integer in [0, 52])`);
  }
}

/**
 * Per-value cap: the first d (most significant) terms, as a new array. d is an integer ≥ 0
 * (or +Infinity = no cap); d ≥ length returns a copy.
 */
export function capTerms(terms: readonly Term[], d: number): Term[] {
  if (!(d === Infinity || (Number.isInteger(d) && d >= 0))) {
    throw new RangeError(`cap d must be an integer ≥ 0 (or Infinity), got ${d}`);
  }
  return terms.slice(0, d === Infinity ? terms.length : d).map((t) => ({ sign: t.sign, exp: t.exp }));
}

interface EncStats {
  maxTerms: number;
  maxExponent: number;
  maxPrefixMagnitude: number;
}

const statsMemo = new Map<string, EncStats>();

function encStats(bits: number, enc: Encoding): EncStats {
  checkBits(bits);
  checkEncoding(enc);
  const key = `${enc}:${bits}`;
  const hit = statsMemo.get(key);
  if (hit) return hit;
  const m = maxMagnitude(bits);
  let maxT = 0;
  let maxE = -1;
  let maxP = 0;
  for (let v = -m; v <= m; v++) {
    const ts = encode(v, enc);
    if (ts.length > maxT) maxT = ts.length;
    let prefix = 0;
    for (const t of ts) {
      if (t.exp > maxE) maxE = t.exp;
      prefix += t.sign * 2 ** t.exp;
      if (Math.abs(prefix) > maxP) maxP = Math.abs(prefix);
    }
  }
  const st: EncStats = { maxTerms: maxT, maxExponent: maxE, maxPrefixMagnitude: maxP };
  statsMemo.set(key, st);
  return st;
}

/** Largest number of terms of any |v| ≤ maxMagnitude(bits) (exhaustive, memoized). */
export function maxTerms(bits: number, enc: Encoding): number {
  return encStats(bits, enc).maxTerms;
}

/** Largest term exponent of any |v| ≤ maxMagnitude(bits) (exhaustive, memoized). */
export function maxExponent(bits: number, enc: Encoding): number {
  return encStats(bits, enc).maxExponent;
}

/**
 * max over |v| ≤ maxMagnitude(bits) and d ≥ 1 of |termsValue(capTerms(encode(v, enc), d))|.
 * Can exceed maxMagnitude (HESE of 127 = +128 −1 has the prefix +128).
 */
export function maxPrefixMagnitude(bits: number, enc: Encoding): number {
  return encStats(bits, enc).maxPrefixMagnitude;
}

/** Closed form for maxTerms(bits, 'hese'): floor((bits-1)/2) + 1. */
export function heseMaxTermsFormula(bits: number): number {
  checkBits(bits);
  return Math.floor((bits - 1) / 2) + 1;
}
