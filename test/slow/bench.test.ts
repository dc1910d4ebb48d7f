// Slow tier: the hardware benchmark end to end with the real tools, on the smallest useful config (1×2 array,
// 3-bit values, dot products of length 16) so the three synthesis runs stay short; then one fit rung.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchFiles, runBench, runFit } from '../../gen/bench/bench-run.ts';
import { writeFilesAtomic } from '../../gen/cli-util.ts';
import { resolveConfig } from '../../gen/config.ts';
import { runTs } from '../helpers.ts';

const SLOW = 600_000;
const tmp = mkdtempSync(join(tmpdir(), 'trgen-bench-slow-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cfg = resolveConfig({ name: 'bmini', rows: 1, cols: 2, wBits: 3, xBits: 3, groupMax: 2, lanes: 2, maxK: 16, outMulBits: 0, biasBits: 4 });

describe('bench:hw with the real tools', () => {
  it(
    'hx8k: TR, bp and bs of one config synthesize; the table is consistent with the reports',
    async () => {
      const t0 = performance.now();
      const r = await runBench({ board: 'hx8k', cfg, budget: { g: 2, k: 1, d: 1 }, K: 16, seed: 1 });
      console.log(`bench:hw mini on hx8k: ${Math.round((performance.now() - t0) / 1000)} s; ` + r.designs.map((d) => `${d.design} ${d.synth?.lc} LC ${d.synth?.fmaxMHz} MHz`).join(', '));
      expect(r.missing).toEqual([]);
      expect(r.rows.map((x) => x.kind)).toEqual(['bp', 'bs', 'tr-conv', 'tr']);
      for (const d of r.designs) {
        const s = d.synth!;
        expect(s.lcAvailable).toBe(7680);
        expect(s.lc).toBeGreaterThan(10);
        expect(s.lc).toBe(d.report!.utilization.lc.used);
        expect(s.fmaxMHz).toBe(d.report!.fmaxMHz);
        expect(s.dsp).toBe(0);
      }
      const bp = r.rows.find((x) => x.kind === 'bp')!;
      expect(bp.tileCycles).toBe(16);
      expect(bp.macsPerSec).toBeCloseTo((2 * 16 * bp.synth.fmaxMHz * 1e6) / 16, 0);
      // all three carry the same output stage and read-out; the TR core adds the term machinery: it is the biggest
      const lc = Object.fromEntries(r.designs.map((d) => [d.design, d.synth!.lc]));
      expect(lc['tr']).toBeGreaterThan(lc['bs']!);
      const out = join(tmp, 'bench');
      writeFilesAtomic(out, benchFiles(r));
      expect(JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')).rows).toHaveLength(4);
    },
    SLOW,
  );

  it(
    'the CLI: npm run bench:hw writes bench.json and bench.md and prints the table',
    () => {
      const cfgFile = join(tmp, 'mini.json');
      writeFileSync(cfgFile, JSON.stringify(cfg));
      const out = join(tmp, 'cli');
      const r = runTs('gen/bench/cli-bench.ts', ['--board', 'hx8k', '--config', cfgFile, '--len', '16', '--g', '2', '--k', '1', '--d', '1', '--out', out], { timeout: SLOW });
      expect(r.code, r.stderr).toBe(0);
      expect(readdirSync(out).sort()).toEqual(['bench.json', 'bench.md']);
      expect(r.stdout).toContain('| TR array, TR mode g=2 k=1 d=1 |');
      expect(r.stderr).toContain('[3/3] bs: synthesizing bmini_bs_bench for hx8k');
      const j = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8'));
      expect(j.K).toBe(16);
      expect(j.designs.map((d: { design: string }) => d.design)).toEqual(['tr', 'bp', 'bs']);
      // groupMax 2 cannot run the matched budget (g = 8): the rows are skipped with a line saying why
      expect(r.stderr).toMatch(/matched-accuracy rows skipped: .*--g: 8 is outside 1..2/);
      // every design gets its per-module table (yosys -noflatten)
      expect(j.designs.map((d: { modules?: { module: string }[] }) => d.modules?.some((m) => m.module === 'bmini_cell' || m.module.startsWith('bmini_b'))))
        .toEqual([true, true, true]);
      expect(r.stdout).toContain('#### Per-module cells');
    },
    SLOW,
  );

  it(
    'fit: a 1x1 board top fits the iCEBreaker, recorded with its LCs',
    async () => {
      const f = await runFit({ board: 'icebreaker', cfg, shapes: [{ rows: 1, cols: 1 }], target: 'board', seed: 1 });
      expect(f.results).toHaveLength(1);
      expect(f.largest?.shape).toBe('1x1');
      expect(f.largest?.synth?.lcAvailable).toBe(5280);
      expect(f.largest?.synth?.bram).toBeGreaterThan(0);
    },
    SLOW,
  );
});
