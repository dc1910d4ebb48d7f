/**
 * Conventional baselines in Verilator: the bit-parallel (bp) and bit-serial (bs) arrays compute exactly the
 * integer dot products (sim/model dotExact) and, through the TR array's output stage, exactly the golden model's
 * y = requant(acc, bias, mul, shift, relu) (sim/model/quant.ts) over random matrices with partial tiles and random
 * per-column output parameters (saturating ones, ReLU, shift-only designs); every result leaves at the cycle of
 * the documented schedule (gen/baselines.ts). Seeds are fixed and appear in the test names. A mismatch is reported
 * as a list of {job, n, m, acc: [model, hardware], y: [model, hardware]}.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type TrConfig, derive, presetConfig, resolveConfig } from '../../gen/config.ts';
import { BASELINE_KINDS, type BaselineKind, buildBaseline, deriveBaseline } from '../../gen/baselines.ts';
import { type BaselineJob, type BaselineSimResult, buildBaselineSimulator, simulateBaseline, unpackResult } from '../../sim/driver/baseline-driver.ts';
import type { OutputParams } from '../../sim/driver/driver.ts';
import { Rng } from '../../sim/model/rng.ts';
import { maxMagnitude } from '../../sim/model/terms.ts';
import { runSimulator } from '../../sim/verilator/verilator.ts';
import { randomConfig } from '../helpers.ts';

const matrix = (rng: Rng, rows: number, K: number, bits: number): number[][] =>
  Array.from({ length: rows }, () => Array.from({ length: K }, () => rng.int(-maxMagnitude(bits), maxMagnitude(bits))));

/** Random per-column output parameters: small and extreme biases, the full multiplier range, shifts from 0 (which
 *  saturates almost every output) to the largest, so y covers the clamp at both ends, ReLU zeros and the middle. */
function randomOut(cfg: TrConfig, rng: Rng, M: number, relu: boolean): OutputParams {
  const d = derive(cfg);
  const bMax = 2 ** (d.BBW - 1) - 1;
  // the shift that brings a typical |acc·mul| back into the output range, give or take a few bits
  const typical = Math.ceil(Math.log2(maxMagnitude(cfg.wBits) * maxMagnitude(cfg.xBits) * 4)) + d.MULW - cfg.xBits + 1;
  return {
    relu,
    bias: Array.from({ length: M }, () => rng.pick([0, rng.int(Math.max(-50, -bMax - 1), Math.min(50, bMax)), rng.int(-bMax - 1, bMax), -bMax - 1, bMax])),
    mul: Array.from({ length: M }, () => (d.MULW ? rng.pick([0, 1, 2 ** d.MULW - 1, rng.int(0, 2 ** d.MULW - 1)]) : 1)),
    shift: Array.from({ length: M }, () => rng.pick([0, d.maxShift, rng.int(0, d.maxShift), Math.max(0, Math.min(d.maxShift, typical + rng.int(-3, 3)))])),
  };
}

function randomJob(cfg: TrConfig, rng: Rng, M: number, N: number, K: number, relu = rng.next() < 0.5): BaselineJob {
  return { W: matrix(rng, M, K, cfg.wBits), X: matrix(rng, N, K, cfg.xBits), out: randomOut(cfg, rng, M, relu) };
}

/** Every (job, n, m) where the hardware differs from the golden model, expected and actual side by side. */
function mismatches(r: BaselineSimResult): { job: number; n: number; m: number; acc: [number, number]; y: [number, number] }[] {
  const out: { job: number; n: number; m: number; acc: [number, number]; y: [number, number] }[] = [];
  r.model.forEach((model, job) => {
    const hw = r.hw[job]!;
    model.acc.forEach((row, n) => row.forEach((a, m) => {
      const ha = hw.acc[n]![m]!;
      const my = model.y[n]![m]!;
      const hy = hw.y[n]![m]!;
      if (ha !== a || hy !== my) out.push({ job, n, m, acc: [a, ha], y: [my, hy] });
    }));
  });
  return out;
}

/** Simulate and check: every accumulator and every y equal the golden model; results, cycles and work equal the
 *  schedule. */
async function checkRun(cfg: TrConfig, kind: BaselineKind, jobs: BaselineJob[], label: string, opts: { stallPct?: number; stallSeed?: number; blocks?: boolean } = {}) {
  const r = await simulateBaseline(cfg, kind, jobs, opts);
  expect({ label, results: r.items.length }).toEqual({ label, results: r.streams.tiles.length * cfg.rows * cfg.cols });
  expect({ label, mismatches: mismatches(r) }).toEqual({ label, mismatches: [] });
  expect({ label, err: r.end.err, work: r.end.work }).toEqual({ label, err: 0, work: r.schedule.workCycles });
  if (!opts.stallPct) {
    expect({ label, resultCycles: r.items.map((x) => x.cycle) }).toEqual({ label, resultCycles: r.schedule.tiles.flatMap((t) => t.resultCycles) });
    expect({ label, cycles: r.end.cycles }).toEqual({ label, cycles: r.schedule.totalCycles });
  }
  return r;
}

/** How many outputs (of the golden model, which the hardware matched) sit at the clamp's ends, at ReLU's 0 of a
 *  negative value, and elsewhere. */
function coverage(cfg: TrConfig, r: BaselineSimResult): { top: number; bottom: number; reluZero: number; inside: number } {
  const lim = maxMagnitude(cfg.xBits);
  const c = { top: 0, bottom: 0, reluZero: 0, inside: 0 };
  r.model.forEach((model) => model.y.forEach((row, n) => row.forEach((y, m) => {
    if (y === lim) c.top++;
    else if (y === -lim) c.bottom++;
    else if (y === 0 && model.acc[n]![m]! < 0) c.reluZero++;
    else c.inside++;
  })));
  return c;
}

describe('baselines vs the golden model (exact accumulators, TR output stage)', () => {
  for (const kind of BASELINE_KINDS) {
    for (const [preset, seed] of [['tiny', 11], ['small', 12], ['wide', 13]] as const) {
      it(`${kind}: preset ${preset}${preset === 'wide' ? ' (shift only)' : ''}, random jobs with partial tiles and random output parameters in one stream (seed ${seed})`, async () => {
        const cfg = presetConfig(preset);
        const rng = new Rng(seed);
        const jobs: BaselineJob[] = [];
        for (let j = 0; j < 4; j++) {
          // M, N not multiples of C, R (partial tiles); K from 1 (shorter than R·C: spacing) to beyond a few tiles
          jobs.push(randomJob(cfg, rng, rng.int(1, 2 * cfg.cols + 1), rng.int(1, 2 * cfg.rows + 1), j === 0 ? 1 : rng.int(1, 40), j % 2 === 0));
        }
        const r = await checkRun(cfg, kind, jobs, `${kind}/${preset}/seed ${seed}`);
        // bp: job 0 has K = 1 < R·C, its tiles exercise the last-step spacing (bs: K·b_w >= R·C in these presets;
        // its spacing is exercised by the back-to-back and minimum-spacing tests below)
        if (kind === 'bp') expect(r.streams.tiles.some((t) => t.K < cfg.rows * cfg.cols)).toBe(true);
        // the random output parameters reach the clamp and the inside of the output range
        const cov = coverage(cfg, r);
        expect({ preset, cov: { saturated: cov.top + cov.bottom > 0, inside: cov.inside > 0 } }).toEqual({ preset, cov: { saturated: true, inside: true } });
      });
    }

    for (const seed of [211, 212, 213]) {
      it(`${kind}: random hardware config (seed ${seed})`, async () => {
        const cfg = randomConfig(seed);
        const rng = new Rng(seed);
        const jobs = Array.from({ length: 3 }, () => randomJob(cfg, rng, rng.int(1, cfg.cols + 2), rng.int(1, cfg.rows + 2), rng.int(1, Math.min(cfg.maxK, 30))));
        await checkRun(cfg, kind, jobs, `${kind}/config seed ${seed}: ${JSON.stringify(cfg)}`);
      });
    }

    it(`${kind}: ReLU and saturation: every output clamps at +max, -max or ReLU's 0 (seed 23)`, async () => {
      const cfg = presetConfig('tiny'); // mul 8 bits, 4-bit outputs
      const rng = new Rng(23);
      const d = derive(cfg);
      const M = 4;
      const K = 12;
      const bMax = 2 ** (d.BBW - 1) - 1;
      const W = matrix(rng, M, K, cfg.wBits);
      const X = matrix(rng, 3, K, cfg.xBits);
      const big = { relu: false, bias: [bMax, -bMax - 1, 0, 0], mul: [2 ** d.MULW - 1, 2 ** d.MULW - 1, 2 ** d.MULW - 1, 1], shift: [0, 0, 0, d.maxShift] };
      const jobs: BaselineJob[] = [{ W, X, out: big }, { W, X, out: { ...big, relu: true } }];
      const r = await checkRun(cfg, kind, jobs, `${kind}/saturation`);
      const lim = maxMagnitude(cfg.xBits);
      // column 0: +max, column 1: -max (0 with ReLU), column 3: shifted out completely (0 or -1 → clamp)
      expect(r.hw[0]!.y.map((row) => row[0])).toEqual([lim, lim, lim]);
      expect(r.hw[0]!.y.map((row) => row[1])).toEqual([-lim, -lim, -lim]);
      expect(r.hw[1]!.y.map((row) => row[1])).toEqual([0, 0, 0]);
      expect(r.hw[1]!.y.flat().every((y) => y >= 0)).toBe(true);
    });

    it(`${kind}: extreme magnitudes at K = maxK fill the accumulator exactly (seed 21)`, async () => {
      const cfg = presetConfig('tiny'); // 4-bit (±7), maxK 64
      const rng = new Rng(21);
      const K = cfg.maxK;
      const lim = maxMagnitude(cfg.wBits);
      const sgn = (): number => (rng.next() < 0.5 ? -lim : lim);
      const jobs: BaselineJob[] = [
        // all products +49 / all -49 (the largest sums), and random signs of extreme values
        { W: [new Array(K).fill(-lim), new Array(K).fill(lim)], X: [new Array(K).fill(-lim), new Array(K).fill(-lim)], out: randomOut(cfg, rng, 2, false) },
        { W: Array.from({ length: 3 }, () => Array.from({ length: K }, sgn)), X: Array.from({ length: 3 }, () => Array.from({ length: K }, sgn)), out: randomOut(cfg, rng, 3, true) },
      ];
      const r = await checkRun(cfg, kind, jobs, `${kind}/extremes`);
      expect(r.hw[0]!.acc).toEqual([[K * 49, -K * 49], [K * 49, -K * 49]]);
    });

    it(`${kind}: 1x1 array, 2-bit values, maxK 1 (accumulator narrower than a product; one result per tile; seed 22)`, async () => {
      const cfg = resolveConfig({ name: 'corner', rows: 1, cols: 1, wBits: 2, xBits: 2, groupMax: 1, lanes: 1, maxK: 1 });
      const rng = new Rng(22);
      const jobs: BaselineJob[] = [{ W: [[-1], [1], [0]], X: [[-1], [1]], out: randomOut(cfg, rng, 3, false) }, randomJob(cfg, rng, 3, 2, 1)];
      await checkRun(cfg, kind, jobs, `${kind}/corner`);
    });

    it(`${kind}: random stalls on every input stream change no result (seed 31)`, async () => {
      const cfg = presetConfig('small');
      const rng = new Rng(31);
      const jobs = [randomJob(cfg, rng, 7, 5, 13), randomJob(cfg, rng, 3, 3, 2), randomJob(cfg, rng, 4, 2, 1)];
      const r = await checkRun(cfg, kind, jobs, `${kind}/stalls`, { stallPct: 40, stallSeed: 31 });
      expect(r.end.stalls).toBeGreaterThan(20);
      expect(r.end.cycles).toBeGreaterThanOrEqual(r.schedule.totalCycles);
    });

    it(`${kind}: stimulus with shared blocks gives the same results and cycles (seed 32)`, async () => {
      const cfg = presetConfig('tiny');
      const rng = new Rng(32);
      const jobs = [randomJob(cfg, rng, 5, 7, 20)];
      const flat = await checkRun(cfg, kind, jobs, `${kind}/flat`);
      const blocked = await checkRun(cfg, kind, jobs, `${kind}/blocks`, { blocks: true });
      expect(blocked.streams.blocks!.w.length).toBe(3);
      expect(blocked.streams.blocks!.x.length).toBe(4);
      expect(blocked.items).toEqual(flat.items);
    });
  }

  it('back-to-back tiles: each takes max(K*s, R*C) cycles (default preset, R = C = 4; seed 41)', async () => {
    const cfg = presetConfig('default');
    const rng = new Rng(41);
    const RC = cfg.rows * cfg.cols;
    const Ks = [20, 1, 2, 15, 16, 17, 3, 1];
    const jobs = Ks.map((K) => randomJob(cfg, rng, cfg.cols, cfg.rows, K));
    for (const kind of BASELINE_KINDS) {
      const r = await checkRun(cfg, kind, jobs, `${kind}/back-to-back`);
      const s = kind === 'bs' ? cfg.wBits : 1;
      const first = r.items.filter((_, i) => i % RC === 0).map((x) => x.cycle);
      expect({ kind, gaps: first.slice(1).map((c, i) => c - first[i]!) }).toEqual({ kind, gaps: Ks.slice(1).map((K) => Math.max(K * s, RC)) });
    }
  }, 300_000); // two simulator builds (bp and bs)

  it('minimum spacing with a deep output queue: R = 1, C = 2 and 1x1 arrays, tiles of R*C steps and of 1 step, parameter sets reused (seed 42)', async () => {
    // with R*C < C + 5 a tile's output entry outlives several later tiles' descriptors (queue depth NQ > 3); with
    // psetBits 4 the 27 tiles use the 16 parameter sets in turn, so each set is rewritten while later tiles queue
    for (const cfg of [resolveConfig({ preset: 'ice', psetBits: 4 }), resolveConfig({ name: 'one', rows: 1, cols: 1, wBits: 3, xBits: 3, groupMax: 1, lanes: 1, maxK: 8, outMulBits: 4, psetBits: 4 })]) {
      const rng = new Rng(42);
      const RC = cfg.rows * cfg.cols;
      const Ks = [RC, 1, RC, RC, 1, 1, RC + 1, 1, RC];
      const jobs = [...Ks, ...Ks, ...Ks].map((K) => randomJob(cfg, rng, cfg.cols, cfg.rows, K));
      for (const kind of BASELINE_KINDS) {
        expect(deriveBaseline(cfg, kind).NQ).toBeGreaterThan(3);
        await checkRun(cfg, kind, jobs, `${kind}/${cfg.name}/min spacing`);
      }
    }
  }, 300_000); // four simulator builds
});

describe('baselines: exact latency', () => {
  it('tiny preset (R = C = 2, b_w = 4), by hand (seed 51)', async () => {
    const cfg = presetConfig('tiny');
    const rng = new Rng(51);
    const jobs = [randomJob(cfg, rng, 2, 2, 3), randomJob(cfg, rng, 2, 2, 1), randomJob(cfg, rng, 2, 2, 1)];
    // bp: the first descriptor is queued in cycle 0 and its tile started in cycle 1, so tile 0 (K = 3) issues
    // steps 2, 3, 4. Its last step's control word is in the sequencer register in cycle 5, reaches cell (r,c)'s
    // input registers in 6+r+c, the product register in 7+r+c, the accumulator (result pulse) in 8+r+c, the
    // column merge in 9+r+c; column c is delayed by C-1-c = 1-c, so row r reaches the row buffer in
    // 4 + C + 4 + r = 10 + r. Row 0's arrival starts the read-out: item i = r*C+c is read in 11+i, leaves the
    // read-out's register in 12+i and the output stage's four stages in 16+i: cycles 16..19 (= last + C + 10 + i).
    // Tile 1 (K = 1): its only step could issue in 5 but must come R*C = 4 cycles after step 4: it issues in 8,
    // results in 20..23. Tile 2 (K = 1): 12 (= 8 + 4), results in 24..27. Total 28 cycles, 5 steps.
    const bp = await checkRun(cfg, 'bp', jobs, 'bp/latency');
    expect(bp.schedule.tiles.map((t) => [t.first, t.last])).toEqual([[2, 4], [8, 8], [12, 12]]);
    const tags = [[0, 0], [0, 1], [1, 0], [1, 1]];
    expect(bp.items.map((x) => [x.cycle, x.row, x.col])).toEqual([16, 20, 24].flatMap((c0) => tags.map(([r, c], i) => [c0 + i, r, c])));
    expect({ cycles: bp.end.cycles, work: bp.end.work }).toEqual({ cycles: 28, work: 5 });
    // bs: 4 steps per MAC, so tile 0 issues steps 2..13, tile 1 14..17, tile 2 18..21 (K*b_w = 4 = R*C: no
    // spacing wait). The row edge adds one register and there is no product register: row r reaches the row
    // buffer last + C + 4 + r, result i leaves last + C + 10 + i: 25..28 | 29..32 | 33..36; total 37 cycles,
    // 20 steps.
    const bs = await checkRun(cfg, 'bs', jobs, 'bs/latency');
    expect(bs.schedule.tiles.map((t) => [t.first, t.last])).toEqual([[2, 13], [14, 17], [18, 21]]);
    expect(bs.items.map((x) => [x.cycle, x.row, x.col])).toEqual([25, 29, 33].flatMap((c0) => tags.map(([r, c], i) => [c0 + i, r, c])));
    expect({ cycles: bs.end.cycles, work: bs.end.work }).toEqual({ cycles: 37, work: 20 });
  });
});

describe('baselines: illegal descriptors', () => {
  for (const kind of BASELINE_KINDS) {
    it(`${kind}: K = 0 is clamped to 1 and sets out_err`, async () => {
      const cfg = presetConfig('tiny');
      const b = buildBaseline(cfg, kind);
      const sim = await buildBaselineSimulator(b);
      const dir = mkdtempSync(join(tmpdir(), 'trgen-bl-err-'));
      try {
        // w = {col1: 3, col0: -2}, x = {row1: 5, row0: -7}; output stage (set 0 of the harness's parameter memory):
        // mul 1 everywhere, shift 0, bias {col1: 0, col0: 2}
        writeFileSync(join(dir, 'stim.jsonl'), ['{"ch":"t","in_t_k":"0","in_t_relu":"0","in_t_pset":"0"}', '{"mem":"0","in_p_bias":"2","in_p_mul":"1","in_p_shift":"0"}', '{"mem":"1","in_p_bias":"0","in_p_mul":"1","in_p_shift":"0"}', '{"ch":"w","in_w_data":"3e"}', '{"ch":"x","in_x_data":"59"}'].join('\n') + '\n');
        const { rows, end } = await runSimulator(sim, join(dir, 'stim.jsonl'), join(dir, 'out.jsonl'), { expectRows: 4, maxCycles: 1000 });
        expect(end.err).toBe(1);
        const items = rows.map((r) => unpackResult(b.derived, r.cyc, r.ports));
        // acc (0,0) = 14, (0,1) = -21, (1,0) = -10, (1,1) = 15; y = clamp(acc + bias) to ±7
        expect(items.map((x) => [x.row, x.col, x.acc, x.y])).toEqual([[0, 0, 14, 7], [0, 1, -21, -7], [1, 0, -10, -7], [1, 1, 15, 7]]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
