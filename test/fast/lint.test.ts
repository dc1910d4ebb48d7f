import { describe, expect, it } from 'vitest';
import { PRESETS, presetConfig, resolveConfig } from '../../gen/config.ts';
import { buildDesign } from '../../gen/design.ts';
import { lint } from '../../sim/verilator/verilator.ts';
import { CELL_VARIANTS, randomConfig } from '../helpers.ts';

describe('verilator --lint-only -Wall', () => {
  for (const name of Object.keys(PRESETS)) {
    it(`preset ${name} is clean`, () => {
      const d = buildDesign(presetConfig(name));
      expect(lint(d.files, d.top)).toBe('');
    });
  }
  for (const name of Object.keys(PRESETS)) {
    for (const v of CELL_VARIANTS.slice(1)) {
      it(`preset ${name} with ${v.label} cells is clean`, () => {
        const d = buildDesign(resolveConfig({ preset: name, ...v.fields }));
        expect(lint(d.files, d.top)).toBe('');
      });
    }
  }
  for (const [seed, v] of [[111, 1], [112, 2], [113, 1], [114, 2]] as const) {
    it(`random config with ${CELL_VARIANTS[v]!.label} cells (seed ${seed}) is clean`, () => {
      const cfg = randomConfig(seed, CELL_VARIANTS[v]!.fields);
      const d = buildDesign(cfg);
      expect({ cfg, warnings: lint(d.files, d.top) }).toEqual({ cfg, warnings: '' });
    });
  }
  for (const seed of [101, 102, 103, 104, 105, 106]) {
    it(`random config (seed ${seed}) is clean`, () => {
      const cfg = randomConfig(seed);
      const d = buildDesign(cfg);
      expect({ cfg, warnings: lint(d.files, d.top) }).toEqual({ cfg, warnings: '' });
    });
  }
});
