/**
 * Fast tier: the sweep machinery of `npm run dse` without the tools: sweep-file checks, expansion into points,
 * content keys, the local pool with a fake synthesizer (caching, concurrency, failures), the results (metrics,
 * seeds, Pareto, largest fit, accuracy lookup), and the CLI's input errors.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../gen/bench/cli-bench.ts';
import { UserError } from '../../gen/cli-util.ts';
import { type JobEntry, jobDesign, jobKey, runJob, specOf } from '../../gen/dse/job.ts';
import { ResultCache, estimate, runLocal } from '../../gen/dse/pool.ts';
import { parseRedisUrl } from '../../gen/dse/queue.ts';
import { accuracyTable, buildResults, canonicalResults, lookupAccuracy, paretoFlags, resultsMarkdown } from '../../gen/dse/report.ts';
import { expandSpace, parseSpace, readSpace } from '../../gen/dse/space.ts';
import type { SynthOptions, SynthReport } from '../../gen/synth/flow.ts';
import { ToolError } from '../../gen/synth/run.ts';
import { runTs } from '../helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'trgen-dse-fast-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SPACE = { name: 't', base: { preset: 'tiny', name: 'dt' }, shapes: ['1x1', '1x2', '2x2'], boards: ['icebreaker'], seeds: [1, 2], K: 64, budgets: [{ g: 4, k: 2, d: 1 }] };

const tr2x2 = expandSpace(parseSpace(SPACE)).find((p) => p.id === 'tr 2x2 icebreaker s1')!;
const tr2x2Size = Object.values(jobDesign(specOf(tr2x2)).files).reduce((a, f) => a + String(f).length, 0);

/** A fake flow: LC grows with the design's source size, Fmax depends on the seed; 2x2 TR "does not fit". */
function fakeSynth(log: string[] = []) {
  return async (o: SynthOptions): Promise<{ report: SynthReport }> => {
    log.push(`${o.top} s${o.seed}`);
    await new Promise((r) => setTimeout(r, 5));
    const size = Object.values(o.files).reduce((a, f) => a + String(f).length, 0);
    if (size === tr2x2Size) throw new ToolError({ tool: 'nextpnr-ice40', status: 'exit status 1', summary: 'no legal placement', log: [], files: {} });
    const lc = Math.round(size / 100);
    return {
      report: {
        fmaxMHz: 40 + (o.seed ?? 1), timingMet: true,
        utilization: { lc: { used: lc, available: 5280 }, ff: Math.round(lc / 2), carry: 3, bram: { used: 0, available: 30 }, dsp: { used: 0, available: 8 } },
      } as unknown as SynthReport,
    };
  };
}

/** The jobs of SPACE at one shape (1x1) and seed 1 (tr, bp, bs), with an empty result cache in tmp/dir. */
function oneShapeJobs(dir: string) {
  const jobs = expandSpace(parseSpace({ ...SPACE, shapes: ['1x1'], seeds: [1] })).map((p) => ({ key: jobKey(specOf(p)), spec: specOf(p), id: p.id }));
  return { jobs, cache: new ResultCache(join(tmp, dir)) };
}

describe('sweep files', () => {
  it('expand into config variant × design × board × seed, in a fixed order, with unique ids', () => {
    const pts = expandSpace(parseSpace(SPACE));
    expect(pts).toHaveLength(3 * 3 * 1 * 2);
    expect(pts.slice(0, 3).map((p) => p.id)).toEqual(['tr 1x1 icebreaker s1', 'tr 1x1 icebreaker s2', 'bp 1x1 icebreaker s1']);
    expect(pts.map((p) => `${p.cfg.rows}x${p.cfg.cols}`).filter((s, i, a) => a.indexOf(s) === i)).toEqual(['1x1', '1x2', '2x2']);
    // baselines again at each extra weight width; vary combines with shapes
    const v = expandSpace(parseSpace({ ...SPACE, shapes: ['1x1'], vary: { lanes: [1, 2] }, baselineWBits: [2, 3], seeds: [1] }));
    expect(v.map((p) => p.id)).toEqual([
      'tr 1x1 lanes=1 icebreaker s1', 'bp 1x1 lanes=1 icebreaker s1', 'bp 1x1 lanes=1 wBits=2 icebreaker s1', 'bp 1x1 lanes=1 wBits=3 icebreaker s1',
      'bs 1x1 lanes=1 icebreaker s1', 'bs 1x1 lanes=1 wBits=2 icebreaker s1', 'bs 1x1 lanes=1 wBits=3 icebreaker s1',
      'tr 1x1 lanes=2 icebreaker s1', 'bp 1x1 lanes=2 icebreaker s1', 'bp 1x1 lanes=2 wBits=2 icebreaker s1', 'bp 1x1 lanes=2 wBits=3 icebreaker s1',
      'bs 1x1 lanes=2 icebreaker s1', 'bs 1x1 lanes=2 wBits=2 icebreaker s1', 'bs 1x1 lanes=2 wBits=3 icebreaker s1',
    ]);
  });

  it.each([
    [{ ...SPACE, boards: ['de10'] }, /boards: expected a non-empty array of icebreaker, hx8k/],
    [{ ...SPACE, colour: 1 }, /unknown field 'colour'/],
    [{ ...SPACE, shapes: ['1x'] }, /shapes: '1x' is not a shape/],
    [{ ...SPACE, vary: { rows: [1] } }, /either shapes or vary.rows/],
    [{ ...SPACE, seeds: [1, 1] }, /seeds: repeated value/],
    [{ ...SPACE, K: 65 }, /K = 65 exceeds the config's maxK 64/],
    [{ ...SPACE, budgets: [{ g: 4, k: 2 }] }, /budgets\[0\]: expected \{"g": G, "k": K, "d": D\}/],
    [{ ...SPACE, budgets: [{ g: 9, k: 2, d: 1 }] }, /budget g9 k2 d1: 9 is outside 1..4/],
    [{ ...SPACE, vary: { wBits: [4, 99] } }, /sweep point 1x1 wBits=99: .*wBits/],
    [{ ...SPACE, target: 'board' }, /board top exists for the TR array only/],
    [{ ...SPACE, readback: 'results' }, /readback: applies to board tops only/],
    [{ ...SPACE, router: 'router3' }, /router: expected one of "router1", "router2"/],
    [{ ...SPACE, tmgRipup: 'yes' }, /tmgRipup: expected true or false/],
    [{ ...SPACE, designs: ['tr'], target: 'board', readback: 'some' }, /readback: expected one of "all", "results"/],
    [{ ...SPACE, freqMHz: { hx8k: 50 } }, /freqMHz.hx8k: is not one of the sweep's boards/],
  ])('a bad sweep is one UserError before any work (%#)', (raw, msg) => {
    expect(() => expandSpace(parseSpace(raw))).toThrow(UserError);
    expect(() => expandSpace(parseSpace(raw))).toThrow(msg);
  });

  it('content keys: stable, and different for anything the result depends on', () => {
    const [a, b] = expandSpace(parseSpace(SPACE));
    const ka = jobKey(specOf(a!));
    expect(ka).toMatch(/^[0-9a-f]{64}$/);
    expect(jobKey(specOf(a!))).toBe(ka);
    expect(jobKey(specOf(b!))).not.toBe(ka); // another seed
    expect(jobKey({ ...specOf(a!), freqMHz: 50 })).not.toBe(ka);
    expect(jobKey({ ...specOf(a!), cfg: { ...a!.cfg, lanes: 1 } })).not.toBe(ka); // other Verilog
    expect(jobKey({ ...specOf(a!), cfg: { ...a!.cfg } })).toBe(ka);
    // board tops: a results-only READ path is another design (its key differs; the spec says so)
    const [bt] = expandSpace(parseSpace({ ...SPACE, designs: ['tr'], target: 'board' }));
    const [br] = expandSpace(parseSpace({ ...SPACE, designs: ['tr'], target: 'board', readback: 'results' }));
    expect([specOf(bt!).readback, specOf(br!).readback]).toEqual([undefined, 'results']);
    expect(jobKey(specOf(br!))).not.toBe(jobKey(specOf(bt!)));
    // router2 is another flow: its own key; router1 (the default) keeps the key it always had
    const [r2] = expandSpace(parseSpace({ ...SPACE, router: 'router2' }));
    expect([specOf(r2!).router, jobKey(specOf(r2!)) !== ka, jobKey({ ...specOf(a!), router: 'router1' })]).toEqual(['router2', true, ka]);
    // so is the timing-driven rip-up; off (the default, or false) keeps the key
    const [rr] = expandSpace(parseSpace({ ...SPACE, tmgRipup: true }));
    const [rf] = expandSpace(parseSpace({ ...SPACE, tmgRipup: false }));
    expect([specOf(rr!).tmgRipup, jobKey(specOf(rr!)) !== ka, jobKey(specOf(rf!))]).toEqual([true, true, ka]);
  });

  it("every committed sweep (docs/dse) parses; the HX8K benchmark sweep runs the README's bench:hw command's flow", () => {
    const dir = new URL('../../docs/dse/', import.meta.url);
    const sweep = (f: string) => readSpace(fileURLToPath(new URL(f, dir)));
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(expandSpace(sweep(f)).length, f).toBeGreaterThan(0);
    // the README documents the HX8K table as `npm run bench:hw -- ...` and as this sweep: the same points and flow
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const line = /^npm run bench:hw -- (--board hx8k [^#\n]*?)\s+#[^\n]*the HX8K table below/m.exec(readme);
    expect(line, 'the README names the HX8K bench command').not.toBeNull();
    const c = parseBenchArgs(line![1]!.split(/\s+/));
    const sp = sweep('bench-hx8k.json');
    const tr = expandSpace(sp).find((p) => p.design === 'tr')!;
    expect({ router: sp.router, tmgRipup: sp.tmgRipup, freqMHz: sp.freqMHz.hx8k, seed: sp.seeds[0], K: sp.K, budget: sp.budgets?.[0], cfg: tr.cfg })
      .toEqual({ router: c.router, tmgRipup: c.tmgRipup, freqMHz: c.freqMHz, seed: c.seed, K: c.K, budget: c.budget, cfg: c.cfg });
    for (const f of ['seeds-hx8k.json', 'cells-hx8k-tv1.json', 'cells-hx8k-tp.json']) {
      const o = sweep(f);
      expect([f, o.router, o.tmgRipup, o.freqMHz.hx8k]).toEqual([f, sp.router, sp.tmgRipup, sp.freqMHz.hx8k]);
    }
  });

  it('redis URLs', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ host: '127.0.0.1', port: 6379, db: 0 });
    expect(parseRedisUrl('redis://:s3cret@queue.lab:7000/2')).toEqual({ host: 'queue.lab', port: 7000, db: 2, password: 's3cret' });
    for (const bad of ['http://x:1', 'redis://x', 'redis://x:0', 'redis://x:99999']) expect(() => parseRedisUrl(bad)).toThrow(UserError);
  });
});

describe('the local pool (fake synthesizer)', () => {
  it("passes the sweep's nextpnr options (router, timing-driven rip-up) to the flow", async () => {
    const seen: SynthOptions[] = [];
    const synth = async (o: SynthOptions): Promise<{ report: SynthReport }> => {
      seen.push(o);
      return fakeSynth()(o);
    };
    const pick = (extra: object) => specOf(expandSpace(parseSpace({ ...SPACE, ...extra })).find((p) => p.id === 'tr 1x1 icebreaker s1')!);
    await runJob(pick({ router: 'router2', tmgRipup: true }), { synth, worker: 'w' });
    await runJob(pick({}), { synth, worker: 'w' });
    expect(seen.map((o) => [o.router, o.tmgRipup])).toEqual([['router2', true], [undefined, undefined]]);
  });

  it('runs each missing job once, caches every result, and a second run runs nothing', async () => {
    const space = parseSpace(SPACE);
    const pts = expandSpace(space);
    const jobs = pts.map((p) => ({ key: jobKey(specOf(p)), spec: specOf(p), id: p.id }));
    const cache = new ResultCache(join(tmp, 'c1'));
    const log: string[] = [];
    let maxRunning = 0;
    const r1 = await runLocal(jobs, cache, { concurrency: 3, synth: fakeSynth(log), onProgress: (p) => void (maxRunning = Math.max(maxRunning, p.running)) });
    expect(r1.failed).toEqual([]);
    expect(log).toHaveLength(18);
    expect(maxRunning).toBe(3);
    const log2: string[] = [];
    await runLocal(jobs, cache, { concurrency: 3, synth: fakeSynth(log2) });
    expect(log2).toEqual([]);
    // a result is written once: put() keeps the first
    const e = cache.get(jobs[0]!.key)!;
    expect(cache.put({ ...e, run: { seconds: 99, worker: 'other' } })).toBe(false);
    expect(cache.get(jobs[0]!.key)!.run.worker).toBe(e.run.worker);
    // the results: 2x2 TR did not fit (a result, cached), everything else has metrics
    const entries = new Map(jobs.map((j) => [j.key, cache.get(j.key)!] as [string, JobEntry]));
    const res = buildResults(space, pts, jobs.map((j) => j.key), entries, null, [], 1);
    expect(res.points.filter((p) => p.outcome && !p.outcome.ok).map((p) => p.id)).toEqual(['tr 2x2 icebreaker s1', 'tr 2x2 icebreaker s2']);
    expect(res.fits).toHaveLength(1);
    expect(res.fits[0]!.largest).toBe('1x2');
    expect(res.fits[0]!.measured.map((m) => [m.shape, m.fits])).toEqual([['1x1', true], ['1x2', true], ['2x2', false]]);
    const tr = res.evaluations.find((x) => x.id === 'tr 1x2 icebreaker g4k2d1')!;
    expect(tr.fmaxMHz).toEqual({ median: 41.5, min: 41, max: 42, n: 2 });
    expect(tr.macsPerSec).toBeCloseTo((2 * 64 * 41.5e6) / tr.tileCycles, 3);
    const bp = res.evaluations.find((x) => x.id === 'bp 1x2 icebreaker')!;
    expect(tr.perLcVsBp).toBeCloseTo(tr.macsPerSecPerLc / bp.macsPerSecPerLc, 9);
    expect(canonicalResults(res)).not.toHaveProperty('timings');
    const md = resultsMarkdown(res, 'npm run dse -- --space t.json');
    expect(md).toContain('| (base) | 1x1 (');
    expect(md).toContain('**1x2**');
    expect(md).toContain('- tr 2x2 icebreaker s1: nextpnr-ice40: no legal placement');
  });

  it('a job that throws (not a design failure) is reported as failed and not cached; the others go on', async () => {
    const { jobs, cache } = oneShapeJobs('c2');
    const ok = fakeSynth();
    const r = await runLocal(jobs, cache, { concurrency: 2, synth: async (o) => (o.top.includes('_bp') ? Promise.reject(new Error('worker ran out of memory')) : ok(o)) });
    expect(r.failed.map((f) => [f.id, f.error])).toEqual([['bp 1x1 icebreaker s1', 'worker ran out of memory']]);
    expect(jobs.map((j) => cache.get(j.key) !== undefined)).toEqual([true, false, true]);
  });

  it('--job-timeout: a job that runs too long is stopped, reported as failed and not cached; the others go on', async () => {
    const { jobs, cache } = oneShapeJobs('c6');
    const ok = fakeSynth();
    // the bp job "stalls" (like nextpnr's router on a congested placement) until its signal aborts it
    const stall = (o: SynthOptions) => new Promise<never>((_, reject) => o.signal?.addEventListener('abort', () => reject(o.signal?.reason), { once: true }));
    const t0 = performance.now();
    const r = await runLocal(jobs, cache, { concurrency: 2, jobTimeoutS: 1, synth: async (o) => (o.top.includes('_bp') ? stall(o) : ok(o)) });
    const ms = performance.now() - t0;
    expect(r.failed.map((f) => [f.id, f.error])).toEqual([['bp 1x1 icebreaker s1', 'timed out after 1 s (--job-timeout; not cached: a time limit says nothing about the design)']]);
    expect(jobs.map((j) => cache.get(j.key) !== undefined)).toEqual([true, false, true]);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(10_000);
  });

  it('accuracies: each row is compared with the bp it matches (the most accurate bp at most as accurate), and the Pareto front', async () => {
    const space = parseSpace({ ...SPACE, shapes: ['1x1'], seeds: [1], baselineWBits: [2] });
    const pts = expandSpace(space);
    const jobs = pts.map((p) => ({ key: jobKey(specOf(p)), spec: specOf(p), id: p.id }));
    const cache = new ResultCache(join(tmp, 'c5'));
    await runLocal(jobs, cache, { concurrency: 2, synth: fakeSynth() });
    const conv = { mode: 'conventional' };
    const acc = accuracyTable(
      [{ wBits: 4, xBits: 4, terms: [conv], accuracy: 0.95 }, { wBits: 2, xBits: 4, terms: [conv], accuracy: 0.9 }],
      [{ wBits: 4, terms: [{ mode: 'tr', g: 4, k: 2, d: 1 }], accuracy: 0.93 }],
      undefined, 'acc.json',
    );
    const res = buildResults(space, pts, jobs.map((j) => j.key), new Map(jobs.map((j) => [j.key, cache.get(j.key)!])), acc, [], 1);
    const ev = (id: string) => res.evaluations.find((e) => e.id === id)!;
    const tr = ev('tr 1x1 icebreaker g4k2d1');
    expect(tr.accuracy).toBe(0.93);
    expect(tr.vsMatchedBp?.id).toBe('bp 1x1 wBits=2 icebreaker');
    expect(tr.vsMatchedBp?.perLc).toBeCloseTo(tr.macsPerSecPerLc / ev('bp 1x1 wBits=2 icebreaker').macsPerSecPerLc, 9);
    expect(ev('tr 1x1 icebreaker conventional').vsMatchedBp?.id).toBe('bp 1x1 icebreaker');
    expect(ev('bp 1x1 wBits=2 icebreaker').vsMatchedBp?.perLc).toBe(1);
    const front = res.evaluations.filter((e) => e.pareto).map((e) => e.id);
    for (const e of res.evaluations) {
      const dominated = res.evaluations.some((o) => o !== e && o.accuracy! >= e.accuracy! && o.macsPerSecPerLc >= e.macsPerSecPerLc && (o.accuracy! > e.accuracy! || o.macsPerSecPerLc > e.macsPerSecPerLc));
      expect(front.includes(e.id), e.id).toBe(!dominated);
    }
  });

  it('ETA: mean job time × jobs left ÷ parallel jobs', () => {
    expect(estimate(6, [10, 20], 3)).toBe(30);
    expect(estimate(4, [], 2)).toBeNull();
    expect(estimate(0, [], 2)).toBe(0);
  });
});

describe('results', () => {
  it('Pareto: maximal in MACs/s per LC and accuracy; no accuracy, no front', () => {
    expect(paretoFlags([
      { perLc: 1, accuracy: 0.9 }, { perLc: 2, accuracy: 0.8 }, { perLc: 0.5, accuracy: 0.85 }, { perLc: 3, accuracy: null }, { perLc: 2, accuracy: 0.8 },
    ])).toEqual([true, true, false, false, false]);
  });

  it('accuracy from a workload results file: TR by uniform budget, QT by weight width', () => {
    const conv = { mode: 'conventional' };
    const a = accuracyTable(
      [{ wBits: 3, xBits: 8, terms: [conv, conv], accuracy: 0.96 }, { wBits: [4, 4], terms: [conv, conv], accuracy: 0.97 }],
      [{ wBits: 8, terms: [{ mode: 'tr', g: 8, k: 5, d: 2 }, { mode: 'tr', g: 8, k: 5, d: 2 }], accuracy: 0.968 }, { wBits: 8, terms: [{ mode: 'tr', g: 8, k: 5, d: 2 }, { mode: 'tr', g: 8, k: 6, d: 2 }], accuracy: 0.5 }],
      undefined, 'r.json',
    );
    const cfg8 = expandSpace(parseSpace({ ...SPACE, base: { name: 'x' }, shapes: ['1x1'], budgets: [{ g: 8, k: 5, d: 2 }], K: 16, seeds: [1] }))[0]!.cfg;
    expect(lookupAccuracy(a, cfg8, 'tr', { g: 8, k: 5, d: 2 })).toBe(0.968);
    expect(lookupAccuracy(a, cfg8, 'tr', { g: 8, k: 6, d: 2 })).toBeNull(); // only mixed budgets have k6
    expect(lookupAccuracy(a, { ...cfg8, wBits: 3 }, 'bp', null)).toBe(0.96);
    expect(lookupAccuracy(a, { ...cfg8, wBits: 4 }, 'bs', null)).toBe(0.97);
    expect(lookupAccuracy(a, { ...cfg8, xBits: 4, wBits: 3 }, 'bp', null)).toBeNull(); // other data width
  });
});

describe('npm run dse: input errors (exit 2, one line, before any work)', () => {
  const one = (args: string[]) => {
    const r = runTs('gen/dse/cli-dse.ts', args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    return r.stderr.trim();
  };
  it('no --space, a missing file, bad JSON, a bad field, a bad queue URL, --jobs or --job-timeout with --queue, a bad time limit', () => {
    expect(one([])).toBe('error: give a sweep file: --space FILE.json (usage: --help)');
    expect(one(['--space', join(tmp, 'nope.json')])).toMatch(/^error: --space .*nope.json: cannot read \(ENOENT\)$/);
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '{"boards": [');
    expect(one(['--space', bad])).toMatch(/not valid JSON/);
    writeFileSync(bad, JSON.stringify({ ...SPACE, seeds: ['a'] }));
    expect(one(['--space', bad])).toMatch(/seeds: "a" is not an integer/);
    expect(one(['--space', bad, '--queue', 'localhost:6379'])).toMatch(/--queue: 'localhost:6379' is not a Redis URL/);
    writeFileSync(bad, JSON.stringify({ ...SPACE, accuracy: join(tmp, 'none.json') }));
    expect(one(['--space', bad])).toMatch(/accuracy .*none.json: cannot read a results.json \(ENOENT\); run npm run mnist or npm run cnn first/);
    expect(one(['--space', bad, '--queue', 'redis://127.0.0.1:1', '--jobs', '2'])).toMatch(/--jobs sets the local pool/);
    expect(one(['--space', bad, '--queue', 'redis://127.0.0.1:1', '--job-timeout', '600'])).toMatch(/--job-timeout applies to the local pool; with --queue, give it to the workers/);
    expect(one(['--space', bad, '--job-timeout', '0'])).toBe('error: --job-timeout: expected an integer in 1..86400, got "0"');
  });
  it('a Redis that does not answer', () => {
    const good = join(tmp, 'good.json');
    writeFileSync(good, JSON.stringify(SPACE));
    expect(one(['--space', good, '--queue', 'redis://127.0.0.1:1', '--cache', join(tmp, 'c3'), '--out', join(tmp, 'o3')])).toMatch(/^error: --queue redis:\/\/127.0.0.1:1: no Redis server answers/);
  });
  it('--dry-run lists the points and their keys', () => {
    const good = join(tmp, 'good.json');
    writeFileSync(good, JSON.stringify(SPACE));
    const r = runTs('gen/dse/cli-dse.ts', ['--space', good, '--dry-run', '--cache', join(tmp, 'c4')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('to run ');
    expect(r.stdout).toContain('18 points, 18 distinct jobs, 18 to run');
  });
});
