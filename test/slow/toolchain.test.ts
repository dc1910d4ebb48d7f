// Slow tier: the real YoWASP tools (yosys, nextpnr-ice40, icepack) on tiny designs, via runTool/synthesize.
// Budget on a 2-core CI machine: blinky ≈ 10 s per board; the failure cases are a few seconds each.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../gen/cli-util.ts';
import { synthesize, type SynthReport, type Used } from '../../gen/synth/flow.ts';
import { asText, runTool, ToolError, toolVersions } from '../../gen/synth/run.ts';
import { boardPcf, getBoard } from '../../constraints/boards.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/toolchain/${name}`, import.meta.url), 'utf8');
const SLOW = 300_000;

/** Run `f`, expecting it to reject; return the error (fails the test if it resolves). */
async function rejection(f: () => Promise<unknown>): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

const REPORT_KEYS = [
  'board',
  'clocks',
  'device',
  'dspMapping',
  'durationsMs',
  'fmaxMHz',
  'freqConstraintMHz',
  'package',
  'seed',
  'timingMet',
  'toolVersions',
  'top',
  'utilization',
  'yosysCells',
];

describe('synthesize blinky', () => {
  // The hx8k run also exercises non-default options: an unreachable 400 MHz target is a result
  // (timingMet: false, bitstream still written), not an error.
  for (const [board, device, pkg, leds, freqMHz, seed] of [
    ['icebreaker', 'up5k', 'sg48', 2, undefined, undefined],
    ['hx8k', 'hx8k', 'ct256', 8, 400, 7],
  ] as const) {
    it(
      `${board}: bitstream, report and logs${freqMHz ? ` (--freq ${freqMHz} --seed ${seed})` : ''}`,
      async () => {
        const stages: string[] = [];
        let lines = 0;
        const t0 = performance.now();
        const r = await synthesize({
          files: { 'blinky.v': fixture('blinky.v') },
          top: `blinky_${board}`,
          board,
          ...(freqMHz !== undefined ? { freqMHz, seed } : {}),
          onProgress: (stage, line) => (line === undefined ? stages.push(stage) : lines++),
        });
        const report: SynthReport = r.report;
        const d = report.durationsMs;
        // Visible in the test output, for keeping an eye on CI time.
        console.log(`${board} blinky: yosys ${d.yosys} ms, nextpnr ${d.nextpnr} ms, icepack ${d.icepack} ms, total ${Math.round(performance.now() - t0)} ms`);

        expect(stages).toEqual(['yosys', 'nextpnr', 'icepack']);
        expect(lines).toBeGreaterThan(100);

        // iCE40 bitstream: comment block 0xFF 0x00 ... 0x00 0xFF, then the sync word 0x7EAA997E.
        expect(r.bitstream.length).toBeGreaterThan(1000);
        expect([...r.bitstream.subarray(0, 8)]).toEqual([0xff, 0x00, 0x00, 0xff, 0x7e, 0xaa, 0x99, 0x7e]);
        expect(r.files[`blinky_${board}.bin`]).toBe(r.bitstream);

        expect(Object.keys(report).sort()).toEqual(REPORT_KEYS);
        expect([report.board, report.device, report.package, report.top, report.seed, report.freqConstraintMHz]).toEqual([
          board,
          device,
          pkg,
          `blinky_${board}`,
          seed ?? 1,
          freqMHz ?? 12,
        ]);
        expect(report.dspMapping).toBe(device === 'up5k'); // the default: DSP mapping where the device has DSPs
        expect(report.fmaxMHz).toBeGreaterThan(12);
        expect(report.fmaxMHz).toBeLessThan(400);
        expect(report.timingMet).toBe(freqMHz === undefined);
        expect(Object.values(report.clocks).map((c) => c.constraintMHz)).toEqual([freqMHz ?? 12]);
        const u = report.utilization;
        const used: Record<string, Used> = { lc: u.lc, bram: u.bram, spram: u.spram, dsp: u.dsp, io: u.io, pll: u.pll, gb: u.globalBuffers };
        for (const [k, v] of Object.entries(used)) expect({ k, fits: v.used <= v.available }).toEqual({ k, fits: true });
        expect(u.lc.used).toBeGreaterThan(0);
        expect(u.io.used).toBe(3 + leds); // clk, uart_rx, uart_tx, led[]
        expect(u.ff).toBeGreaterThanOrEqual(24); // 22 + leds counter bits + 2 synchroniser FFs, give or take
        expect(u.carry).toBeGreaterThan(0);
        expect(report.yosysCells['SB_LUT4']).toBeGreaterThan(0);
        expect(report.toolVersions.yosys.package).toBe('@yowasp/yosys@0.55.944');
        expect(report.toolVersions.yosys.version).toMatch(/^Yosys 0\.55/);
        expect(report.toolVersions.nextpnr.package).toBe('@yowasp/nextpnr-ice40@0.8.621');
        expect(report.toolVersions.nextpnr.version).toMatch(/nextpnr/);
        expect(JSON.parse(JSON.stringify(report))).toEqual(report);

        for (const f of ['synth.ys', `blinky_${board}.json`, 'stat.json', 'report.json', `blinky_${board}.asc`, 'yosys.log', 'nextpnr-ice40.log', 'icepack.log', 'synth-report.json', 'synth-report.md'])
          expect(Object.keys(r.files)).toContain(f);
        expect(asText(r.files['synth.ys'] as string)).toContain(board === 'icebreaker' ? `-dsp -json blinky_${board}.json` : `synth_ice40 -top blinky_hx8k -json`);
      },
      SLOW,
    );
  }
});

describe('synthesize failures are user-facing errors', () => {
  it('unknown board → UserError listing the boards, before any tool runs', async () => {
    const e = await rejection(() => synthesize({ files: { 'blinky.v': fixture('blinky.v') }, top: 'blinky_hx8k', board: 'de10' }));
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toBe("unknown board 'de10' (known boards: hx8k, icebreaker)");
  });

  it(
    'more I/O port bits than the package has pins → ToolError mentioning I/O',
    async () => {
      const e = await rejection(() => synthesize({ files: { 'too_many_io.v': fixture('too_many_io.v') }, top: 'too_many_io', board: 'icebreaker' }));
      expect(e).toBeInstanceOf(ToolError);
      const err = e as ToolError;
      expect(err.message).toMatch(/has 129 I\/O port bits, but the iCE40UP5K-SG48 package of board 'icebreaker' has only 39 user I\/O pins/);
      expect(err.stack ?? '').not.toBe(''); // (the CLI prints only the message)
      expect(Object.keys(err.files)).toContain('too_many_io.json');
      expect(Object.keys(err.files)).toContain('yosys.log');
    },
    SLOW,
  );

  it(
    'a design that does not fit (9 multipliers, 8 DSPs) → ToolError saying so',
    async () => {
      const e = await rejection(() => synthesize({ files: { 'too_many_dsp.v': fixture('too_many_dsp.v') }, top: 'too_many_dsp', board: 'icebreaker' }));
      expect(e).toBeInstanceOf(ToolError);
      const err = e as ToolError;
      expect(err.tool).toBe('nextpnr-ice40');
      expect(err.status).toBe("aborted: WebAssembly trap 'unreachable'");
      expect(err.message.split('\n')[0]).toBe(
        "nextpnr-ice40 failed (aborted: WebAssembly trap 'unreachable'): the design does not fit the iCE40UP5K-SG48 of board " +
          "'icebreaker': it needs more DSP blocks (ICESTORM_DSP) than the device has (needed/available: ICESTORM_DSP 9/8).",
      );
      expect(err.logTail.at(-1)).toMatch(/^ERROR: Unable to place cell .* no BELs remaining to implement cell type 'ICESTORM_DSP'$/);
      expect(asText(err.files['nextpnr-ice40.log'] ?? '')).toContain('Device utilisation');
    },
    SLOW,
  );
});

describe('runTool', () => {
  it(
    'non-zero exit → ToolError with status, error line and the log attached; lines streamed',
    async () => {
      const streamed: string[] = [];
      const e = await rejection(() =>
        runTool('yosys', ['-p', 'read_verilog bad.v'], { 'bad.v': 'module bad(input a);\n  assign = ;\nendmodule\n' }, { onLine: (l) => streamed.push(l) }),
      );
      expect(e).toBeInstanceOf(ToolError);
      const err = e as ToolError;
      expect([err.tool, err.status]).toEqual(['yosys', 'exit status 1']);
      expect(err.message.split('\n')[0]).toMatch(/^yosys failed \(exit status 1\): bad\.v:2: syntax error/);
      expect(err.logTail.length).toBeLessThanOrEqual(15);
      expect(asText(err.files['yosys.log'] ?? '')).toContain('syntax error');
      expect(err.files['bad.v']).toBeDefined();
      expect(streamed.some((l) => l.includes('syntax error'))).toBe(true);
    },
    SLOW,
  );

  it(
    'a WebAssembly trap (nextpnr aborting on a port without a pin) → ToolError naming the trap and the error',
    async () => {
      // Netlist from yosys for a design with ports the board has no pins for; nextpnr itself must fail.
      const y = await runTool('yosys', ['-q', '-p', 'read_verilog d.v; synth_ice40 -top d -json d.json'], {
        'd.v': 'module d(input clk, input [3:0] a, output reg [3:0] y); always @(posedge clk) y <= a; endmodule\n',
      });
      const board = getBoard('icebreaker');
      const e = await rejection(() =>
        runTool('nextpnr-ice40', ['--up5k', '--package', 'sg48', '--json', 'd.json', '--pcf', 'b.pcf'], {
          'd.json': y['d.json'] as string,
          'b.pcf': boardPcf(board),
        }),
      );
      expect(e).toBeInstanceOf(ToolError);
      const err = e as ToolError;
      expect(err.status).toBe("aborted: WebAssembly trap 'unreachable'");
      expect(err.message.split('\n')[0]).toMatch(/^nextpnr-ice40 failed \(aborted: WebAssembly trap 'unreachable'\): IO '.*' is unconstrained in PCF/);
      expect(err.files['nextpnr-ice40.log']).toBeDefined();
    },
    SLOW,
  );

  it(
    'returns the whole tree plus <tool>.log',
    async () => {
      const lines: string[] = [];
      const out = await runTool('yosys', ['-p', 'read_verilog a.v; write_verilog -noattr sub/out.v'], { 'a.v': 'module a(input x, output y); assign y = ~x; endmodule\n' }, {
        onLine: (l) => lines.push(l),
      });
      expect(Object.keys(out).sort()).toEqual(['a.v', 'sub/out.v', 'yosys.log']);
      expect(asText(out['sub/out.v'] as string)).toContain('module a');
      expect(asText(out['yosys.log'] as string)).toBe(lines.join('\n') + '\n');
    },
    SLOW,
  );

  it(
    'abort terminates the worker and rejects with the abort reason',
    async () => {
      const ac = new AbortController();
      const t0 = performance.now();
      const e = await rejection(() =>
        runTool('yosys', ['-p', 'read_verilog a.v; synth_ice40 -top a'], { 'a.v': 'module a(input c, output reg [31:0] q); always @(posedge c) q <= q * 3 + 1; endmodule\n' }, {
          signal: ac.signal,
          onLine: () => ac.abort(),
        }),
      );
      expect((e as Error).name).toBe('AbortError');
      expect(performance.now() - t0).toBeLessThan(20_000);
      expect(await rejection(() => runTool('yosys', ['-V'], {}, { signal: ac.signal }))).toBe(ac.signal.reason);
    },
    SLOW,
  );

  it(
    'toolVersions reads package.json versions and asks the tools',
    async () => {
      const v = await toolVersions();
      expect(v.yosys.package).toBe('@yowasp/yosys@0.55.944');
      expect(v.nextpnr.package).toBe('@yowasp/nextpnr-ice40@0.8.621');
      expect(v.yosys.version).toMatch(/^Yosys 0\.55 /);
      expect(v.nextpnr.version).toMatch(/Version nextpnr-0\.8/);
      expect(await toolVersions()).toBe(v); // memoised
    },
    SLOW,
  );
});
