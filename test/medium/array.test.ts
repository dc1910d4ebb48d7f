/**
 * RTL (Verilator) vs golden model: transaction-level regressions over presets and random configs, mode
 * switches mid-stream, stall injection, the exact cycle schedule, and one hand-computed latency.
 * Seeds are fixed and appear in the test names.
 */
import { describe, expect, it } from 'vitest';
import { PRESETS, type TrConfig, derive, presetConfig, resolveConfig } from '../../gen/config.ts';
import { type Control, type Job, effective } from '../../sim/driver/driver.ts';
import { capBinary } from '../../sim/model/capper.ts';
import { dotExact } from '../../sim/model/dot.ts';
import { Rng } from '../../sim/model/rng.ts';
import { capTerms, encode, maxMagnitude, termsValue } from '../../sim/model/terms.ts';
import { simulateJobs } from '../../sim/verilator/run.ts';
import { parseVectors, randomVectors } from '../../sim/driver/vectors.ts';
import { CELL_VARIANTS, randomConfig } from '../helpers.ts';

function randomJob(cfg: TrConfig, rng: Rng, control: Control, M: number, N: number, K: number, relu = false): Job {
  const d = derive(cfg);
  const wm = maxMagnitude(cfg.wBits);
  const xm = maxMagnitude(cfg.xBits);
  return {
    control,
    W: Array.from({ length: M }, () => Array.from({ length: K }, () => rng.int(-wm, wm))),
    X: Array.from({ length: N }, () => Array.from({ length: K }, () => rng.int(-xm, xm))),
    out: {
      relu,
      bias: Array.from({ length: M }, () => rng.int(-50, 50)),
      mul: Array.from({ length: M }, () => (d.MULW ? rng.int(1, 2 ** d.MULW - 1) : 1)),
      shift: Array.from({ length: M }, () => rng.int(0, Math.min(d.maxShift, cfg.wBits + cfg.xBits + (d.MULW || 0)))),
    },
  };
}

/** Simulate and check: outputs equal the model, conventional accumulators equal the exact dot product,
 *  every result leaves at the scheduled cycle, work cycles equal the schedule. */
async function checkRun(cfg: TrConfig, jobs: Job[], label: string, opts: { stallPct?: number; stallSeed?: number } = {}) {
  const r = await simulateJobs(cfg, jobs, opts);
  jobs.forEach((job, i) => {
    const hw = r.hw[i]!;
    const model = r.model[i]!;
    expect({ label, job: i, acc: hw.acc }).toEqual({ label, job: i, acc: model.acc });
    expect({ label, job: i, y: hw.y }).toEqual({ label, job: i, y: model.y });
    if (job.control.mode === 'conventional') {
      const exact = job.X.map((x) => job.W.map((w) => dotExact(w, x)));
      expect({ label, job: i, exact: hw.acc }).toEqual({ label, job: i, exact });
    }
  });
  expect({ label, err: r.end.err, work: r.end.work }).toEqual({ label, err: 0, work: r.schedule.workCycles });
  if (!opts.stallPct) {
    const scheduled = r.schedule.tiles.flatMap((t) => t.itemCycles);
    expect({ label, itemCycles: r.items.map((x) => x.cycle) }).toEqual({ label, itemCycles: scheduled });
    expect({ label, cycles: r.end.cycles }).toEqual({ label, cycles: r.schedule.totalCycles });
  }
  return r;
}

for (const v of CELL_VARIANTS) describe(`RTL vs golden model, ${v.label} cells`, () => {
  const preset = (name: string): TrConfig => resolveConfig({ preset: name, ...v.fields });
  for (const [name, seed] of [['tiny', 1], ['small', 2], ['wide', 3], ['default', 4]] as const) {
    it(`preset ${name}: random conventional and TR jobs in one stream (seed ${seed})`, async () => {
      const cfg = preset(name);
      const file = randomVectors({ preset: name, ...v.fields }, seed, { cases: 8, maxK: 4 * cfg.groupMax + 3 });
      const { jobs } = parseVectors(JSON.stringify(file), `seed ${seed}`);
      await checkRun(cfg, jobs, `${name}/${v.label}/seed ${seed}`);
    });
  }

  for (const seed of [201, 202, 203]) {
    it(`random hardware config (seed ${seed})`, async () => {
      const cfg = randomConfig(seed, v.fields);
      const rng = new Rng(seed);
      const d = derive(cfg);
      const jobs: Job[] = [];
      for (let i = 0; i < 4; i++) {
        const g = rng.int(1, d.G);
        const control: Control = { mode: i % 2 ? 'tr' : 'conventional', g, k: rng.int(1, g * d.TW), d: rng.int(1, d.TX) };
        jobs.push(randomJob(cfg, rng, control, rng.int(1, d.C + 1), rng.int(1, d.R + 1), rng.int(1, Math.min(cfg.maxK, 3 * d.G + 1)), rng.next() < 0.5));
      }
      await checkRun(cfg, jobs, `config seed ${seed}: ${JSON.stringify(cfg)}`);
    });
  }

  it('mode and registers switch between tiles with zero lost cycles (seed 7)', async () => {
    const cfg = preset('small');
    const d = derive(cfg);
    const rng = new Rng(7);
    // long, compute-bound tiles (no minimum-length padding), changing mode, k, d and g at every tile boundary
    const controls: Control[] = [
      { mode: 'conventional', g: 8, k: 1, d: 1 },
      { mode: 'tr', g: 8, k: 6, d: 2 },
      { mode: 'tr', g: 5, k: 6, d: 3 }, // k >= 5: compute-bound for every cell kind (tv P=2: 3 slots, 2 load beats + 1)
      { mode: 'conventional', g: 3, k: 1, d: 1 },
      { mode: 'tr', g: 8, k: 12, d: 4 },
    ];
    const jobs = controls.map((c) => randomJob(cfg, rng, c, d.C, d.R, 40));
    const r = await checkRun(cfg, jobs, 'switches');
    const tiles = r.schedule.tiles;
    for (let t = 1; t < tiles.length; t++) {
      // the first work cycle of a tile is the cycle right after the previous tile's last one
      expect({ tile: t, first: tiles[t]!.first }).toEqual({ tile: t, first: tiles[t - 1]!.last + 1 });
    }
    // and the whole run is exactly the sum of the per-tile work (no bubbles anywhere after the first load)
    const work = r.streams.tiles.reduce((a, t) => a + t.ngroups * Math.max(t.kEff * t.dEff, t.beatsPerGroup + 1), 0);
    expect(tiles[tiles.length - 1]!.last - tiles[0]!.first + 1).toBe(work);
  });

  it('random stalls on every input stream change no output (seed 9)', async () => {
    const cfg = preset('small');
    const file = randomVectors({ preset: 'small', ...v.fields }, 9, { cases: 6 });
    const { jobs } = parseVectors(JSON.stringify(file), 'seed 9');
    const r = await checkRun(cfg, jobs, 'stalls 40%', { stallPct: 40, stallSeed: 9 });
    expect(r.end.stalls).toBeGreaterThan(50);
    // stalls can only delay the run, never make it faster than the schedule
    expect(r.end.cycles).toBeGreaterThanOrEqual(r.schedule.totalCycles);
  });

  it('bandwidth-bound groups take ceil(g/L) cycles; tiny tiles are padded to the minimum length', async () => {
    const cfg = preset('small'); // L = 4
    const d = derive(cfg);
    const rng = new Rng(13);
    const jobs = [
      randomJob(cfg, rng, { mode: 'tr', g: 8, k: 1, d: 1 }, d.C, d.R, 64), // 1 cycle of work, 2 load beats per group
      randomJob(cfg, rng, { mode: 'tr', g: 2, k: 1, d: 1 }, d.C, d.R, 2), // a one-cycle tile
      randomJob(cfg, rng, { mode: 'tr', g: 2, k: 1, d: 1 }, d.C, d.R, 2),
    ];
    const r = await checkRun(cfg, jobs, 'bandwidth');
    const t = r.schedule.tiles;
    // each group needs 2 load beats but only 1 work cycle: a group's load starts the cycle after the previous
    // swap, so groups start every 3 cycles; the first group loads in cycles 1-2 (after the descriptor is
    // registered in cycle 0), so work cycles are 3, 6, ..., 24
    expect({ first: t[0]!.first, last: t[0]!.last }).toEqual({ first: 3, last: 3 + 7 * 3 });
    expect(t[2]!.last - t[1]!.last).toBe(d.LMIN);
  });

  it('a one-cycle tile held back by the minimum tile length delays the next tile by its real issue cycle (seed 14)', async () => {
    const cfg = preset('small');
    const d = derive(cfg);
    const rng = new Rng(14);
    const jobs = [
      randomJob(cfg, rng, { mode: 'tr', g: 2, k: 1, d: 1 }, d.C, d.R, 2),
      randomJob(cfg, rng, { mode: 'tr', g: 2, k: 1, d: 1 }, d.C, d.R, 2), // one group of one cycle, stalled for LMIN
      randomJob(cfg, rng, { mode: 'tr', g: 4, k: 3, d: 2 }, d.C, d.R, 16), // multi-group tile right behind it
      randomJob(cfg, rng, { mode: 'tr', g: 2, k: 1, d: 1 }, d.C, d.R, 8), // several one-cycle groups
      randomJob(cfg, rng, { mode: 'conventional', g: 4, k: 1, d: 1 }, d.C, d.R, 8),
    ];
    await checkRun(cfg, jobs, 'one-cycle tiles');
  });
});

describe('parameter sets', () => {
  for (const v of CELL_VARIANTS) {
    it(`${v.label}: 40 minimum-length tiles use the 16 sets of psetBits 4 in turn; every set is rewritten after its tile's reads (seed 18)`, async () => {
      const cfg = resolveConfig({ preset: 'tiny', psetBits: 4, ...v.fields });
      const rng = new Rng(18);
      // M = 40 channels over C = 2 columns and N = 4 vectors over R = 2 rows: 40 tiles, each with its own parameters
      const job = randomJob(cfg, rng, { mode: 'tr', g: 4, k: 2, d: 2 }, 40, 4, 3, true);
      const r = await checkRun(cfg, [job], `${v.label}/psets`);
      expect(r.schedule.tiles.length).toBe(40);
    });
  }
});

describe('stimulus with shared blocks', () => {
  it('re-using weight and data blocks across tiles gives the same outputs and cycles (seed 17)', async () => {
    const cfg = presetConfig('tiny');
    const rng = new Rng(17);
    const jobs = [randomJob(cfg, rng, { mode: 'tr', g: 3, k: 3, d: 2 }, 5, 7, 20, true), randomJob(cfg, rng, { mode: 'conventional', g: 4, k: 1, d: 1 }, 3, 5, 9)];
    const flat = await simulateJobs(cfg, jobs);
    const blocked = await simulateJobs(cfg, jobs, { blocks: true });
    expect(blocked.streams.blocks!.w.length).toBe(3 + 2); // one weight block per channel tile
    expect(blocked.streams.blocks!.x.length).toBe(4 + 3); // one data block per vector tile
    expect(blocked.hw).toEqual(flat.hw);
    expect(blocked.hw.map((h) => h.acc)).toEqual(flat.model.map((m) => m.acc));
    expect(blocked.end.cycles).toBe(flat.end.cycles);
  });
});

describe('exact latency', () => {
  it('tiny preset, one conventional tile: first work cycle, last work cycle and results by hand', async () => {
    const cfg = presetConfig('tiny'); // R=C=2, 4-bit: TW=TX=2, G=L=4
    const d = derive(cfg);
    // read-out starts 2+3-1 = 4 cycles after the last work cycle's control word; +1 to read, +1 register, +4 output stage
    expect({ LMIN: d.LMIN, goDelay: d.goDelay, outLatency: d.outLatency }).toEqual({ LMIN: 2 * 2 + 5, goDelay: 4, outLatency: 10 });
    const rng = new Rng(5);
    const job = randomJob(cfg, rng, { mode: 'conventional', g: 4, k: 1, d: 1 }, 2, 2, 8);
    // 2 groups; each takes k_eff*d_eff = (4*2)*2 = 16 cycles. The descriptor is registered in cycle 0, group 0
    // loads in cycle 1 (1 beat), so the first work cycle is 2 and the last is 2 + 32 - 1 = 33; its control
    // word is visible in cycle 34 and result (r,c) appears 10 + 2r + c cycles later: cycles 44, 45, 46, 47.
    expect(effective(d, job.control)).toEqual({ kEff: 8, dEff: 2 });
    const r = await checkRun(cfg, [job], 'latency');
    expect(r.schedule.tiles[0]).toEqual({ first: 2, last: 33, itemCycles: [44, 45, 46, 47] });
    expect(r.items.map((x) => [x.cycle, x.row, x.col])).toEqual([[44, 0, 0], [45, 0, 1], [46, 1, 0], [47, 1, 1]]);
  });

  it('tiny preset with tv cells (P = 1 and 2), one conventional tile: cycles by hand', async () => {
    // tv: edge 1 cycle (swap -> active group), cell 4 (select, shift, accumulate, result register; +1 pair sum
    // for P = 2): goDelay = 1 + 4 - 1 = 4, outLatency = 4 + 2 (read-out) + 4 (output stage) = 10 (P = 2: 11)
    for (const P of [1, 2]) {
      const cfg = resolveConfig({ preset: 'tiny', cell: 'tv', termsPerCycle: P });
      const d = derive(cfg);
      expect({ P, LMIN: d.LMIN, goDelay: d.goDelay, outLatency: d.outLatency }).toEqual({ P, LMIN: 4 + 4 + P, goDelay: 3 + P, outLatency: 9 + P });
      const job = randomJob(cfg, new Rng(5), { mode: 'conventional', g: 4, k: 1, d: 1 }, 2, 2, 8);
      // conventional: every term of the 4 weights of a group, 4 * TW = 8 terms = 8/P slots of one cycle each;
      // 2 groups. First work cycle 2 (descriptor registered in cycle 0, loaded in 1), last = 2 + 2*8/P - 1;
      // its control word is visible one cycle later, results follow outLatency + r*C + c cycles after that.
      expect(effective(d, job.control)).toEqual({ kEff: 8 / P, dEff: 1 });
      const last = 2 + (2 * 8) / P - 1;
      const items = [0, 1, 2, 3].map((i) => last + 1 + 9 + P + i);
      const r = await checkRun(cfg, [job], `tv latency P=${P}`);
      expect(r.schedule.tiles[0]).toEqual({ first: 2, last, itemCycles: items });
      expect(r.items.map((x) => x.cycle)).toEqual(items);
    }
  });
});

describe('data capping through the row edge: every data value, every d, every preset and cell kind', () => {
  // w = 1 (one term, 2^0) at g = 1, k = 1: each result is the data value capped to d terms, through the edge
  // (tp: the HESE encoder and the term cap; tv: the binary capper) and a cell. Every value of the preset's data
  // width and every d = 1..T_x, in TR mode, against the model's HESE cap (and, for tv, the capper's bit-level
  // reference, which the model proves equal in test/fast/capper.test.ts). An exhaustive sweep of the edge.
  for (const name of Object.keys(PRESETS)) {
    for (const v of CELL_VARIANTS) {
      it(`preset ${name}, ${v.label}`, async () => {
        const cfg = resolveConfig({ preset: name, ...v.fields });
        const m = maxMagnitude(cfg.xBits);
        const values = Array.from({ length: 2 * m + 1 }, (_, i) => i - m);
        const ds = Array.from({ length: derive(cfg).TX }, (_, i) => i + 1);
        const jobs: Job[] = ds.map((d) => ({
          control: { mode: 'tr', g: 1, k: 1, d },
          W: [[1]],
          X: values.map((x) => [x]),
          out: { relu: false, bias: [0], mul: [1], shift: [0] },
        }));
        const r = await checkRun(cfg, jobs, `capping ${name} ${v.label}`);
        jobs.forEach((job, j) => {
          const d = job.control.d;
          const want = values.map((x) => termsValue(capTerms(encode(x, 'hese'), d)));
          expect({ d, acc: r.hw[j]!.acc.map((row) => row[0]) }).toEqual({ d, acc: want });
          if (v.fields.cell === 'tv') expect(want).toEqual(values.map((x) => capBinary(x, cfg.xBits, d)));
        });
      });
    }
  }
});

describe('illegal descriptor fields: the array clamps them and raises its sticky error flag', () => {
  // the driver never sends these (checkJob), so the descriptor beat is edited after the streams are built;
  // the streams carry the beats of the clamped (legal) setting, so the results must equal that setting's model
  for (const v of CELL_VARIANTS) {
    it(`${v.label}: g > G, d > T_x, d = 0 and k = 0 behave as the clamped values`, async () => {
      const cfg = resolveConfig({ preset: 'tiny', ...v.fields });
      const d = derive(cfg);
      const rng = new Rng(77);
      const cases: [string, Control, Record<string, bigint>][] = [
        ['g above G', { mode: 'tr', g: d.G, k: 2, d: 1 }, { in_t_g: BigInt(d.G + 1) }],
        ['d above T_x', { mode: 'tr', g: 2, k: 2, d: d.TX }, { in_t_d: BigInt(d.TX + 1) }],
        ['d = 0', { mode: 'tr', g: 2, k: 2, d: 1 }, { in_t_d: 0n }],
        ['k = 0', { mode: 'tr', g: 2, k: 1, d: 2 }, { in_t_k: 0n }],
      ];
      for (const [what, control, bad] of cases) {
        const K = what === 'g above G' ? d.G : 2 * control.g;
        const job = randomJob(cfg, rng, control, 2, 2, K);
        for (const [f, val] of Object.entries(bad)) {
          // the field must be representable, or the case cannot be sent at all
          expect(val < 1n << BigInt(f === 'in_t_g' ? d.GW : f === 'in_t_d' ? d.DW : d.KW), `${what}: field width`).toBe(true);
        }
        const r = await simulateJobs(cfg, [job], { editStreams: (s) => Object.assign(s.t[0]!, bad) });
        const ctx = `${v.label}, ${what}`;
        expect({ ctx, acc: r.hw[0]!.acc, y: r.hw[0]!.y }).toEqual({ ctx, acc: r.model[0]!.acc, y: r.model[0]!.y });
        expect({ ctx, err: r.end.err }).toEqual({ ctx, err: 1 });
        expect({ ctx, cycles: r.end.cycles }).toEqual({ ctx, cycles: r.schedule.totalCycles });
      }
      // and a legal stream leaves the flag down
      const ok = await simulateJobs(cfg, [randomJob(cfg, rng, { mode: 'tr', g: 2, k: 2, d: 1 }, 2, 2, 4)]);
      expect(ok.end.err).toBe(0);
    });
  }
});
