/**
 * The one door to the FPGA toolchain: `runTool(tool, args, files) → files`, in the style of Amaranth / YoWASP.
 *
 * A file tree goes in (flat map of relative path → contents), the tool runs in a WebAssembly sandbox on a
 * worker thread (gen/synth/worker.mjs) so the main thread stays responsive, and the whole file tree
 * comes back, plus `<tool>.log` holding everything the tool printed (stdout and stderr, interleaved).
 * Output lines are also streamed to `onLine` while the tool runs.
 *
 * Any failure — non-zero exit status, a WebAssembly trap (nextpnr aborts with `unreachable` after its
 * `ERROR:` line), running out of memory — becomes a ToolError: a UserError whose message names the tool,
 * the status and the last relevant log lines, with the files (including the log) attached.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { UserError } from '../cli-util.ts';

export type ToolName = 'yosys' | 'nextpnr-ice40' | 'icepack';
/** A whole virtual file tree: relative path ('a/b.v', '/' separated) → contents. */
export type FileTree = Record<string, string | Uint8Array>;

export interface RunOptions {
  /** Each line the tool prints (stdout or stderr), as it is printed. */
  onLine?: (line: string) => void;
  /** Aborting terminates the worker; the returned promise then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

export interface ToolErrorInit {
  tool: string;
  /** What went wrong, e.g. 'exit status 1', "aborted: WebAssembly trap 'unreachable'", 'out of memory: ...'. */
  status: string;
  /** One-sentence explanation; defaults to the tool's last ERROR line. */
  summary?: string;
  /** Whole log of the failed run. */
  log: readonly string[];
  /** Files at the time of failure (inputs, partial outputs, `<tool>.log`). */
  files: FileTree;
}

/** A tool run that failed. User-facing: the message is self-contained and the log is attached. */
export class ToolError extends UserError {
  readonly tool: string;
  readonly status: string;
  readonly summary: string;
  readonly logTail: string[];
  readonly files: FileTree;

  constructor(init: ToolErrorInit) {
    const tail = relevantLogLines(init.log);
    const summary = init.summary ?? lastErrorLine(init.log) ?? '';
    const head = `${init.tool} failed (${init.status})${summary ? `: ${summary}` : '.'}`;
    const body = tail.length > 0 ? `\n  last log lines of ${init.tool}.log:\n${tail.map((l) => `    ${l}`).join('\n')}` : '';
    super(head + body);
    this.tool = init.tool;
    this.status = init.status;
    this.summary = summary;
    this.logTail = tail;
    this.files = init.files;
  }
}

const ERROR_LINE = /(^|\s)(ERROR|Error|error):|bad_alloc|[Oo]ut of memory/;

/** The last line that reports an error, without its 'ERROR: ' prefix (undefined if none). */
export function lastErrorLine(log: readonly string[]): string | undefined {
  for (let i = log.length - 1; i >= 0; i--) {
    const l = (log[i] as string).trim();
    if (/^\d+ warnings?, \d+ errors?$/.test(l)) continue; // nextpnr's summary line
    if (ERROR_LINE.test(l)) return l.replace(/(^|\s)ERROR:\s*/, '$1');
  }
  return undefined;
}

/** nextpnr utilisation line "Info:  ICESTORM_LC:  6000/  5280   113%" with used > available. */
function isOverUtilised(line: string): boolean {
  const m = /^Info:\s+\S+:\s+(\d+)\/\s*(\d+)\s+\d+%$/.exec(line.trim());
  return m !== null && Number(m[1]) > Number(m[2]);
}

/**
 * The last `n` informative log lines, always keeping the error lines (and nextpnr's over-utilised
 * resource lines) even when they scrolled further up. Blank lines and slack-histogram bars are noise.
 */
export function relevantLogLines(log: readonly string[], n = 15): string[] {
  const idx: number[] = [];
  log.forEach((l, i) => {
    const t = l.trim();
    if (t === '' || /^Info:\s+\[\s*-?\d+,\s*-?\d+\)\s*\|/.test(t) || /^Info:\s+(legend|\+ represents)/.test(t)) return;
    idx.push(i);
  });
  const important = idx.filter((i) => ERROR_LINE.test(log[i] as string) || isOverUtilised(log[i] as string)).slice(-6);
  const keep = new Set(idx.slice(-n));
  for (const i of important) keep.add(i);
  // Trim the oldest non-important lines until we are back at n.
  const sorted = [...keep].sort((a, b) => a - b);
  const imp = new Set(important);
  while (sorted.length > Math.max(n, important.length)) {
    const j = sorted.findIndex((i) => !imp.has(i));
    if (j < 0) break;
    sorted.splice(j, 1);
  }
  return sorted.map((i) => log[i] as string);
}

// ---------------------------------------------------------------------------------------------
// File trees: flat (our API) ⇄ nested (YoWASP)

type Tree = { [name: string]: Tree | string | Uint8Array };

function toNested(files: FileTree): Tree {
  const root: Tree = {};
  for (const [path, data] of Object.entries(files)) {
    const parts = path.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.length === 0 || parts.includes('..')) throw new UserError(`invalid file name '${path}' in tool input`);
    let dir = root;
    for (const p of parts.slice(0, -1)) {
      const next = dir[p];
      if (next === undefined) dir = dir[p] = {};
      else if (typeof next === 'string' || next instanceof Uint8Array) throw new UserError(`'${p}' is both a file and a directory in tool input`);
      else dir = next;
    }
    dir[parts[parts.length - 1] as string] = data;
  }
  return root;
}

function toFlat(tree: Tree, prefix = '', out: FileTree = {}): FileTree {
  for (const [name, v] of Object.entries(tree)) {
    const path = prefix + name;
    if (typeof v === 'string' || v instanceof Uint8Array) out[path] = v;
    else toFlat(v, `${path}/`, out);
  }
  return out;
}

/** Contents as bytes (YoWASP hands back ASCII-only files as strings). */
export function asBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? new TextEncoder().encode(data) : data;
}

/** Contents as text. */
export function asText(data: string | Uint8Array): string {
  return typeof data === 'string' ? data : new TextDecoder().decode(data);
}

// ---------------------------------------------------------------------------------------------
// Failure classification (exported for tests)

export type WorkerFailure =
  | { type: 'exit'; code: number }
  | { type: 'crash'; name: string; message: string; code?: string | undefined }
  | { type: 'worker-exit'; exitCode: number };

export function describeFailure(f: WorkerFailure, log: readonly string[]): string {
  const oomInLog = log.some((l) => /bad_alloc|[Oo]ut of memory|Cannot allocate memory/.test(l));
  switch (f.type) {
    case 'exit':
      return `exit status ${f.code}`;
    case 'worker-exit':
      return `worker thread ended unexpectedly with code ${f.exitCode}`;
    case 'crash': {
      if (f.code === 'ERR_WORKER_OUT_OF_MEMORY') return 'out of memory: JavaScript heap of the worker thread';
      if (f.name === 'RangeError' && /memory|allocat/i.test(f.message)) return `out of memory: ${f.message}`;
      if (f.name === 'RuntimeError') {
        if (oomInLog || /memory/i.test(f.message)) return `out of memory: WebAssembly trap '${f.message}'`;
        return `aborted: WebAssembly trap '${f.message}'`;
      }
      return `${f.name}: ${f.message}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------

const WORKER_URL = new URL('./worker.mjs', import.meta.url);

type WorkerMessage =
  | { type: 'lines'; lines: string[] }
  | { type: 'done'; tree: Tree }
  | { type: 'exit'; code: number; tree: Tree }
  | { type: 'crash'; name: string; message: string; code?: string };

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/**
 * Run one tool on a file tree, off the main thread. Resolves with the whole file tree afterwards
 * (inputs included) plus `<tool>.log`; rejects with ToolError on failure.
 */
export function runTool(tool: ToolName, args: string[], files: FileTree, opts: RunOptions = {}): Promise<FileTree> {
  const { onLine, signal } = opts;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  let tree: Tree;
  try {
    tree = toNested(files);
  } catch (e) {
    return Promise.reject(e);
  }
  return new Promise<FileTree>((resolve, reject) => {
    const log: string[] = [];
    let settled = false;
    const worker = new Worker(WORKER_URL, { workerData: { tool, args, tree } });

    const withLog = (t: FileTree): FileTree => ({ ...t, [`${tool}.log`]: log.length ? log.join('\n') + '\n' : '' });
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      f();
      void worker.terminate();
    };
    const fail = (failure: WorkerFailure, t: FileTree) =>
      finish(() => reject(new ToolError({ tool, status: describeFailure(failure, log), log, files: withLog(t) })));
    const onAbort = () => finish(() => reject(abortReason(signal as AbortSignal)));
    signal?.addEventListener('abort', onAbort, { once: true });

    worker.on('message', (m: WorkerMessage) => {
      switch (m.type) {
        case 'lines':
          for (const line of m.lines) {
            log.push(line);
            if (onLine) {
              try {
                onLine(line);
              } catch {
                // A throwing progress callback must not take the run down.
              }
            }
          }
          break;
        case 'done':
          finish(() => resolve(withLog(toFlat(m.tree))));
          break;
        case 'exit':
          fail({ type: 'exit', code: m.code }, { ...files, ...toFlat(m.tree) });
          break;
        case 'crash':
          fail({ type: 'crash', name: m.name, message: m.message, code: m.code }, files);
          break;
      }
    });
    worker.on('error', (e: Error & { code?: string }) =>
      fail({ type: 'crash', name: e.constructor?.name ?? e.name, message: e.message, code: e.code }, files),
    );
    worker.on('exit', (exitCode) => fail({ type: 'worker-exit', exitCode }, files));
  });
}

// ---------------------------------------------------------------------------------------------
// Tool versions

export interface ToolVersion {
  /** npm package and version, e.g. '@yowasp/yosys@0.55.944' (from the package's package.json). */
  package: string;
  /** What the tool itself says, e.g. 'Yosys 0.55 (git sha1 60f126cd0, ...)'. */
  version: string;
}
export interface ToolVersions {
  yosys: ToolVersion;
  nextpnr: ToolVersion;
}

export function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version) return `${name}@${pkg.version}`;
    } catch {
      // no package.json here; keep walking up
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find package.json of ${name}`);
    dir = up;
  }
}

async function versionLine(tool: ToolName, args: string[]): Promise<string> {
  const out = await runTool(tool, args, {});
  const text = asText(out[`${tool}.log`] ?? '');
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '(no version output)';
}

let versionsPromise: Promise<ToolVersions> | undefined;

/** Versions of the bundled tools (memoised: the tools are run once per process). */
export function toolVersions(): Promise<ToolVersions> {
  versionsPromise ??= (async () => {
    const [y, n] = await Promise.all([versionLine('yosys', ['-V']), versionLine('nextpnr-ice40', ['--version'])]);
    return {
      yosys: { package: packageVersion('@yowasp/yosys'), version: y },
      nextpnr: { package: packageVersion('@yowasp/nextpnr-ice40'), version: n },
    };
  })();
  versionsPromise.catch(() => {
    versionsPromise = undefined;
  });
  return versionsPromise;
}
