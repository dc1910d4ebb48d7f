/**
 * `npm run board` end to end through a real tty: the Verilator-simulated board top behind a pseudo-terminal
 * (sim/verilator/board-harness.ts --pty), opened by the CLI with serialport like a USB-UART, every byte
 * crossing the simulated UART pins (8 clocks per bit). Runs a vector file and 2 MNIST digits with 0
 * mismatches, and every fault: a board of another build (hash, widths), no answer, a dropped and a corrupted
 * answer byte (resynchronization, re-read), and the board's error flags (framing, overflow, watchdog,
 * illegal descriptor), each with its exit code and one `error:` line.
 *
 * With TRGEN_BOARD_PORT=/dev/ttyUSBn (a board flashed with `npm run flash -- --preset tiny --board ...`) the
 * same build and vector tests run against that board instead, and the simulated-only tests (faults, which
 * need the harness's fault injection, and MNIST, whose board top fits no iCE40) are skipped.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOARDS, type BoardBuild, buildBoard, memory, tableField } from '../../gen/board.ts';
import { presetConfig } from '../../gen/config.ts';
import { modelJob } from '../../sim/driver/driver.ts';
import { encodeCommand, planRun, responseLength, unpackEntry } from '../../sim/driver/host.ts';
import { loadVectors } from '../../sim/driver/vectors.ts';
import { type BoardPty, type BoardPtyOptions, buildBoardSimulator, startBoardPty } from '../../sim/verilator/board-harness.ts';
import type { SimBinary } from '../../sim/verilator/verilator.ts';
import { runCommands, splitRuns } from '../../host/session.ts';
import { ROOT, runTs } from '../helpers.ts';

const REAL = process.env['TRGEN_BOARD_PORT'];
const CPB = 8;
const VECTORS = join(ROOT, 'test/vectors/tiny-random.json');
const tmp = mkdtempSync(join(tmpdir(), 'trgen-board-host-'));

const board = (args: string[], timeout = 120_000) => runTs('host/cli-board.ts', args, { timeout });
const errorLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('error:'));

describe(`npm run board on ${REAL ? `the board at ${REAL}` : 'the simulated tiny board top behind a pty'}`, () => {
  const cfg = presetConfig('tiny');
  // watchdog 2^14 cycles, so a stuck run ends quickly in the simulation
  const build: BoardBuild = buildBoard(cfg, BOARDS.hx8k, { clksPerBit: CPB, watchdogBits: 14 });
  let sim: SimBinary;
  let clean: BoardPty | null = null;
  let port = REAL ?? '';
  const started: BoardPty[] = [];
  const withBoard = async <T>(opts: Omit<BoardPtyOptions, 'cpb'>, f: (path: string) => T): Promise<T> => {
    const p = await startBoardPty(sim, { cpb: CPB, ...opts });
    started.push(p);
    try {
      return f(p.path);
    } finally {
      await p.stop();
    }
  };
  beforeAll(async () => {
    if (REAL) return;
    sim = await buildBoardSimulator(build);
    clean = await startBoardPty(sim, { cpb: CPB });
    started.push(clean);
    port = clean.path;
  });
  afterAll(async () => {
    for (const p of started) await p.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  // the session's byte stream for tiny-random.json: PING + STATUS (connect), then one run
  const { jobs } = loadVectors(VECTORS);
  const map = build.memoryMap;
  const parts = splitRuns(cfg, jobs, map);
  const plan = planRun(cfg, parts[0]!.jobs, map, { ping: false });
  const cmds = runCommands(map, plan);
  /** host byte index and XOR mask that clear the set bits of a field of table entry 0 */
  const clearEntryField = (name: string): { index: number; mask: number } => {
    const ti = cmds.findIndex((c) => c.kind === 'write' && c.mem === 't');
    const tw = cmds[ti] as Extract<(typeof cmds)[number], { kind: 'write' }>;
    expect(tw.addr).toBe(0);
    expect(memory(map, 't').bytes * 8).toBe(map.table.wordBits); // entry bit b is in byte b/8 of the data
    const base = 2 + cmds.slice(0, ti).reduce((n, c) => n + encodeCommand(map, c).length, 0) + 6;
    const f = tableField(map, name);
    const v = unpackEntry(map, tw.words.slice(0, map.table.wordsPerEntry))[name] as bigint;
    expect(v).toBeGreaterThan(0n);
    const bits = [...Array(f.width).keys()].filter((i) => (v >> BigInt(i)) & 1n).map((i) => f.lo + i);
    const lowest = bits[0] as number;
    // wLast: clear its lowest set bit (the range gets shorter); d: clear every bit (d = 0 is illegal)
    const use = name === 'd' ? bits : [lowest];
    expect(new Set(use.map((b) => b >> 3)).size).toBe(1);
    return { index: base + (lowest >> 3), mask: use.reduce((m, b) => m | (1 << (b & 7)), 0) };
  };

  let cleanReceived = 0;
  it('runs tiny-random.json: every output equals the golden model, board cycles = schedule; --out JSON', () => {
    expect(parts.length).toBe(1);
    const out = join(tmp, 'vectors.json');
    const r = board(['--port', port, '--preset', 'tiny', '--vectors', VECTORS, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/outputs compared with the golden model: \d+ \(y\), mismatches: 0/);
    expect(r.stdout).toMatch(/board cycles: \d+ over 1 run \(schedule \+ run overhead: \d+, equal\)/);
    expect(r.stdout).toMatch(/link: .* B\/s/);
    const rep = JSON.parse(readFileSync(out, 'utf8'));
    expect(rep.ok).toBe(true);
    // the board's outputs in the report, checked here against the golden model
    expect(rep.results.map((c: { y: number[][] }) => c.y)).toEqual(jobs.map((j) => modelJob(cfg, j).y));
    expect(rep.summary.mismatches).toBe(0);
    expect(rep.summary.link.boardCycles).toBe(plan.expected.cycles);
    cleanReceived = rep.summary.link.bytesReceived;
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('only PING: the connection and build check pass (exit 0)', () => {
    const r = board(['--port', port, '--preset', 'tiny']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/board at .*: trtiny \(config sha256 [0-9a-f]{8}\.\.\.\), 2×2 array, w4\/x4/);
  });

  it('a board from another build: config hash differs (same widths) -> exit 2, one error line', () => {
    const f = join(tmp, 'other.json');
    writeFileSync(f, JSON.stringify({ preset: 'tiny', name: 'trother' }));
    const r = board(['--port', port, '--config', f]);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error: the board runs a different bitstream: hash \d+ \(expected \d+\)$/)]);
  });

  it('a board from another build: widths differ -> exit 2, the error names them', () => {
    const r = board(['--port', port, '--preset', 'small']);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error: the board runs a different bitstream: hash .*C 2 \(expected 4\).*BW 4 \(expected 8\)/)]);
  });

  describe.skipIf(!!REAL)('faults (simulated board with fault injection)', () => {
    it('no answer: exit 1 with "no answer from ... within N ms"', async () => {
      const r = await withBoard({ mute: true }, (p) => board(['--port', p, '--preset', 'tiny', '--timeout', '400']));
      expect(r.code).toBe(1);
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error: no answer from \/dev\/pts\/\d+ within 400 ms \(PING\)/)]);
    });

    it('a dropped answer byte: the session resynchronizes, repeats the run, 0 mismatches', async () => {
      // answer byte 50: in the WRITE answers after PING (38 bytes) and STATUS (11)
      const r = await withBoard({ dropTx: 50 }, (p) => board(['--port', p, '--preset', 'tiny', '--vectors', VECTORS, '--timeout', '1000']));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/mismatches: 0/);
      expect(r.stdout).toMatch(/ 1 resynchronizations/);
      expect(r.stdout).toMatch(/note: resynchronized after: .*(status|starts with|stopped after)/);
    });

    it('a corrupted answer byte in the RUN answer: RUN and STATUS disagree, resynchronized, 0 mismatches', async () => {
      const runAt = 48 + 2 * cmds.filter((c) => c.kind === 'write').length; // connect (PING 38 + STATUS 11 bytes), then the WRITE answers
      const r = await withBoard({ corruptTx: runAt + 3 }, (p) => board(['--port', p, '--preset', 'tiny', '--vectors', VECTORS, '--timeout', '1000']));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/mismatches: 0/);
      expect(r.stdout).toMatch(/note: resynchronized after: the RUN and STATUS answers of vectors run 1\/1 differ/);
    });

    it('a corrupted result byte: the mismatch is read again, the link error is found and corrected, 0 mismatches', async () => {
      // answer bytes of a clean session: PING (38) + STATUS (11) at connect, then the run's answers
      const answerBytes = 49 + responseLength(map, cmds);
      if (cleanReceived) expect(cleanReceived).toBe(answerBytes);
      // the last answer bytes are the READ Y data, one byte per result row of the tiny board (C = 2 × 4 bits):
      // byte -2 is row 0 of the last tile, bit 0 is its channel 0 (always a real output, never padding)
      const r = await withBoard({ corruptTx: answerBytes - 2, corruptMask: 0x01 }, (p) => board(['--port', p, '--preset', 'tiny', '--vectors', VECTORS]));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/mismatches: 0/);
      expect(r.stdout).toMatch(/, [1-9]\d* result words corrected by re-reading/);
    });

    it('framing error flag (a host byte with a low stop bit): exit 1, one error line', async () => {
      const r = await withBoard({ badStop: 100 }, (p) => board(['--port', p, '--preset', 'tiny', '--vectors', VECTORS]));
      expect(r.code).toBe(1);
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error: the board reports a UART framing error \(STATUS flag bit 2\) after vectors run 1\/1/)]);
    });

    it('RX FIFO overflow flag (1000 bytes sent to the board before the session): exit 1 at connect', async () => {
      const r = await withBoard({ flood: 1000 }, (p) => board(['--port', p, '--preset', 'tiny', '--vectors', VECTORS]));
      expect(r.code).toBe(1);
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error: the board reports an RX FIFO overflow \(STATUS flag bit 3\) before this session/)]);
    });

    it('watchdog (table entry 0 uploaded with a shorter weight range): exit 1; --out keeps the report', async () => {
      const { index, mask } = clearEntryField('wLast');
      const out = join(tmp, 'watchdog.json');
      const r = await withBoard({ corruptRx: index, corruptRxMask: mask }, (p) => board(['--port', p, '--preset', 'tiny', '--vectors', VECTORS, '--out', out]));
      expect(r.code).toBe(1);
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error: the board's watchdog stopped vectors run 1\/1 after \d+ cycles \(STATUS 4, flag bit 4\)/)]);
      const rep = JSON.parse(readFileSync(out, 'utf8'));
      expect({ ok: rep.ok, error: rep.error }).toEqual({ ok: false, error: expect.stringMatching(/watchdog/) });
      expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
    });

    it('illegal descriptor (table entry 0 uploaded with d = 0): array error flag, exit 1', async () => {
      const { index, mask } = clearEntryField('d');
      const r = await withBoard({ corruptRx: index, corruptRxMask: mask }, (p) => board(['--port', p, '--preset', 'tiny', '--vectors', VECTORS]));
      expect(r.code).toBe(1);
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error: the array flagged an illegal tile-descriptor field in vectors run 1\/1 \(STATUS flag bit 1\)/)]);
    });
  });
});

describe.skipIf(!!REAL)('npm run board --mnist 2 on the simulated mnist board top (W depth 1024) behind a pty', () => {
  // the default mnist board top has 256-word memories: one 8-channel tile of layer 1 (49 groups × k 13 =
  // 637 weight slots) needs depth 1024. The mnist board top does not fit an iCE40 anyway: simulation only.
  const cfg = presetConfig('mnist');
  const build = buildBoard(cfg, BOARDS.hx8k, { clksPerBit: CPB, depths: { w: 1024 } });
  let pty: BoardPty | null = null;
  beforeAll(async () => {
    pty = await startBoardPty(await buildBoardSimulator(build), { cpb: CPB });
  });
  afterAll(async () => {
    await pty?.stop();
  });
  it('2 test digits through the MLP layer by layer, chained through the board: 0 mismatches, predictions = model', () => {
    const out = join(tmp, 'mnist.json');
    const r = board(['--port', pty!.path, '--preset', 'mnist', '--mnist', '2', '--out', out], 600_000);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.stdout).toMatch(/outputs compared with the golden model and inferQ: 2068, mismatches: 0/);
    expect(r.stdout).toMatch(/predictions = model: yes/);
    const rep = JSON.parse(readFileSync(out, 'utf8'));
    expect(rep.results.layers.map((l: { y: number[][] }) => [l.y.length, l.y[0]!.length])).toEqual([[2, 512], [2, 512], [2, 10]]);
    expect(existsSync(out)).toBe(true);
  }, 600_000);
});
