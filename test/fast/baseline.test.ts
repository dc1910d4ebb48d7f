/**
 * Conventional baselines (gen/baselines.ts, sim/driver/baseline-driver.ts) without simulation: lint, determinism,
 * structure, stream packing, and the cycle model's formulas.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../gen/cli-util.ts';
import { PRESETS, derive, presetConfig, resolveConfig } from '../../gen/config.ts';
import { BASELINE_KINDS, buildBaseline, deriveBaseline } from '../../gen/baselines.ts';
import { buildBenchWrapper } from '../../gen/bench/bench.ts';
import { baselineSchedule, baselineStimulusLines, buildBaselineStreams, checkBaselineJob } from '../../sim/driver/baseline-driver.ts';
import { lint } from '../../sim/verilator/verilator.ts';
import { randomConfig } from '../helpers.ts';

/** 1×1 array, 2-bit values, maxK = 1: the accumulator (2 bits) is narrower than the product (4 bits). */
const corner = resolveConfig({ name: 'corner', rows: 1, cols: 1, wBits: 2, xBits: 2, groupMax: 1, lanes: 1, maxK: 1 });

describe('baselines: verilator --lint-only -Wall', () => {
  for (const kind of BASELINE_KINDS) {
    for (const name of Object.keys(PRESETS)) {
      it(`${kind}: preset ${name} is clean`, () => {
        const b = buildBaseline(presetConfig(name), kind);
        expect(lint(b.files, b.top)).toBe('');
      });
    }
    for (const seed of [101, 102, 103, 104, 105, 106]) {
      it(`${kind}: random config (seed ${seed}) is clean`, () => {
        const cfg = randomConfig(seed);
        const b = buildBaseline(cfg, kind);
        expect({ cfg, warnings: lint(b.files, b.top) }).toEqual({ cfg, warnings: '' });
      });
    }
    it(`${kind}: 1x1 array with 2-bit values and maxK 1 is clean`, () => {
      const b = buildBaseline(corner, kind);
      expect(b.derived.accW).toBeLessThan(corner.wBits + corner.xBits);
      expect(lint(b.files, b.top)).toBe('');
    });
    it(`${kind}: the benchmark wrapper (gen/bench/bench.ts) accepts the top; no warning in the baseline's files`, () => {
      const b = buildBaseline(presetConfig('tiny'), kind);
      const w = buildBenchWrapper(`${b.cfg.name}_${kind}`, b.signature, b.files, 1);
      expect(w.files[`${b.top}.v`]).toBe(b.files[`${b.top}.v`]);
      // the whole benchmark design, wrapper included, is -Wall clean
      expect(lint(w.files, w.top)).toBe('');
    });
  }
});

describe('baselines: emission', () => {
  for (const kind of BASELINE_KINDS) {
    it(`${kind}: is deterministic and puts one module per file`, () => {
      const a = buildBaseline(resolveConfig({ preset: 'small', name: 'det' }), kind);
      const b = buildBaseline(resolveConfig({ preset: 'small', name: 'det' }), kind);
      expect(a.files).toEqual(b.files);
      expect(Object.keys(a.files)).toEqual(Object.keys(b.files));
      expect(a.configHash).toBe(b.configHash);
      for (const [file, text] of Object.entries(a.files)) {
        const mods = [...text.matchAll(/^module\s+([A-Za-z_][A-Za-z0-9_]*)/gm)].map((m) => m[1]);
        expect({ file, mods }).toEqual({ file, mods: [file.replace(/\.v$/, '')] });
        expect(text).not.toContain('@@');
        expect(mods[0]!.startsWith(`det_${kind}_`)).toBe(true);
      }
      expect(a.top).toBe(`det_${kind}_top`);
      expect(Object.keys(a.files).at(-1)).toBe(`det_${kind}_top.v`);
    });

    it(`${kind}: the top header lists the parameters and the schedule`, () => {
      const cfg = presetConfig('wide');
      const b = buildBaseline(cfg, kind);
      const head = b.files[`${b.top}.v`]!;
      expect(head).toContain(`config sha256 ${b.configHash}`);
      for (const k of Object.keys(cfg)) expect(head).toMatch(new RegExp(`^//   ${k} +`, 'm'));
      const s = kind === 'bp' ? 1 : cfg.wBits;
      expect(head).toContain(`cycles/tile  max(K*${s}, ${cfg.rows})`);
      expect(head).toContain(`result row r leaves out_y ${cfg.cols + 4}+r cycles`);
    });

    it(`${kind}: ports follow the config (same accumulator as the TR array)`, () => {
      const cfg = presetConfig('mnist');
      const b = buildBaseline(cfg, kind);
      const w = Object.fromEntries(b.ports.map((p) => [p.name, p.width]));
      expect(w).toMatchObject({
        in_t_k: 11, in_w_data: cfg.cols * cfg.wBits, in_x_data: cfg.rows * cfg.xBits, out_y_row: 2,
        out_y_acc: cfg.cols * derive(cfg).accW, out_stat_work: 32, out_y_valid: 1,
      });
      expect(b.signature.name).toBe(b.top);
    });
  }

  it('bp and bs of the same config differ only where they should', () => {
    const cfg = presetConfig('tiny');
    const bp = buildBaseline(cfg, 'bp');
    const bs = buildBaseline(cfg, 'bs');
    expect(bp.ports.map((p) => [p.name, p.width])).toEqual(bs.ports.map((p) => [p.name, p.width]));
    expect(Object.keys(bs.files).filter((f) => f.includes('_edge'))).toEqual(['trtiny_bs_edge.v']);
    expect(Object.keys(bp.files).some((f) => f.includes('_edge'))).toBe(false);
    expect(bp.files['trtiny_bp_cell.v']).toMatch(/\*/);
    expect(bs.files['trtiny_bs_cell.v']!.replace(/\/\/.*$|\/\*.*?\*\//gm, '')).not.toMatch(/\*/);
  });
});

describe('baselines: cycle model', () => {
  it('one tile: K*s steps from cycle 2, rows C+4+r cycles after the last step', () => {
    const cfg = presetConfig('default'); // 4x4, 8-bit
    const bp = buildBaseline(cfg, 'bp').schedule(784);
    const bs = buildBaseline(cfg, 'bs').schedule(784);
    expect(bp).toEqual({ stepsPerMac: 1, steps: 784, tileCycles: 784, first: 2, last: 785, rowCycles: [793, 794, 795, 796], totalCycles: 797 });
    expect(bs).toEqual({ stepsPerMac: 8, steps: 6272, tileCycles: 6272, first: 2, last: 6273, rowCycles: [6281, 6282, 6283, 6284], totalCycles: 6285 });
    // short tiles take R cycles in a stream
    expect(buildBaseline(cfg, 'bp').schedule(2).tileCycles).toBe(4);
    expect(() => buildBaseline(cfg, 'bp').schedule(0)).toThrow(/outside/);
  });

  it('a run: tiles back to back, a tile last step at least R cycles after the previous one', () => {
    const cfg = presetConfig('default'); // R = 4, C = 4
    const bp = baselineSchedule(cfg, 'bp', [{ K: 10 }, { K: 1 }, { K: 2 }, { K: 6 }]);
    expect(bp.tiles.map((t) => [t.first, t.last])).toEqual([[2, 11], [15, 15], [16, 19], [20, 25]]);
    expect(bp.tiles[3]!.rowCycles).toEqual([33, 34, 35, 36]);
    expect(bp.totalCycles).toBe(37);
    expect(bp.workCycles).toBe(19);
    const bs = baselineSchedule(cfg, 'bs', [{ K: 10 }, { K: 1 }]);
    expect(bs.tiles.map((t) => [t.first, t.last])).toEqual([[2, 81], [82, 89]]);
    // a single tile agrees with the per-tile formula
    for (const kind of BASELINE_KINDS) {
      const one = baselineSchedule(cfg, kind, [{ K: 7 }]).tiles[0]!;
      const f = buildBaseline(cfg, kind).schedule(7);
      expect({ first: one.first, last: one.last, rows: one.rowCycles }).toEqual({ first: f.first, last: f.last, rows: f.rowCycles });
    }
  });
});

describe('baselines: streams', () => {
  it('packs beats per reduction index, pads partial tiles with zeros', () => {
    const cfg = presetConfig('tiny'); // R = C = 2, 4-bit
    const job = { W: [[1, -2], [3, 4], [-7, 5]], X: [[-1, 6], [2, -3], [7, 0]] }; // M = 3, N = 3, K = 2
    const s = buildBaselineStreams(cfg, 'bs', [job]);
    expect(s.tiles.map((t) => [t.m0, t.n0, t.K])).toEqual([[0, 0, 2], [0, 2, 2], [2, 0, 2], [2, 2, 2]]);
    expect(s.t).toEqual([2n, 2n, 2n, 2n]);
    // weight beat k: column c in bits [4c+3:4c]; tile (m0=0): k=0 {3, 1}, k=1 {4, -2}
    expect(s.w.slice(0, 2)).toEqual([0x31n, 0x4en]);
    // tile (m0=2): only column 0 is real: k=0 {0, -7}, k=1 {0, 5}
    expect(s.w.slice(4, 6)).toEqual([0x09n, 0x05n]);
    // data beat k: row r in bits [4r+3:4r]; tile n0=0: k=0 {2, -1}, k=1 {-3, 6}; tile n0=2: {0, 7}, {0, 0}
    expect(s.x.slice(0, 4)).toEqual([0x2fn, 0xd6n, 0x07n, 0x00n]);
    const blocked = buildBaselineStreams(cfg, 'bs', [job], { blocks: true });
    expect(blocked.blocks!.w.length).toBe(2);
    expect(blocked.blocks!.x.length).toBe(2);
    expect(baselineStimulusLines(blocked).filter((l) => l.startsWith('{"use"')).length).toBe(8);
    expect(baselineStimulusLines(s)[0]).toBe('{"ch":"t","in_t_k":"2"}');
  });

  it('rejects jobs that do not fit the design', () => {
    const cfg = presetConfig('tiny'); // 4-bit, maxK 64
    expect(() => checkBaselineJob(cfg, { W: [[8]], X: [[1]] }, 'j')).toThrow(UserError);
    expect(() => checkBaselineJob(cfg, { W: [[1, 2]], X: [[1]] }, 'j')).toThrow(/inputs row 0 has 1 values/);
    expect(() => checkBaselineJob(cfg, { W: [new Array(65).fill(0)], X: [new Array(65).fill(0)] }, 'j')).toThrow(/maxK = 64/);
    expect(() => deriveBaseline(cfg, 'xx' as 'bp')).toThrow(/unknown baseline kind/);
  });
});
