/**
 * Formal check of the output stage with yosys `sat` (gen/formal/out-stage.ts): the generated `<name>_out`
 * equals y = clamp(((acc + bias) · mul) >>> shift) with ReLU for every input sequence.
 *   - every preset's bias / shift / clamp / ReLU datapath, with the multiplier removed (outMulBits 0), at the
 *     preset's accumulator, bias, shift and output widths;
 *   - the whole stage with its multiplier for the tiny preset (8-bit multiplier); for the 12- and 16-bit
 *     multipliers of the other presets the SAT proof does not finish in reasonable time, so their multiplier
 *     path is covered by simulation only (test/medium: random and edge cases against the model).
 * And the proof can fail: an off-by-one clamp in the formula is reported as a failed proof.
 */
import { describe, expect, it } from 'vitest';
import { PRESETS, resolveConfig } from '../../gen/config.ts';
import { proveOutStage } from '../../gen/formal/out-stage.ts';

describe('formal: the output stage equals its formula (yosys sat)', () => {
  for (const preset of Object.keys(PRESETS)) {
    it(`preset ${preset}: bias, shift, clamp and ReLU (shift-only datapath)`, async () => {
      const r = await proveOutStage(resolveConfig({ preset, outMulBits: 0 }));
      expect(r.proven, r.log.slice(-20).join('\n')).toBe(true);
    });
  }

  it('preset tiny: the whole stage with its 8-bit multiplier', async () => {
    const r = await proveOutStage(resolveConfig({ preset: 'tiny' }));
    expect(r.proven, r.log.slice(-20).join('\n')).toBe(true);
  }, 900_000);

  it('a wrong formula (clamp one below the largest output) fails the proof', async () => {
    const r = await proveOutStage(resolveConfig({ preset: 'wide' }), (m) => m.replace(/localparam signed \[(\d+):0\] M = (\d+);/, (_s, w: string, v: string) => `localparam signed [${w}:0] M = ${Number(v) - 1};`));
    expect(r.proven).toBe(false);
    expect(r.log.join('\n')).toMatch(/proof did fail/);
  });
});
