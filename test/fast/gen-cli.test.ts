import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTs } from '../helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'trgen-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('npm run gen', () => {
  it('writes Verilog, a file list and params.json, byte-identical across runs', () => {
    const a = join(tmp, 'a');
    const b = join(tmp, 'b');
    const cfg = join(tmp, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ preset: 'small', name: 'clitest', cols: 3 }));
    const r1 = runTs('gen/cli.ts', ['--config', cfg, '--out', a]);
    const r2 = runTs('gen/cli.ts', ['--config', cfg, '--out', b]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r2.code, r2.stderr).toBe(0);
    const files = readdirSync(a).sort();
    expect(files).toContain('clitest_top.v');
    expect(files).toContain('clitest.f');
    expect(files).toContain('params.json');
    expect(readdirSync(b).sort()).toEqual(files);
    for (const f of files) expect({ f, same: readFileSync(join(a, f), 'utf8') === readFileSync(join(b, f), 'utf8') }).toEqual({ f, same: true });
    const params = JSON.parse(readFileSync(join(a, 'params.json'), 'utf8'));
    expect(params.config.cols).toBe(3);
    expect(params.top).toBe('clitest_top');
    expect(readFileSync(join(a, 'clitest.f'), 'utf8').trim().split('\n').sort()).toEqual(files.filter((f) => f.endsWith('.v')));
  });

  const cases: [string, string[], RegExp][] = [
    ['a config that fails validation', ['--config', 'BAD'], /rows: 0 is out of range/],
    ['invalid JSON', ['--config', 'NOTJSON'], /not valid JSON/],
    ['a missing config file', ['--config', '/nonexistent/cfg.json'], /cannot read config file .*ENOENT/],
    ['an unknown preset', ['--preset', 'nope'], /unknown preset 'nope'/],
    ['an unknown option', ['--colour', 'red'], /unknown option '--colour'/],
  ];
  for (const [what, args, msg] of cases) {
    it(`${what}: clear error, exit 2, nothing written, no stack trace`, () => {
      writeFileSync(join(tmp, 'BAD'), '{"rows": 0}');
      writeFileSync(join(tmp, 'NOTJSON'), '{rows: 2');
      const out = join(tmp, `out-${what.replace(/\W/g, '')}`);
      const r = runTs('gen/cli.ts', [...args.map((x) => (x === 'BAD' || x === 'NOTJSON' ? join(tmp, x) : x)), '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
    });
  }
});
