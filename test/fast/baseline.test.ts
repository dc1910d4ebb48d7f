/**
 * Conventional baselines (gen/baselines.ts, sim/driver/baseline-driver.ts) without simulation: lint, determinism,
 * structure, stream packing, and the cycle model's formulas.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../gen/cli-util.ts';
import { PRESETS, bitsFor, derive, presetConfig, resolveConfig } from '../../gen/config.ts';
import { BASELINE_KINDS, buildBaseline, deriveBaseline } from '../../gen/baselines.ts';
import { topPorts } from '../../gen/design.ts';
import { OUT, READOUT, leafText } from '../../gen/leaves.ts';
import { buildBenchWrapper } from '../../gen/bench/bench.ts';
import { paramWord } from '../../sim/driver/params.ts';
import { stimulusLines } from '../../sim/verilator/stimulus.ts';
import { baselineSchedule, buildBaselineStreams, checkBaselineJob, modelBaselineJob } from '../../sim/driver/baseline-driver.ts';
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
      expect(head).toContain(`cycles/tile  max(K*${s}, ${cfg.rows * cfg.cols})`);
      expect(head).toContain(`result (r,c) leaves out_y ${cfg.cols + 9}+r*${cfg.cols}+c cycles`); // shift only: 3 output stages
      expect(head).toContain('output stage the TR array\'s: bias');
      expect(head).toContain('no multiplier (shift only)'); // preset wide: outMulBits 0
    });

    it(`${kind}: ports follow the config (same accumulator, output-stage fields and result ports as the TR array)`, () => {
      for (const preset of ['mnist', 'wide']) {
        const cfg = presetConfig(preset);
        const d = derive(cfg);
        const b = buildBaseline(cfg, kind);
        const w = Object.fromEntries(b.ports.map((p) => [p.name, p.width]));
        const tr = Object.fromEntries(topPorts(d).map((p) => [p.name, p.width]));
        expect(w).toMatchObject({ in_t_k: bitsFor(cfg.maxK), in_w_data: cfg.cols * cfg.wBits, in_x_data: cfg.rows * cfg.xBits, out_stat_work: 32 });
        for (const n of ['in_t_relu', 'in_t_pset', 'out_p_addr', 'in_p_bias', 'in_p_mul', 'in_p_shift', 'out_y_valid', 'out_y_row', 'out_y_col', 'out_y_data', 'out_y_acc']) {
          expect({ preset, port: n, width: w[n] }).toEqual({ preset, port: n, width: tr[n] });
          expect(tr[n]).toBeGreaterThan(0);
        }
        expect(tr['out_p_addr']).toBe(d.PSW + d.CW);
        expect(b.signature.name).toBe(b.top);
      }
    });

    it(`${kind}: the top instantiates the TR array's read-out and output stage leaves (same templates)`, () => {
      const cfg = presetConfig('small');
      const b = buildBaseline(cfg, kind);
      const P = `${cfg.name}_${kind}`;
      for (const leaf of [READOUT, OUT]) expect(b.files[`${P}_${leaf.suffix}.v`]).toContain(leafText(P, leaf));
      const top = b.files[`${b.top}.v`]!;
      expect(top).toMatch(new RegExp(`${P}_readout #\\(\\s*\\.R\\(\\d+\\),\\s*\\.C\\(\\d+\\),\\s*\\.CHAIN\\(1\\)`));
      expect(top).toMatch(new RegExp(`${P}_out\\s+#`));
      expect(top).toMatch(new RegExp(`${P}_rowbuf\\s+#`));
      expect(top).toMatch(new RegExp(`${P}_outq\\s+#`));
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
  it('one tile: K*s steps from cycle 2, result (r,c) C+10+r*C+c cycles after the last step', () => {
    const cfg = presetConfig('default'); // 4x4, 8-bit
    const bp = buildBaseline(cfg, 'bp').schedule(784);
    const bs = buildBaseline(cfg, 'bs').schedule(784);
    const seq = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
    expect(bp).toEqual({ stepsPerMac: 1, steps: 784, tileCycles: 784, first: 2, last: 785, resultCycles: seq(799, 16), totalCycles: 815 });
    expect(bs).toEqual({ stepsPerMac: 8, steps: 6272, tileCycles: 6272, first: 2, last: 6273, resultCycles: seq(6287, 16), totalCycles: 6303 });
    // short tiles take R*C cycles in a stream; K >= R*C is never slowed down by the read-out
    expect(buildBaseline(cfg, 'bp').schedule(2).tileCycles).toBe(16);
    expect(buildBaseline(cfg, 'bp').schedule(16).tileCycles).toBe(16);
    expect(buildBaseline(cfg, 'bp').schedule(17).tileCycles).toBe(17);
    expect(buildBaseline(cfg, 'bs').schedule(2).tileCycles).toBe(16);
    expect(buildBaseline(cfg, 'bs').schedule(1).tileCycles).toBe(16);
    expect(() => buildBaseline(cfg, 'bp').schedule(0)).toThrow(/outside/);
  });

  it('a run: tiles back to back, a tile last step at least R*C cycles after the previous one', () => {
    const cfg = presetConfig('default'); // R = 4, C = 4
    const bp = baselineSchedule(cfg, 'bp', [{ K: 20 }, { K: 1 }, { K: 2 }, { K: 6 }, { K: 16 }]);
    expect(bp.tiles.map((t) => [t.first, t.last])).toEqual([[2, 21], [37, 37], [38, 53], [54, 69], [70, 85]]);
    expect(bp.tiles[4]!.resultCycles).toEqual(Array.from({ length: 16 }, (_, i) => 85 + 14 + i));
    expect(bp.totalCycles).toBe(85 + 14 + 16);
    expect(bp.workCycles).toBe(45);
    const bs = baselineSchedule(cfg, 'bs', [{ K: 10 }, { K: 1 }, { K: 2 }]);
    expect(bs.tiles.map((t) => [t.first, t.last])).toEqual([[2, 81], [82, 97], [98, 113]]);
    // a single tile agrees with the per-tile formula
    for (const kind of BASELINE_KINDS) {
      const one = baselineSchedule(cfg, kind, [{ K: 7 }]).tiles[0]!;
      const f = buildBaseline(cfg, kind).schedule(7);
      expect({ first: one.first, last: one.last, results: one.resultCycles }).toEqual({ first: f.first, last: f.last, results: f.resultCycles });
    }
  });
});

describe('baselines: streams', () => {
  it('packs beats per reduction index, pads partial tiles with zeros', () => {
    const cfg = presetConfig('tiny'); // R = C = 2, 4-bit
    const job = { W: [[1, -2], [3, 4], [-7, 5]], X: [[-1, 6], [2, -3], [7, 0]] }; // M = 3, N = 3, K = 2
    const s = buildBaselineStreams(cfg, 'bs', [job]);
    expect(s.tiles.map((t) => [t.m0, t.n0, t.K])).toEqual([[0, 0, 2], [0, 2, 2], [2, 0, 2], [2, 2, 2]]);
    expect(s.t.map((t) => t.in_t_k)).toEqual([2n, 2n, 2n, 2n]);
    // no output parameters: the neutral stage (bias 0, mul 1, shift 0, no ReLU); padded columns get mul 0
    expect(s.t.map((t) => [t.in_t_relu, t.in_t_pset])).toEqual([[0n, 0n], [0n, 1n], [0n, 2n], [0n, 3n]]);
    const neutral = { bias: 0, mul: 1, shift: 0 };
    const padded = { bias: 0, mul: 0, shift: 0 };
    expect(s.params).toEqual([[neutral, neutral], [neutral, neutral], [neutral, padded], [neutral, padded]]);
    // weight beat k: column c in bits [4c+3:4c]; tile (m0=0): k=0 {3, 1}, k=1 {4, -2}
    expect(s.w.slice(0, 2)).toEqual([0x31n, 0x4en]);
    // tile (m0=2): only column 0 is real: k=0 {0, -7}, k=1 {0, 5}
    expect(s.w.slice(4, 6)).toEqual([0x09n, 0x05n]);
    // data beat k: row r in bits [4r+3:4r]; tile n0=0: k=0 {2, -1}, k=1 {-3, 6}; tile n0=2: {0, 7}, {0, 0}
    expect(s.x.slice(0, 4)).toEqual([0x2fn, 0xd6n, 0x07n, 0x00n]);
    const blocked = buildBaselineStreams(cfg, 'bs', [job], { blocks: true });
    expect(blocked.blocks!.w.length).toBe(2);
    expect(blocked.blocks!.x.length).toBe(2);
    const b = deriveBaseline(cfg, 'bs');
    expect(stimulusLines(b, blocked).filter((l) => l.startsWith('{"use"')).length).toBe(8);
    // each descriptor is followed by its set's C parameter-memory writes at pset * 2^CW + column
    expect(stimulusLines(b, s).slice(3, 6)).toEqual([
      '{"ch":"t","in_t_k":"2","in_t_relu":"0","in_t_pset":"1"}',
      '{"mem":"2","in_p_bias":"0","in_p_mul":"1","in_p_shift":"0"}',
      '{"mem":"3","in_p_bias":"0","in_p_mul":"1","in_p_shift":"0"}',
    ]);
  });

  it('packs the output parameters per tile column like the TR descriptor (two\'s complement bias, column 0 low)', () => {
    const cfg = presetConfig('tiny'); // C = 2, bias = accumulator width, 8-bit mul
    const d = derive(cfg);
    const job = { W: [[1], [2], [3]], X: [[1]], out: { relu: true, bias: [-1, 5, -2], mul: [3, 255, 7], shift: [1, 2, 3] } };
    const s = buildBaselineStreams(cfg, 'bp', [job]);
    const m = (1n << BigInt(d.BBW)) - 1n;
    expect(s.t[0]).toEqual({ in_t_k: 1n, in_t_relu: 1n, in_t_pset: 0n });
    expect(s.t[1]).toEqual({ in_t_k: 1n, in_t_relu: 1n, in_t_pset: 1n });
    expect(s.params[0]).toEqual([{ bias: -1, mul: 3, shift: 1 }, { bias: 5, mul: 255, shift: 2 }]);
    expect(s.params[1]).toEqual([{ bias: -2, mul: 7, shift: 3 }, { bias: 0, mul: 0, shift: 0 }]);
    // the memory words {shift, mul, bias}: two's complement bias in the low bits
    expect(paramWord(d, { bias: -1, mul: 3, shift: 1 })).toBe(m | (3n << BigInt(d.BBW)) | (1n << BigInt(d.BBW + d.MBW)));
    // the golden model: y = requant(acc, ...) of the exact dot products
    expect(modelBaselineJob(cfg, job)).toEqual({ acc: [[1, 2, 3]], y: [[0, 7, 0]] }); // (2 + 5)·255 >> 2 = 446 clamps to 7
    expect(() => checkBaselineJob(cfg, { ...job, out: { ...job.out, mul: [256, 1, 1] } }, 'j')).toThrow(/out.mul\[0\] \(8-bit unsigned\) = 256 is outside 0..255/);
    expect(() => checkBaselineJob(presetConfig('wide'), { W: [[1]], X: [[1]], out: { relu: false, bias: [0], mul: [2], shift: [0] } }, 'j')).toThrow(/shift-only/);
  });

  it('parameter queue depth: 3 + floor((C + 5) / (R*C)) entries', () => {
    expect(deriveBaseline(presetConfig('default'), 'bp').NQ).toBe(3); // 4x4
    expect(deriveBaseline(presetConfig('tiny'), 'bp').NQ).toBe(4); // 2x2: 7/4
    expect(deriveBaseline(presetConfig('ice'), 'bs').NQ).toBe(6); // 1x2: 7/2
    expect(deriveBaseline(corner, 'bp').NQ).toBe(9); // 1x1
  });

  it('rejects jobs that do not fit the design', () => {
    const cfg = presetConfig('tiny'); // 4-bit, maxK 64
    expect(() => checkBaselineJob(cfg, { W: [[8]], X: [[1]] }, 'j')).toThrow(UserError);
    expect(() => checkBaselineJob(cfg, { W: [[1, 2]], X: [[1]] }, 'j')).toThrow(/inputs row 0 has 1 values/);
    expect(() => checkBaselineJob(cfg, { W: [new Array(65).fill(0)], X: [new Array(65).fill(0)] }, 'j')).toThrow(/maxK = 64/);
    expect(() => deriveBaseline(cfg, 'xx' as 'bp')).toThrow(/unknown baseline kind/);
  });
});
