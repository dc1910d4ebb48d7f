/**
 * Stimulus JSON Lines for the generated Verilator harness (sim/verilator/harness.ts has the format), for the TR
 * array and the baselines alike: every descriptor beat followed by the parameter-memory writes of its set, then
 * the weight and data beats (block mode: shared beat sequences defined once, used per tile).
 */
import { type ColumnParams, type ParamWidths, paramWriteLines } from '../driver/params.ts';

export interface StimulusStreams {
  /** descriptor beats: port name -> value (in_t_pset names the set) */
  t: readonly Readonly<Record<string, bigint>>[];
  /** the set of each descriptor */
  params: readonly (readonly ColumnParams[])[];
  w: readonly bigint[];
  x: readonly bigint[];
  tiles: readonly { wBlock?: number; xBlock?: number }[];
  blocks?: { w: readonly (readonly bigint[])[]; x: readonly (readonly bigint[])[] };
}

const hex = (v: bigint): string => v.toString(16);

export function stimulusLines(pw: ParamWidths, s: StimulusStreams): string[] {
  const lines: string[] = [];
  s.t.forEach((t, i) => {
    lines.push(JSON.stringify({ ch: 't', ...Object.fromEntries(Object.entries(t).map(([k, v]) => [k, hex(v)])) }));
    lines.push(...paramWriteLines(pw, Number(t['in_t_pset'] ?? 0n), s.params[i] ?? []));
  });
  const wLine = (w: bigint): string => `{"ch":"w","in_w_data":"${hex(w)}"}`;
  const xLine = (x: bigint): string => `{"ch":"x","in_x_data":"${hex(x)}"}`;
  if (s.blocks) {
    s.blocks.w.forEach((beats, i) => lines.push(`{"def":"w${i}"}`, ...beats.map(wLine), `{"end":"w${i}"}`));
    s.blocks.x.forEach((beats, i) => lines.push(`{"def":"x${i}"}`, ...beats.map(xLine), `{"end":"x${i}"}`));
    for (const t of s.tiles) lines.push(`{"use":"w${t.wBlock}"}`, `{"use":"x${t.xBlock}"}`);
    return lines;
  }
  for (const w of s.w) lines.push(wLine(w));
  for (const x of s.x) lines.push(xLine(x));
  return lines;
}
