import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PRESETS } from '../../gen/config.ts';
import { simulateJobs } from '../../sim/verilator/run.ts';
import { loadVectors } from '../../sim/driver/vectors.ts';
import { ROOT, runTs } from '../helpers.ts';

const DIR = join(ROOT, 'test', 'vectors');
const tmp = mkdtempSync(join(tmpdir(), 'trgen-vec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('checked-in regression set on the RTL', () => {
  for (const f of readdirSync(DIR).filter((x) => x.endsWith('.json')).sort()) {
    it(`${f}: every output and the cycle count match the file`, async () => {
      const { file, cfg, jobs } = loadVectors(join(DIR, f));
      const r = await simulateJobs(cfg, jobs);
      jobs.forEach((_, i) => {
        const c = file.cases[i]!;
        expect({ case: c.name, acc: r.hw[i]!.acc, y: r.hw[i]!.y }).toEqual({ case: c.name, acc: c.expected!.acc, y: c.expected!.y });
      });
      expect(r.end.cycles).toBe(file.expectedSchedule!.totalCycles);
    });
  }
});

describe('npm run sim / npm run model', () => {
  it('pass on a good file, report mismatches side by side and exit 1 on a tampered one', () => {
    const src = join(DIR, 'tiny-random.json');
    const ok = runTs('sim/cli-sim.ts', ['--vectors', src, '--out', join(tmp, 'res.json')]);
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/no mismatches/);
    const res = JSON.parse(readFileSync(join(tmp, 'res.json'), 'utf8'));
    expect(res.mismatches).toEqual([]);
    expect(res.cycles).toBe(res.scheduleCycles);

    const v = JSON.parse(readFileSync(src, 'utf8'));
    const before = v.cases[2].expected.y[0][1];
    v.cases[2].expected.y[0][1] = before + 1;
    const bad = join(tmp, 'tampered.json');
    writeFileSync(bad, JSON.stringify(v));
    const sim = runTs('sim/cli-sim.ts', ['--vectors', bad]);
    expect(sim.code).toBe(1);
    expect(sim.stdout).toMatch(new RegExp(`1 mismatch:[\\s\\S]*conventional-2\\s+y\\s+0\\s+1\\s+${before + 1}\\s+${before}`));
    const model = runTs('sim/cli-model.ts', ['--vectors', bad]);
    expect(model.code).toBe(1);
    expect(model.stdout).toMatch(/1 mismatch/);
  });

  it('bad input: clear error and exit 2', () => {
    const r = runTs('sim/cli-sim.ts', ['--vectors', join(tmp, 'missing.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read vectors file .*missing\.json: ENOENT/);
    const r2 = runTs('sim/cli-sim.ts', []);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/--vectors FILE is required/);
  });
});

describe('generated edge cases and extreme random cases on the RTL', () => {
  for (const preset of Object.keys(PRESETS)) {
    it(`${preset}: edge cases (extreme values, K = maxK and 1, saturating output stage) equal the model, cycles the schedule`, async () => {
      const { edgeVectors, randomVectors, parseVectors } = await import('../../sim/driver/vectors.ts');
      const edge = edgeVectors({ preset });
      const extreme = randomVectors({ preset }, 5, { cases: 6, modes: 'random', extremes: true, minK: 20 });
      for (const file of [edge, extreme]) {
        const { cfg, jobs } = parseVectors(JSON.stringify(file), `${preset} generated`);
        const r = await simulateJobs(cfg, jobs);
        jobs.forEach((_, i) => expect({ case: file.cases[i]!.name, acc: r.hw[i]!.acc, y: r.hw[i]!.y }).toEqual({ case: file.cases[i]!.name, acc: r.model[i]!.acc, y: r.model[i]!.y }));
        expect(r.end.cycles).toBe(r.schedule.totalCycles);
        expect(r.end.err).toBe(0);
      }
      // the edge cases really saturate both ways
      const { cfg } = parseVectors(JSON.stringify(edge), 'edge');
      const { modelJob } = await import('../../sim/driver/driver.ts');
      const { caseToJob } = await import('../../sim/driver/vectors.ts');
      const ys = edge.cases.flatMap((c) => modelJob(cfg, caseToJob(c)).y.flat());
      const m = 2 ** (cfg.xBits - 1) - 1;
      expect(ys).toContain(m);
      expect(ys).toContain(-m);
    });
  }
});
