/**
 * Verilator behind one small interface: build a design + generated harness into a cached simulator binary,
 * run it on a stimulus file, parse its JSON Lines output. The verilator CLI is the only dependency.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../gen/cli-util.ts';
import type { Design } from '../../gen/design.ts';
import { type HarnessSpec, generateHarness } from './harness.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE_DIR = process.env['TRGEN_CACHE'] ?? join(ROOT, '.cache', 'verilator');

let versionMemo: string | null | undefined;

/** `verilator --version`, or null when it is not installed. */
export function verilatorVersion(): string | null {
  if (versionMemo !== undefined) return versionMemo;
  try {
    versionMemo = execFileSync('verilator', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    versionMemo = null;
  }
  return versionMemo;
}

export function requireVerilator(): string {
  const v = verilatorVersion();
  if (!v) throw new UserError('verilator is not installed (run `bash scripts/setup.sh` as root, or `apt-get install -y verilator`)');
  return v;
}

/** The parameter memory port of every design (gen/design.ts paramPorts), modelled by the harness. */
export const PARAM_MEMORY = { addr: 'out_p_addr', data: ['in_p_bias', 'in_p_mul', 'in_p_shift'] };

/** Harness description of a TR array top (streams t, w, x; result rows). */
export function trHarnessSpec(design: Design): HarnessSpec {
  return {
    top: design.top,
    ports: design.params.ports,
    channels: [
      { key: 't', valid: 'in_t_valid', ready: 'out_t_ready', ports: ['in_t_mode', 'in_t_k', 'in_t_d', 'in_t_g', 'in_t_ngroups', 'in_t_relu', 'in_t_pset'] },
      { key: 'w', valid: 'in_w_valid', ready: 'out_w_ready', ports: ['in_w_data'] },
      { key: 'x', valid: 'in_x_valid', ready: 'out_x_ready', ports: ['in_x_data'] },
    ],
    outValid: 'out_y_valid',
    outPorts: ['out_y_row', 'out_y_col', 'out_y_data', 'out_y_acc'],
    status: { work: 'out_stat_work', err: 'out_err' },
    memory: PARAM_MEMORY,
  };
}

/** `verilator --lint-only -Wall` over a file set; returns the warnings (empty when clean). */
export function lint(files: Record<string, string>, top: string): string {
  requireVerilator();
  const dir = join(CACHE_DIR, `lint-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  try {
    for (const [n, t] of Object.entries(files)) writeFileSync(join(dir, n), t);
    try {
      execFileSync('verilator', ['--lint-only', '-Wall', '--top-module', top, ...Object.keys(files).filter((f) => f.endsWith('.v')).sort()], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return '';
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string };
      return `${err.stdout ?? ''}${err.stderr ?? ''}`.trim() || 'verilator lint failed';
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface SimBinary {
  binary: string;
  dir: string;
  key: string;
}

/**
 * Build (or reuse from the cache) the simulator for a set of Verilog files and a harness. Cache key: sources,
 * harness, verilator version and flags. Concurrent builds of the same key are safe (build in a private dir,
 * then rename into place).
 */
export async function buildSimulator(files: Record<string, string>, top: string, harness: string, opts: { trace?: boolean } = {}): Promise<SimBinary> {
  const version = requireVerilator();
  const flags = ['--cc', '--exe', '--build', '-O2', '--x-assign', 'fast', '--x-initial', 'fast', '-Wno-fatal', '--top-module', top];
  // trace (or TRGEN_TRACE=1) builds with VCD tracing; the harness then accepts --vcd FILE
  if (opts.trace || process.env['TRGEN_TRACE'] === '1') flags.push('--trace');
  const h = createHash('sha256');
  h.update(version).update(flags.join(' ')).update(harness);
  for (const n of Object.keys(files).sort()) h.update(n).update('\0').update(files[n] as string).update('\0');
  const key = h.digest('hex').slice(0, 24);
  const dir = join(CACHE_DIR, key);
  const binary = join(dir, 'Vsim');
  if (existsSync(binary)) return { binary, dir, key };
  const tmp = `${dir}.build-${process.pid}-${Math.random().toString(36).slice(2)}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const srcs: string[] = [];
    for (const [n, t] of Object.entries(files)) {
      writeFileSync(join(tmp, n), t);
      if (n.endsWith('.v')) srcs.push(n);
    }
    writeFileSync(join(tmp, 'harness.cpp'), harness);
    await new Promise<void>((res, rej) => {
      execFile(
        'verilator',
        [...flags, '-j', '2', '-Mdir', 'obj', '-o', '../Vsim', '-CFLAGS', '-O1', ...srcs.sort(), 'harness.cpp'],
        { cwd: tmp, maxBuffer: 64 << 20 },
        (err, stdout, stderr) => {
          if (err) rej(new Error(`verilator build of ${top} failed:\n${String(stderr).slice(-4000) || String(stdout).slice(-4000)}`));
          else res();
        },
      );
    });
    rmSync(join(tmp, 'obj'), { recursive: true, force: true });
    try {
      renameSync(tmp, dir);
    } catch {
      // another process won the race; use its build
      if (!existsSync(binary)) throw new Error(`verilator cache: could not install ${dir}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { binary, dir, key };
}

export interface RunOptions {
  expectRows: number;
  /** write a VCD here (the simulator must be built with trace) */
  vcd?: string;
  maxCycles?: number;
  stallPct?: number;
  stallSeed?: number;
}

export interface RawRow {
  cyc: number;
  ports: Record<string, bigint>;
}

export interface RunEnd {
  cycles: number;
  rows: number;
  work: number;
  err: number;
  stalls: number;
  timeout: number;
}

/** Run a built simulator on a stimulus file; parse the output rows and the end record. */
export async function runSimulator(sim: SimBinary, stimulusPath: string, outPath: string, opts: RunOptions): Promise<{ rows: RawRow[]; end: RunEnd }> {
  const args = ['--in', stimulusPath, '--out', outPath, '--expect-rows', String(opts.expectRows)];
  if (opts.maxCycles !== undefined) args.push('--max-cycles', String(opts.maxCycles));
  const vcd = opts.vcd ?? process.env['TRGEN_VCD'];
  if (vcd) args.push('--vcd', vcd);
  if (opts.stallPct) args.push('--stall-pct', String(opts.stallPct), '--stall-seed', String(opts.stallSeed ?? 1));
  const stderr = await new Promise<string>((res, rej) => {
    execFile(sim.binary, args, { maxBuffer: 64 << 20 }, (err, _stdout, se) => {
      if (err && !existsSync(outPath)) rej(new Error(`simulator failed: ${String(se).trim() || err.message}`));
      else res(String(se));
    });
  });
  const rows: RawRow[] = [];
  let end: RunEnd | null = null;
  for (const line of readFileSync(outPath, 'utf8').split('\n')) {
    if (!line) continue;
    const o = JSON.parse(line) as Record<string, string | number>;
    if (o['end']) {
      end = o as unknown as RunEnd;
      continue;
    }
    const ports: Record<string, bigint> = {};
    for (const [k, v] of Object.entries(o)) if (k !== 'cyc') ports[k] = BigInt(`0x${v as string}`);
    rows.push({ cyc: o['cyc'] as number, ports });
  }
  if (!end) throw new Error(`simulator output has no end record${stderr ? `: ${stderr.trim()}` : ''}`);
  if (end.timeout) throw new Error(`simulation timed out after ${end.cycles} cycles with ${end.rows} of ${opts.expectRows} result rows${stderr ? ` (${stderr.trim()})` : ''}`);
  return { rows, end };
}

/** Build the simulator of a TR design (design files + generated harness). */
export function buildTrSimulator(design: Design, opts: { trace?: boolean } = {}): Promise<SimBinary> {
  return buildSimulator(design.files, design.top, generateHarness(trHarnessSpec(design)), opts);
}
