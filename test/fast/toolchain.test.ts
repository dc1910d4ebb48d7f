// Fast tier for the iCE40 toolchain layer: board data consistency and parsing of checked-in tool output.
// No tool runs here (those are in test/slow/toolchain.test.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { boardNames, boardPcf, getBoard, parsePcf, signalBits, type Board } from '../../constraints/boards.ts';
import { UserError } from '../../gen/cli-util.ts';
import {
  buildReport,
  checkPorts,
  countFFs,
  explainNextpnrFailure,
  mainClock,
  parseNextpnrReport,
  parseModuleStat,
  parseYosysStat,
  reportMarkdown,
  topPortBits,
  type SynthReport,
} from '../../gen/synth/flow.ts';
import { describeFailure, lastErrorLine, relevantLogLines, ToolError, type ToolVersions } from '../../gen/synth/run.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/toolchain/${name}`, import.meta.url), 'utf8');

const VERSIONS: ToolVersions = {
  yosys: { package: '@yowasp/yosys@0.55.944', version: 'Yosys 0.55 (git sha1 60f126cd0)' },
  nextpnr: { package: '@yowasp/nextpnr-ice40@0.8.621', version: 'nextpnr-0.8' },
};

describe('boards.json and the board .pcf files', () => {
  it('knows exactly the two supported boards', () => {
    expect(boardNames()).toEqual(['hx8k', 'icebreaker']);
  });

  it('has the datasheet device totals', () => {
    const ib = getBoard('icebreaker');
    expect([ib.device, ib.package, ib.clockMHz]).toEqual(['up5k', 'sg48', 12]);
    expect(ib.resources).toEqual({ lc: 5280, bram: 30, spram: 4, dsp: 8, pll: 1, io: 39 });
    const hx = getBoard('hx8k');
    expect([hx.device, hx.package, hx.clockMHz]).toEqual(['hx8k', 'ct256', 12]);
    expect(hx.resources).toEqual({ lc: 7680, bram: 32, spram: 0, dsp: 0, pll: 2, io: 206 });
  });

  it('has the verified pins', () => {
    const pins = (b: Board) => Object.fromEntries(Object.entries(b.signals).map(([k, s]) => [k, s.pins]));
    expect(pins(getBoard('icebreaker'))).toEqual({ clk: ['35'], uart_rx: ['6'], uart_tx: ['9'], led: ['11', '37'], btn_n: ['10'] });
    expect(pins(getBoard('hx8k'))).toEqual({
      clk: ['J3'],
      uart_rx: ['B10'],
      uart_tx: ['B12'],
      led: ['C3', 'B3', 'C4', 'C5', 'A1', 'A2', 'B4', 'B5'],
    });
  });

  for (const name of ['icebreaker', 'hx8k']) {
    describe(name, () => {
      const board = getBoard(name);
      const pcf = parsePcf(boardPcf(board));
      const expected = new Map<string, string>(); // port bit → pin, from boards.json
      for (const [sig, s] of Object.entries(board.signals)) signalBits(sig, s).forEach((bit, i) => expected.set(bit, s.pins[i] as string));

      it('every pcf line names a known board signal with the pin boards.json gives it', () => {
        const actual = Object.fromEntries(pcf.map((e) => [e.signal, e.pin]));
        expect(actual).toEqual(Object.fromEntries(expected));
      });

      it('no duplicate pins or signals', () => {
        const pins = pcf.map((e) => e.pin);
        expect(pins.filter((p, i) => pins.indexOf(p) !== i)).toEqual([]);
        const sigs = pcf.map((e) => e.signal);
        expect(sigs.filter((p, i) => sigs.indexOf(p) !== i)).toEqual([]);
        const allBoardPins = Object.values(board.signals).flatMap((s) => s.pins);
        expect(new Set(allBoardPins).size).toBe(allBoardPins.length);
      });

      it('pins look like pins of the package', () => {
        const re = board.package === 'sg48' ? /^([1-9]|[1-3]\d|4[0-8])$/ : /^[A-T]\d{1,2}$/;
        expect(pcf.filter((e) => !re.test(e.pin)).map((e) => e.pin)).toEqual([]);
      });

      it('required wrapper signals are present; only optional ones are -nowarn; inputs from the UART have a pull-up', () => {
        for (const s of ['clk', 'uart_rx', 'uart_tx', 'led']) expect(Object.keys(board.signals)).toContain(s);
        expect(board.signals['led']?.vector).toBe(true);
        for (const e of pcf) {
          const sig = e.signal.replace(/\[\d+\]$/, '');
          expect({ signal: e.signal, nowarn: e.flags.includes('-nowarn') }).toEqual({
            signal: e.signal,
            nowarn: board.signals[sig]?.optional === true,
          });
        }
        expect(pcf.find((e) => e.signal === 'uart_rx')?.flags).toContain('-pullup yes');
      });

      it('cites sources', () => {
        expect(board.source.length).toBeGreaterThanOrEqual(2);
      });
    });
  }

  it('getBoard rejects an unknown board with a UserError listing the known ones', () => {
    expect(() => getBoard('icestick')).toThrow(UserError);
    expect(() => getBoard('icestick')).toThrow("unknown board 'icestick' (known boards: hx8k, icebreaker)");
    expect(() => getBoard('toString')).toThrow(UserError); // not fooled by Object.prototype
  });

  it('parsePcf rejects what it does not understand', () => {
    expect(() => parsePcf('set_frequency clk 12\n')).toThrow(/only set_io/);
    expect(() => parsePcf('set_io clk\n')).toThrow(/expected '<signal> <pin>'/);
    expect(parsePcf('# c\nset_io -nowarn -pullup yes a[3] 7 # x\n')).toEqual([{ signal: 'a[3]', pin: '7', flags: ['-nowarn', '-pullup yes'], line: 2 }]);
  });
});

describe('parsing tool output (fixtures captured from real blinky runs)', () => {
  it('yosys stat -json: cell counts, FFs, carries', () => {
    const stat = parseYosysStat(fixture('yosys-stat-icebreaker.json'));
    expect(stat.cells).toEqual({ SB_CARRY: 22, SB_DFF: 26, SB_LUT4: 28 });
    expect(countFFs({ SB_DFF: 3, SB_DFFE: 4, SB_DFFSR: 1, SB_LUT4: 9 })).toBe(8);
  });

  it('nextpnr report.json: utilisation and fmax', () => {
    const r = parseNextpnrReport(fixture('nextpnr-report-icebreaker.json'));
    expect(r.utilization['ICESTORM_LC']).toEqual({ used: 32, available: 5280 });
    expect(r.utilization['ICESTORM_DSP']).toEqual({ used: 0, available: 8 });
    expect(r.utilization['SB_IO']).toEqual({ used: 5, available: 96 }); // die I/O sites, not package pins
    expect(Object.keys(r.fmax)).toEqual(['clk$SB_IO_IN_$glb_clk']);
    expect(r.fmax['clk$SB_IO_IN_$glb_clk']?.constraint).toBe(12);
    expect(r.fmax['clk$SB_IO_IN_$glb_clk']?.achieved).toBeCloseTo(79.74, 2);
  });

  it('mainClock picks the clk net, else the only clock', () => {
    const c = { achieved: 1, constraint: 1 };
    expect(mainClock({ 'other$glb': c, 'clk$SB_IO_IN_$glb_clk': c })).toBe('clk$SB_IO_IN_$glb_clk');
    expect(mainClock({ clk: c, clk2: c })).toBe('clk');
    expect(mainClock({ pll_out: c })).toBe('pll_out');
    expect(mainClock({ a: c, b: c })).toBeUndefined();
    expect(mainClock({})).toBeUndefined();
  });

  const durations = { yosys: 4000, nextpnr: 5000, icepack: 1000, total: 10500 };
  const reportFor = (board: string): SynthReport =>
    buildReport({
      board: getBoard(board),
      dsp: false,
      top: `blinky_${board}`,
      seed: 1,
      freqMHz: 12,
      stat: parseYosysStat(fixture(`yosys-stat-${board}.json`)),
      pnr: parseNextpnrReport(fixture(`nextpnr-report-${board}.json`)),
      toolVersions: VERSIONS,
      durationsMs: durations,
    });

  it('buildReport: icebreaker numbers, with their sources', () => {
    const r = reportFor('icebreaker');
    expect(r).toEqual({
      board: 'icebreaker',
      device: 'up5k',
      dspMapping: false,
      package: 'sg48',
      top: 'blinky_icebreaker',
      seed: 1,
      freqConstraintMHz: 12,
      fmaxMHz: 79.74,
      timingMet: true,
      clocks: { 'clk$SB_IO_IN_$glb_clk': { fmaxMHz: 79.74, constraintMHz: 12 } },
      utilization: {
        lc: { used: 32, available: 5280 },
        ff: 26,
        carry: 22,
        bram: { used: 0, available: 30 },
        spram: { used: 0, available: 4 },
        dsp: { used: 0, available: 8 },
        io: { used: 5, available: 39 }, // available from boards.json: SG48 package pins
        pll: { used: 0, available: 1 },
        globalBuffers: { used: 1, available: 8 },
      },
      yosysCells: { SB_CARRY: 22, SB_DFF: 26, SB_LUT4: 28 },
      toolVersions: VERSIONS,
      durationsMs: durations,
    });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('buildReport: hx8k falls back to boards.json for resources nextpnr does not list', () => {
    const r = reportFor('hx8k');
    expect(r.utilization.lc).toEqual({ used: 43, available: 7680 });
    expect(r.utilization.dsp).toEqual({ used: 0, available: 0 });
    expect(r.utilization.spram).toEqual({ used: 0, available: 0 });
    expect(r.utilization.io).toEqual({ used: 11, available: 206 });
    expect(r.utilization.pll).toEqual({ used: 0, available: 2 });
    expect([r.utilization.ff, r.utilization.carry]).toEqual([32, 28]);
    expect(r.fmaxMHz).toBe(164.02);
  });

  it('timingMet is false when any clock misses its constraint', () => {
    const pnr = parseNextpnrReport(fixture('nextpnr-report-icebreaker.json'));
    pnr.fmax['clk$SB_IO_IN_$glb_clk'] = { achieved: 79.7, constraint: 100 };
    const r = buildReport({
      board: getBoard('icebreaker'),
      dsp: false,
      top: 't',
      seed: 3,
      freqMHz: 100,
      stat: { cells: {} },
      pnr,
      toolVersions: VERSIONS,
      durationsMs: durations,
    });
    expect([r.timingMet, r.fmaxMHz, r.freqConstraintMHz]).toEqual([false, 79.7, 100]);
    expect(reportMarkdown(r)).toContain('timing NOT met');
  });

  it('reportMarkdown: header, timing line and utilisation table', () => {
    const md = reportMarkdown(reportFor('icebreaker'));
    const lines = md.split('\n');
    expect(lines[0]).toBe('**blinky_icebreaker** on icebreaker (iCE40UP5K-SG48), seed 1');
    expect(md).toContain('Fmax 79.74 MHz (constraint 12 MHz): timing met');
    expect(lines).toContain('| resource | used | available | util |');
    expect(lines).toContain('| logic cells (LC) | 32 | 5280 | 0.6% |');
    expect(lines).toContain('| flip-flops (SB_DFF*) | 26 | | |');
    expect(lines).toContain('| I/O pins | 5 | 39 | 12.8% |');
    expect(lines).toContain('| DSP (SB_MAC16) | 0 | 8 | 0.0% |');
    expect(reportMarkdown(reportFor('hx8k')).split('\n')).toContain('| DSP (SB_MAC16) | 0 | 0 | – |');
  });
});

describe('port checks before place & route', () => {
  const netlist = JSON.stringify({
    modules: {
      top: {
        ports: {
          clk: { direction: 'input', bits: [2] },
          led: { direction: 'output', bits: [3, 4] },
          hi: { direction: 'output', bits: [5, 6], offset: 1 },
          rev: { direction: 'output', bits: [7, 8, 9], upto: 1 },
          one: { direction: 'output', bits: [10], offset: 4 },
        },
      },
    },
  });

  it('topPortBits names bits the way nextpnr does', () => {
    expect(topPortBits(netlist, 'top')).toEqual(['clk', 'led[0]', 'led[1]', 'hi[1]', 'hi[2]', 'rev[2]', 'rev[1]', 'rev[0]', 'one[4]']);
    expect(() => topPortBits(netlist, 'nope')).toThrow(/no module 'nope'/);
  });

  const board = getBoard('icebreaker');
  const pcf = boardPcf(board);

  it('accepts exactly the board signals (btn_n optional)', () => {
    expect(() => checkPorts(['clk', 'uart_rx', 'uart_tx', 'led[0]', 'led[1]'], board, pcf, 'top', {})).not.toThrow();
    expect(() => checkPorts(['clk', 'uart_rx', 'uart_tx', 'led[0]', 'led[1]', 'btn_n'], board, pcf, 'top', {})).not.toThrow();
  });

  it('more I/O bits than the package has pins → ToolError about I/O', () => {
    const bits = Array.from({ length: 40 }, (_, i) => `d[${i}]`);
    let err: unknown;
    try {
      checkPorts(bits, board, pcf, 'wide', { 'x.v': '' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ToolError);
    expect(err).toBeInstanceOf(UserError);
    expect((err as ToolError).message).toMatch(/module 'wide' has 40 I\/O port bits, but the iCE40UP5K-SG48 package of board 'icebreaker' has only 39 user I\/O pins/);
    expect((err as ToolError).files).toEqual({ 'x.v': '' });
  });

  it('a port without a pin → ToolError naming it and the board signals', () => {
    expect(() => checkPorts(['clk', 'led[0]', 'led[1]', 'led[2]'], board, pcf, 'top', {})).toThrow(
      "top-level I/O port bit(s) led[2] of module 'top' have no pin on board 'icebreaker' (board signals: clk, uart_rx, uart_tx, led[1:0], btn_n)",
    );
  });
});

describe('tool failure reporting', () => {
  const log = fixture('nextpnr-dsp-overflow.txt').split('\n');

  it('lastErrorLine strips the ERROR: prefix and skips the summary line', () => {
    expect(lastErrorLine(log)).toBe("Unable to place cell 'p[8]_SB_MAC16_O_DSP', no BELs remaining to implement cell type 'ICESTORM_DSP'");
    expect(lastErrorLine(['a.v:1: ERROR: syntax error, unexpected ;', '0 warnings, 1 error'])).toBe('a.v:1: syntax error, unexpected ;');
    expect(lastErrorLine(['Info: fine'])).toBeUndefined();
  });

  it('relevantLogLines keeps at most 15 lines, ending with the error, and keeps errors that scrolled up', () => {
    const tail = relevantLogLines(log);
    expect(tail.length).toBe(15);
    expect(tail[tail.length - 1]).toMatch(/^ERROR: Unable to place cell/);
    expect(tail.some((l) => /ICESTORM_DSP:\s+9\/\s+8/.test(l))).toBe(true);
    const scrolled = ['ERROR: first problem', ...Array.from({ length: 40 }, (_, i) => `Info: line ${i}`), '', 'Info: [ 1, 2) |**'];
    const t2 = relevantLogLines(scrolled);
    expect(t2.length).toBe(15);
    expect(t2[0]).toBe('ERROR: first problem');
    expect(t2[t2.length - 1]).toBe('Info: line 39');
  });

  it('describeFailure names exit status, traps and out-of-memory', () => {
    expect(describeFailure({ type: 'exit', code: 1 }, [])).toBe('exit status 1');
    expect(describeFailure({ type: 'crash', name: 'RuntimeError', message: 'unreachable' }, [])).toBe("aborted: WebAssembly trap 'unreachable'");
    expect(describeFailure({ type: 'crash', name: 'RuntimeError', message: 'unreachable' }, ['terminate called: std::bad_alloc'])).toMatch(/^out of memory/);
    expect(describeFailure({ type: 'crash', name: 'RangeError', message: 'WebAssembly.Memory.grow(): Maximum memory size exceeded' }, [])).toMatch(/^out of memory/);
    expect(describeFailure({ type: 'crash', name: 'Error', message: 'x', code: 'ERR_WORKER_OUT_OF_MEMORY' }, [])).toMatch(/^out of memory/);
    expect(describeFailure({ type: 'worker-exit', exitCode: 1 }, [])).toMatch(/worker thread ended/);
  });

  it('ToolError message: tool, status, summary, then the log tail; log and files attached', () => {
    const e = new ToolError({ tool: 'nextpnr-ice40', status: 'exit status 1', log, files: { 'nextpnr-ice40.log': log.join('\n') } });
    const [head, sub] = e.message.split('\n');
    expect(head).toBe(
      "nextpnr-ice40 failed (exit status 1): Unable to place cell 'p[8]_SB_MAC16_O_DSP', no BELs remaining to implement cell type 'ICESTORM_DSP'",
    );
    expect(sub).toBe('  last log lines of nextpnr-ice40.log:');
    expect(e.logTail).toEqual(relevantLogLines(log));
    expect(e).toBeInstanceOf(UserError);
    expect(Object.keys(e.files)).toEqual(['nextpnr-ice40.log']);
  });

  it('explainNextpnrFailure turns "no BELs remaining" into a does-not-fit sentence', () => {
    const raw = new ToolError({
      tool: 'nextpnr-ice40',
      status: "aborted: WebAssembly trap 'unreachable'",
      log,
      files: { 'nextpnr-ice40.log': log.join('\n') },
    });
    const e = explainNextpnrFailure(raw, getBoard('icebreaker'), { 'top.json': '{}' });
    expect(e.message.split('\n')[0]).toBe(
      "nextpnr-ice40 failed (aborted: WebAssembly trap 'unreachable'): the design does not fit the iCE40UP5K-SG48 of board 'icebreaker': " +
        'it needs more DSP blocks (ICESTORM_DSP) than the device has (needed/available: ICESTORM_DSP 9/8).',
    );
    expect(Object.keys(e.files).sort()).toEqual(['nextpnr-ice40.log', 'top.json']);
  });
});

describe('per-module cell counts (yosys stat -json of a -noflatten build)', () => {
  // the shape yosys writes: escaped module keys, unescaped cell types, parameterised modules under $paramod keys
  const stat = JSON.stringify({
    modules: {
      '\\t_top': { num_cells_by_type: { SB_LUT4: 5, SB_DFFE: 3, t_array: 1, '$paramod$ab\\t_delay': 2 } },
      '\\t_array': { num_cells_by_type: { t_row: 2 } },
      '\\t_row': { num_cells_by_type: { '$paramod$cd\\t_cell': 4, '$paramod$ab\\t_delay': 1 } },
      '$paramod$cd\\t_cell': { num_cells_by_type: { SB_LUT4: 10, SB_DFF: 6, SB_DFFSR: 1, SB_CARRY: 4 } },
      '$paramod$ab\\t_delay': { num_cells_by_type: { SB_DFF: 8 } },
      '\\unused': { num_cells_by_type: { SB_LUT4: 99 } },
    },
  });
  it('multiplies each module by its instances under the top and sums per module name', () => {
    expect(parseModuleStat(stat, 't_top')).toEqual([
      { module: 't_cell', instances: 8, lut: 80, ff: 56, carry: 32 },
      { module: 't_delay', instances: 4, lut: 0, ff: 32, carry: 0 },
      { module: 't_top', instances: 1, lut: 5, ff: 3, carry: 0 },
    ]);
  });
  it('names a missing top', () => {
    expect(() => parseModuleStat(stat, 'nope')).toThrow(/no module nope/);
  });
});
