/**
 * Board wrapper, host side (no simulation): protocol encode/decode round trips, tile-table layout and packing,
 * memory planning with stream sharing, overflow and option errors, and the generated top's port list.
 * Seeds are fixed and appear in the test names.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../gen/cli-util.ts';
import { PRESETS, type TrConfig, derive, presetConfig } from '../../gen/config.ts';
import {
  BOARDS, COMMANDS, INFO_ROM_EBR, type MemoryMap, PING_FIELDS, type PingInfo, boardMemoryMap, buildBoard, ebrCount, memory, runOverhead, tableField,
} from '../../gen/board.ts';
import { type Job, modelJob } from '../../sim/driver/driver.ts';
import {
  type Command, ProtocolError, checkPing, decodePingInfo, decodeResponses, encodeCommand, encodeCommands, encodePingInfo, packEntry,
  planRun, responseLength, unpackEntry, wordBytes,
} from '../../sim/driver/host.ts';
import { Rng } from '../../sim/model/rng.ts';
import { maxMagnitude } from '../../sim/model/terms.ts';
import { randomConfig } from '../helpers.ts';

const SIM = { clksPerBit: 8, acc: true } as const;

function randomJob(cfg: TrConfig, rng: Rng, mode: 'conventional' | 'tr', M: number, N: number, K: number, g: number, k: number, dcap: number, relu: boolean): Job {
  const d = derive(cfg);
  const wm = maxMagnitude(cfg.wBits);
  const xm = maxMagnitude(cfg.xBits);
  return {
    control: { mode, g, k, d: dcap },
    W: Array.from({ length: M }, () => Array.from({ length: K }, () => rng.int(-wm, wm))),
    X: Array.from({ length: N }, () => Array.from({ length: K }, () => rng.int(-xm, xm))),
    out: {
      relu,
      bias: Array.from({ length: M }, () => rng.int(-40, 40)),
      mul: Array.from({ length: M }, () => (d.MULW ? rng.int(1, 2 ** d.MULW - 1) : 1)),
      shift: Array.from({ length: M }, () => rng.int(0, Math.min(d.maxShift, 8))),
    },
  };
}

/** What a correct board answers to a plan's commands, built from the golden model (status 0 everywhere). */
function fakeBoardAnswer(cfg: TrConfig, map: MemoryMap, cmds: readonly Command[], jobs: readonly Job[], tiles: { job: number; m0: number; n0: number }[], info: PingInfo, cycles: number, work: number): Uint8Array {
  const d = derive(cfg);
  const models = jobs.map((j) => modelJob(cfg, j));
  const row = (name: 'y' | 'a', i: number): bigint => {
    const t = tiles[Math.floor(i / d.R)] as { job: number; m0: number; n0: number };
    const r = i % d.R;
    const bits = name === 'y' ? d.BX : d.accW;
    let w = 0n;
    for (let c = 0; c < d.C; c++) {
      const m = models[t.job] as ReturnType<typeof modelJob>;
      const v = (name === 'y' ? m.y : m.acc)[t.n0 + r]?.[t.m0 + c] ?? 0;
      w |= (BigInt(v) & ((1n << BigInt(bits)) - 1n)) << BigInt(c * bits);
    }
    return w;
  };
  const out: number[] = [];
  const le32 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
  for (const c of cmds) {
    out.push(0x80 | COMMANDS[c.kind], 0);
    if (c.kind === 'ping') out.push(...encodePingInfo(info));
    if (c.kind === 'run' || c.kind === 'status') out.push(0, ...le32(cycles), ...le32(work));
    if (c.kind === 'read') {
      const m = memory(map, c.mem);
      for (let i = 0; i < c.count; i++) out.push(...wordBytes(c.mem === 'y' || c.mem === 'a' ? row(c.mem, c.addr + i) : 0n, m.width, m.bytes));
    }
  }
  return Uint8Array.from(out);
}

describe('board protocol encoding', () => {
  const cfg = presetConfig('small');
  const map = boardMemoryMap(cfg, { acc: true });

  it('command bytes follow the documented layout', () => {
    expect(encodeCommand(map, { kind: 'ping' })).toEqual([0x01]);
    expect(encodeCommand(map, { kind: 'status' })).toEqual([0x05]);
    expect(encodeCommand(map, { kind: 'run', first: 0x1234, count: 3, ybase: 0x0102 })).toEqual([0x04, 0x34, 0x12, 3, 0, 0x02, 0x01]);
    expect(encodeCommand(map, { kind: 'read', mem: 'y', addr: 0x0102, count: 0x0203 }, { unchecked: true })).toEqual([0x03, 3, 2, 1, 3, 2]);
    // small: weight word = 4 columns x 8 bits = 32 bits = 4 bytes, little-endian
    expect(encodeCommand(map, { kind: 'write', mem: 'w', addr: 1, words: [0x11223344n, 5n] })).toEqual([0x02, 0, 1, 0, 2, 0, 0x44, 0x33, 0x22, 0x11, 5, 0, 0, 0]);
  });

  it(`word bytes round trip for every memory width (fast-check seed 11)`, () => {
    for (const m of map.memories) {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: (1n << BigInt(m.width)) - 1n }), (v) => {
          const bytes = Uint8Array.from([0x83, 0, ...wordBytes(v, m.width, m.bytes)]);
          const r = decodeResponses(map, [{ kind: 'read', mem: m.name, addr: 0, count: 1 }], bytes);
          expect(r).toEqual([{ kind: 'read', status: 0, words: [v] }]);
        }),
        { seed: 11, numRuns: 200 },
      );
      expect(() => wordBytes(1n << BigInt(m.width), m.width, m.bytes)).toThrow(UserError);
    }
  });

  it(`PING info round trips (fast-check seed 12)`, () => {
    const byte = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(fc.array(byte, { minLength: 30, maxLength: 30 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 4, max: 65535 }), (bs, hash, cpb) => {
        const info: Record<string, number | string> = { magic: 'TRGN' };
        let i = 0;
        for (const [k] of PING_FIELDS) if (k !== 'magic') info[k] = bs[i++] as number;
        info['hash'] = hash;
        info['clksPerBit'] = cpb;
        const enc = encodePingInfo(info as unknown as PingInfo);
        expect(enc.length).toBe(36);
        expect(decodePingInfo(Uint8Array.from(enc))).toEqual(info);
      }),
      { seed: 12, numRuns: 300 },
    );
  });

  it('responses of a mixed command list decode; lengths match responseLength', () => {
    const b = buildBoard(cfg, BOARDS.hx8k, SIM);
    const cmds: Command[] = [
      { kind: 'ping' }, { kind: 'write', mem: 't', addr: 0, words: [1n, 2n] }, { kind: 'run', first: 0, count: 1, ybase: 0 },
      { kind: 'status' }, { kind: 'read', mem: 'a', addr: 2, count: 2 },
    ];
    const acc = memory(b.memoryMap, 'a');
    const bytes = Uint8Array.from([
      0x81, 0, ...encodePingInfo(b.protocol.info), 0x82, 0, 0x84, 0, 0x12, 7, 0, 0, 0, 9, 0, 0, 0, 0x85, 0, 0x01, 1, 0, 0, 0, 2, 0, 0, 0,
      0x83, 0, ...wordBytes(5n, acc.width, acc.bytes), ...wordBytes((1n << BigInt(acc.width)) - 1n, acc.width, acc.bytes),
    ]);
    expect(bytes.length).toBe(responseLength(b.memoryMap, cmds));
    const r = decodeResponses(b.memoryMap, cmds, bytes);
    expect(r[0]).toEqual({ kind: 'ping', status: 0, info: b.protocol.info });
    expect(r[2]).toEqual({ kind: 'run', status: 0, flags: { busy: false, err: true, framing: false, overflow: false, watchdog: true }, cycles: 7, work: 9 });
    expect(r[3]).toEqual({ kind: 'status', status: 0, flags: { busy: true, err: false, framing: false, overflow: false, watchdog: false }, cycles: 1, work: 2 });
    expect(r[4]).toEqual({ kind: 'read', status: 0, words: [5n, (1n << BigInt(acc.width)) - 1n] });
  });

  it('a failed READ carries no data; an unknown command answers [0xFF, cmd]', () => {
    const cmds: Command[] = [{ kind: 'read', mem: 'y', addr: 0, count: 4 }, { kind: 'status' }];
    const r = decodeResponses(map, cmds, Uint8Array.from([0x83, 2, 0xff, 0x05]));
    expect(r).toEqual([{ kind: 'read', status: 2, words: [] }, { kind: 'unknown', byte: 5 }]);
  });

  it('truncated, mismatched and trailing answers are ProtocolErrors', () => {
    const cmds: Command[] = [{ kind: 'status' }];
    expect(() => decodeResponses(map, cmds, Uint8Array.from([0x85, 0, 0, 1]))).toThrow(/truncated/);
    expect(() => decodeResponses(map, cmds, Uint8Array.from([0x84, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(ProtocolError);
    expect(() => decodeResponses(map, cmds, Uint8Array.from([0x85, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]))).toThrow(/unexpected bytes/);
  });

  it('checkPing names every differing field; a non-trgen answer is rejected', () => {
    const want = buildBoard(cfg, BOARDS.hx8k, SIM).protocol.info;
    expect(() => checkPing(want, want)).not.toThrow();
    expect(() => checkPing({ ...want, R: 4, hash: 1 }, want)).toThrow(/hash 1 \(expected \d+\), R 4 \(expected 2\)/);
    expect(() => checkPing({ ...want, magic: 'XXXX' }, want)).toThrow(/does not answer like a trgen board/);
  });

  it('encoding refuses ranges outside a memory unless unchecked', () => {
    const y = memory(map, 'y');
    expect(() => encodeCommand(map, { kind: 'read', mem: 'y', addr: y.depth - 1, count: 2 })).toThrow(/outside memory 'y'/);
    expect(encodeCommand(map, { kind: 'read', mem: 'y', addr: y.depth - 1, count: 2 }, { unchecked: true })).toHaveLength(6);
    expect(() => encodeCommand(map, { kind: 'run', first: 70000, count: 1, ybase: 0 })).toThrow(/does not fit 16 bits/);
    expect(() => encodeCommand(boardMemoryMap(cfg), { kind: 'read', mem: 'a', addr: 0, count: 1 })).toThrow(/no memory 'a'/);
  });
});

describe('board memory map and tile-table layout', () => {
  const configs: [string, TrConfig][] = [
    ...Object.keys(PRESETS).map((p): [string, TrConfig] => [`preset ${p}`, presetConfig(p)]),
    ...[301, 302, 303, 304, 305, 306].map((s): [string, TrConfig] => [`random config seed ${s}`, randomConfig(s)]),
  ];
  for (const [label, cfg] of configs) {
    it(`${label}: fields are contiguous, fit the entry, entries fetch fast enough, default EBRs within budget`, () => {
      const d = derive(cfg);
      for (const acc of [false, true]) {
        const map = boardMemoryMap(cfg, { acc });
        let lo = 0;
        for (const f of map.table.fields) {
          expect({ label, field: f.name, lo: f.lo }).toEqual({ label, field: f.name, lo });
          lo += f.width;
        }
        const t = map.table;
        expect(t.entryBits).toBe(lo);
        expect(t.wordsPerEntry * t.wordBits).toBeGreaterThanOrEqual(t.entryBits);
        expect((t.wordsPerEntry - 1) * t.wordBits).toBeLessThan(t.entryBits);
        expect({ label, TE: t.wordsPerEntry, ok: t.wordsPerEntry <= d.LMIN - 2 }).toEqual({ label, TE: t.wordsPerEntry, ok: true });
        expect(map.ebrEstimate).toBe(map.memories.reduce((a, m) => a + m.ebr, 0) + ebrCount(8, map.rxFifoBytes) + INFO_ROM_EBR);
        // presets stay within the default budget (the wide-word default preset needs 16 EBRs for data alone)
        expect({ label, acc, ebr: map.ebrEstimate <= 29 || map.memories.every((m) => m.name === 'p' || m.depth === 256) }).toEqual({ label, acc, ebr: true });
        expect(runOverhead(map)).toBe(3 * t.wordsPerEntry + 4);
      }
    });
  }

  it('EBR counts pick the best SB_RAM40_4K shape', () => {
    expect(ebrCount(16, 256)).toBe(1);
    expect(ebrCount(8, 512)).toBe(1);
    expect(ebrCount(32, 256)).toBe(2);
    expect(ebrCount(12, 1024)).toBe(3);
    expect(ebrCount(256, 256)).toBe(16);
    expect(ebrCount(1, 4096)).toBe(2);
  });

  it(`entries pack and unpack losslessly (fast-check seed 21)`, () => {
    const cfg = presetConfig('wide');
    const map = boardMemoryMap(cfg);
    const arb = fc.record(Object.fromEntries(map.table.fields.map((f) => [f.name, fc.bigInt({ min: 0n, max: (1n << BigInt(f.width)) - 1n })])));
    fc.assert(
      fc.property(arb, (v) => {
        const words = packEntry(map, v);
        expect(words).toHaveLength(map.table.wordsPerEntry);
        for (const w of words) expect(w >> BigInt(map.table.wordBits)).toBe(0n);
        expect(unpackEntry(map, words)).toEqual(v);
      }),
      { seed: 21, numRuns: 300 },
    );
    const k = map.table.fields.find((f) => f.name === 'k')!;
    expect(() => packEntry(map, { ...unpackEntry(map, new Array(map.table.wordsPerEntry).fill(0n)), k: 1n << BigInt(k.width) })).toThrow(/does not fit/);
  });

  it('the core gets the layout offsets and memory sizes as Verilog parameters', () => {
    const cfg = presetConfig('small');
    const b = buildBoard(cfg, BOARDS.icebreaker, { acc: true, depths: { w: 1024, y: 128 } });
    const off = (n: string): number => b.memoryMap.table.fields.find((f) => f.name === n)!.lo;
    expect(b.params).toMatchObject({ O_MODE: off('mode'), O_K: off('k'), O_PS: off('pset'), O_WF: off('wFirst'), O_XL: off('xLast'), WAW: 10, YAW: 7, ACC_EN: 1, TE: b.memoryMap.table.wordsPerEntry, LED_LOW: 1, LEDW: 2, CLKS_PER_BIT: 104 });
    expect(memory(b.memoryMap, 'a').depth).toBe(128);
    expect(b.files[`${cfg.name}_board.v`]).toContain(`.O_XL(${off('xLast')})`);
  });

  it('the generated top has exactly the board ports clk, uart_rx, uart_tx, led[W-1:0]', () => {
    for (const [board, w] of [[BOARDS.icebreaker, 2], [BOARDS.hx8k, 8]] as const) {
      const b = buildBoard(presetConfig('tiny'), board);
      expect(b.top).toBe('trtiny_board');
      const text = b.files['trtiny_board.v'] as string;
      const head = text.slice(text.indexOf('module trtiny_board ('), text.indexOf(');'));
      const ports = [...head.matchAll(/(input|output)\s+wire\s+(\[[^\]]+\]\s*)?(\w+)/g)].map((m) => `${m[1]} ${(m[2] ?? '').trim()}${m[3]}`);
      expect(ports).toEqual(['input clk', 'input uart_rx', 'output uart_tx', `output [${w - 1}:0]led`]);
      expect(Object.keys(b.files)).toEqual(expect.arrayContaining(['trtiny_top.v', 'trtiny_board_core.v', 'trtiny_board_ram.v', 'trtiny_board_feed.v', 'trtiny_uart_rx.v', 'trtiny_uart_tx.v']));
    }
  });

  it('P holds whole parameter sets, sized from the EBR budget: at least 2 (and 16 words), at most the array\'s 2^psetBits', () => {
    // C = 10: a set is 2^4 = 16 words, and the array's 2^(8 + 4) words would take 21 EBRs alone
    const cfg: TrConfig = { ...presetConfig('mnist'), cols: 10, rows: 2, lanes: 2, groupMax: 8, outMulBits: 0, biasBits: 16 };
    const d = derive(cfg);
    const map = boardMemoryMap(cfg);
    const p = memory(map, 'p');
    expect(map.ebrEstimate).toBeLessThanOrEqual(29);
    expect(p.depth).toBeGreaterThanOrEqual(2 ** (d.CW + 1));
    expect(p.depth).toBeLessThan(2 ** d.PAW);
    expect(tableField(map, 'pset').width).toBe(p.addrBits - d.CW);
    const b = buildBoard(cfg, BOARDS.hx8k);
    expect(b.params).toMatchObject({ PSW: d.PSW, APAW: d.PAW, PBW: p.addrBits - d.CW, PAW: p.addrBits });
    // a small design gets all of its sets when they fit; a fixed depth is taken as given and checked
    const tiny = presetConfig('tiny');
    expect(memory(boardMemoryMap({ ...tiny, psetBits: 4 }), 'p').depth).toBe(2 ** derive({ ...tiny, psetBits: 4 }).PAW);
    expect(memory(boardMemoryMap(cfg, { depths: { p: 32 } }), 'p').depth).toBe(32);
    expect(() => boardMemoryMap(cfg, { depths: { p: 16 } })).toThrow(/2\.\.256 parameter sets of 16 words/);
    expect(() => boardMemoryMap(cfg, { depths: { p: 8192 } })).toThrow(/2\.\.256 parameter sets/);
  });

  it('readback: results builds answer READ for Y and A only, and say so in PING', () => {
    const cfg = presetConfig('small');
    const all = buildBoard(cfg, BOARDS.hx8k);
    const res = buildBoard(cfg, BOARDS.hx8k, { readback: 'results' });
    expect([all.params['RB_ALL'], all.protocol.info.readback, all.memoryMap.readback]).toEqual([1, 1, 'all']);
    expect([res.params['RB_ALL'], res.protocol.info.readback, res.memoryMap.readback]).toEqual([0, 0, 'results']);
    expect(res.files[`${cfg.name}_board.v`]).toContain('.RB_ALL(0)');
    expect(() => buildBoard(cfg, BOARDS.hx8k, { readback: 'some' as unknown as 'all' })).toThrow(/readback "some" must be one of all, results/);
  });

  it('bad board options are UserErrors', () => {
    const cfg = presetConfig('tiny');
    expect(() => buildBoard(cfg, { ...BOARDS.hx8k, ledWidth: 0 })).toThrow(UserError);
    expect(() => buildBoard(cfg, { ...BOARDS.hx8k, baud: 2_600_000 })).toThrow(/more than 2% off/);
    expect(() => buildBoard(cfg, BOARDS.hx8k, { clksPerBit: 2 })).toThrow(/4\.\.65535/);
    expect(() => buildBoard(cfg, BOARDS.hx8k, { depths: { w: 1000 } })).toThrow(/power of two/);
    expect(() => buildBoard(cfg, BOARDS.hx8k, { tableWordBits: 24 })).toThrow(/multiple of 16/);
    // ice: LMIN = 7, so at most 5 table words per entry; 16-bit words need 5 -> fine, but not with huge address fields
    expect(() => buildBoard(presetConfig('ice'), BOARDS.hx8k, { tableWordBits: 16, depths: { w: 65536, x: 65536 } })).toThrow(/wider table words/);
  });
});

describe('planRun', () => {
  const cfg = presetConfig('small');
  const d = derive(cfg);
  const map = boardMemoryMap(cfg, { acc: true, depths: { w: 512 } });

  it('one channel tile against many vector tiles stores its weights once (seed 31)', () => {
    const rng = new Rng(31);
    // M = C: one channel tile; N = 5 vectors: 3 vector tiles of R = 2
    const job = randomJob(cfg, rng, 'tr', d.C, 5, 20, 8, 6, 2, false);
    const plan = planRun(cfg, [job], map);
    const w = plan.tiles.map((t) => t.w);
    expect(plan.tiles).toHaveLength(3);
    expect(new Set(w.map((r) => r.base)).size).toBe(1);
    expect(plan.usage.w).toBe(w[0]!.len);
    expect(plan.usage.x).toBe(plan.tiles.reduce((a, t) => a + t.x.len, 0));
    // and the other way round: 3 channel tiles over one vector tile share the data
    const job2 = randomJob(cfg, rng, 'conventional', 2 * d.C + 1, d.R, 20, 8, 1, 4, true);
    const plan2 = planRun(cfg, [job2], map);
    expect(new Set(plan2.tiles.map((t) => t.x.base)).size).toBe(1);
    expect(plan2.usage.x).toBe(plan2.tiles[0]!.x.len);
    // identical weights in two jobs are shared too
    const job3 = { ...job, X: job.X.slice(0, 2).map((r) => r.map((v) => -v)) };
    const plan3 = planRun(cfg, [job, job3], map);
    expect(plan3.usage.w).toBe(plan.usage.w);
  });

  it('table entries hold the descriptor fields and the block ranges', () => {
    const rng = new Rng(32);
    const jobs = [randomJob(cfg, rng, 'tr', 5, 3, 13, 5, 7, 3, true), randomJob(cfg, rng, 'conventional', 2, 2, 9, 4, 1, 1, false)];
    const plan = planRun(cfg, jobs, map);
    const tWrites = plan.commands.filter((c): c is Extract<Command, { kind: 'write' }> => c.kind === 'write' && c.mem === 't');
    const words = tWrites.flatMap((c) => c.words);
    expect(words).toHaveLength(plan.usage.entries * map.table.wordsPerEntry);
    const pWords = plan.commands.flatMap((c) => (c.kind === 'write' && c.mem === 'p' ? c.words : []));
    const setWords = 2 ** d.CW;
    expect(pWords).toHaveLength(plan.usage.psets * setWords);
    // every set is stored once
    const sets = Array.from({ length: plan.usage.psets }, (_, s) => pWords.slice(s * setWords, (s + 1) * setWords).join(','));
    expect(new Set(sets).size).toBe(sets.length);
    const field = (w: bigint, lo: number, bits: number): bigint => (w >> BigInt(lo)) & ((1n << BigInt(bits)) - 1n);
    plan.streams.tiles.forEach((t, i) => {
      const e = unpackEntry(map, words.slice(i * map.table.wordsPerEntry, (i + 1) * map.table.wordsPerEntry));
      const desc = plan.streams.t[i]!;
      // column c of the entry's parameter set (word pset * 2^CW + c) holds the tile's bias (low), mul and shift (high)
      for (let c = 0; c < d.C; c++) {
        const p = pWords[Number(e['pset']) * setWords + c]!;
        const want = plan.streams.params[i]![c]!;
        expect([field(p, 0, d.BBW), field(p, d.BBW, d.MBW), field(p, d.BBW + d.MBW, d.SW)])
          .toEqual([BigInt(want.bias) & ((1n << BigInt(d.BBW)) - 1n), BigInt(want.mul), BigInt(want.shift)]);
      }
      expect(e).toEqual({
        mode: desc['in_t_mode'], k: desc['in_t_k'], d: desc['in_t_d'], g: desc['in_t_g'], ngroups: desc['in_t_ngroups'], relu: desc['in_t_relu'],
        pset: e['pset'],
        wFirst: BigInt(plan.tiles[i]!.w.base), wLast: BigInt(plan.tiles[i]!.w.base + t.ngroups * t.kEff - 1),
        xFirst: BigInt(plan.tiles[i]!.x.base), xLast: BigInt(plan.tiles[i]!.x.base + t.ngroups * t.beatsPerGroup - 1),
      });
    });
    expect(plan.expected).toEqual({ cycles: plan.schedule.totalCycles + runOverhead(map), work: plan.schedule.workCycles });
    expect(plan.bytes).toEqual(encodeCommands(map, plan.commands));
  });

  it('decodeResults maps result rows back to per-job N×M outputs (seed 33)', () => {
    const rng = new Rng(33);
    const jobs = [randomJob(cfg, rng, 'tr', 5, 3, 13, 5, 7, 3, true), randomJob(cfg, rng, 'conventional', 3, 5, 9, 4, 1, 1, false)];
    const b = buildBoard(cfg, BOARDS.hx8k, SIM);
    const plan = planRun(cfg, jobs, b.memoryMap, { readAcc: true });
    const answer = fakeBoardAnswer(cfg, b.memoryMap, plan.commands, jobs, plan.streams.tiles, b.protocol.info, plan.expected.cycles, plan.expected.work);
    expect(answer.length).toBe(plan.responseBytes);
    const res = plan.decodeResults(answer);
    expect(res.ping).toEqual(b.protocol.info);
    expect(res.run.cycles).toBe(plan.expected.cycles);
    jobs.forEach((j, i) => {
      const m = modelJob(cfg, j);
      expect({ job: i, y: res.jobs[i]!.y, acc: res.jobs[i]!.acc }).toEqual({ job: i, y: m.y, acc: m.acc });
    });
    // a corrupted answer is caught
    const bad = answer.slice(0, -1);
    expect(() => plan.decodeResults(bad)).toThrow(/truncated/);
  });

  it('a run that does not fit a memory is a UserError naming the memory', () => {
    const rng = new Rng(34);
    const small = boardMemoryMap(cfg, { depths: { w: 64, x: 16, t: 16, y: 16 } });
    // weights: conventional g=8 -> 32 slots per group, 3 groups = 96 words > 64
    expect(() => planRun(cfg, [randomJob(cfg, rng, 'conventional', 4, 2, 20, 8, 1, 1, false)], small)).toThrow(/weight-slot words, but the board's weight memory holds 64/);
    // data: 10 vector tiles x 2 beats x 3 groups = 60 words > 16 (TR keeps weights small)
    expect(() => planRun(cfg, [randomJob(cfg, rng, 'tr', 1, 20, 20, 8, 1, 1, false)], small)).toThrow(/data-beat words, but the board's data memory holds 16/);
    // table: 16 words / TE per entry
    const shortTable = boardMemoryMap(cfg, { depths: { w: 64, x: 1024, t: 16, y: 1024 } });
    const cap = shortTable.table.capacity;
    expect(() => planRun(cfg, [randomJob(cfg, rng, 'tr', 1, d.R * (cap + 1), 1, 1, 1, 1, false)], shortTable)).toThrow(new RegExp(`need ${cap + 1} tile-table entries, but the board's table holds ${cap}`));
    // results: 9 tiles x R = 18 rows > 16 (table deep enough)
    const small2 = boardMemoryMap(cfg, { depths: { t: 1024, y: 16 } });
    expect(() => planRun(cfg, [randomJob(cfg, rng, 'tr', 1, 2 * 9, 1, 1, 1, 1, false)], small2)).toThrow(/produce 18 result rows, but the board's result memory holds 16/);
    // invalid jobs and options
    // parameter sets: 5 channel tiles with their own parameters, 4 sets of 2^CW = 4 words
    const fourSets = boardMemoryMap(cfg, { depths: { p: 16 } });
    expect(() => planRun(cfg, [randomJob(cfg, rng, 'tr', 5 * d.C, 1, 4, 4, 1, 1, false)], fourSets)).toThrow(/need 5 output-parameter sets, but the board's parameter memory holds 4/);
    expect(() => planRun(cfg, [], map)).toThrow(UserError);
    expect(() => planRun(cfg, [randomJob(cfg, rng, 'tr', 1, 1, 4, 9, 1, 1, false)], map)).toThrow(/control\.g/);
    expect(() => planRun(cfg, [randomJob(cfg, rng, 'tr', 1, 1, 4, 4, 1, 1, false)], boardMemoryMap(cfg), { readAcc: true })).toThrow(/acc: true/);
  });
});
