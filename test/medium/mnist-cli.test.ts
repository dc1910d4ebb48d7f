/**
 * `npm run mnist -- --quick` end to end (small 784-32-32-10 net, short sweep, 2 digits on the Verilator array):
 * the three outputs exist and are well-formed, the hardware check passed, and bad options exit with code 2
 * without writing anything.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'trgen-mnist-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'workloads/mnist/cli.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run mnist -- --quick', () => {
  it('writes results.json, results.md and accuracy-vs-cost.svg; hardware outputs equal the model', () => {
    const out = join(tmp, 'quick');
    const r = run(['--quick', '--out', out, '--hw-images', '2']);
    expect(r.stderr, r.stderr).toContain('wrote');
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(res.version).toBe(1);
    expect(res.quick).toBe(true);
    expect(res.settings.net.dims).toEqual([784, 32, 32, 10]);
    expect(res.settings.data.train + res.settings.data.validation).toBeLessThanOrEqual(7996);
    expect(res.float.accuracy).toBeGreaterThan(0.5);
    expect(res.qt.map((p: { wBits: number }) => p.wBits)).toEqual([2, 4, 6]);
    expect(res.tr.length).toBe(3 * 2);
    for (const p of [...res.qt, ...res.qtWx, ...res.tr]) {
      expect(p.accuracy).toBeGreaterThanOrEqual(0);
      expect(p.accuracy).toBeLessThanOrEqual(1);
      expect(p.cost.termPairs).toBeGreaterThan(0);
      expect(p.cost.termPairs).toBeLessThanOrEqual(p.cost.budgetTermPairs);
    }
    for (const p of res.qt) expect(p.cost.termPairsBinary).toBeGreaterThanOrEqual(p.cost.termPairs);
    expect(res.matched.tolerance.length).toBe(3);
    expect(res.matched.wx.length).toBe(1);
    expect(res.requant.rows.map((q: { variant: string }) => q.variant)).toEqual(['float', 'int16', 'int8', 'pow2']);
    expect(res.mixed.targets.length).toBe(1);
    const t = res.mixed.targets[0];
    if (t.found) expect(t.val.found.cost).toBeLessThanOrEqual(t.target);
    expect(res.hardware.images).toBe(2);
    expect(res.hardware.modes.map((m: { mode: string }) => m.mode)).toEqual(['conventional', 'tr']);
    for (const m of res.hardware.modes) {
      expect(m.mismatches).toBe(0);
      expect(m.outputsCompared).toBeGreaterThan(0);
      expect(m.predictionsEqualModel).toBe(true);
    }
    expect(res.hardware.cycleRatio).toBeGreaterThan(1);
    const md = readFileSync(join(out, 'results.md'), 'utf8');
    expect(md).toContain('## Accuracy vs cost');
    expect(md).toContain('## Hardware inference');
    expect(md).not.toMatch(/NaN|undefined/);
    const svg = readFileSync(join(out, 'accuracy-vs-cost.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined/);
    expect(existsSync(`${out}.tmp-${process.pid}`)).toBe(false);
  });

  it('bad options: exit 2, one error line, nothing written', () => {
    for (const args of [['--hw-images', 'many'], ['--hw-images', '-1'], ['--g', '0'], ['--g', '17'], ['--bogus'], ['--out'], ['--quick=1'], ['extra']]) {
      const out = join(tmp, 'bad');
      const r = run([...(args[0] === '--out' ? [] : ['--out', out]), ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
    }
  });
});
