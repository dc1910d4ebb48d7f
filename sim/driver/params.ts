/**
 * Output-parameter sets: what every design's parameter memory holds (gen/design.ts paramPorts). A tile's
 * descriptor names a set (in_t_pset); the set is C words, one per column, at address pset * 2^CW + column, each
 * {shift, mul, bias} (bias in the low bits). The read-out reads column c's word when it reads a result of
 * column c. Shared by the TR driver, the baseline driver and the board host.
 */
import type { OutputParams } from './driver.ts';

/** The widths a parameter set depends on (Derived of the TR array and BaselineDerived both have them). */
export interface ParamWidths {
  C: number;
  CW: number;
  BBW: number;
  MBW: number;
  MULW: number;
  SW: number;
  PSW: number;
}

/** One column's output-stage parameters. */
export interface ColumnParams {
  bias: number;
  mul: number;
  shift: number;
}

const mask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

/** The set of the tile covering output channels m0 .. m0+C-1 of a layer with M channels (columns past M get
 *  bias 0, shift 0 and the multiplier that makes them harmless: 1 for a shift-only stage, else 0). */
export function tileParams(w: ParamWidths, out: OutputParams, m0: number, M: number): ColumnParams[] {
  return Array.from({ length: w.C }, (_, c) => {
    const m = m0 + c;
    return m < M
      ? { bias: out.bias[m] as number, mul: out.mul[m] as number, shift: out.shift[m] as number }
      : { bias: 0, mul: w.MULW === 0 ? 1 : 0, shift: 0 };
  });
}

/** The set a stream's tile i uses: the sets in turn, so a set is rewritten (when tile i's descriptor is
 *  accepted) only 2^PSW tiles after the tile that used it before. That tile has been read out by then: the TR
 *  sequencer accepts a descriptor when its tile starts, after the reads of every tile but the previous one, and
 *  the baselines' output queue holds at most NQ <= 9 tiles between descriptor and last read (psetBits >= 4). */
export const psetOf = (w: Pick<ParamWidths, 'PSW'>, tile: number): number => tile % 2 ** w.PSW;

/** Parameter memory address of column c of a set. */
export const paramAddr = (w: Pick<ParamWidths, 'CW'>, pset: number, c: number): number => pset * 2 ** w.CW + c;

/** One column's parameter memory word {shift, mul, bias}, bias (two's complement) in the low bits. */
export function paramWord(w: ParamWidths, p: ColumnParams): bigint {
  return (BigInt(p.bias) & mask(w.BBW)) | (BigInt(p.mul) << BigInt(w.BBW)) | (BigInt(p.shift) << BigInt(w.BBW + w.MBW));
}

/** Harness stimulus lines (sim/verilator/harness.ts) that write a set into the harness's parameter memory;
 *  they follow the descriptor line that uses the set. */
export function paramWriteLines(w: ParamWidths, pset: number, params: readonly ColumnParams[]): string[] {
  const hex = (v: bigint): string => v.toString(16);
  return params.map(
    (p, c) =>
      `{"mem":"${hex(BigInt(paramAddr(w, pset, c)))}","in_p_bias":"${hex(BigInt(p.bias) & mask(w.BBW))}","in_p_mul":"${hex(BigInt(p.mul))}","in_p_shift":"${hex(BigInt(p.shift))}"}`,
  );
}
