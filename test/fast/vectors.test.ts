import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../gen/cli-util.ts';
import { buildStreams, modelJob, schedule } from '../../sim/driver/driver.ts';
import { parseVectors } from '../../sim/driver/vectors.ts';
import { ROOT } from '../helpers.ts';

const DIR = join(ROOT, 'test', 'vectors');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

describe('checked-in reference vectors', () => {
  it('there is a regression set', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });
  for (const f of files) {
    it(`${f}: expectations equal the current golden model (model drift shows up here)`, () => {
      const { file, cfg, jobs } = parseVectors(readFileSync(join(DIR, f), 'utf8'), f);
      jobs.forEach((job, i) => {
        const c = file.cases[i]!;
        const r = modelJob(cfg, job);
        expect({ case: c.name, acc: r.acc, y: r.y, termPairs: r.termPairs }).toEqual({ case: c.name, ...c.expected });
      });
      const s = schedule(cfg, buildStreams(cfg, jobs).tiles);
      expect(file.expectedSchedule?.totalCycles).toBe(s.totalCycles);
    });
  }
});

describe('vector file validation', () => {
  const good = JSON.parse(readFileSync(join(DIR, 'tiny-random.json'), 'utf8'));
  const mutate = (f: (v: any) => void): string => {
    const v = structuredClone(good);
    f(v);
    return JSON.stringify(v);
  };
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{', /not valid JSON/],
    ['wrong format tag', mutate((v) => (v.format = 'x')), /"format" must be "trgen-vectors"/],
    ['future version', mutate((v) => (v.version = 9)), /unsupported version 9/],
    ['bad config', mutate((v) => (v.config = { preset: 'tiny', rows: 99 })), /rows: 99 is out of range/],
    ['value out of range', mutate((v) => (v.cases[0].weights[0][0] = 8)), /case 0 \(conventional-0\): weights\[0\]\[0\] \(4-bit\) = 8 is outside -7\.\.7/],
    ['ragged inputs', mutate((v) => v.cases[1].inputs[0].pop()), /inputs row 0 has \d+ values, expected K/],
    ['g above the design maximum', mutate((v) => (v.cases[0].control.g = 5)), /control\.g .* = 5 is outside 1\.\.4/],
    ['d above the max terms', mutate((v) => (v.cases[1].control.d = 3)), /control\.d .* = 3 is outside 1\.\.2/],
    ['missing bias entries', mutate((v) => v.cases[0].bias.pop()), /out\.bias must have one entry per output channel/],
    ['a negative term-pair count', mutate((v) => (v.cases[0].expected.termPairs = -1)), /"expected\.termPairs" must be a non-negative integer/],
    ['expected without acc', mutate((v) => delete v.cases[0].expected.acc), /"expected" must be an object \{acc, y, termPairs\}/],
    ['K above maxK', mutate((v) => { v.cases[0].weights = [new Array(65).fill(0)]; v.cases[0].inputs = [new Array(65).fill(0)]; v.cases[0].bias = [0]; v.cases[0].mul = [1]; v.cases[0].shift = [0]; }), /K = 65 exceeds the design's maxK = 64/],
  ];
  for (const [what, text, msg] of cases) {
    it(`rejects ${what}`, () => {
      let err: unknown;
      try {
        parseVectors(text, 'v.json');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(msg);
    });
  }
});

describe('npm run model -- --vectors checks term pairs', () => {
  it('a wrong expected term-pair count fails (exit 1) and says which case', async () => {
    const { runTs } = await import('../helpers.ts');
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'trgen-tp-'));
    try {
      const v = JSON.parse(readFileSync(join(DIR, 'tiny-random.json'), 'utf8'));
      const ok = runTs('sim/cli-model.ts', ['--vectors', join(DIR, 'tiny-random.json')]);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      const want = v.cases[1].expected.termPairs as number;
      v.cases[1].expected.termPairs = want + 1;
      const f = join(dir, 'bad.json');
      writeFileSync(f, JSON.stringify(v));
      const r = runTs('sim/cli-model.ts', ['--vectors', f]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`${v.cases[1].name}: term pairs differ: expected ${want + 1}, model ${want}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('random generator options and edge cases', () => {
  it('options shape the cases; defaults are unchanged (the checked-in files regenerate byte-identically)', async () => {
    const { randomVectors, edgeVectors, vectorLimits } = await import('../../sim/driver/vectors.ts');
    const { resolveConfig } = await import('../../gen/config.ts');
    const f = randomVectors({ preset: 'small' }, 3, { cases: 12, modes: 'tr', minK: 100, maxK: 120, k: [2, 3], d: [1, 1], g: [8, 8], extremes: true });
    for (const c of f.cases) {
      expect(c.control.mode).toBe('tr');
      expect(c.control.g).toBe(8);
      expect([2, 3]).toContain(c.control.k);
      expect(c.control.d).toBe(1);
      expect(c.weights[0]!.length).toBeGreaterThanOrEqual(100);
      expect(c.weights[0]!.length).toBeLessThanOrEqual(120);
      const lim = vectorLimits(resolveConfig({ preset: 'small' }));
      for (const b of c.bias) expect(Math.abs(b)).toBe(2 ** (lim.biasBits - 1) - 1);
      for (const s of c.shift) expect([0, lim.maxShift]).toContain(s);
    }
    const mixed = randomVectors({ preset: 'small' }, 4, { cases: 20, modes: 'random' });
    expect(new Set(mixed.cases.map((c) => c.control.mode))).toEqual(new Set(['conventional', 'tr']));
    const e = edgeVectors({ preset: 'tiny' });
    const K = e.cases.map((c) => c.weights[0]!.length);
    expect(Math.max(...K)).toBe(64);
    expect(Math.min(...K)).toBe(1);
    // defaults: same cases as the checked-in file (its seed 11, 8 cases)
    const good = JSON.parse(readFileSync(join(DIR, 'tiny-random.json'), 'utf8'));
    expect(randomVectors({ preset: 'tiny' }, 11, { cases: 8 }).cases).toEqual(good.cases.map(({ expected: _e, ...c }: { expected: unknown }) => c));
  });

  it('limits in a file must equal the design', () => {
    const v = JSON.parse(readFileSync(join(DIR, 'tiny-random.json'), 'utf8'));
    expect(v.limits.maxK).toBe(64);
    v.limits.maxShift = 99;
    expect(() => parseVectors(JSON.stringify(v), 'v.json')).toThrow(/"limits\.maxShift" is 99 but the design's is 23/);
  });
});
