/**
 * Formal check of the output stage with yosys `sat` (gen/formal/out-stage.ts): the generated `<name>_out`
 * equals y = clamp(((acc + bias) · mul) >>> shift) with ReLU for every input sequence.
 *   - every preset's bias / shift / clamp / ReLU datapath, with the multiplier removed (outMulBits 0), at the
 *     preset's accumulator, bias, shift and output widths;
 *   - the whole stage with its 8-bit multiplier for the tiny preset, in one piece;
 *   - the whole stage with its multiplier for every preset that has one (8, 12 and 16 bits), cut at the
 *     multiplier's operands (gen/formal/out-stage.ts explains the cut and what it leaves to yosys' $mul).
 * And the proofs can fail: an off-by-one clamp in the formula, or a wrong operand at the cut, is reported as a
 * failed proof.
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

  for (const preset of Object.keys(PRESETS).filter((p) => resolveConfig({ preset: p }).outMulBits > 0)) {
    it(`preset ${preset}: the whole stage with its ${resolveConfig({ preset }).outMulBits}-bit multiplier (cut at the multiplier's operands)`, async () => {
      const r = await proveOutStage(resolveConfig({ preset }), undefined, 'cut');
      expect(r.proven, r.log.slice(-20).join('\n')).toBe(true);
    });
  }

  it('the cut proof fails for a wrong formula or a wrong operand', async () => {
    const cfg = resolveConfig({ preset: 'mnist' });
    const clamp = await proveOutStage(cfg, (m) => m.replace(/localparam signed \[(\d+):0\] M = (\d+);/, (_s, w: string, v: string) => `localparam signed [${w}:0] M = ${Number(v) - 1};`), 'cut');
    expect(clamp.proven).toBe(false);
    expect(clamp.log.join('\n')).toMatch(/proof did fail/);
    const operand = await proveOutStage(cfg, (m) => m.replace('wire ok_a = (c_sum == s1)', 'wire ok_a = (c_sum == s1 + 1)'), 'cut');
    expect(operand.proven).toBe(false);
  });

  it('a wrong formula (clamp one below the largest output) fails the proof', async () => {
    const r = await proveOutStage(resolveConfig({ preset: 'wide' }), (m) => m.replace(/localparam signed \[(\d+):0\] M = (\d+);/, (_s, w: string, v: string) => `localparam signed [${w}:0] M = ${Number(v) - 1};`));
    expect(r.proven).toBe(false);
    expect(r.log.join('\n')).toMatch(/proof did fail/);
  });
});
