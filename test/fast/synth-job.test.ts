// `npm run synth` without the tools: option checks, the design it synthesizes, and the output tree / reports
// (built from a hand-made SynthResult, so no yosys/nextpnr run is needed here; test/slow/synth-cli.test.ts runs them).
import { describe, expect, it } from 'vitest';
import { getBoard } from '../../constraints/boards.ts';
import { BOARDS } from '../../gen/board.ts';
import { UserError, parseArgs } from '../../gen/cli-util.ts';
import { presetConfig } from '../../gen/config.ts';
import { buildReport, type SynthResult } from '../../gen/synth/flow.ts';
import {
  SYNTH_ARGS, USAGE, boardTarget, commandLine, defaultOutDir, outputFiles, summaryLine, synthOptions, synthTarget,
} from '../../gen/synth/synth-job.ts';

const opts = (...argv: string[]) => synthOptions(parseArgs(argv, SYNTH_ARGS, USAGE));
const err = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected a UserError');
};

describe('synth options', () => {
  it('defaults: board top, seed 1, the board clock, flow-default DSP mapping', () => {
    const o = opts('--preset', 'tiny', '--board', 'icebreaker');
    expect([o.board.id, o.target, o.seed, o.freqMHz, o.dsp, o.out, o.requireTiming, o.verbose]).toEqual(['icebreaker', 'board', 1, 12, undefined, undefined, false, false]);
  });
  it('all options', () => {
    const o = opts('--config', 'x.json', '--board=hx8k', '--out', 'd', '--seed', '42', '--freq', '20.5', '--dsp', 'off', '--core', '--require-timing', '--verbose');
    expect([o.board.id, o.target, o.seed, o.freqMHz, o.dsp, o.out, o.requireTiming, o.verbose]).toEqual(['hx8k', 'core', 42, 20.5, false, 'd', true, true]);
    expect(opts('--preset', 'tiny', '--board', 'icebreaker', '--dsp', 'on').dsp).toBe(true);
    expect([opts('--preset', 'tiny', '--board', 'hx8k').router, opts('--preset', 'tiny', '--board', 'hx8k', '--router', 'router2').router]).toEqual(['router1', 'router2']);
    expect([opts('--preset', 'tiny', '--board', 'hx8k').placer, opts('--preset', 'tiny', '--board', 'hx8k', '--placer', 'sa').placer]).toEqual(['heap', 'sa']);
    expect([opts('--preset', 'tiny', '--board', 'hx8k').tmgRipup, opts('--preset', 'tiny', '--board', 'hx8k', '--tmg-ripup').tmgRipup]).toEqual([false, true]);
    expect([opts('--preset', 'tiny', '--board', 'hx8k').readback, opts('--preset', 'tiny', '--board', 'hx8k', '--readback', 'results').readback]).toEqual(['all', 'results']);
  });
  const bad: [string[], RegExp][] = [
    [['--board', 'icebreaker'], /give a design: --config FILE.json or --preset NAME \(presets: default, tiny/],
    [['--preset', 'tiny'], /give a board: --board hx8k\|icebreaker/],
    [['--preset', 'tiny', '--board', 'de10'], /^unknown board 'de10' \(known boards: hx8k, icebreaker\)$/],
    [['--preset', 'tiny', '--board', 'hx8k', '--seed', '-1'], /--seed: '-1' is not an integer/],
    [['--preset', 'tiny', '--board', 'hx8k', '--seed', '1.5'], /--seed: '1.5' is not an integer/],
    [['--preset', 'tiny', '--board', 'hx8k', '--seed', '2147483648'], /--seed/],
    [['--preset', 'tiny', '--board', 'hx8k', '--freq', 'fast'], /--freq: 'fast' is not a clock frequency/],
    [['--preset', 'tiny', '--board', 'hx8k', '--freq', '0'], /--freq: '0'/],
    [['--preset', 'tiny', '--board', 'hx8k', '--freq', '2000'], /--freq: '2000'/],
    [['--preset', 'tiny', '--board', 'hx8k', '--dsp', 'yes'], /--dsp: 'yes' must be on or off/],
    [['--preset', 'tiny', '--board', 'hx8k', '--readback', 'none'], /--readback: 'none' must be all or results/],
    [['--preset', 'tiny', '--board', 'hx8k', '--router', 'fast'], /--router: 'fast' must be router1 or router2/],
    [['--preset', 'tiny', '--board', 'hx8k', '--placer', 'fast'], /--placer: 'fast' must be heap or sa/],
    [['--preset', 'tiny', '--board', 'hx8k', '--readback', 'results', '--core'], /--readback: applies to the board top, not to --core/],
    [['--preset', 'tiny', '--board', 'hx8k', '--dsp', 'on'], /board 'hx8k' \(iCE40HX8K-CT256\) has no DSP blocks/],
  ];
  for (const [argv, msg] of bad) it(`rejects ${argv.join(' ')}`, () => expect(err(() => opts(...argv))).toMatch(msg));
  it('unknown options are rejected by the parser', () => expect(err(() => opts('--preset', 'tiny', '--board', 'hx8k', '--pll'))).toMatch(/unknown option '--pll'/));
});

describe('synth target', () => {
  const cfg = presetConfig('tiny');
  it('board top: the gen/board.ts wrapper with the board parameters', () => {
    for (const id of ['icebreaker', 'hx8k'] as const) {
      const b = getBoard(id);
      expect(boardTarget(b)).toBe(BOARDS[id]);
      const t = synthTarget(cfg, b, 'board');
      expect(t.top).toBe('trtiny_board');
      expect(Object.keys(t.files)).toContain('trtiny_board.v');
      expect(t.files['trtiny_board.v']).toMatch(new RegExp(`output wire \\[${BOARDS[id].ledWidth - 1}:0\\]\\s+led`));
      expect(t.boardBuild?.protocol.info.R).toBe(2);
    }
  });
  it('boards without a gen/board.ts entry get their LEDs and clock from boards.json', () => {
    const b = { ...getBoard('hx8k'), id: 'other', clockMHz: 25 };
    expect(boardTarget(b)).toEqual({ name: 'other', ledWidth: 8, clkHz: 25e6, baud: 115_200, ledActiveLow: false });
  });
  it('--core: the bare array in the bench wrapper', () => {
    const t = synthTarget(cfg, getBoard('icebreaker'), 'core');
    expect(t.top).toBe('trtiny_bench');
    expect(Object.keys(t.files)).toContain('trtiny_top.v');
    expect(t.boardBuild).toBeUndefined();
    expect(defaultOutDir(cfg, getBoard('icebreaker'), 'core')).toBe('out/synth/trtiny-icebreaker-core');
    expect(defaultOutDir(cfg, getBoard('hx8k'), 'board')).toBe('out/synth/trtiny-hx8k');
  });
});

describe('synth outputs', () => {
  it('command lines are shell-quoted', () => {
    expect(commandLine(['--preset', 'tiny', '--board', 'hx8k'])).toBe('npm run synth -- --preset tiny --board hx8k');
    expect(commandLine(['--config', "my cfg's.json"])).toBe(`npm run synth -- --config 'my cfg'\\''s.json'`);
  });

  it('output tree, report.json and report.md from a synthesis result', () => {
    const cfg = presetConfig('tiny');
    const board = getBoard('icebreaker');
    const t = synthTarget(cfg, board, 'board');
    const report = buildReport({
      board, top: t.top, seed: 3, dsp: true, freqMHz: 12,
      stat: { cells: { SB_LUT4: 100, SB_DFFE: 40, SB_DFF: 2, SB_CARRY: 9 } },
      pnr: { utilization: { ICESTORM_LC: { used: 120, available: 5280 }, SB_IO: { used: 5, available: 96 } }, fmax: { 'clk$SB_IO_IN_$glb_clk': { achieved: 11.5, constraint: 12 } } },
      toolVersions: { yosys: { package: '@yowasp/yosys@X', version: 'Yosys X' }, nextpnr: { package: '@yowasp/nextpnr-ice40@Y', version: 'nextpnr Y' } },
      durationsMs: { yosys: 1, nextpnr: 2, icepack: 3, total: 6 },
    });
    const bin = new Uint8Array([0xff, 0, 0, 0xff]);
    const r: SynthResult = {
      bitstream: bin, report,
      files: { ...t.files, 'synth.ys': 'script', 'icebreaker.pcf': 'pcf', 'yosys.log': 'y', 'nextpnr-ice40.log': 'n', 'icepack.log': 'i', 'stat.json': '{}', 'report.json': '{}', 'trtiny_board.asc': 'asc', 'trtiny_board.json': 'netlist' },
    };
    const { files, report: rep } = outputFiles(t, r, 'npm run synth -- --preset tiny --board icebreaker');
    const names = Object.keys(files).sort();
    expect(names.filter((n) => !n.startsWith('src/'))).toEqual([
      'icebreaker.pcf', 'logs/icepack.log', 'logs/nextpnr-ice40.log', 'logs/nextpnr-report.json', 'logs/yosys-stat.json', 'logs/yosys.log',
      'report.json', 'report.md', 'trtiny_board.asc', 'trtiny_board.bin',
    ]);
    expect(names.filter((n) => n.startsWith('src/')).sort()).toEqual([...Object.keys(t.files).map((f) => `src/${f}`), 'src/synth.ys'].sort());
    expect(rep.files).toEqual(names);
    expect(files['trtiny_board.bin']).toBe(bin);
    const json = JSON.parse(files['report.json'] as string);
    expect(json).toEqual(JSON.parse(JSON.stringify(rep)));
    expect(json.utilization.lc).toEqual({ used: 120, available: 5280 });
    expect(json.utilization.ff).toBe(42);
    expect(json.timingMet).toBe(false);
    expect(json.config).toEqual(cfg);
    expect(json.derived.accW).toBe(t.derived.accW);
    expect(json.boardTop.commands).toEqual({ ping: 1, write: 2, read: 3, run: 4, status: 5 });
    expect(json.boardTop.memoryMap.memories.map((m: { name: string }) => m.name)).toEqual(['w', 'x', 't', 'y', 'p']);
    expect(json.command).toBe('npm run synth -- --preset tiny --board icebreaker');
    const md = files['report.md'] as string;
    expect(md).toContain('iceprog trtiny_board.bin');
    expect(md).toContain('| logic cells (LC) | 120 | 5280 | 2.3% |');
    expect(md).toContain('WARNING: timing not met');
    expect(md).toContain('| RUN | `0x04 first16 count16 ybase16` |');
    expect(summaryLine(rep)).toBe('120/5280 LC (2.3%), 42 FF, 9 carry, 0/30 BRAM, 0/8 DSP, 5/39 I/O; Fmax 11.50 MHz vs 12 MHz constraint: timing NOT met');
  });
});
