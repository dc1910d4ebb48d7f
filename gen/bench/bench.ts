/**
 * Benchmark wrapper: puts any generated core (TR array top or a baseline) on a board's pins for synthesis
 * comparisons. Every core input bit is the XOR of a distinct pair (then triple) of a 32-bit LFSR's bits (the UART
 * RX pin is mixed into its feedback), every core output folds into a registered parity bit on the UART TX pin, so
 * yosys keeps all of the core, cannot merge look-alike cells, and the wrapper costs a few dozen cells plus at
 * most one LUT per input bit (none where the input feeds a flip-flop with an unused LUT in front).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATE_DIR, emitModule, substitute } from '../emit.ts';
import { type Expr, ModuleBuilder, type Port, type Signature, cat, pack, slice, xor } from '../netlist.ts';

const SRC: Signature = {
  name: 'bench_src',
  ports: [
    { name: 'clk', dir: 'input', width: 1 },
    { name: 'in_mix', dir: 'input', width: 1 },
    { name: 'out_rst', dir: 'output', width: 1 },
    { name: 'out_rnd', dir: 'output', width: 32 },
  ],
};

function sinkSig(prefix: string, w: number): Signature {
  return { name: `${prefix}_bench_sink`, ports: [{ name: 'clk', dir: 'input', width: 1 }, { name: 'in_d', dir: 'input', width: w }, { name: 'out_q', dir: 'output', width: 1 }] };
}

/**
 * The LFSR bits whose XOR drives stimulus bit n: a single bit for the first 32, then distinct pairs, then distinct
 * triples. No two stimulus bits are the same function, so yosys cannot merge cells that only look alike because
 * they were fed the same stimulus (reusing LFSR bits cyclically let it merge, for example, the select and shift
 * stages of every column whose weight bits repeated). The wrapper hands the single bits (no logic in front) to
 * the core's 1-bit inputs first, so valid and mode inputs get no extra logic level.
 */
export function lfsrTaps(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`lfsrTaps: bad bit index ${n}`);
  if (n < 32) return [n];
  let k = n - 32;
  for (let a = 0; a < 32; a++) for (let b = a + 1; b < 32; b++) if (k-- === 0) return [a, b];
  for (let a = 0; a < 32; a++) for (let b = a + 1; b < 32; b++) for (let c = b + 1; c < 32; c++) if (k-- === 0) return [a, b, c];
  throw new RangeError(`bench wrapper: more than ${32 + 496 + 4960} core input bits`);
}

/** `width` distinct stimulus bits for stimulus indices start .. start + width - 1 (bit 0 the least significant). */
function distinct(rnd: Expr, width: number, start: number): Expr {
  return pack(Array.from({ length: width }, (_, i) => {
    const taps = lfsrTaps(start + i).map((t) => slice(rnd, t, 1));
    return taps.length === 1 ? (taps[0] as Expr) : xor(...taps);
  }));
}

export interface BenchWrapper {
  top: string;
  files: Record<string, string>;
}

/**
 * Wrap `core` (its files and top-level signature) for a board with `ledWidth` LEDs. The core must have `clk`
 * and may have `rst`; all other inputs are driven by the LFSR and all outputs are folded.
 */
export function buildBenchWrapper(prefix: string, core: Signature, coreFiles: Record<string, string>, ledWidth: number): BenchWrapper {
  if (!Number.isInteger(ledWidth) || ledWidth < 1 || ledWidth > 32) throw new RangeError(`bench wrapper: ledWidth ${ledWidth} is outside 1..32`);
  const top = `${prefix}_bench`;
  const m = new ModuleBuilder(top, [`${top}: benchmark wrapper around ${core.name} (LFSR-driven inputs, parity-folded outputs)`]);
  const clk = m.input('clk', 1);
  const rx = m.input('uart_rx', 1);
  const tx = m.output('uart_tx', 1);
  const led = m.output('led', ledWidth);
  const rst = m.wire('rst', 1);
  // Which LFSR bits a core reads depends on its input widths: compute them first, so the wire carries a lint
  // waiver only when some bits are really left unused (a small core does not need all 32).
  const used = new Array<boolean>(32).fill(false);
  // stimulus indices: the 1-bit inputs first (they get single LFSR bits), then the wider ones, in port order
  const stimIn = (core.ports as Port[]).filter((p) => p.dir === 'input' && p.name !== 'clk' && p.name !== 'rst');
  const start = new Map<string, number>();
  let nIn = 0;
  for (const p of [...stimIn.filter((q) => q.width === 1), ...stimIn.filter((q) => q.width > 1)]) {
    start.set(p.name, nIn);
    nIn += p.width;
  }
  for (let n = 0; n < nIn; n++) for (const t of lfsrTaps(n)) used[t] = true;
  const rnd = m.wire('rnd', 32, 'LFSR state', { unused: used.some((u) => !u) });
  // the LEDs' own copy of LFSR bits (no flip-flop that drives a core input also drives a pad)
  const nLed = Math.max(1, ledWidth - 1);
  const ledq = m.wire('ledq', nLed, 'LED copy of LFSR bits', { unused: ledWidth === 1 });
  const src: Signature = { name: `${prefix}_bench_src`, ports: [...SRC.ports, { name: 'out_led', dir: 'output', width: nLed }] };
  m.inst(src, 'u_src', { LW: nLed }, { clk, in_mix: rx, out_rst: rst, out_rnd: rnd, out_led: ledq });
  const conns: Record<string, Expr> = {};
  const outs: Expr[] = [];
  for (const p of core.ports as Port[]) {
    if (p.name === 'clk') conns[p.name] = clk;
    else if (p.name === 'rst') conns[p.name] = rst;
    else if (p.dir === 'input') {
      conns[p.name] = distinct(rnd, p.width, start.get(p.name) as number);
    } else {
      const w = m.wire(`o_${p.name}`, p.width);
      conns[p.name] = w;
      outs.push(w);
    }
  }
  m.inst(core, 'u_core', {}, conns);
  const all = cat(...outs);
  const sink = sinkSig(prefix, all.width);
  m.inst(sink, 'u_sink', { W: all.width }, { clk, in_d: all, out_q: tx });
  // LEDs: the reset indicator and a registered copy of a few LFSR bits (they only need to be driven)
  m.assign(led, ledWidth === 1 ? rst : cat(ledq, rst));
  const mod = m.build({ [core.name]: core, [src.name]: src, [sink.name]: sink });
  const files: Record<string, string> = { ...coreFiles };
  const tmpl = (f: string): string => substitute(readFileSync(join(TEMPLATE_DIR, f), 'utf8'), { P: prefix }, f);
  files[`${prefix}_bench_src.v`] = `\`default_nettype none\n\n${tmpl('bench_src.v')}\n\`default_nettype wire\n`;
  files[`${prefix}_bench_sink.v`] = `\`default_nettype none\n\n${tmpl('bench_sink.v')}\n\`default_nettype wire\n`;
  files[`${top}.v`] = `\`default_nettype none\n\n${emitModule(mod)}\n\`default_nettype wire\n`;
  return { top, files };
}
