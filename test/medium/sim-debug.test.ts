/**
 * Debugging a mismatch: `npm run sim -- --vectors FILE --vcd FILE` on a vector file with one tampered
 * expectation reports the first wrong result as (tile, row, column, cycle), and the VCD shows exactly that
 * result on out_y at the reported VCD time.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTs } from '../helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'trgen-vcd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Values of the named top-level signals at VCD time t (a minimal VCD reader). */
function vcdAt(text: string, names: readonly string[], t: number): Record<string, number> {
  const ids = new Map<string, string>();
  const [head, body] = text.split('$enddefinitions');
  for (const m of head!.matchAll(/\$var \S+ +\d+ (\S+) (\S+)/g)) if (names.includes(m[2]!) && ![...ids.values()].includes(m[2]!)) ids.set(m[1]!, m[2]!);
  const vals: Record<string, number> = {};
  for (const line of body!.split('\n')) {
    const l = line.trim();
    if (l.startsWith('#')) {
      if (Number(l.slice(1)) > t) break;
      continue;
    }
    const vec = /^b([01]+) (\S+)$/.exec(l);
    if (vec && ids.has(vec[2]!)) vals[ids.get(vec[2]!)!] = parseInt(vec[1]!, 2);
    else if (/^[01]\S+$/.test(l) && ids.has(l.slice(1))) vals[ids.get(l.slice(1))!] = Number(l[0]);
  }
  return vals;
}

describe('npm run sim -- --vcd: locating the first wrong result', () => {
  it('reports (tile, row, column, cycle) and the VCD shows that result at that time', () => {
    const v = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'vectors', 'tiny-random.json'), 'utf8'));
    const c = v.cases[1];
    const n = c.expected.acc.length - 1;
    const good = c.expected.acc[n][0] as number;
    c.expected.acc[n][0] = good + 1;
    const f = join(tmp, 'bad.json');
    writeFileSync(f, JSON.stringify(v));
    const vcd = join(tmp, 'waves', 'run.vcd');
    const r = runTs('sim/cli-sim.ts', ['--vectors', f, '--vcd', vcd]);
    expect(r.code, r.stderr).toBe(1);
    const m = /first wrong result: case (\S+) acc vector (\d+) channel (\d+) = tile (\d+), row (\d+), column (\d+), left the array at cycle (\d+) \(VCD time (\d+)\): expected (-?\d+), actual (-?\d+)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const [, name, vec, ch, , row, col, , vt, exp, act] = m!;
    expect([name, Number(vec), Number(ch), Number(exp), Number(act)]).toEqual([c.name, n, 0, good + 1, good]);
    const at = vcdAt(readFileSync(vcd, 'utf8'), ['out_y_valid', 'out_y_row', 'out_y_col', 'out_y_acc'], Number(vt));
    expect(at).toEqual({ out_y_valid: 1, out_y_row: Number(row), out_y_col: Number(col), out_y_acc: good });
  });

  it('--vcd to a directory is exit 2 before the simulation', () => {
    const r = runTs('sim/cli-sim.ts', ['--vectors', join(import.meta.dirname, '..', 'vectors', 'tiny-random.json'), '--vcd', tmp]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --vcd .*: is a directory/);
  });
});
