import { describe, expect, it } from 'vitest';
import { PRESETS, presetConfig } from '../../gen/config.ts';
import { buildDesign } from '../../gen/design.ts';
import { lint } from '../../sim/verilator.ts';
import { randomConfig } from '../helpers.ts';

describe('verilator --lint-only -Wall', () => {
  for (const name of Object.keys(PRESETS)) {
    it(`preset ${name} is clean`, () => {
      const d = buildDesign(presetConfig(name));
      expect(lint(d.files, d.top)).toBe('');
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
