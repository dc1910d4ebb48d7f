// Slow tier: `npm run synth` end to end with the real YoWASP tools, as a user runs it.
// Budget on a 2-core CI machine: the tiny board top ≈ 1 min per board, the oversized design ≈ 40 s (yosys, then nextpnr
// gives up at packing), the argument errors < 5 s each.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTs } from '../helpers.ts';

const SLOW = 600_000;
const tmp = mkdtempSync(join(tmpdir(), 'trgen-synth-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const synth = (args: string[]) => runTs('gen/synth/cli-synth.ts', args, { timeout: SLOW });

/** No output directory and no temp directory next to where it would have been. */
function nothingWritten(out: string): void {
  expect(existsSync(out)).toBe(false);
  expect(readdirSync(tmp).filter((f) => f.startsWith(out.split('/').at(-1) as string))).toEqual([]);
}

describe('npm run synth', () => {
  it(
    'tiny preset, iCEBreaker board top: bitstream, report.json, report.md, sources, logs',
    () => {
      const out = join(tmp, 'tiny-icebreaker');
      const r = synth(['--preset', 'tiny', '--board', 'icebreaker', '--out', out, '--seed', '1']);
      console.log(r.stdout.trim()); // numbers visible in CI logs
      expect(r.code, r.stderr).toBe(0);
      // progress: one line per stage on stderr
      for (const s of ['synthesis (yosys synth_ice40)', 'place & route (nextpnr-ice40)', 'bitstream (icepack)']) expect(r.stderr).toContain(s);
      expect(r.stdout).toContain(`flash: iceprog ${out}/trtiny_board.bin`);

      const bin = readFileSync(join(out, 'trtiny_board.bin'));
      expect(bin.length).toBeGreaterThan(10_000);
      expect([...bin.subarray(0, 8)]).toEqual([0xff, 0x00, 0x00, 0xff, 0x7e, 0xaa, 0x99, 0x7e]); // comment block, sync word

      const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      for (const k of ['board', 'device', 'package', 'top', 'seed', 'dspMapping', 'freqConstraintMHz', 'fmaxMHz', 'timingMet', 'clocks', 'utilization',
        'yosysCells', 'toolVersions', 'durationsMs', 'generator', 'command', 'target', 'config', 'configHash', 'derived', 'boardTop', 'files'])
        expect(Object.keys(rep)).toContain(k);
      expect([rep.board, rep.top, rep.target, rep.seed, rep.freqConstraintMHz, rep.dspMapping, rep.config.name]).toEqual(['icebreaker', 'trtiny_board', 'board', 1, 12, true, 'trtiny']);
      expect(rep.command).toBe(`npm run synth -- --preset tiny --board icebreaker --out ${out} --seed 1`);
      expect(rep.fmaxMHz).toBeGreaterThan(0);
      expect(rep.timingMet).toBe(rep.fmaxMHz >= 12);
      const u = rep.utilization;
      for (const k of ['lc', 'bram', 'spram', 'dsp', 'io', 'pll', 'globalBuffers']) {
        expect(u[k].available, k).toBeGreaterThan(0);
        expect(u[k].used, k).toBeLessThanOrEqual(u[k].available);
      }
      expect(u.lc.available).toBe(5280);
      expect(u.lc.used).toBeGreaterThan(500);
      expect(u.ff).toBeGreaterThan(100);
      expect(u.carry).toBeGreaterThan(0);
      expect(u.bram.used).toBeGreaterThan(0); // the board top's RAMs are EBRs
      expect(u.io.used).toBe(5); // clk, uart_rx, uart_tx, led[1:0]
      expect(rep.toolVersions.yosys.package).toBe('@yowasp/yosys@0.55.944');
      expect(rep.toolVersions.nextpnr.package).toBe('@yowasp/nextpnr-ice40@0.8.621');
      expect(rep.boardTop.uart.baud).toBe(115200);
      expect(rep.boardTop.memoryMap.memories.map((m: { name: string }) => m.name)).toEqual(['w', 'x', 't', 'y', 'p']);

      // every file listed exists; sources and logs are there
      for (const f of rep.files) expect({ f, exists: existsSync(join(out, f)) }).toEqual({ f, exists: true });
      for (const f of ['report.md', 'icebreaker.pcf', 'src/trtiny_board.v', 'src/trtiny_top.v', 'src/synth.ys', 'logs/yosys.log', 'logs/nextpnr-ice40.log', 'logs/icepack.log'])
        expect(rep.files).toContain(f);
      expect(statSync(join(out, 'logs/nextpnr-ice40.log')).size).toBeGreaterThan(1000);
      const md = readFileSync(join(out, 'report.md'), 'utf8');
      expect(md).toContain('iceprog trtiny_board.bin');
      expect(md).toContain(`| logic cells (LC) | ${u.lc.used} | 5280 |`);
      expect(md).toMatch(/Fmax \d+\.\d\d MHz \(constraint 12 MHz\)/);
      expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
    },
    SLOW,
  );

  it(
    'tiny preset, HX8K board top at an unreachable 200 MHz with --require-timing: everything written, WARNING, exit 3',
    () => {
      const out = join(tmp, 'tiny-hx8k');
      const r = synth(['--preset', 'tiny', '--board', 'hx8k', '--freq', '200', '--seed', '3', '--require-timing', '--out', out]);
      console.log(r.stdout.trim());
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/WARNING: timing not met \(clk\S*: \d+(\.\d+)? MHz < 200 MHz\)/);
      const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      expect([rep.board, rep.device, rep.seed, rep.freqConstraintMHz, rep.timingMet, rep.dspMapping]).toEqual(['hx8k', 'hx8k', 3, 200, false, false]);
      expect(rep.fmaxMHz).toBeGreaterThan(12);
      expect(rep.fmaxMHz).toBeLessThan(200);
      expect(rep.utilization.lc.available).toBe(7680);
      expect(rep.utilization.lc.used).toBeLessThanOrEqual(7680);
      expect(rep.utilization.io.used).toBe(11); // clk, uart_rx, uart_tx, led[7:0]
      expect(readFileSync(join(out, 'trtiny_board.bin')).length).toBeGreaterThan(10_000);
      expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('WARNING: timing not met');
    },
    SLOW,
  );

  it(
    'a design too large for the board → exit 2, a sentence naming the resource, nothing written',
    () => {
      const out = join(tmp, 'small-icebreaker');
      const r = synth(['--preset', 'small', '--board', 'icebreaker', '--out', out]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/error: nextpnr-ice40 failed \(.*\): the design does not fit the iCE40UP5K-SG48 of board 'icebreaker': it needs more logic cells \(ICESTORM_LC\) than the device has \(needed\/available: ICESTORM_LC \d+\/5280/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      nothingWritten(out);
    },
    SLOW,
  );

  const errors: [string, string[], RegExp][] = [
    ['an unknown board', ['--preset', 'tiny', '--board', 'de10'], /^error: unknown board 'de10' \(known boards: hx8k, icebreaker\)$/m],
    ['a config that fails validation', ['--config', 'BAD', '--board', 'hx8k'], /^error: .*BAD: rows: 0 is out of range/m],
    ['a config that is not JSON', ['--config', 'NOTJSON', '--board', 'hx8k'], /^error: .*NOTJSON: not valid JSON/m],
    ['no design given', ['--board', 'hx8k'], /^error: give a design: --config FILE.json or --preset NAME/m],
    ['DSP mapping on a board without DSPs', ['--preset', 'tiny', '--board', 'hx8k', '--dsp', 'on'], /^error: --dsp on: board 'hx8k' \(iCE40HX8K-CT256\) has no DSP blocks$/m],
  ];
  for (const [what, args, msg] of errors) {
    it(`${what} → exit 2, one clear error line, nothing written`, () => {
      writeFileSync(join(tmp, 'BAD'), '{"rows": 0}');
      writeFileSync(join(tmp, 'NOTJSON'), '{rows: 2');
      const out = join(tmp, `out-${what.replace(/\W/g, '')}`);
      const r = synth([...args.map((x) => (x === 'BAD' || x === 'NOTJSON' ? join(tmp, x) : x)), '--out', out]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr).not.toContain('synthesis (yosys'); // rejected before any tool ran
      nothingWritten(out);
    });
  }

  it('--out naming an existing file → exit 2 before any tool runs, the file untouched', () => {
    const out = join(tmp, 'a-file');
    writeFileSync(out, 'keep');
    const r = synth(['--preset', 'tiny', '--board', 'hx8k', '--out', out]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^error: --out: .*a-file exists and is not a directory$/m);
    expect(r.stderr).not.toContain('synthesis (yosys');
    expect(readFileSync(out, 'utf8')).toBe('keep');
  });
});
