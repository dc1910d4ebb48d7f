import { describe, expect, it } from 'vitest';
import { UserError } from '../../gen/cli-util.ts';
import { DEFAULTS, PRESETS, derive, presetConfig, resolveConfig } from '../../gen/config.ts';
import { maxPrefixMagnitude } from '../../sim/model/terms.ts';

describe('config validation', () => {
  it('every preset resolves and differs from the defaults where it says so', () => {
    for (const name of Object.keys(PRESETS)) {
      const cfg = presetConfig(name);
      for (const [k, v] of Object.entries(PRESETS[name] ?? {})) expect({ preset: name, [k]: cfg[k as keyof typeof cfg] }).toEqual({ preset: name, [k]: v });
    }
    expect(resolveConfig({})).toEqual(DEFAULTS);
  });

  const bad: [unknown, RegExp][] = [
    [[], /expected a JSON object/],
    [{ rows: 0 }, /rows: 0 is out of range 1\.\.32/],
    [{ cols: 2.5 }, /cols: expected an integer/],
    [{ wBits: 9 }, /wBits: 9 is out of range 2\.\.8/],
    [{ xBits: '8' }, /xBits: expected an integer/],
    [{ colz: 3 }, /unknown field 'colz'/],
    [{ preset: 'huge' }, /unknown preset "huge"/],
    [{ name: 'Top' }, /not a valid module prefix/],
    [{ name: 'a-b' }, /not a valid module prefix/],
    [{ groupMax: 4, lanes: 8 }, /lanes: 8 exceeds groupMax 4/],
    [{ outMulBits: 1 }, /outMulBits: must be 0/],
    [{ maxK: 1 << 20, wBits: 8, xBits: 8, biasBits: 1 }, /biasBits/],
  ];
  for (const [input, msg] of bad) {
    it(`rejects ${JSON.stringify(input)} with a clear message`, () => {
      let err: unknown;
      try {
        resolveConfig(input, 'cfg.json');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(msg);
      expect((err as Error).message.startsWith('cfg.json')).toBe(true);
    });
  }

  it('lanes default to the group size when only groupMax is given', () => {
    expect(resolveConfig({ groupMax: 4 }).lanes).toBe(4);
    expect(resolveConfig({ groupMax: 16 }).lanes).toBe(DEFAULTS.lanes);
  });
});

describe('derived widths', () => {
  it('8-bit HESE: 4 terms, exponents 0..7, 128 as the largest prefix', () => {
    const d = derive(presetConfig('default'));
    expect({ TW: d.TW, TX: d.TX, maxExpW: d.maxExpW, EW: d.EW, EX: d.EX }).toEqual({ TW: 4, TX: 4, maxExpW: 7, EW: 3, EX: 3 });
    expect(d.accBound).toBe(1024 * 128 * 128);
  });

  it('accumulator holds every reachable sum, and not one bit more than needed', () => {
    for (const name of Object.keys(PRESETS)) {
      const cfg = presetConfig(name);
      const d = derive(cfg);
      const bound = cfg.maxK * maxPrefixMagnitude(cfg.wBits, 'hese') * maxPrefixMagnitude(cfg.xBits, 'hese');
      expect({ name, bound: d.accBound }).toEqual({ name, bound });
      // signed accW bits hold -bound..bound; accW-1 bits would not
      expect(2 ** (d.accW - 1) - 1).toBeGreaterThanOrEqual(bound);
      expect(2 ** (d.accW - 2) - 1).toBeLessThan(bound);
      // one-hot of the largest product exponent fits below the sign bit
      expect(d.maxExpW + d.maxExpX).toBeLessThan(d.accW - 1);
    }
  });

  it('register widths hold their largest values', () => {
    for (const name of Object.keys(PRESETS)) {
      const d = derive(presetConfig(name));
      expect(2 ** d.KW).toBeGreaterThan(d.G * d.TW);
      expect(2 ** d.DW).toBeGreaterThan(d.TX);
      expect(2 ** d.GW).toBeGreaterThan(d.G);
      expect(2 ** d.IW).toBeGreaterThanOrEqual(d.G);
      expect(2 ** d.SW).toBeGreaterThan(d.maxShift);
      expect(d.WT).toBe(1 + d.IW + 1 + d.EW);
      expect(d.LMIN).toBeGreaterThanOrEqual(d.R);
    }
  });
});

describe('cell kinds', () => {
  it('accepts tp and tv (P = 1, 2) and derives the slot width and latencies per kind', () => {
    const tp = derive(resolveConfig({ preset: 'small' }));
    const tv2 = derive(resolveConfig({ preset: 'small', cell: 'tv', termsPerCycle: 2 }));
    expect({ cell: tp.cell, P: tp.P, WS: tp.WS, goDelay: tp.goDelay }).toEqual({ cell: 'tp', P: 1, WS: tp.WT, goDelay: 4 });
    expect({ cell: tv2.cell, P: tv2.P, WS: tv2.WS, XV: tv2.XV, goDelay: tv2.goDelay }).toEqual({ cell: 'tv', P: 2, WS: 2 * tv2.WT, XV: 9, goDelay: 5 });
  });
  it('rejects an unknown cell kind and P = 2 with term-pair cells, naming the field', () => {
    expect(() => resolveConfig({ cell: 'tx' })).toThrow(/cell: expected one of "tp", "tv"/);
    expect(() => resolveConfig({ termsPerCycle: 2 })).toThrow(/termsPerCycle: 2 needs cell "tv"/);
    expect(() => resolveConfig({ cell: 'tv', termsPerCycle: 3 })).toThrow(/termsPerCycle: 3 is out of range 1..2/);
  });
});
