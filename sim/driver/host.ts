/**
 * Host side of the board protocol (rtl-templates/board_top.v): command encoding, response decoding, and
 * planRun(), which lays out the weight / data memories and the tile table for a list of jobs and returns the
 * complete byte stream to send (WRITE W, WRITE X, WRITE T, RUN, STATUS, READ Y [, READ A]) with a decoder for
 * the board's answer. Identical weight streams (a channel tile reused by many vector tiles, or the same
 * weights in several jobs) and identical data streams are stored once and referenced by several table
 * entries.
 */
import { UserError } from '../../gen/cli-util.ts';
import type { TrConfig } from '../../gen/config.ts';
import { derive } from '../../gen/config.ts';
import {
  COMMANDS, MAGIC, type MemName, type MemoryMap, PING_FIELDS, type PingInfo, STATUS_CODES, memory, runOverhead,
} from '../../gen/board.ts';
import { type Job, type OutItem, type Schedule, type Streams, assemble, buildStreams, checkJob, schedule } from './driver.ts';
import { type ColumnParams, paramWord } from './params.ts';

/** A malformed or unexpected answer from the board. */
export class ProtocolError extends UserError {}

export type Command =
  | { kind: 'ping' }
  | { kind: 'write'; mem: MemName; addr: number; words: readonly bigint[] }
  | { kind: 'read'; mem: MemName; addr: number; count: number }
  | { kind: 'run'; first: number; count: number; ybase: number }
  | { kind: 'status' };

export interface Flags {
  busy: boolean;
  err: boolean;
  framing: boolean;
  overflow: boolean;
  watchdog: boolean;
}

export type Response =
  | { kind: 'ping'; status: number; info: PingInfo }
  | { kind: 'write'; status: number }
  | { kind: 'read'; status: number; words: bigint[] }
  | { kind: 'run' | 'status'; status: number; flags: Flags; cycles: number; work: number }
  | { kind: 'unknown'; byte: number };

export const PING_INFO_BYTES = PING_FIELDS.reduce((a, [, n]) => a + n, 0);
const STAT_BYTES = 11;

const u16 = (v: number, what: string): number[] => {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new UserError(`${what} = ${v} does not fit 16 bits`);
  return [v & 0xff, v >> 8];
};

/** Little-endian bytes of a word. */
export function wordBytes(v: bigint, width: number, bytes: number): number[] {
  if (v < 0n || v >> BigInt(width) !== 0n) throw new UserError(`word 0x${v.toString(16)} does not fit ${width} bits`);
  const out: number[] = [];
  for (let i = 0; i < bytes; i++) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
  return out;
}

function bytesWord(b: Uint8Array, at: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i] as number);
  return v;
}

/** Encode one command. Memory ranges are checked against the map unless `unchecked` (to test the board's own checks). */
export function encodeCommand(map: MemoryMap, c: Command, opts: { unchecked?: boolean } = {}): number[] {
  switch (c.kind) {
    case 'ping':
      return [COMMANDS.ping];
    case 'status':
      return [COMMANDS.status];
    case 'run':
      return [COMMANDS.run, ...u16(c.first, 'RUN first entry'), ...u16(c.count, 'RUN entry count'), ...u16(c.ybase, 'RUN result base')];
    case 'write':
    case 'read': {
      const m = memory(map, c.mem);
      const count = c.kind === 'write' ? c.words.length : c.count;
      if (!opts.unchecked && (c.addr < 0 || c.addr + count > m.depth)) {
        throw new UserError(`${c.kind.toUpperCase()} ${c.mem}[${c.addr}..${c.addr + count - 1}] is outside memory '${c.mem}' (${m.depth} words)`);
      }
      const head = [c.kind === 'write' ? COMMANDS.write : COMMANDS.read, m.id, ...u16(c.addr, 'address'), ...u16(count, 'word count')];
      if (c.kind === 'read') return head;
      const data: number[] = [];
      for (const w of c.words) data.push(...wordBytes(w, m.width, m.bytes));
      return [...head, ...data];
    }
  }
}

export function encodeCommands(map: MemoryMap, cmds: readonly Command[], opts: { unchecked?: boolean } = {}): Uint8Array {
  return Uint8Array.from(cmds.flatMap((c) => encodeCommand(map, c, opts)));
}

/** Bytes the board answers to `cmds` when every status is 0. */
export function responseLength(map: MemoryMap, cmds: readonly Command[]): number {
  let n = 0;
  for (const c of cmds) {
    if (c.kind === 'ping') n += 2 + PING_INFO_BYTES;
    else if (c.kind === 'write') n += 2;
    else if (c.kind === 'read') n += 2 + c.count * memory(map, c.mem).bytes;
    else n += STAT_BYTES;
  }
  return n;
}

export function encodePingInfo(info: PingInfo): number[] {
  const out: number[] = [];
  for (const [k, n] of PING_FIELDS) {
    if (k === 'magic') out.push(...[...info.magic].map((ch) => ch.charCodeAt(0)));
    else for (let i = 0; i < n; i++) out.push(((info[k] as number) >>> (8 * i)) & 0xff);
  }
  return out;
}

export function decodePingInfo(b: Uint8Array, at = 0): PingInfo {
  const info: Record<string, number | string> = {};
  let p = at;
  for (const [k, n] of PING_FIELDS) {
    if (k === 'magic') info[k] = String.fromCharCode(...b.subarray(p, p + n));
    else {
      let v = 0;
      for (let i = n - 1; i >= 0; i--) v = v * 256 + (b[p + i] as number);
      info[k] = v;
    }
    p += n;
  }
  return info as unknown as PingInfo;
}

/** Compare a board's PING answer with the build it should be running: UserError listing the differences. */
export function checkPing(got: PingInfo, want: PingInfo): void {
  if (got.magic !== MAGIC) throw new ProtocolError(`the board does not answer like a trgen board (magic ${JSON.stringify(got.magic)}, expected "${MAGIC}")`);
  const diff = (Object.keys(want) as (keyof PingInfo)[]).filter((k) => got[k] !== want[k]).map((k) => `${k} ${String(got[k])} (expected ${String(want[k])})`);
  if (diff.length) throw new ProtocolError(`the board runs a different bitstream: ${diff.join(', ')}`);
}

const flagsOf = (f: number): Flags => ({ busy: !!(f & 1), err: !!(f & 2), framing: !!(f & 4), overflow: !!(f & 8), watchdog: !!(f & 16) });

/** Decode the answers to `cmds` (in order). Throws ProtocolError on a missing, extra or unexpected byte. */
export function decodeResponses(map: MemoryMap, cmds: readonly Command[], bytes: Uint8Array): Response[] {
  const out: Response[] = [];
  let p = 0;
  const need = (n: number, what: string): void => {
    if (p + n > bytes.length) throw new ProtocolError(`answer truncated: ${what} needs ${n} more bytes at offset ${p}, only ${bytes.length - p} arrived`);
  };
  const le32 = (at: number): number => Number(bytesWord(bytes, at, 4));
  cmds.forEach((c, i) => {
    const code = COMMANDS[c.kind];
    need(2, `answer ${i} (${c.kind})`);
    const h = bytes[p] as number;
    if (h === 0xff) {
      out.push({ kind: 'unknown', byte: bytes[p + 1] as number });
      p += 2;
      return;
    }
    if (h !== (0x80 | code)) throw new ProtocolError(`answer ${i} (${c.kind}) starts with 0x${h.toString(16)} at offset ${p}, expected 0x${(0x80 | code).toString(16)}`);
    const status = bytes[p + 1] as number;
    p += 2;
    switch (c.kind) {
      case 'ping':
        need(PING_INFO_BYTES, 'PING info');
        out.push({ kind: 'ping', status, info: decodePingInfo(bytes, p) });
        p += PING_INFO_BYTES;
        return;
      case 'write':
        out.push({ kind: 'write', status });
        return;
      case 'read': {
        const words: bigint[] = [];
        if (status === STATUS_CODES.ok) {
          const m = memory(map, c.mem);
          need(c.count * m.bytes, `READ ${c.mem} data`);
          for (let k = 0; k < c.count; k++) words.push(bytesWord(bytes, p + k * m.bytes, m.bytes));
          p += c.count * m.bytes;
        }
        out.push({ kind: 'read', status, words });
        return;
      }
      case 'run':
      case 'status':
        need(STAT_BYTES - 2, `${c.kind.toUpperCase()} answer`);
        out.push({ kind: c.kind, status, flags: flagsOf(bytes[p] as number), cycles: le32(p + 1), work: le32(p + 5) });
        p += STAT_BYTES - 2;
        return;
    }
  });
  if (p !== bytes.length) throw new ProtocolError(`${bytes.length - p} unexpected bytes after the last answer (offset ${p})`);
  return out;
}

// ---------------------------------------------------------------- planning a run

export interface RunPlanOptions {
  /** start with PING (default true) */
  ping?: boolean;
  /** also read the raw accumulators (needs a build with acc) */
  readAcc?: boolean;
}

export interface BlockRef {
  base: number;
  len: number;
}

export interface RunResult {
  responses: Response[];
  ping: PingInfo | null;
  run: { status: number; flags: Flags; cycles: number; work: number };
  status: { status: number; flags: Flags; cycles: number; work: number };
  /** per job: N×M outputs, and raw accumulators when they were read */
  jobs: { y: number[][]; acc: number[][] | null }[];
}

export interface RunPlan {
  commands: Command[];
  bytes: Uint8Array;
  /** answer length when every status is 0 */
  responseBytes: number;
  /**
   * Offset in `bytes` just after the RUN command. Bytes sent after it wait in the board's RX FIFO until the run
   * ends; a host that sends more than rxFifoBytes of them (e.g. the next plan's writes) while a long run
   * executes must wait for the RUN answer here first.
   */
  pauseAfter: number;
  streams: Streams;
  /** per tile: its W and X ranges (table entry t = tile t) */
  tiles: { w: BlockRef; x: BlockRef }[];
  /** words used in W and X, table entries, result rows, output-parameter sets in P */
  usage: { w: number; x: number; entries: number; rows: number; psets: number };
  schedule: Schedule;
  /** what RUN and STATUS must report: cycles = schedule.totalCycles + run overhead, work = schedule.workCycles */
  expected: { cycles: number; work: number };
  decodeResults(bytes: Uint8Array): RunResult;
}

const signedField = (v: bigint, lo: number, bits: number): number => {
  const m = (v >> BigInt(lo)) & ((1n << BigInt(bits)) - 1n);
  return Number(m >= 1n << BigInt(bits - 1) ? m - (1n << BigInt(bits)) : m);
};

/** Pack one tile-table entry (fields by name) into its TE words. */
export function packEntry(map: MemoryMap, values: Record<string, bigint>): bigint[] {
  let e = 0n;
  for (const f of map.table.fields) {
    const v = values[f.name];
    if (v === undefined) throw new Error(`internal: table field ${f.name} has no value`);
    if (v < 0n || v >> BigInt(f.width) !== 0n) throw new UserError(`table field ${f.name} = ${v} does not fit ${f.width} bits`);
    e |= v << BigInt(f.lo);
  }
  const tbw = BigInt(map.table.wordBits);
  return Array.from({ length: map.table.wordsPerEntry }, (_, i) => (e >> (BigInt(i) * tbw)) & ((1n << tbw) - 1n));
}

/** Unpack one entry from its words (inverse of packEntry). */
export function unpackEntry(map: MemoryMap, words: readonly bigint[]): Record<string, bigint> {
  let e = 0n;
  words.forEach((w, i) => (e |= w << BigInt(i * map.table.wordBits)));
  const out: Record<string, bigint> = {};
  for (const f of map.table.fields) out[f.name] = (e >> BigInt(f.lo)) & ((1n << BigInt(f.width)) - 1n);
  return out;
}

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/**
 * Lay out `jobs` in the board's memories (everything from address 0; table entry t = tile t; results from row
 * 0) and build the host byte stream. UserError when a job is invalid or the run does not fit the memories.
 */
export function planRun(cfg: TrConfig, jobs: readonly Job[], map: MemoryMap, opts: RunPlanOptions = {}): RunPlan {
  const d = derive(cfg);
  if (jobs.length === 0) throw new UserError('planRun: no jobs');
  jobs.forEach((j, i) => checkJob(cfg, j, `job ${i}${j.name ? ` (${j.name})` : ''}`));
  if (opts.readAcc && !map.acc) throw new UserError('planRun: readAcc needs a board built with acc: true');
  const streams = buildStreams(cfg, jobs, { blocks: true });
  const blocks = streams.blocks as { w: bigint[][]; x: bigint[][] };
  const place = (list: bigint[][]): { refs: BlockRef[]; image: bigint[] } => {
    const seen = new Map<string, BlockRef>();
    const image: bigint[] = [];
    const refs = list.map((beats) => {
      const key = beats.map((b) => b.toString(16)).join(',');
      const hit = seen.get(key);
      if (hit) return hit;
      const ref = { base: image.length, len: beats.length };
      image.push(...beats);
      seen.set(key, ref);
      return ref;
    });
    return { refs, image };
  };
  const W = place(blocks.w);
  const X = place(blocks.x);
  const wm = memory(map, 'w');
  const xm = memory(map, 'x');
  const ym = memory(map, 'y');
  const pm = memory(map, 'p');
  // output-parameter sets: each tile's set as a block of 2^CW words (C column words, then zeros), stored once
  // like W and X blocks, so set s starts at word s * 2^CW
  const setWords = 2 ** d.CW;
  const Pm = place(streams.params.map((ps) => Array.from({ length: setWords }, (_, c) => (c < d.C ? paramWord(d, ps[c] as ColumnParams) : 0n))));
  const pSets = Pm.image;
  const nSets = pSets.length / setWords;
  const nTiles = streams.tiles.length;
  const rows = nTiles * d.R;
  const where = `${jobs.length} job${jobs.length > 1 ? 's' : ''} (${nTiles} tiles)`;
  if (W.image.length > wm.depth) throw new UserError(`${where} need ${W.image.length} weight-slot words, but the board's weight memory holds ${wm.depth}; split the jobs or build the board with a larger depths.w`);
  if (X.image.length > xm.depth) throw new UserError(`${where} need ${X.image.length} data-beat words, but the board's data memory holds ${xm.depth}; split the jobs or build the board with a larger depths.x`);
  if (nTiles > map.table.capacity) throw new UserError(`${where} need ${nTiles} tile-table entries, but the board's table holds ${map.table.capacity}; split the jobs or build the board with a larger depths.t`);
  if (pSets.length > pm.depth) throw new UserError(`${where} need ${nSets} output-parameter sets, but the board's parameter memory holds ${pm.depth / setWords}; split the jobs or build the board with a larger depths.p (at most the design's 2^psetBits sets)`);
  if (rows > ym.depth) throw new UserError(`${where} produce ${rows} result rows, but the board's result memory holds ${ym.depth}; split the jobs or build the board with a larger depths.y`);

  const tiles = streams.tiles.map((t) => ({ w: W.refs[t.wBlock as number] as BlockRef, x: X.refs[t.xBlock as number] as BlockRef }));
  const table: bigint[] = [];
  streams.tiles.forEach((t, i) => {
    const desc = streams.t[i] as Record<string, bigint>;
    const ref = tiles[i] as { w: BlockRef; x: BlockRef };
    const get = (k: string): bigint => desc[k] as bigint;
    // the stream lengths the array will take for this descriptor must match the referenced blocks
    if (ref.w.len !== t.ngroups * t.kEff || ref.x.len !== t.ngroups * t.beatsPerGroup) throw new Error(`internal: tile ${i} block lengths do not match its descriptor`);
    table.push(...packEntry(map, {
      mode: get('in_t_mode'), k: get('in_t_k'), d: get('in_t_d'), g: get('in_t_g'), ngroups: get('in_t_ngroups'), relu: get('in_t_relu'),
      pset: BigInt((Pm.refs[i] as BlockRef).base / setWords),
      wFirst: BigInt(ref.w.base), wLast: BigInt(ref.w.base + ref.w.len - 1), xFirst: BigInt(ref.x.base), xLast: BigInt(ref.x.base + ref.x.len - 1),
    }));
  });

  const CH = 4096;
  const commands: Command[] = [];
  if (opts.ping ?? true) commands.push({ kind: 'ping' });
  chunks(W.image, CH).forEach((ws, i) => commands.push({ kind: 'write', mem: 'w', addr: i * CH, words: ws }));
  chunks(X.image, CH).forEach((ws, i) => commands.push({ kind: 'write', mem: 'x', addr: i * CH, words: ws }));
  chunks(table, CH).forEach((ws, i) => commands.push({ kind: 'write', mem: 't', addr: i * CH, words: ws }));
  chunks(pSets, CH).forEach((ws, i) => commands.push({ kind: 'write', mem: 'p', addr: i * CH, words: ws }));
  commands.push({ kind: 'run', first: 0, count: nTiles, ybase: 0 });
  commands.push({ kind: 'status' });
  for (let a = 0; a < rows; a += CH) commands.push({ kind: 'read', mem: 'y', addr: a, count: Math.min(CH, rows - a) });
  if (opts.readAcc) for (let a = 0; a < rows; a += CH) commands.push({ kind: 'read', mem: 'a', addr: a, count: Math.min(CH, rows - a) });

  const sched = schedule(cfg, streams.tiles);
  const decodeResults = (bytes: Uint8Array): RunResult => {
    const responses = decodeResponses(map, commands, bytes);
    let ping: PingInfo | null = null;
    let run: RunResult['run'] | null = null;
    let status: RunResult['status'] | null = null;
    const yWords: bigint[] = [];
    const aWords: bigint[] = [];
    responses.forEach((r, i) => {
      const c = commands[i] as Command;
      if (r.kind === 'unknown') throw new ProtocolError(`the board did not know command ${i} (${c.kind})`);
      if (r.kind !== 'run' && r.status !== STATUS_CODES.ok) throw new ProtocolError(`command ${i} (${c.kind}) failed with status ${r.status}`);
      if (r.kind === 'ping') ping = r.info;
      else if (r.kind === 'run') run = { status: r.status, flags: r.flags, cycles: r.cycles, work: r.work };
      else if (r.kind === 'status') status = { status: r.status, flags: r.flags, cycles: r.cycles, work: r.work };
      else if (r.kind === 'read' && c.kind === 'read') (c.mem === 'y' ? yWords : aWords).push(...r.words);
    });
    if (!run || !status) throw new ProtocolError('no RUN / STATUS answer');
    const items: OutItem[] = [];
    for (let ti = 0; ti < nTiles; ti++) {
      for (let r = 0; r < d.R; r++) {
        const yw = yWords[ti * d.R + r] as bigint;
        const aw = aWords[ti * d.R + r];
        for (let c = 0; c < d.C; c++) {
          items.push({ cycle: 0, row: r, col: c, y: signedField(yw, c * d.BX, d.BX), acc: aw === undefined ? NaN : signedField(aw, c * d.accW, d.accW) });
        }
      }
    }
    const res = assemble(cfg, jobs, streams, items);
    return {
      responses,
      ping,
      run,
      status,
      jobs: res.map((r) => ({ y: r.y, acc: opts.readAcc ? r.acc : null })),
    };
  };

  return {
    commands,
    bytes: encodeCommands(map, commands),
    pauseAfter: encodeCommands(map, commands.slice(0, commands.findIndex((c) => c.kind === 'run') + 1)).length,
    responseBytes: responseLength(map, commands),
    streams,
    tiles,
    usage: { w: W.image.length, x: X.image.length, entries: nTiles, rows, psets: nSets },
    schedule: sched,
    expected: { cycles: sched.totalCycles + runOverhead(map), work: sched.workCycles },
    decodeResults,
  };
}
