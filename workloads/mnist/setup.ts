/**
 * The experiment setup shared by `npm run mnist` (cli.ts) and the hardware-only run (hw-cli.ts), so both use
 * the same training digits (and therefore the same cached float net), quantization and test digits.
 */
import type { Sample } from './data.ts';
import type { QuantOptions } from './qmlp.ts';

/** validation: every 8th training digit (index ≡ 7 mod 8) is held out of training */
export const VAL_EVERY = 8;
/** TR group size of the sweep */
export const TR_G = 16;
/** activation bits of the QT and TR series; weight bits of the TR series */
export const X_BITS = 8;
export const TR_W_BITS = 8;
export const BASE_QUANT: Omit<QuantOptions, 'wBits' | 'xBits'> = { mulBits: 16, maxShift: 31, quantile: 0.9999, wScale: 'mse' };

/** Training digits minus the validation digits (optionally only every `trainEvery`-th), and the validation digits. */
export function trainValSplit(train: readonly Sample[], trainEvery = 1): { trainSet: Sample[]; valSet: Sample[] } {
  return {
    trainSet: train.filter((_, i) => i % VAL_EVERY !== VAL_EVERY - 1 && i % trainEvery === 0),
    valSet: train.filter((_, i) => i % VAL_EVERY === VAL_EVERY - 1),
  };
}

/** n test digits evenly spaced over the (class-major) test list, so every class is represented. */
export function spreadSamples<T>(list: readonly T[], n: number): T[] {
  return Array.from({ length: n }, (_, i) => list[Math.floor((i * list.length) / n)] as T);
}
