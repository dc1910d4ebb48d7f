/** The tv edge's binary capping rule (sim/model/capper.ts, the algorithm of rtl-templates/tv_edge.v) equals
 *  the model's per-value cap (the value of the d most significant HESE terms) for every value of every width. */
import { describe, expect, it } from 'vitest';
import { capBinary } from '../../sim/model/capper.ts';
import { capTerms, heseTerms, maxMagnitude, maxTerms, termsValue } from '../../sim/model/terms.ts';

describe('binary capper (tv edge)', () => {
  for (let bits = 2; bits <= 8; bits++) {
    it(`equals the value of the d most significant HESE terms for every ${bits}-bit value and d = 1..T+1`, () => {
      const m = maxMagnitude(bits);
      const wrong: { v: number; d: number; model: number; capper: number }[] = [];
      for (let v = -m; v <= m; v++) {
        for (let d = 1; d <= maxTerms(bits, 'hese') + 1; d++) {
          const model = termsValue(capTerms(heseTerms(v), d));
          const capper = capBinary(v, bits, d);
          if (model !== capper) wrong.push({ v, d, model, capper });
        }
      }
      expect(wrong).toEqual([]);
    });
  }
  it('caps past the value itself when the top term rounds up (127, d = 1 -> 128)', () => {
    expect(capBinary(127, 8, 1)).toBe(128);
    expect(capBinary(-127, 8, 1)).toBe(-128);
    expect(capBinary(0, 8, 1)).toBe(0);
  });
});
