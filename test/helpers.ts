/** Shared test helpers: run a CLI as a user would, seeded random configs. */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { type TrConfig, resolveConfig } from '../gen/config.ts';

/** The cell kinds every regression runs over: config fields and a label for test names. */
export const CELL_VARIANTS: readonly { label: string; fields: Partial<TrConfig> }[] = [
  { label: 'tp', fields: { cell: 'tp', termsPerCycle: 1 } },
  { label: 'tv P=1', fields: { cell: 'tv', termsPerCycle: 1 } },
  { label: 'tv P=2', fields: { cell: 'tv', termsPerCycle: 2 } },
];
import { Rng } from '../sim/model/rng.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/** Run a TypeScript CLI entry point (e.g. 'gen/cli.ts') with arguments; never throws. */
export function runTs(script: string, args: string[], opts: { cwd?: string; timeout?: number } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(TSX, [join(ROOT, script), ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', timeout: opts.timeout ?? 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * Run a CLI with bad input and check the user-error contract: exit code 2, exactly one `error:` line on stderr
 * matching pattern, nothing on stdout, and the check made before any long work (within 20 s).
 */
export function expectUserError(script: string, args: string[], pattern: RegExp): void {
  const t0 = performance.now();
  const r = runTs(script, args);
  const ctx = `${script} ${args.join(' ')}: exit ${r.code}\n${r.stderr}`;
  expect(r.code, ctx).toBe(2);
  expect(r.stderr, ctx).toMatch(/^error: /);
  expect(r.stderr.trim().split('\n'), ctx).toHaveLength(1);
  expect(r.stderr, ctx).toMatch(pattern);
  expect(r.stdout, ctx).toBe('');
  // checked before any long work (the simulation takes far longer than this)
  expect(performance.now() - t0, ctx).toBeLessThan(20_000);
}

/** A random but valid hardware config (small enough to simulate quickly). */
export function randomConfig(seed: number, extra: Partial<TrConfig> = {}): TrConfig {
  const rng = new Rng(seed);
  const groupMax = rng.int(1, 8);
  return resolveConfig({
    name: `rnd${seed}`,
    rows: rng.int(1, 3),
    cols: rng.int(1, 4),
    wBits: rng.int(2, 8),
    xBits: rng.int(2, 8),
    groupMax,
    lanes: rng.int(1, groupMax),
    maxK: rng.int(1, 200),
    outMulBits: rng.pick([0, 2, 7, 12, 16]),
    biasBits: rng.pick([0, 0, 10]),
    ...extra,
  });
}
