/**
 * Shared command-line plumbing: argument parsing and the error convention every CLI follows.
 * Bad input raises UserError: one clear line on stderr, exit code 2, nothing half-written.
 * Anything else is a bug in trgen: "internal error" plus the message, exit code 1 (stack only with TRGEN_DEBUG=1).
 */
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export class UserError extends Error {
  override readonly name = 'UserError';
}

/** A run that failed for a reason outside the input (a board that does not answer, a tool that failed):
 *  one `error:` line and exit code 1. */
export class RunError extends Error {
  override readonly name: string = 'RunError';
}

export type ArgSpec = Record<string, { type: 'string' | 'boolean'; help: string; default?: string }>;
export type ParsedArgs = Record<string, string | boolean | undefined>;

/** Parse `--name value` / `--name=value` / `--flag`. Unknown flags and missing values are UserErrors. */
export function parseArgs(argv: readonly string[], spec: ArgSpec, usage: string): ParsedArgs {
  const out: ParsedArgs = {};
  for (const [k, s] of Object.entries(spec)) if (s.default !== undefined) out[k] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--help' || a === '-h') {
      process.stdout.write(helpText(spec, usage));
      process.exit(0);
    }
    if (!a.startsWith('--')) throw new UserError(`unexpected argument '${a}' (usage: --help)`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) throw new UserError(`unknown option '--${name}' (usage: --help)`);
    if (s.type === 'boolean') {
      if (eq >= 0) throw new UserError(`option '--${name}' takes no value`);
      out[name] = true;
      continue;
    }
    let v: string | undefined;
    if (eq >= 0) v = a.slice(eq + 1);
    else {
      v = argv[i + 1];
      i++;
    }
    if (v === undefined || v === '' || (eq < 0 && v.startsWith('--'))) throw new UserError(`option '--${name}' needs a value`);
    out[name] = v;
  }
  return out;
}

/** A string option `--name` that must be one of `choices` (`dflt` when absent; UserError naming the option otherwise). */
export function choiceOption<T extends string>(args: ParsedArgs, name: string, choices: readonly T[], dflt: T): T {
  const v = String(args[name] ?? dflt);
  if (!(choices as readonly string[]).includes(v)) throw new UserError(`--${name}: '${v}' must be ${choices.join(' or ')}`);
  return v as T;
}

/** An integer option `--name` in lo..hi, or undefined when absent (UserError naming the option otherwise). */
export function intOption(args: ParsedArgs, name: string, lo: number, hi: number): number | undefined {
  const v = args[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < lo || Number(v) > hi) {
    throw new UserError(`--${name}: expected an integer in ${lo}..${hi}, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

export function helpText(spec: ArgSpec, usage: string): string {
  const lines = [usage, '', 'options:'];
  for (const [k, s] of Object.entries(spec)) {
    const flag = s.type === 'boolean' ? `--${k}` : `--${k} <value>`;
    lines.push(`  ${flag.padEnd(26)} ${s.help}${s.default !== undefined ? ` (default: ${s.default})` : ''}`);
  }
  return lines.join('\n') + '\n';
}

/** Run a CLI entry point with the error convention above (RunError: `error:` and exit 1). A number that `main`
 *  returns is the exit code. */
export function runCli(main: () => Promise<void | number> | void | number): void {
  Promise.resolve()
    .then(main)
    .then((code) => {
      if (typeof code === 'number') process.exitCode = code;
    })
    .catch((e: unknown) => {
      if (e instanceof UserError || e instanceof RunError) {
        process.stderr.write(`error: ${e.message}\n`);
        process.exitCode = e instanceof UserError ? 2 : 1;
      } else {
        const msg = e instanceof Error ? e.message : String(e);
        process.stderr.write(`internal error: ${msg}\n`);
        if (process.env['TRGEN_DEBUG'] && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
        process.exitCode = 1;
      }
    });
}

/**
 * Write a set of files into `dir` atomically: everything goes to a sibling temp dir first and is renamed
 * into place only when all writes succeeded, so a failure never leaves a half-written output.
 * Existing files in `dir` that are not in `files` are left alone.
 */
export function writeFilesAtomic(dir: string, files: Record<string, string | Uint8Array>): string[] {
  const tmp = `${dir.replace(/\/+$/, '')}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const written: string[] = [];
  try {
    for (const [name, data] of Object.entries(files)) {
      const p = join(tmp, name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, data);
    }
    mkdirSync(dir, { recursive: true });
    for (const name of Object.keys(files).sort()) {
      const dst = join(dir, name);
      mkdirSync(dirname(dst), { recursive: true });
      renameSync(join(tmp, name), dst);
      written.push(dst);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return written;
}

/**
 * Check an output path before any long work starts (UserError otherwise): kind 'dir' must not be an existing
 * non-directory and is created (with its parents) now; kind 'file' must not be an existing directory and its
 * parent directory is created now. Either way the directory must be writable.
 */
export function checkOut(path: string, kind: 'dir' | 'file', option = '--out'): string {
  const what = `${option} ${path}`;
  if (existsSync(path)) {
    const isDir = statSync(path).isDirectory();
    if (kind === 'dir' && !isDir) throw new UserError(`${what}: exists and is not a directory`);
    if (kind === 'file' && isDir) throw new UserError(`${what}: is a directory (expected a file name)`);
  }
  const dir = kind === 'dir' ? path : dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'a parent is not a directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? (e as Error).message);
    throw new UserError(`${what}: cannot create directory ${dir}: ${why}`);
  }
  return path;
}
