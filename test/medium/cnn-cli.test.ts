/**
 * `npm run cnn -- --quick` end to end (small CNN, short sweep, short fine-tuning, 2 digits on the Verilator
 * array): the outputs exist and are well-formed, the hardware check passed, and bad options exit with code 2
 * without writing anything.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'trgen-cnn-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'workloads/cnn/cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 480_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run cnn -- --quick', () => {
  it('writes results.json, results.md and both plots; every hardware output equals the model', () => {
    const out = join(tmp, 'quick');
    const r = run(['--quick', '--out', out, '--hw-images', '2']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(res.quick).toBe(true);
    expect(res.float.accuracy).toBeGreaterThan(0.5);
    expect(res.dq.map((d: { scales: string }) => d.scales)).toEqual(['float', 'int16', 'int8', 'int4', 'pow2']);
    for (const p of [...res.qt, ...res.tr, ...res.dhq.points, ...res.qatPoints, ...res.fracPoints]) {
      expect(p.accuracy).toBeGreaterThanOrEqual(0);
      expect(p.accuracy).toBeLessThanOrEqual(1);
      expect(p.termPairs).toBeGreaterThan(0);
      expect(p.termPairs).toBeLessThanOrEqual(p.cost.budgetTermPairs);
    }
    expect(res.qat.length).toBe(1);
    expect(res.frac.length).toBe(1);
    for (const f of res.frac) expect(f.fracbits.budget).toBeLessThanOrEqual(f.target);
    expect(res.hardware.images).toBe(2);
    for (const m of res.hardware.modes) {
      expect(m.mismatches).toBe(0);
      expect(m.outputsCompared).toBeGreaterThan(0);
      expect(m.cyclesEqualSchedule).toBe(true);
      expect(m.predictionsEqualModel).toBe(true);
    }
    const md = readFileSync(join(out, 'results.md'), 'utf8');
    for (const h of ['## Double quantization', '## QT vs TR', '## Depthwise-separable block', '## Quantization-aware training', '## FracBits', '## On the simulated array']) expect(md).toContain(h);
    expect(md).not.toMatch(/NaN|undefined/);
    for (const f of ['accuracy-vs-term-pairs.svg', 'accuracy-vs-acev2.svg']) {
      const svg = readFileSync(join(out, f), 'utf8');
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg).not.toMatch(/NaN|undefined/);
    }
  }, 600_000);

  it('bad options: exit 2, one error line, nothing written', () => {
    for (const args of [['--hw-images', 'many'], ['--hw-images', '-1'], ['--bogus'], ['--out'], ['extra']]) {
      const out = join(tmp, 'bad');
      const r = run([...(args[0] === '--out' ? [] : ['--out', out]), ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1); // one error line, no usage dump, no stack trace
      expect(existsSync(out)).toBe(false);
    }
  }, 120_000);
});
