/**
 * Typed access to constraints/boards.json — the single place for board data — and the board .pcf files.
 *
 * The board wrapper's top-level ports are the board's signals: `clk`, `uart_rx`, `uart_tx` and the vector
 * `led` (width = number of LED pins), plus optional extras such as `btn_n` on the iCEBreaker. In the .pcf
 * a vector bit is written the way yosys/nextpnr name it, e.g. `led[0]`.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../gen/cli-util.ts';

export type Device = 'up5k' | 'hx8k';

export interface BoardSignal {
  /** Package pins; a vector signal has several (pins[i] is bit i). */
  pins: string[];
  dir: 'in' | 'out' | 'inout';
  /** A vector port (bits named 'led[0]', ...) even if it has a single pin. */
  vector?: boolean;
  activeLow?: boolean;
  /** Not required in the top module (the .pcf line carries -nowarn). */
  optional?: boolean;
  description: string;
}

export interface BoardResources {
  lc: number;
  bram: number;
  spram: number;
  dsp: number;
  pll: number;
  /** User I/O pins bonded out in this package (datasheet). */
  io: number;
}

export interface Board {
  /** Key in boards.json, e.g. 'icebreaker'. */
  id: string;
  name: string;
  device: Device;
  package: string;
  part: string;
  clockMHz: number;
  /** File name of the board's .pcf, next to boards.json. */
  pcf: string;
  signals: Record<string, BoardSignal>;
  resources: BoardResources;
  source: string[];
}

export interface PcfEntry {
  /** Port bit name as nextpnr sees it: 'clk', 'led[0]'. */
  signal: string;
  pin: string;
  flags: string[];
  line: number;
}

const HERE = new URL('./', import.meta.url);

let cache: Record<string, Board> | undefined;

function fail(msg: string): never {
  throw new Error(`constraints/boards.json: ${msg}`);
}

function loadAll(): Record<string, Board> {
  if (cache) return cache;
  const raw = JSON.parse(readFileSync(new URL('boards.json', HERE), 'utf8')) as { boards?: Record<string, Omit<Board, 'id'>> };
  if (!raw.boards || typeof raw.boards !== 'object') fail("missing 'boards'");
  const out: Record<string, Board> = {};
  for (const [id, b] of Object.entries(raw.boards)) {
    if (b.device !== 'up5k' && b.device !== 'hx8k') fail(`${id}: unknown device '${String(b.device)}'`);
    if (typeof b.package !== 'string' || typeof b.pcf !== 'string') fail(`${id}: package/pcf missing`);
    if (!(typeof b.clockMHz === 'number' && b.clockMHz > 0)) fail(`${id}: bad clockMHz`);
    for (const s of ['clk', 'uart_rx', 'uart_tx', 'led']) if (!b.signals?.[s]) fail(`${id}: required signal '${s}' missing`);
    for (const k of ['lc', 'bram', 'spram', 'dsp', 'pll', 'io'] as const)
      if (typeof b.resources?.[k] !== 'number') fail(`${id}: resources.${k} missing`);
    out[id] = { id, ...b };
  }
  cache = out;
  return out;
}

/** Names of all known boards, sorted. */
export function boardNames(): string[] {
  return Object.keys(loadAll()).sort();
}

/** The board called `name`; UserError listing the known boards otherwise. */
export function getBoard(name: string): Board {
  const all = loadAll();
  const b = Object.hasOwn(all, name) ? all[name] : undefined;
  if (!b) throw new UserError(`unknown board '${name}' (known boards: ${boardNames().join(', ')})`);
  return b;
}

/** Text of the board's .pcf file. */
export function boardPcf(board: Board): string {
  return readFileSync(new URL(board.pcf, HERE), 'utf8');
}

/** Port bit names a board signal expands to: 'clk' → ['clk'], led (vector, 2 pins) → ['led[0]', 'led[1]']. */
export function signalBits(name: string, sig: BoardSignal): string[] {
  return sig.pins.length === 1 && !sig.vector ? [name] : sig.pins.map((_, i) => `${name}[${i}]`);
}

/** Parse `set_io [-flags...] <signal> <pin>` lines (comments and blank lines skipped). */
export function parsePcf(text: string): PcfEntry[] {
  const out: PcfEntry[] = [];
  text.split('\n').forEach((rawLine, i) => {
    const line = rawLine.replace(/#.*/, '').trim();
    if (line === '') return;
    const words = line.split(/\s+/);
    if (words[0] !== 'set_io') throw new Error(`pcf line ${i + 1}: only set_io is supported: '${rawLine}'`);
    const flags: string[] = [];
    let j = 1;
    while (j < words.length && (words[j] as string).startsWith('-')) {
      const f = words[j] as string;
      // -pullup / -pullup_resistor take a value; -nowarn does not
      if (f === '-pullup' || f === '-pullup_resistor') {
        flags.push(`${f} ${words[j + 1] ?? ''}`);
        j += 2;
      } else {
        flags.push(f);
        j += 1;
      }
    }
    if (words.length - j !== 2) throw new Error(`pcf line ${i + 1}: expected '<signal> <pin>': '${rawLine}'`);
    out.push({ signal: words[j] as string, pin: words[j + 1] as string, flags, line: i + 1 });
  });
  return out;
}
