/**
 * Conventional baselines in Verilator: the bit-parallel (bp) and bit-serial (bs) arrays compute exactly the
 * integer dot products (sim/model dotExact) over random matrices with partial tiles, and every result row leaves
 * at the cycle of the documented schedule (gen/baselines.ts). Seeds are fixed and appear in the test names.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type TrConfig, presetConfig, resolveConfig } from '../../gen/config.ts';
import { BASELINE_KINDS, type BaselineKind, buildBaseline } from '../../gen/baselines.ts';
import { type BaselineJob, buildBaselineSimulator, simulateBaseline, unpackResultRow } from '../../sim/driver/baseline-driver.ts';
import { Rng } from '../../sim/model/rng.ts';
import { maxMagnitude } from '../../sim/model/terms.ts';
import { runSimulator } from '../../sim/verilator/verilator.ts';
import { randomConfig } from '../helpers.ts';

const matrix = (rng: Rng, rows: number, K: number, bits: number): number[][] =>
  Array.from({ length: rows }, () => Array.from({ length: K }, () => rng.int(-maxMagnitude(bits), maxMagnitude(bits))));

function randomJob(cfg: TrConfig, rng: Rng, M: number, N: number, K: number): BaselineJob {
  return { W: matrix(rng, M, K, cfg.wBits), X: matrix(rng, N, K, cfg.xBits) };
}

/** Simulate and check: accumulators equal the exact dot products; rows, cycles and work equal the schedule. */
async function checkRun(cfg: TrConfig, kind: BaselineKind, jobs: BaselineJob[], label: string, opts: { stallPct?: number; stallSeed?: number; blocks?: boolean } = {}) {
  const r = await simulateBaseline(cfg, kind, jobs, opts);
  jobs.forEach((_, i) => expect({ label, job: i, acc: r.hw[i] }).toEqual({ label, job: i, acc: r.exact[i] }));
  expect({ label, err: r.end.err, work: r.end.work }).toEqual({ label, err: 0, work: r.schedule.workCycles });
  if (!opts.stallPct) {
    expect({ label, rowCycles: r.rows.map((x) => x.cycle) }).toEqual({ label, rowCycles: r.schedule.tiles.flatMap((t) => t.rowCycles) });
    expect({ label, cycles: r.end.cycles }).toEqual({ label, cycles: r.schedule.totalCycles });
  }
  return r;
}

describe('baselines vs exact dot products', () => {
  for (const kind of BASELINE_KINDS) {
    for (const [preset, seed] of [['tiny', 11], ['small', 12], ['wide', 13]] as const) {
      it(`${kind}: preset ${preset}, random jobs with partial tiles in one stream (seed ${seed})`, async () => {
        const cfg = presetConfig(preset);
        const rng = new Rng(seed);
        const jobs: BaselineJob[] = [];
        for (let j = 0; j < 4; j++) {
          // M, N not multiples of C, R (partial tiles); K from 1 (shorter than R: spacing) to beyond a few tiles
          jobs.push(randomJob(cfg, rng, rng.int(1, 2 * cfg.cols + 1), rng.int(1, 2 * cfg.rows + 1), j === 0 ? 1 : rng.int(1, 40)));
        }
        const r = await checkRun(cfg, kind, jobs, `${kind}/${preset}/seed ${seed}`);
        // job 0 has K = 1 < R: for bp its tiles exercise the last-step spacing
        if (kind === 'bp') expect(r.streams.tiles.some((t) => t.K < cfg.rows)).toBe(true);
      });
    }

    for (const seed of [211, 212]) {
      it(`${kind}: random hardware config (seed ${seed})`, async () => {
        const cfg = randomConfig(seed);
        const rng = new Rng(seed);
        const jobs = Array.from({ length: 3 }, () => randomJob(cfg, rng, rng.int(1, cfg.cols + 2), rng.int(1, cfg.rows + 2), rng.int(1, Math.min(cfg.maxK, 30))));
        await checkRun(cfg, kind, jobs, `${kind}/config seed ${seed}: ${JSON.stringify(cfg)}`);
      });
    }

    it(`${kind}: extreme magnitudes at K = maxK fill the accumulator exactly (seed 21)`, async () => {
      const cfg = presetConfig('tiny'); // 4-bit (±7), maxK 64
      const rng = new Rng(21);
      const K = cfg.maxK;
      const lim = maxMagnitude(cfg.wBits);
      const sgn = (): number => (rng.next() < 0.5 ? -lim : lim);
      const jobs: BaselineJob[] = [
        // all products +49 / all -49 (the largest sums), and random signs of extreme values
        { W: [new Array(K).fill(-lim), new Array(K).fill(lim)], X: [new Array(K).fill(-lim), new Array(K).fill(-lim)] },
        { W: Array.from({ length: 3 }, () => Array.from({ length: K }, sgn)), X: Array.from({ length: 3 }, () => Array.from({ length: K }, sgn)) },
      ];
      const r = await checkRun(cfg, kind, jobs, `${kind}/extremes`);
      expect(r.hw[0]).toEqual([[K * 49, -K * 49], [K * 49, -K * 49]]);
    });

    it(`${kind}: 1x1 array, 2-bit values, maxK 1 (accumulator narrower than a product; seed 22)`, async () => {
      const cfg = resolveConfig({ name: 'corner', rows: 1, cols: 1, wBits: 2, xBits: 2, groupMax: 1, lanes: 1, maxK: 1 });
      const jobs: BaselineJob[] = [{ W: [[-1], [1], [0]], X: [[-1], [1]] }, randomJob(cfg, new Rng(22), 3, 2, 1)];
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
      expect(blocked.rows).toEqual(flat.rows);
    });
  }

  it('back-to-back tiles: each takes max(K*s, R) cycles (default preset, R = 4; seed 41)', async () => {
    const cfg = presetConfig('default');
    const rng = new Rng(41);
    const Ks = [9, 1, 2, 3, 4, 5, 1];
    const jobs = Ks.map((K) => randomJob(cfg, rng, cfg.cols, cfg.rows, K));
    for (const kind of BASELINE_KINDS) {
      const r = await checkRun(cfg, kind, jobs, `${kind}/back-to-back`);
      const s = kind === 'bs' ? cfg.wBits : 1;
      const first = r.rows.filter((_, i) => i % cfg.rows === 0).map((x) => x.cycle);
      expect({ kind, gaps: first.slice(1).map((c, i) => c - first[i]!) }).toEqual({ kind, gaps: Ks.slice(1).map((K) => Math.max(K * s, cfg.rows)) });
    }
  });
});

describe('baselines: exact latency', () => {
  it('tiny preset (R = C = 2, b_w = 4), by hand', async () => {
    const cfg = presetConfig('tiny');
    const rng = new Rng(51);
    const jobs = [randomJob(cfg, rng, 2, 2, 3), randomJob(cfg, rng, 2, 2, 1), randomJob(cfg, rng, 2, 2, 1)];
    // bp: the first descriptor is queued in cycle 0 and its tile started in cycle 1, so tile 0 (K = 3) issues
    // steps 2, 3, 4. Its last step's control word is in the sequencer register in cycle 5, reaches cell (r,c)'s
    // input registers in 6+r+c, the product register in 7+r+c, the accumulator (result pulse) in 8+r+c, the
    // column merge in 9+r+c; column c is delayed by C-1-c = 1-c, so row r leaves in 4 + C + 4 + r = 10 + r:
    // cycles 10, 11. Tile 1 (K = 1): its only step could issue in 5 but must come R = 2 cycles after step 4:
    // it issues in 6, rows in 12, 13. Tile 2 (K = 1): 8 (= 6 + 2), rows in 14, 15. Total 16 cycles, 5 steps.
    const bp = await checkRun(cfg, 'bp', jobs, 'bp/latency');
    expect(bp.schedule.tiles.map((t) => [t.first, t.last])).toEqual([[2, 4], [6, 6], [8, 8]]);
    expect(bp.rows.map((x) => [x.cycle, x.row])).toEqual([[10, 0], [11, 1], [12, 0], [13, 1], [14, 0], [15, 1]]);
    expect({ cycles: bp.end.cycles, work: bp.end.work }).toEqual({ cycles: 16, work: 5 });
    // bs: 4 steps per MAC, so tile 0 issues steps 2..13, tile 1 14..17, tile 2 18..21 (never shorter than R).
    // The row edge adds one register and there is no product register: row r leaves last + C + 4 + r:
    // 19, 20 | 23, 24 | 27, 28; total 29 cycles, 20 steps.
    const bs = await checkRun(cfg, 'bs', jobs, 'bs/latency');
    expect(bs.schedule.tiles.map((t) => [t.first, t.last])).toEqual([[2, 13], [14, 17], [18, 21]]);
    expect(bs.rows.map((x) => [x.cycle, x.row])).toEqual([[19, 0], [20, 1], [23, 0], [24, 1], [27, 0], [28, 1]]);
    expect({ cycles: bs.end.cycles, work: bs.end.work }).toEqual({ cycles: 29, work: 20 });
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
        // w = {col1: 3, col0: -2}, x = {row1: 5, row0: -7}
        writeFileSync(join(dir, 'stim.jsonl'), ['{"ch":"t","in_t_k":"0"}', '{"ch":"w","in_w_data":"3e"}', '{"ch":"x","in_x_data":"59"}'].join('\n') + '\n');
        const { rows, end } = await runSimulator(sim, join(dir, 'stim.jsonl'), join(dir, 'out.jsonl'), { expectRows: 2, maxCycles: 1000 });
        expect(end.err).toBe(1);
        expect(rows.map((r) => unpackResultRow(b.derived, r.cyc, r.ports).acc)).toEqual([[14, -21], [-10, 15]]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
