/**
 * A protocol session with a board top (rtl-templates/board_top.v) over a Transport (host/serial.ts).
 *
 * - connect(): discards stale input, PINGs (finding the answer among leftover bytes; if the board is stuck in
 *   the data of an interrupted WRITE, a burst of 0x00 fills it up first), checks that the board runs the
 *   expected config (sim/driver/host.ts checkPing: config hash and every derived width; UserError, exit 2)
 *   and that no sticky error flag (framing, overflow) is up. Build options that are not part of the config
 *   (UART bit period, memory depths, RX FIFO size, table word width, acc) are taken from the PING answer.
 * - exchange(): sends commands with flow control: never more bytes in flight (sent, but not yet covered by
 *   an answer) than the board's RX FIFO holds; WRITE data is cut into chunks of at most half the FIFO so
 *   the next chunk can be on its way while the board answers the previous one.
 * - runJobs(): splits jobs into runs that fit the board's memories (whole jobs, else tiles of C channels ×
 *   R vectors), plans each run (planRun), skips WRITEs of words the board already holds from this session,
 *   runs it, checks the RUN / STATUS answers and the error flags, reads the results and compares them with
 *   the expected values (the golden model by default). A result word that differs is read again: if the
 *   second read differs from the first, the link corrupted a byte and the majority of three reads is kept.
 *   A garbled or incomplete answer (a corrupted or dropped byte) resynchronizes (wait for silence, discard,
 *   PING) and repeats the run, at most twice.
 *
 * Errors: UserError (exit 2) for a board of another build; LinkError (exit 1) for no answer, a link that
 * keeps garbling answers, and the board's error flags.
 */
import { RunError, UserError } from '../gen/cli-util.ts';
import { type BoardBuild, type MemoryMap, type PingInfo, BOARDS, COMMANDS, STATUS_CODES, buildBoard, memory } from '../gen/board.ts';
import { type TrConfig, derive } from '../gen/config.ts';
import { type Job, type JobResult, type OutItem, assemble, modelJob } from '../sim/driver/driver.ts';
import { type Command, type Flags, type Response, type RunPlan, PING_INFO_BYTES, checkPing, decodePingInfo, decodeResponses, encodeCommand, planRun } from '../sim/driver/host.ts';
import type { Transport } from './serial.ts';

/** A failure of the link or the board (exit 1), as opposed to bad input (UserError, exit 2). */
export class LinkError extends RunError {
  override readonly name: string = 'LinkError';
}
/** Nothing arrived at all. */
export class NoAnswerError extends LinkError {
  override readonly name = 'NoAnswerError';
}
/** Bytes arrived, but not the expected answer (a byte was lost or corrupted). */
export class GarbledError extends LinkError {
  override readonly name = 'GarbledError';
}
/** The board reported an error flag or status. */
export class BoardFault extends LinkError {
  override readonly name = 'BoardFault';
}

export interface SessionOptions {
  /** ms without any answer byte before giving up (plus the line time of the bytes in flight and the run) */
  timeoutMs: number;
  /** the link's baud rate (for the line-time allowance) */
  baud: number;
  /** progress lines (stderr) */
  progress?: (msg: string) => void;
}

export interface SessionStats {
  bytesSent: number;
  bytesReceived: number;
  commands: number;
  runs: number;
  /** sum of the cycles the board reported for its runs, and what the schedule predicts */
  boardCycles: number;
  expectedCycles: number;
  /** runs whose reported cycles differ from the schedule + run overhead */
  cycleDifferences: number;
  /** WRITE words skipped because the board already held them */
  wordsSkipped: number;
  /** resynchronizations after a garbled answer, and result words corrected by re-reading */
  resyncs: number;
  rereadCorrections: number;
  notes: string[];
}

/** Received bytes, consumed in order. */
class Inbox {
  private buf = new Uint8Array(4096);
  private start = 0;
  private end = 0;
  private wake: (() => void) | null = null;
  total = 0;
  lastAt = 0;

  push(c: Uint8Array): void {
    if (this.end + c.length > this.buf.length) {
      const live = this.end - this.start;
      const nb = live + c.length > this.buf.length / 2 ? new Uint8Array(Math.max(this.buf.length * 2, live + c.length)) : this.buf;
      nb.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = nb;
      this.start = 0;
      this.end = live;
    }
    this.buf.set(c, this.end);
    this.end += c.length;
    this.total += c.length;
    this.lastAt = performance.now();
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  get available(): number {
    return this.end - this.start;
  }

  peek(i: number): number {
    return this.buf[this.start + i] as number;
  }

  take(n: number): Uint8Array {
    const out = this.buf.slice(this.start, this.start + n);
    this.start += n;
    return out;
  }

  clear(): void {
    this.start = this.end = 0;
  }

  /** Wait until n bytes are available; false if no new byte arrived for idleMs. */
  async waitFor(n: number, idleMs: number): Promise<boolean> {
    let last = performance.now();
    while (this.available < n) {
      const left = last + idleMs - performance.now();
      if (left <= 0) return false;
      const before = this.total;
      await new Promise<void>((res) => {
        const t = setTimeout(() => {
          this.wake = null;
          res();
        }, left);
        this.wake = () => {
          clearTimeout(t);
          res();
        };
      });
      if (this.total !== before) last = performance.now();
    }
    return true;
  }

  /** Wait until no byte has arrived for quietMs (at most maxMs). */
  async quiet(quietMs: number, maxMs: number): Promise<void> {
    const t0 = performance.now();
    let seen = this.total;
    let since = performance.now();
    while (performance.now() - t0 < maxMs) {
      await new Promise((r) => setTimeout(r, Math.min(50, quietMs)));
      if (this.total !== seen) {
        seen = this.total;
        since = performance.now();
      } else if (performance.now() - since >= quietMs) return;
    }
  }
}

const hex = (b: Uint8Array, n = 24): string => [...b.subarray(0, n)].map((x) => x.toString(16).padStart(2, '0')).join(' ') + (b.length > n ? ' ...' : '');

const flagNames = (f: Flags): string[] => [f.err && 'array error', f.framing && 'UART framing error', f.overflow && 'RX FIFO overflow', f.watchdog && 'watchdog'].filter((x): x is string => !!x);

/** The expected PING answer for cfg, with the board's own build options (not part of the config). */
export function expectedBuild(cfg: TrConfig, got: PingInfo): BoardBuild {
  const pow2 = (bits: number, what: string): number => {
    if (!Number.isInteger(bits) || bits < 4 || bits > 16) throw new UserError(`the board reports ${what} = ${bits} (not a trgen build)`);
    return 2 ** bits;
  };
  try {
    return buildBoard(cfg, BOARDS.hx8k, {
      clksPerBit: got.clksPerBit,
      acc: got.acc === 1,
      readback: got.readback === 1 ? 'all' : 'results',
      rxFifo: pow2(got.rxAddrBits, 'rxAddrBits'),
      depths: { w: pow2(got.wAddrBits, 'wAddrBits'), x: pow2(got.xAddrBits, 'xAddrBits'), t: pow2(got.tAddrBits, 'tAddrBits'), y: pow2(got.yAddrBits, 'yAddrBits'), p: pow2(got.pAddrBits, 'pAddrBits') },
      tableWordBits: got.tableWordBits,
    });
  } catch (e) {
    // the board's build options do not even make a build of this config: compare with the default build
    if (!(e instanceof UserError)) throw e;
    return buildBoard(cfg, BOARDS.hx8k, { clksPerBit: got.clksPerBit });
  }
}

/** One run: a set of jobs that fits the board's memories, and where each job's results go. */
interface RunPart {
  jobs: Job[];
  /** for each job of the run: index of the original job, first vector and first channel */
  origin: { job: number; n0: number; m0: number }[];
}

function slice(job: Job, n0: number, n1: number, m0: number, m1: number): Job {
  return {
    ...job,
    W: job.W.slice(m0, m1),
    X: job.X.slice(n0, n1),
    out: { relu: job.out.relu, bias: job.out.bias.slice(m0, m1), mul: job.out.mul.slice(m0, m1), shift: job.out.shift.slice(m0, m1) },
  };
}

const fitsError = (e: unknown): boolean => e instanceof UserError && /holds \d+; split the jobs/.test(e.message);

/** Split jobs into runs that fit the memories: greedy, whole jobs when they fit, else C × R tiles. */
export function splitRuns(cfg: TrConfig, jobs: readonly Job[], map: MemoryMap): RunPart[] {
  const d = derive(cfg);
  const units: { job: Job; origin: RunPart['origin'][number] }[] = [];
  jobs.forEach((job, j) => {
    try {
      planRun(cfg, [job], map, { ping: false });
      units.push({ job, origin: { job: j, n0: 0, m0: 0 } });
      return;
    } catch (e) {
      if (!fitsError(e)) throw e;
    }
    for (let m0 = 0; m0 < job.W.length; m0 += d.C) {
      for (let n0 = 0; n0 < job.X.length; n0 += d.R) {
        const u = slice(job, n0, Math.min(n0 + d.R, job.X.length), m0, Math.min(m0 + d.C, job.W.length));
        try {
          planRun(cfg, [u], map, { ping: false });
        } catch (e) {
          if (fitsError(e)) throw new UserError(`job ${j}${job.name ? ` (${job.name})` : ''}: even one tile (${d.C} channels × ${d.R} vectors × K = ${job.W[0]?.length ?? 0}) does not fit the board's memories: ${(e as Error).message}`);
          throw e;
        }
        units.push({ job: u, origin: { job: j, n0, m0 } });
      }
    }
  });
  const runs: RunPart[] = [];
  let cur: RunPart | null = null;
  for (const u of units) {
    if (cur) {
      try {
        planRun(cfg, [...cur.jobs, u.job], map, { ping: false });
        cur.jobs.push(u.job);
        cur.origin.push(u.origin);
        continue;
      } catch (e) {
        if (!fitsError(e)) throw e;
      }
    }
    cur = { jobs: [u.job], origin: [u.origin] };
    runs.push(cur);
  }
  return runs;
}

/**
 * The commands of one run as the session sends them: the plan's WRITEs (W, X, T, P) cut to at most half the RX FIFO
 * (skipping words `known` says the board already holds), RUN, STATUS, the READs of the plan.
 */
export function runCommands(map: MemoryMap, plan: RunPlan, known: Map<string, Map<number, bigint>> = new Map()): Command[] {
  const writeCmds = plan.commands.filter((c) => c.kind === 'write') as Extract<Command, { kind: 'write' }>[];
  const cmds: Command[] = [];
  for (const mem of [...new Set(writeCmds.map((c) => c.mem))]) {
    const words = writeCmds.filter((c) => c.mem === mem).flatMap((c) => c.words);
    const m = memory(map, mem);
    const per = Math.max(1, Math.floor((map.rxFifoBytes / 2 - 6) / m.bytes));
    const have = known.get(mem) ?? new Map<number, bigint>();
    known.set(mem, have);
    let a = 0;
    while (a < words.length) {
      if (have.get(a) === words[a]) {
        a++;
        continue;
      }
      let b = a;
      while (b < words.length && b - a < per && have.get(b) !== words[b]) b++;
      cmds.push({ kind: 'write', mem, addr: a, words: words.slice(a, b) });
      a = b;
    }
  }
  cmds.push(plan.commands.find((c) => c.kind === 'run') as Command, { kind: 'status' });
  cmds.push(...plan.commands.filter((c) => c.kind === 'read'));
  return cmds;
}

const signedField = (v: bigint, lo: number, bits: number): number => {
  const m = (v >> BigInt(lo)) & ((1n << BigInt(bits)) - 1n);
  return Number(m >= 1n << BigInt(bits - 1) ? m - (1n << BigInt(bits)) : m);
};

export interface JobOutputs {
  y: number[][];
  /** raw accumulators when the board stores them (acc builds) */
  acc: number[][] | null;
}

export class BoardSession {
  readonly stats: SessionStats = {
    bytesSent: 0, bytesReceived: 0, commands: 0, runs: 0, boardCycles: 0, expectedCycles: 0, cycleDifferences: 0,
    wordsSkipped: 0, resyncs: 0, rereadCorrections: 0, notes: [],
  };
  private readonly inbox = new Inbox();
  private build: BoardBuild | null = null;
  /** board memory words written in this session (invalidated by a resynchronization) */
  private known = new Map<string, Map<number, bigint>>();
  private lastProgress = 0;
  private label = 'connect';
  readonly t0 = performance.now();

  constructor(
    private readonly t: Transport,
    readonly cfg: TrConfig,
    private readonly opts: SessionOptions,
  ) {
    t.onData((c) => this.inbox.push(c));
  }

  get map(): MemoryMap {
    if (!this.build) throw new Error('internal: session not connected');
    return this.build.memoryMap;
  }

  get info(): PingInfo {
    if (!this.build) throw new Error('internal: session not connected');
    return this.build.protocol.info;
  }

  private progress(msg: string, force = false): void {
    const now = performance.now();
    if (!this.opts.progress || (!force && now - this.lastProgress < 2000)) return;
    this.lastProgress = now;
    const s = (now - this.t0) / 1000;
    this.opts.progress(`${msg} [${(this.stats.bytesSent / 1024).toFixed(1)} kB sent, ${(this.inbox.total / 1024).toFixed(1)} kB received, ${s.toFixed(1)} s, ${Math.round((this.stats.bytesSent + this.inbox.total) / Math.max(s, 1e-3))} B/s]`);
  }

  private async send(bytes: Uint8Array): Promise<void> {
    this.stats.bytesSent += bytes.length;
    await this.t.write(bytes);
  }

  /** ms a byte takes on the line */
  private lineMs(bytes: number): number {
    return (bytes * 10 * 1000) / this.opts.baud;
  }

  /** Find a PING answer in the incoming bytes (discarding what comes before it). */
  private async awaitPing(waitMs: number): Promise<PingInfo | null> {
    const need = 2 + PING_INFO_BYTES;
    const sig = [0x80 | COMMANDS.ping, 0, ...[...'TRGN'].map((c) => c.charCodeAt(0))];
    for (;;) {
      // drop bytes that cannot start the answer
      while (this.inbox.available > 0) {
        let ok = true;
        for (let i = 0; i < Math.min(sig.length, this.inbox.available); i++) if (this.inbox.peek(i) !== sig[i]) ok = false;
        if (ok) break;
        this.inbox.take(1);
      }
      if (this.inbox.available >= need) return decodePingInfo(this.inbox.take(need), 2);
      if (!(await this.inbox.waitFor(Math.max(need, this.inbox.available + 1), waitMs))) return null;
    }
  }

  /** PING until the board answers (filling an interrupted WRITE with zeros once). */
  private async ping(): Promise<PingInfo> {
    const wait = this.opts.timeoutMs;
    const before = this.inbox.total;
    await this.send(Uint8Array.of(COMMANDS.ping));
    let got = await this.awaitPing(wait + this.lineMs(40));
    if (!got) {
      // the board may be waiting for the data of a WRITE cut short (our WRITEs carry at most half the RX FIFO):
      // zeros fill it; an idle board answers each 0x00 with [ff 00]
      const fill = Math.max(256, this.build ? this.build.memoryMap.rxFifoBytes / 2 : 256);
      await this.send(new Uint8Array(fill));
      await this.inbox.quiet(Math.max(200, this.lineMs(2 * fill)), wait + this.lineMs(3 * fill));
      this.inbox.clear();
      await this.send(Uint8Array.of(COMMANDS.ping));
      got = await this.awaitPing(wait + this.lineMs(40));
    }
    if (!got) {
      const n = this.inbox.total - before;
      if (n === 0) throw new NoAnswerError(`no answer from ${this.t.name} within ${wait} ms (PING): is the board powered, flashed with the board top, and is this its UART?`);
      throw new GarbledError(`${this.t.name} answers, but not like a trgen board: ${n} bytes without a PING answer (last: ${hex(this.inbox.take(this.inbox.available))})`);
    }
    return got;
  }

  /** Connect: PING, check the build, check the sticky error flags. */
  async connect(): Promise<PingInfo> {
    await this.t.flushInput();
    this.inbox.clear();
    const got = await this.ping();
    const build = expectedBuild(this.cfg, got);
    checkPing(got, build.protocol.info);
    this.build = build;
    const [st] = await this.exchange([{ kind: 'status' }]);
    if (st && st.kind === 'status') this.checkSticky(st.flags, 'before this session');
    return got;
  }

  private checkSticky(f: Flags, when: string): void {
    const reset = 'the flag stays up until the board is reset (press its reset button or unplug it; re-flashing also resets it)';
    if (f.framing) throw new BoardFault(`the board reports a UART framing error (STATUS flag bit 2) ${when}: a byte arrived with a bad stop bit (wrong --baud, a noisy line, or another program on the port); ${reset}`);
    if (f.overflow) throw new BoardFault(`the board reports an RX FIFO overflow (STATUS flag bit 3) ${when}: more than ${this.map.rxFifoBytes} bytes arrived while it was busy, so bytes were lost (another program on the port?); ${reset}`);
  }

  /** Resynchronize after a garbled answer: wait for silence, discard, PING. */
  private async resync(why: string): Promise<void> {
    this.stats.resyncs++;
    this.stats.notes.push(`resynchronized after: ${why}`);
    this.opts.progress?.(`link error (${why}); resynchronizing`);
    this.known.clear();
    await this.inbox.quiet(Math.max(200, this.lineMs(64)), this.opts.timeoutMs + this.lineMs(this.map.rxFifoBytes * 4));
    await this.t.flushInput();
    this.inbox.clear();
    const got = await this.ping();
    checkPing(got, this.info);
  }

  private expectStatus(c: Command, r: Response, i: number): void {
    if (r.kind === 'unknown') throw new GarbledError(`the board did not recognize command ${i} (${c.kind}): it answered [ff ${r.byte.toString(16).padStart(2, '0')}], so a byte it received was lost or changed`);
    const ok = r.kind === 'run' ? r.status === STATUS_CODES.ok || r.status === STATUS_CODES.watchdog : r.status === STATUS_CODES.ok;
    if (!ok) throw new GarbledError(`answer to command ${i} (${c.kind}) has status ${r.status}, which this command cannot produce`);
  }

  /** Read the answer to one command. */
  private async answer(c: Command, i: number, waitMs: number): Promise<Response> {
    const startTotal = this.inbox.total - this.inbox.available;
    const need = async (n: number): Promise<void> => {
      if (await this.inbox.waitFor(n, waitMs)) return;
      const got = this.inbox.total - startTotal;
      if (got === 0 && this.inbox.available === 0) throw new NoAnswerError(`no answer from ${this.t.name} within ${Math.round(waitMs)} ms (waiting for the answer to ${c.kind.toUpperCase()}, command ${i})`);
      throw new GarbledError(`the answer to ${c.kind.toUpperCase()} (command ${i}) stopped after ${this.inbox.available} of ${n} bytes (a byte was lost)`);
    };
    await need(2);
    const h = this.inbox.peek(0);
    const status = this.inbox.peek(1);
    if (h === 0xff) {
      this.inbox.take(2);
      return { kind: 'unknown', byte: status };
    }
    const want = 0x80 | COMMANDS[c.kind];
    if (h !== want) throw new GarbledError(`answer to ${c.kind.toUpperCase()} (command ${i}) starts with 0x${h.toString(16)}, expected 0x${want.toString(16)} (a byte was lost or changed)`);
    let len = 2;
    if (c.kind === 'ping') len += PING_INFO_BYTES;
    else if (c.kind === 'run' || c.kind === 'status') len += 9;
    else if (c.kind === 'read' && status === STATUS_CODES.ok) len += c.count * memory(this.map, c.mem).bytes;
    await need(len);
    const r = decodeResponses(this.map, [c], this.inbox.take(len))[0] as Response;
    this.expectStatus(c, r, i);
    return r;
  }

  /**
   * Send commands with flow control and read their answers. `runAllowanceMs` is extra time for a RUN answer.
   */
  async exchange(cmds: readonly Command[], runAllowanceMs = 0): Promise<Response[]> {
    const window = this.map.rxFifoBytes;
    const out: Response[] = [];
    const inflight: { c: Command; len: number; i: number }[] = [];
    let inflightBytes = 0;
    const settle = async (): Promise<void> => {
      const f = inflight.shift() as { c: Command; len: number; i: number };
      const wait = this.opts.timeoutMs + this.lineMs(inflightBytes + 2 + (f.c.kind === 'read' ? f.c.count * memory(this.map, f.c.mem).bytes : 40)) + (f.c.kind === 'run' ? runAllowanceMs : 0);
      out.push(await this.answer(f.c, f.i, wait));
      inflightBytes -= f.len;
      this.stats.commands++;
      this.progress(`${this.label}: command ${f.i + 1}/${cmds.length}`);
    };
    for (let i = 0; i < cmds.length; i++) {
      const c = cmds[i] as Command;
      const bytes = Uint8Array.from(encodeCommand(this.map, c));
      while (inflight.length > 0 && inflightBytes + bytes.length > window) await settle();
      await this.send(bytes);
      inflight.push({ c, len: bytes.length, i });
      inflightBytes += bytes.length;
    }
    while (inflight.length > 0) await settle();
    this.stats.bytesReceived = this.inbox.total;
    return out;
  }

  private remember(cmds: readonly Command[]): void {
    for (const c of cmds) {
      if (c.kind !== 'write') continue;
      const known = this.known.get(c.mem) as Map<number, bigint>;
      c.words.forEach((w, k) => known.set(c.addr + k, w));
    }
  }

  private readCmds(plan: RunPlan): Command[] {
    return plan.commands.filter((c) => c.kind === 'read');
  }

  private decodeOutputs(plan: RunPlan, jobs: readonly Job[], reads: readonly Response[]): JobOutputs[] {
    const d = derive(this.cfg);
    const cmds = this.readCmds(plan);
    const yWords: bigint[] = [];
    const aWords: bigint[] = [];
    reads.forEach((r, i) => {
      const c = cmds[i] as Extract<Command, { kind: 'read' }>;
      if (r.kind === 'read') (c.mem === 'y' ? yWords : aWords).push(...r.words);
    });
    const items: OutItem[] = [];
    for (let ti = 0; ti < plan.streams.tiles.length; ti++) {
      for (let r = 0; r < d.R; r++) {
        const yw = yWords[ti * d.R + r] as bigint;
        const aw = aWords[ti * d.R + r];
        for (let c = 0; c < d.C; c++) items.push({ cycle: 0, row: r, col: c, y: signedField(yw, c * d.BX, d.BX), acc: aw === undefined ? NaN : signedField(aw, c * d.accW, d.accW) });
      }
    }
    return assemble(this.cfg, jobs, plan.streams, items).map((r) => ({ y: r.y, acc: aWords.length ? r.acc : null }));
  }

  /** One planned run on the board; returns the outputs of its jobs (re-read on a mismatch with `expected`). */
  private async runOnce(plan: RunPlan, jobs: readonly Job[], expected: readonly JobResult[], label: string): Promise<JobOutputs[]> {
    const cmds = runCommands(this.map, plan, this.known);
    const writes = cmds.filter((c) => c.kind === 'write');
    this.stats.wordsSkipped += plan.commands.reduce((n, c) => n + (c.kind === 'write' ? c.words.length : 0), 0) - writes.reduce((n, c) => n + (c.kind === 'write' ? c.words.length : 0), 0);
    const reads = this.readCmds(plan);
    // a RUN answers when the run is done: allow for its cycles (a real board runs ≥ 12 M cycles/s; a simulated one far slower)
    const allowance = plan.expected.cycles / 200;
    const ans = await this.exchange(cmds, allowance);
    this.remember(writes);
    const run = ans[writes.length] as Extract<Response, { kind: 'run' | 'status' }>;
    const st = ans[writes.length + 1] as Extract<Response, { kind: 'run' | 'status' }>;
    // STATUS repeats the last run's flags, cycles and work (its own status byte is always 0)
    if (run.cycles !== st.cycles || run.work !== st.work || JSON.stringify(run.flags) !== JSON.stringify(st.flags)) {
      throw new GarbledError(`the RUN and STATUS answers of ${label} differ (RUN: status ${run.status}, cycles ${run.cycles}, flags ${flagNames(run.flags).join('+') || 'none'}; STATUS: status ${st.status}, cycles ${st.cycles}, flags ${flagNames(st.flags).join('+') || 'none'})`);
    }
    if (run.status === STATUS_CODES.watchdog || run.flags.watchdog) {
      throw new BoardFault(`the board's watchdog stopped ${label} after ${run.cycles} cycles (STATUS 4, flag bit 4): the array waited too long for a stream (a tile-table entry whose W/X ranges do not match its descriptor: a corrupted upload?)`);
    }
    if (run.flags.err) throw new BoardFault(`the array flagged an illegal tile-descriptor field in ${label} (STATUS flag bit 1): the table upload was corrupted on the way (the host only sends legal descriptors)`);
    this.checkSticky(run.flags, `after ${label}`);
    this.stats.runs++;
    this.stats.boardCycles += run.cycles;
    this.stats.expectedCycles += plan.expected.cycles;
    if (run.cycles !== plan.expected.cycles) this.stats.cycleDifferences++;
    let outs = this.decodeOutputs(plan, jobs, ans.slice(writes.length + 2));
    const same = (o: JobOutputs[]): boolean => o.every((r, i) => JSON.stringify(r.y) === JSON.stringify(expected[i]?.y) && (!r.acc || JSON.stringify(r.acc) === JSON.stringify(expected[i]?.acc)));
    if (!same(outs)) {
      // a result differs from the model: read the results again to tell a link error from a wrong result
      const again = this.decodeOutputs(plan, jobs, await this.exchange(reads));
      if (JSON.stringify(again) !== JSON.stringify(outs)) {
        const third = this.decodeOutputs(plan, jobs, await this.exchange(reads));
        const vote = (a: number[][], b: number[][], c: number[][]): number[][] => a.map((row, n) => row.map((v, m) => (v === b[n]?.[m] ? v : (c[n]?.[m] as number))));
        let fixed = 0;
        outs = outs.map((o, i) => {
          const a = again[i] as JobOutputs;
          const t3 = third[i] as JobOutputs;
          const y = vote(a.y, o.y, t3.y);
          fixed += y.flat().filter((v, k) => v !== o.y.flat()[k]).length;
          return { y, acc: o.acc && a.acc && t3.acc ? vote(a.acc, o.acc, t3.acc) : o.acc };
        });
        this.stats.rereadCorrections += fixed;
        this.stats.notes.push(`${label}: the results read twice differed (a byte corrupted on the link); kept the majority of three reads`);
      }
    }
    return outs;
  }

  /**
   * Run jobs on the board (split into runs that fit), compare with `expected` (default: the golden model),
   * and return every job's outputs. onRun is called after each run with the outputs so far and which jobs are
   * complete.
   */
  async runJobs(jobs: readonly Job[], label: string, expected?: readonly JobResult[], onRun?: (results: JobOutputs[], complete: boolean[]) => void): Promise<JobOutputs[]> {
    const exp = expected ?? jobs.map((j) => modelJob(this.cfg, j));
    const parts = splitRuns(this.cfg, jobs, this.map);
    const d = derive(this.cfg);
    const results: JobOutputs[] = jobs.map((j) => ({
      y: j.X.map(() => new Array<number>(j.W.length).fill(NaN)),
      acc: this.map.acc ? j.X.map(() => new Array<number>(j.W.length).fill(NaN)) : null,
    }));
    for (let p = 0; p < parts.length; p++) {
      const part = parts[p] as RunPart;
      const plan = planRun(this.cfg, part.jobs, this.map, { ping: false, readAcc: this.map.acc });
      const partExp = part.jobs.map((j, i) => {
        const o = part.origin[i] as RunPart['origin'][number];
        const e = exp[o.job] as JobResult;
        const pick = (mat: number[][]): number[][] => mat.slice(o.n0, o.n0 + j.X.length).map((row) => row.slice(o.m0, o.m0 + j.W.length));
        return { ...e, y: pick(e.y), acc: pick(e.acc) };
      });
      const what = `${label} run ${p + 1}/${parts.length}`;
      this.label = what;
      let outs: JobOutputs[] | null = null;
      for (let attempt = 0; !outs; attempt++) {
        try {
          outs = await this.runOnce(plan, part.jobs, partExp, what);
        } catch (e) {
          if (!(e instanceof GarbledError) || attempt >= 2) {
            if (e instanceof GarbledError) throw new GarbledError(`${e.message}; still garbled after ${attempt} resynchronizations: check the cable and --baud`);
            throw e;
          }
          await this.resync(e.message);
        }
      }
      outs.forEach((o, i) => {
        const org = part.origin[i] as RunPart['origin'][number];
        const dst = results[org.job] as JobOutputs;
        o.y.forEach((row, n) => row.forEach((v, m) => ((dst.y[org.n0 + n] as number[])[org.m0 + m] = v)));
        if (o.acc && dst.acc) o.acc.forEach((row, n) => row.forEach((v, m) => (((dst.acc as number[][])[org.n0 + n] as number[])[org.m0 + m] = v)));
      });
      if (onRun) {
        const pending = new Set(parts.slice(p + 1).flatMap((q) => q.origin.map((o) => o.job)));
        onRun(results, jobs.map((_, j) => !pending.has(j)));
      }
      this.progress(`${what}: ${part.jobs.length} job part${part.jobs.length > 1 ? 's' : ''}, ${plan.usage.entries} tiles of ${d.R}×${d.C}`, p === parts.length - 1);
    }
    return results;
  }
}
