/**
 * Hardware benchmark without the synthesis tools: the bench wrapper's lint, the cycle and throughput metrics,
 * the tables, the orchestration of runBench/runFit with a stand-in synthesizer, and the CLI's argument errors.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBaseline } from '../../gen/baselines.ts';
import { buildBenchWrapper, lfsrTaps } from '../../gen/bench/bench.ts';
import {
  type BenchRow, type SynthNumbers, baselineTileCycles, benchTable, checkBudget, defaultBudget, fitTable, largestFit, parseShape, ratio,
  rowMetrics, si, trTileCycles, withRatios,
} from '../../gen/bench/bench-metrics.ts';
import { MATCHED, benchConfig, benchFiles, explainReason, benchMarkdown, fitFiles, fitMarkdown, runBench, runFit, type SynthFn } from '../../gen/bench/bench-run.ts';
import { matchedFor, parseBenchArgs } from '../../gen/bench/cli-bench.ts';
import { UserError } from '../../gen/cli-util.ts';
import { derive, presetConfig, resolveConfig } from '../../gen/config.ts';
import { buildDesign } from '../../gen/design.ts';
import type { SynthReport } from '../../gen/synth/flow.ts';
import { ToolError } from '../../gen/synth/run.ts';
import { lint } from '../../sim/verilator/verilator.ts';
import { runTs } from '../helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'trgen-bench-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bench wrapper: verilator --lint-only -Wall', () => {
  it('TR core (tiny) in the wrapper is clean', () => {
    const d = buildDesign(presetConfig('tiny'));
    const w = buildBenchWrapper('trtiny', { name: d.top, ports: d.params.ports }, d.files, 2);
    expect(lint(w.files, w.top)).toBe('');
  });
  it('a core with few input bits is clean: unused LFSR bits carry a waiver (1x1 bp baseline, 2-bit values; a 3-input core)', () => {
    const cfg = resolveConfig({ name: 'corner', rows: 1, cols: 1, wBits: 2, xBits: 2, groupMax: 1, lanes: 1, maxK: 1 });
    const b = buildBaseline(cfg, 'bp');
    const w = buildBenchWrapper('corner_bp', b.signature, b.files, 1);
    expect(lint(w.files, w.top)).toBe('');
    const tinyCore = '`default_nettype none\nmodule few (input wire clk, input wire [2:0] in_a, output reg out_y);\n  always @(posedge clk) out_y <= ^in_a;\nendmodule\n`default_nettype wire\n';
    const f = buildBenchWrapper('few', { name: 'few', ports: [{ name: 'clk', dir: 'input', width: 1 }, { name: 'in_a', dir: 'input', width: 3 }, { name: 'out_y', dir: 'output', width: 1 }] }, { 'few.v': tinyCore }, 1);
    expect(f.files['few_bench.v']).toContain('lint_off UNUSED');
    expect(lint(f.files, f.top)).toBe('');
  });
  it('bs baseline of the small preset with 8 LEDs is clean', () => {
    const b = buildBaseline(presetConfig('small'), 'bs');
    const w = buildBenchWrapper('trsmall_bs', b.signature, b.files, 8);
    expect(lint(w.files, w.top)).toBe('');
  });
  it('no waiver when the core reads every LFSR bit (TR default preset)', () => {
    const d = buildDesign(presetConfig('default'));
    const w = buildBenchWrapper('trgen', { name: d.top, ports: d.params.ports }, d.files, 8);
    expect(w.files['trgen_bench.v']).not.toContain('lint_off');
    expect(lint(w.files, w.top)).toBe('');
  });
  it('every input bit gets its own LFSR bit or XOR of LFSR bits: singles, pairs, then triples, never the same set twice', () => {
    expect([lfsrTaps(0), lfsrTaps(31), lfsrTaps(32), lfsrTaps(33), lfsrTaps(62), lfsrTaps(63), lfsrTaps(527), lfsrTaps(528)]).toEqual([[0], [31], [0, 1], [0, 2], [0, 31], [1, 2], [30, 31], [0, 1, 2]]);
    const seen = new Set<string>();
    for (let n = 0; n < 1200; n++) seen.add(lfsrTaps(n).join(','));
    expect(seen.size).toBe(1200);
    expect(() => lfsrTaps(32 + 496 + 4960)).toThrow(/more than 5488 core input bits/);
    expect(() => buildBenchWrapper('x', { name: 'c', ports: [] }, {}, 0)).toThrow(/ledWidth/);
    // the 1-bit inputs get single LFSR bits (first: in_t_valid), the wide ones XORs
    const d = buildDesign(presetConfig('small'));
    const w = buildBenchWrapper('trsmall', { name: d.top, ports: d.params.ports }, d.files, 8);
    expect(w.files['trsmall_bench.v']).toMatch(/\.in_t_valid\s*\(rnd\[0\]\)/);
    expect(w.files['trsmall_bench.v']).toContain('(rnd[0] ^ rnd[1])');
  });
});

describe('bench metrics: cycles per tile', () => {
  const tiny = presetConfig('tiny'); // 2x2, 4-bit (T = 2 HESE terms... see derive), G = 4, L = 4, maxK = 64
  const d = derive(tiny);

  it('TR mode: ngroups · max(k·d, ⌈g/L⌉+1), conventional: ngroups · g·T_w·T_x (steady state of a 4-tile run)', () => {
    const K = 64;
    const tr = trTileCycles(tiny, { mode: 'tr', g: 4, k: 3, d: 2 }, K);
    expect(tr.tileCycles).toBe(16 * Math.max(3 * 2, 2));
    expect(tr.workCycles).toBe(16 * 6);
    const conv = trTileCycles(tiny, { mode: 'conventional', g: 4, k: 1, d: 1 }, K);
    expect(conv.tileCycles).toBe(16 * 4 * d.TW * d.TX);
    // the first tile also pays the start-up (the first load)
    expect(conv.firstTileCycles).toBeGreaterThan(conv.tileCycles);
  });

  it('short tiles are held to LMIN = R·C + 5 (the read-out)', () => {
    const tr = trTileCycles(tiny, { mode: 'tr', g: 4, k: 1, d: 1 }, 8); // 2 groups of max(1, 2) cycles
    expect(tr.tileCycles).toBe(d.LMIN);
    const one = trTileCycles(tiny, { mode: 'tr', g: 4, k: 1, d: 1 }, 3); // a single, partial group
    expect(one.tileCycles).toBe(d.LMIN);
  });

  it('load-bound groups: ⌈g/L⌉ + 1 cycles when k·d is smaller', () => {
    const cfg = resolveConfig({ name: 'lb', rows: 1, cols: 8, wBits: 4, xBits: 4, groupMax: 8, lanes: 2, maxK: 256 });
    const tr = trTileCycles(cfg, { mode: 'tr', g: 8, k: 1, d: 1 }, 256);
    expect(tr.tileCycles).toBe(32 * (4 + 1));
  });

  it('baselines: max(K·s, R·C)', () => {
    const cfg = benchConfig('hx8k');
    expect(baselineTileCycles(cfg, 'bp', 784)).toBe(784);
    expect(baselineTileCycles(cfg, 'bs', 784)).toBe(784 * 8);
    expect(baselineTileCycles(cfg, 'bp', 2)).toBe(cfg.rows * cfg.cols);
    expect(baselineTileCycles(cfg, 'bs', 1)).toBe(cfg.rows * cfg.cols);
    expect(baselineTileCycles(cfg, 'bp', cfg.rows * cfg.cols + 1)).toBe(cfg.rows * cfg.cols + 1);
  });

  it('the bench configs: K = 784 fits a tile; default budget g = 8, k = 4, d = 3; not load-bound', () => {
    // tv cells: a group of 8 costs ceil(k/P) cycles (UP5K P = 1: 4; HX8K P = 2: 2), at least ceil(8/L) + 1 (L = 4: 3; L = 8: 2)
    for (const [b, P, groupCycles] of [['icebreaker', 1, 4], ['hx8k', 2, 2]] as const) {
      const cfg = benchConfig(b);
      expect({ b, cell: cfg.cell, P: cfg.termsPerCycle, R: cfg.rows, C: cfg.cols }).toEqual({ b, cell: 'tv', P, R: 2, C: 8 });
      expect(cfg.maxK).toBeGreaterThanOrEqual(784);
      expect(defaultBudget(cfg)).toEqual({ g: 8, k: 4, d: 3 });
      expect(trTileCycles(cfg, { mode: 'tr', g: 8, k: 4, d: 3 }, 784).tileCycles).toBe(98 * groupCycles);
    }
    expect(defaultBudget(presetConfig('mnist'))).toEqual({ g: 16, k: 8, d: 3 });
    expect(() => checkBudget(presetConfig('tiny'), { g: 8, k: 4, d: 2 })).toThrow(/--g: 8 is outside 1..4/);
    expect(() => checkBudget(presetConfig('tiny'), { g: 4, k: 99, d: 2 })).toThrow(/--k: 99/);
    expect(() => checkBudget(presetConfig('tiny'), { g: 4, k: 4, d: 9 })).toThrow(/--d: 9/);
  });
});

const syn = (lc: number, fmaxMHz: number, extra: Partial<SynthNumbers> = {}): SynthNumbers => ({ lc, lcAvailable: 7680, ff: 100, dsp: 0, bram: 0, fmaxMHz, ...extra });

describe('bench metrics: throughput, ratios, tables', () => {
  const cfg = resolveConfig({ name: 'm44', rows: 4, cols: 4, maxK: 784 });

  it('MACs/s = R·C·K·Fmax / tile cycles; per LC; cycles per dot product = tile / (R·C)', () => {
    const m = rowMetrics(cfg, 784, 1176, syn(6000, 50));
    expect(m.cyclesPerDot).toBe(1176 / 16);
    expect(m.macsPerSec).toBeCloseTo((16 * 784 * 50e6) / 1176, 3);
    expect(m.macsPerSecPerLc).toBeCloseTo(m.macsPerSec / 6000, 6);
    expect(() => rowMetrics(cfg, 784, 0, syn(1, 1))).toThrow(RangeError);
    expect(() => rowMetrics(cfg, 784, 10, syn(1, 0))).toThrow(RangeError);
  });

  it('ratios are relative to the bp row', () => {
    const mk = (kind: BenchRow['kind'], tile: number, s: SynthNumbers): Omit<BenchRow, 'vsBp'> => ({ kind, label: kind, design: kind === 'tr-conv' ? 'tr' : (kind as 'bp'), synth: s, tileCycles: tile, ...rowMetrics(cfg, 784, tile, s) });
    const rows = withRatios([mk('bp', 784, syn(4000, 100)), mk('bs', 6272, syn(2000, 100)), mk('tr', 1176, syn(6000, 50))]);
    expect(rows[0]!.vsBp).toEqual({ macsPerSec: 1, perLc: 1 });
    expect(rows[1]!.vsBp!.macsPerSec).toBeCloseTo(1 / 8, 9);
    expect(rows[1]!.vsBp!.perLc).toBeCloseTo(1 / 4, 9);
    expect(rows[2]!.vsBp!.macsPerSec).toBeCloseTo((784 / 1176) * 0.5, 9);
    expect(withRatios([mk('bs', 6272, syn(2000, 100))])[0]!.vsBp).toBeNull();
  });

  it('formats numbers and tables', () => {
    expect(si(123_456_789)).toBe('123 M');
    expect(si(1_500)).toBe('1.5 k');
    expect(si(2e9)).toBe('2 G');
    expect(si(0)).toBe('0');
    expect(si(800e6)).toBe('800 M');
    expect(si(10e3)).toBe('10 k');
    expect(si(1.05e6)).toBe('1.05 M');
    expect(si(999.6e6)).toBe('1 G');
    expect(ratio(0.1234)).toBe('0.12×');
    expect(ratio(2.345)).toBe('2.35×');
    expect(ratio(12.3)).toBe('12×');
    const row: BenchRow = { kind: 'bp', label: 'bp', design: 'bp', synth: syn(4000, 100), tileCycles: 784, ...rowMetrics(cfg, 784, 784, syn(4000, 100)), vsBp: { macsPerSec: 1, perLc: 1 } };
    const t = benchTable([row]).trim().split('\n');
    expect(t).toHaveLength(3);
    const cells = (l: string) => l.split('|').length;
    expect(cells(t[2]!)).toBe(cells(t[0]!));
    expect(t[2]).toContain('| 4000 / 7680 |');
    expect(t[2]).toContain('| 1.6 G |'); // 16·784·100e6/784
    const f = fitTable([{ shape: '2x2', rows: 2, cols: 2, fits: true, synth: syn(3000, 40), seconds: 1 }, { shape: '4x4', rows: 4, cols: 4, fits: false, reason: 'too big | really', seconds: 1 }]);
    expect(f).toContain('| 2x2 | yes | 3000 / 7680 |');
    expect(f).toContain('too big \\| really');
  });

  it('explains nextpnr\'s "Failed to expand region" as not fitting', () => {
    const r = explainReason('nextpnr-ice40: Failed to expand region (0, 0) |_> (33, 33) of 7927 ICESTORM_LCs', 7680);
    expect(r).toMatch(/^does not fit: needs 7927 logic cells \(ICESTORM_LC\), the device has 7680/);
    expect(explainReason('yosys: syntax error', 7680)).toBe('yosys: syntax error');
  });

  it('shapes and the largest fit', () => {
    expect(parseShape('4x8')).toEqual({ rows: 4, cols: 8 });
    expect(parseShape(' 2×3 ')).toEqual({ rows: 2, cols: 3 });
    expect(() => parseShape('4*8')).toThrow(UserError);
    expect(() => parseShape('0x8')).toThrow(/1..32/);
    const r = (shape: string, fits: boolean) => ({ shape, rows: Number(shape[0]), cols: Number(shape[2]), fits, seconds: 0 });
    expect(largestFit([r('1x2', true), r('2x2', true), r('2x4', false)])?.shape).toBe('2x2');
    expect(largestFit([r('1x2', false)])).toBeUndefined();
  });
});

/** A stand-in synthesizer: LCs grow with the cells of the core; fails to place above `capacity` LCs. */
function fakeSynth(capacity: number, calls: string[]): SynthFn {
  return async (o) => {
    calls.push(o.top);
    const verilog = Object.values(o.files).join('');
    const lc = 100 + verilog.length / 50;
    if (lc > capacity) {
      throw new ToolError({ tool: 'nextpnr-ice40', status: 'exit code 255', summary: `the design does not fit: ${Math.round(lc)} LCs`, log: [], files: {} });
    }
    const report = { top: o.top, fmaxMHz: o.top.includes('_bs') ? 120 : 60, utilization: { lc: { used: Math.round(lc), available: capacity }, ff: 10, bram: { used: 0, available: 32 }, dsp: { used: 0, available: 0 } } };
    return { report: report as unknown as SynthReport };
  };
}

describe('bench orchestration (stand-in synthesizer)', () => {
  const cfg = resolveConfig({ preset: 'tiny', maxK: 784, name: 'bt' });

  it("runBench passes the nextpnr options (router, timing-driven rip-up) to every design's synthesis", async () => {
    const seen: [string | undefined, boolean | undefined][] = [];
    const rec: SynthFn = async (o) => {
      seen.push([o.router, o.tmgRipup]);
      return fakeSynth(1e9, [])(o);
    };
    const r = await runBench({ board: 'hx8k', cfg, budget: { g: 4, k: 2, d: 1 }, K: 784, seed: 1, router: 'router2', tmgRipup: true, synth: rec });
    expect(seen).toEqual([['router2', true], ['router2', true], ['router2', true]]);
    expect(r.pnr).toEqual({ router: 'router2', tmgRipup: true });
    expect(benchMarkdown(r)).toContain('nextpnr seed 1, router2, heap placer, timing-driven rip-up (--tmg-ripup), clock constraint 12 MHz');
    const plain = await runBench({ board: 'hx8k', cfg, budget: { g: 4, k: 2, d: 1 }, K: 784, seed: 1, freqMHz: 100, synth: fakeSynth(1e9, []) });
    expect(benchMarkdown(plain)).toContain('nextpnr seed 1, router1, heap placer, clock constraint 100 MHz');
    const f = await runFit({ board: 'hx8k', cfg, shapes: [parseShape('1x2')], target: 'bare', seed: 2, router: 'router2', tmgRipup: true, synth: fakeSynth(1e9, []) });
    expect(fitMarkdown(f)).toContain('nextpnr seed 2, router2, heap placer, timing-driven rip-up (--tmg-ripup), clock constraint 12 MHz.');
    const c = parseBenchArgs(['--board', 'hx8k', '--tmg-ripup']);
    expect([c.tmgRipup, parseBenchArgs(['--board', 'hx8k']).tmgRipup, parseBenchArgs(['--board', 'hx8k', '--fit', '--tmg-ripup']).tmgRipup]).toEqual([true, false, true]);
  });

  it('runBench: TR, bp, bs in one run; four rows; files', async () => {
    const calls: string[] = [];
    const lines: string[] = [];
    const r = await runBench({ board: 'hx8k', cfg, budget: { g: 4, k: 2, d: 1 }, K: 784, seed: 3, synth: fakeSynth(1e9, calls), log: (s) => lines.push(s) });
    expect(calls).toEqual(['bt_bench', 'bt_bp_bench', 'bt_bs_bench']);
    expect(r.rows.map((x) => x.kind)).toEqual(['bp', 'bs', 'tr-conv', 'tr']);
    expect(r.rows.find((x) => x.kind === 'bp')!.tileCycles).toBe(784);
    expect(r.rows.find((x) => x.kind === 'tr')!.tileCycles).toBe(196 * Math.max(2, 2));
    expect(r.rows.find((x) => x.kind === 'tr-conv')!.tileCycles).toBe(r.trCycles.conventional.tileCycles);
    expect(r.missing).toEqual([]);
    expect(lines.some((l) => l.startsWith('[1/3] tr'))).toBe(true);
    const files = benchFiles(r);
    expect(Object.keys(files).sort()).toEqual(['bench.json', 'bench.md']);
    expect(JSON.parse(files['bench.json']!).rows).toHaveLength(4);
    expect(benchMarkdown(r)).toContain('TR array, TR mode g=4 k=2 d=1');
    expect(benchMarkdown(r)).toContain('approximate');
  });

  it('runBench with matched accuracy: baselines at the matched weight width, TR at the matched budget, ratios against the matched bp', async () => {
    const calls: string[] = [];
    const matched = { wBits: 2, budget: { g: 4, k: 3, d: 1 }, source: 'test' };
    const asked: string[] = [];
    const modules = async (o: { top: string }) => {
      asked.push(o.top);
      return [{ module: `${o.top}_m`, instances: 2, lut: 10, ff: 6, carry: 1 }];
    };
    const r = await runBench({ board: 'hx8k', cfg, budget: { g: 4, k: 2, d: 1 }, K: 784, seed: 3, matched, modules, synth: fakeSynth(1e9, calls) });
    expect(calls).toEqual(['bt_bench', 'bt_bp_bench', 'bt_bs_bench', 'bt_w2_bp_bench', 'bt_w2_bs_bench']);
    expect(asked).toEqual(calls);
    expect(r.designs.map((d) => d.modules?.[0]?.module)).toEqual(calls.map((c) => `${c}_m`));
    expect(benchMarkdown(r)).toContain('#### Per-module cells');
    expect(benchMarkdown(r)).toContain('| bt_w2_bs_bench_m | 2 | 10 | 6 | 1 | 5 | 3 |');
    expect(r.rows.map((x) => x.kind)).toEqual(['bp', 'bs', 'tr-conv', 'tr', 'bp-m', 'bs-m', 'tr-m']);
    const row = (k: string) => r.rows.find((x) => x.kind === k)!;
    expect(row('bs-m').tileCycles).toBe(784 * 2);
    expect(row('tr-m').tileCycles).toBe(r.trCycles.matched!.tileCycles);
    expect(row('tr-m').synth).toEqual(row('tr').synth);
    expect(row('tr-m').vsBp!.perLc).toBeCloseTo(row('tr-m').macsPerSecPerLc / row('bp-m').macsPerSecPerLc, 12);
    expect(row('tr').vsBp!.perLc).toBeCloseTo(row('tr').macsPerSecPerLc / row('bp').macsPerSecPerLc, 12);
    expect(r.matched).toEqual(matched);
    expect(benchMarkdown(r)).toContain('matched accuracy: bp, 2-bit weights');
    expect(r.notes.some((n) => n.includes('Accuracy measured with test'))).toBe(true);
  });

  it('the default matched point is used only where the config can run it', () => {
    const log: string[] = [];
    expect(matchedFor(benchConfig('hx8k'), (s) => log.push(s))).toEqual(MATCHED);
    expect(matchedFor(presetConfig('tiny'), (s) => log.push(s))).toBeUndefined(); // g = 8 > groupMax 4
    expect(log).toEqual([expect.stringMatching(/^matched-accuracy rows skipped: .*--g: 8 is outside 1..4/)]);
    expect(parseBenchArgs(['--board', 'hx8k']).matched).toBe(true);
    expect(parseBenchArgs(['--board', 'hx8k', '--no-matched']).matched).toBe(false);
    expect(() => parseBenchArgs(['--board', 'hx8k', '--fit', '--no-matched'])).toThrow(/--no-matched does not apply to --fit/);
  });

  it('runBench: a design that does not fit is reported, the others still measured', async () => {
    const calls: string[] = [];
    // the TR core of this config is the biggest of the three: a capacity between them fails only TR
    const sizes: Record<string, number> = {};
    await runBench({ board: 'hx8k', cfg, budget: { g: 4, k: 2, d: 1 }, K: 784, seed: 1, synth: async (o) => { sizes[o.top] = Object.values(o.files).join('').length / 50 + 100; return fakeSynth(1e9, [])(o); } });
    const cap = Math.max(sizes['bt_bp_bench']!, sizes['bt_bs_bench']!) + 1;
    expect(sizes['bt_bench']!).toBeGreaterThan(cap);
    const r = await runBench({ board: 'hx8k', cfg, budget: { g: 4, k: 2, d: 1 }, K: 784, seed: 1, synth: fakeSynth(cap, calls) });
    expect(r.missing.map((m) => m.design)).toEqual(['tr']);
    expect(r.missing[0]!.reason).toMatch(/^nextpnr-ice40: the design does not fit/);
    expect(r.rows.map((x) => x.kind)).toEqual(['bp', 'bs']);
    expect(benchMarkdown(r)).toContain('**tr did not synthesize**');
  });

  it('runBench: bad input fails before any synthesis', async () => {
    const calls: string[] = [];
    await expect(runBench({ board: 'hx8k', cfg: presetConfig('tiny'), budget: { g: 4, k: 2, d: 1 }, K: 784, seed: 1, synth: fakeSynth(1e9, calls) })).rejects.toThrow(/exceeds the config's maxK 64/);
    await expect(runBench({ board: 'hx8k', cfg, budget: { g: 4, k: 2, d: 1 }, K: 784, seed: 1, bpDsp: true, synth: fakeSynth(1e9, calls) })).rejects.toThrow(/no DSP blocks/);
    expect(calls).toEqual([]);
  });

  it('runFit: binary search over the ladder, few runs, largest fitting shape', async () => {
    const shapes = ['1x1', '1x2', '2x2', '2x4', '4x4', '4x8', '8x8'].map(parseShape);
    const sizes: number[] = [];
    for (const s of shapes) {
      const c = resolveConfig({ ...cfg, rows: s.rows, cols: s.cols });
      const d = buildDesign(c);
      sizes.push(Object.values(buildBenchWrapper(c.name, { name: d.top, ports: d.params.ports }, d.files, 8).files).join('').length / 50 + 100);
    }
    // capacity between the 2x4 and the 4x4 design
    const cap = ((sizes[3] as number) + (sizes[4] as number)) / 2;
    const calls: string[] = [];
    const f = await runFit({ board: 'hx8k', cfg, shapes, target: 'bare', seed: 1, synth: fakeSynth(cap, calls) });
    expect(calls.length).toBeLessThanOrEqual(3);
    expect(f.largest?.shape).toBe('2x4');
    expect(f.results.map((x) => [x.shape, x.fits])).toEqual(f.results.map((x) => [x.shape, x.rows * x.cols <= 8]));
    expect(f.results.some((x) => x.shape === '4x4' && !x.fits)).toBe(true);
    expect(Object.keys(fitFiles(f))).toEqual(['fit-bare.json', 'fit-bare.md']);
    expect(fitFiles(f)['fit-bare.md']).toContain('**Largest fitting: 2x4**');
  });

  it('runFit: the usable board top is what gets synthesized by default', async () => {
    const calls: string[] = [];
    const f = await runFit({ board: 'icebreaker', cfg, shapes: [parseShape('1x2')], target: 'board', seed: 1, synth: fakeSynth(1e9, calls) });
    expect(calls).toEqual(['bt_1x2_board']);
    expect(f.largest?.shape).toBe('1x2');
  });
});

describe('npm run bench:hw: arguments', () => {
  it('parses a full command', () => {
    const c = parseBenchArgs(['--board', 'icebreaker', '--preset', 'mnist', '--g', '16', '--k', '8', '--d', '3', '--seed', '5', '--freq', '24']);
    expect(c).toMatchObject({ mode: 'bench', board: 'icebreaker', K: 784, budget: { g: 16, k: 8, d: 3 }, seed: 5, freqMHz: 24, out: 'out/bench/icebreaker' });
    expect(parseBenchArgs(['--board', 'hx8k', '--preset', 'mnist', '--g', '12']).budget).toEqual({ g: 12, k: 6, d: 3 });
    const f = parseBenchArgs(['--board', 'hx8k', '--fit', '--shapes', '1x1,2x2']);
    expect(f.mode).toBe('fit');
    expect(f.shapes).toEqual([{ rows: 1, cols: 1 }, { rows: 2, cols: 2 }]);
    expect(f.cfg).toMatchObject({ outMulBits: 0, biasBits: 16, lanes: 8, maxK: 784, cell: 'tv', termsPerCycle: 2 });
    expect(f.readback).toBe('all');
    expect(parseBenchArgs(['--board', 'icebreaker', '--fit', '--readback', 'results']).readback).toBe('results');
  });

  const bad: [string[], RegExp][] = [
    [[], /--board: missing/],
    [['--board', 'ulx3s'], /unknown board 'ulx3s'/],
    [['--board', 'hx8k', '--preset', 'tiny'], /--len: dot-product length 784 exceeds the config's maxK 64/],
    [['--board', 'hx8k', '--g', '32'], /--g: 32 is outside 1..8/],
    [['--board', 'hx8k', '--k', '0'], /--k: expected an integer/],
    [['--board', 'hx8k', '--d', '5'], /--d: 5 is outside 1..4/],
    [['--board', 'hx8k', '--seed', '-1'], /--seed: expected an integer/],
    [['--board', 'hx8k', '--freq', 'fast'], /--freq: expected a number/],
    [['--board', 'hx8k', '--bare'], /--bare only goes with --fit/],
    [['--board', 'hx8k', '--fit', '--k', '3'], /--k does not apply to --fit/],
    [['--board', 'hx8k', '--readback', 'results'], /--readback only goes with --fit/],
    [['--board', 'hx8k', '--router', 'r9'], /--router: 'r9' must be router1 or router2/],
    [['--board', 'hx8k', '--fit', '--readback', 'some'], /--readback: 'some' must be all or results/],
    [['--board', 'hx8k', '--fit', '--bare', '--readback', 'results'], /applies to the board top, not to --bare/],
    [['--board', 'hx8k', '--fit', '--shapes', '2x2,3'], /'3' is not a shape/],
    [['--board', 'hx8k', '--preset', 'tiny', '--config', 'x.json'], /either --config or --preset/],
  ];
  for (const [argv, msg] of bad) {
    it(`rejects ${argv.join(' ') || '(no arguments)'}`, () => {
      expect(() => parseBenchArgs(argv)).toThrow(UserError);
      expect(() => parseBenchArgs(argv)).toThrow(msg);
    });
  }

  it('the CLI: one error line, exit 2, no stack trace, nothing written', () => {
    const out = join(tmp, 'o');
    const r = runTs('gen/bench/cli-bench.ts', ['--board', 'hx8k', '--g', '99', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'))).toEqual(['error: --g: 99 is outside 1..8 (group size; the design\'s groupMax is 8)']);
    expect(readdirSync(tmp)).not.toContain('o');
  });
});
