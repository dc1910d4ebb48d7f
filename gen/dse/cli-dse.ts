/**
 * npm run dse -- --space FILE [--out DIR] [--jobs N] [--job-timeout S] [--queue redis://HOST:PORT] [--cache DIR] [--dry-run]
 *
 * Design-space exploration: expands a sweep file (gen/dse/space.ts) into synthesis jobs, runs the ones whose
 * results are not cached yet (in-process on a pool sized to the machine, or through a BullMQ queue that
 * `npm run dse:worker` processes on any number of machines), and writes results.json, results.md and a Pareto
 * SVG per board (gen/dse/report.ts). Everything is checked before the first job starts; progress (done,
 * running, failed, ETA) goes to stderr. Exit 0, or 1 when some jobs failed for good (the results of the others
 * are still written), or 2 for bad input.
 */
import { join } from 'node:path';
import { type ParsedArgs, UserError, checkOut, intOption, parseArgs, runCli, writeFilesAtomic } from '../cli-util.ts';
import { type JobEntry, jobKey, specOf } from './job.ts';
import { type Pending, type Progress, ResultCache, defaultConcurrency, progressLine, runLocal } from './pool.ts';
import { checkRedis, parseRedisUrl, runQueued } from './queue.ts';
import { type AccuracyTable, buildResults, readAccuracy, resultsFiles } from './report.ts';
import { expandSpace, readSpace } from './space.ts';
import { commandLine } from '../synth/synth-job.ts';

export const USAGE = 'usage: npm run dse -- --space FILE.json [--out DIR] [--jobs N] [--job-timeout S] [--queue redis://HOST:PORT] [--cache DIR] [--dry-run]';

export const SPEC = {
  space: { type: 'string', help: 'sweep file (JSON): base config, varied fields, designs, boards, seeds, budgets, accuracy source' },
  out: { type: 'string', help: 'output directory (default: out/dse/<sweep name>)' },
  jobs: { type: 'string', help: 'local pool: jobs at a time (default: the machine\'s available parallelism)' },
  'job-timeout': { type: 'string', help: 'local pool: stop a job after this many seconds; it is reported failed, not cached, and the sweep goes on (default: no limit)' },
  queue: { type: 'string', help: 'run the jobs through a BullMQ queue on this Redis instead (workers: npm run dse:worker -- --queue URL)' },
  cache: { type: 'string', help: 'result cache directory (default: .cache/dse)' },
  'dry-run': { type: 'boolean', help: 'list the points, their content keys and which are cached; run nothing' },
} as const;

export const DEFAULT_CACHE = join('.cache', 'dse');

export interface DseCommand {
  spacePath: string;
  out: string;
  jobs: number;
  /** local pool: per-job time limit in seconds (null: none) */
  jobTimeoutS: number | null;
  queue: string | null;
  cache: string;
  dryRun: boolean;
}

export function parseDseArgs(argv: readonly string[]): { c: DseCommand; args: ParsedArgs } {
  const args = parseArgs(argv, SPEC, USAGE);
  if (typeof args['space'] !== 'string') throw new UserError('give a sweep file: --space FILE.json (usage: --help)');
  const queue = typeof args['queue'] === 'string' ? args['queue'] : null;
  if (queue !== null) parseRedisUrl(queue);
  if (queue !== null && args['job-timeout'] !== undefined) throw new UserError('--job-timeout applies to the local pool; with --queue, give it to the workers (npm run dse:worker -- --queue URL --job-timeout S)');
  if (queue !== null && args['jobs'] !== undefined) throw new UserError('--jobs sets the local pool; with --queue, start as many workers as you like (npm run dse:worker -- --queue URL --jobs N)');
  return {
    c: {
      spacePath: args['space'],
      out: typeof args['out'] === 'string' ? args['out'] : '',
      jobs: intOption(args, 'jobs', 1, 256) ?? defaultConcurrency(),
      jobTimeoutS: intOption(args, 'job-timeout', 1, 86_400) ?? null,
      queue,
      cache: typeof args['cache'] === 'string' ? args['cache'] : DEFAULT_CACHE,
      dryRun: args['dry-run'] === true,
    },
    args,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) runCli(async () => {
  const argv = process.argv.slice(2);
  const { c } = parseDseArgs(argv);
  const space = readSpace(c.spacePath);
  const points = expandSpace(space);
  const acc: AccuracyTable | null = space.accuracy ? readAccuracy(space.accuracy) : null;
  const out = checkOut(c.out || join('out', 'dse', space.name), 'dir');
  const cache = new ResultCache(checkOut(c.cache, 'dir', '--cache'));
  const keys = points.map((p) => jobKey(specOf(p)));
  const jobs: Pending[] = [];
  const seen = new Set<string>();
  points.forEach((p, i) => {
    const key = keys[i] as string;
    if (!seen.has(key)) jobs.push({ key, spec: specOf(p), id: p.id });
    seen.add(key);
  });
  const log = (s: string): void => void process.stderr.write(s + '\n');
  if (c.queue && !c.dryRun) await checkRedis(parseRedisUrl(c.queue), c.queue);
  if (c.dryRun) {
    for (const [i, p] of points.entries()) process.stdout.write(`${cache.get(keys[i] as string) ? 'cached ' : 'to run '} ${(keys[i] as string).slice(0, 16)}  ${p.id}\n`);
    process.stdout.write(`${points.length} points, ${jobs.length} distinct jobs, ${jobs.filter((j) => !cache.get(j.key)).length} to run\n`);
    return;
  }
  const t0 = performance.now();
  let last = 0;
  const onProgress = (p: Progress, event: string): void => {
    const now = performance.now();
    if (event !== 'poll' && event !== 'start') log(`  ${event}`);
    if (event === 'start' || /^(done|FAILED|queued)/.test(event) || now - last > 10_000) {
      log(progressLine(p));
      last = now;
    }
  };
  const ac = new AbortController();
  process.once('SIGINT', () => {
    log('dse: interrupted; finished results are cached, run the same command again to go on');
    ac.abort();
    process.exit(130);
  });
  log(`dse: sweep '${space.name}': ${points.length} points, ${jobs.length} jobs, ${c.queue ? `queue ${c.queue}` : `${c.jobs} at a time in this process`}; cache ${c.cache}`);
  const { failed } = c.queue ? await runQueued(jobs, cache, c.queue, { onProgress, signal: ac.signal }) : await runLocal(jobs, cache, { concurrency: c.jobs, onProgress, signal: ac.signal, ...(c.jobTimeoutS !== null ? { jobTimeoutS: c.jobTimeoutS } : {}) });
  const entries = new Map<string, JobEntry>();
  for (const j of jobs) {
    const e = cache.get(j.key);
    if (e) entries.set(j.key, e);
  }
  const results = buildResults(space, points, keys, entries, acc, failed, Math.round((performance.now() - t0) / 100) / 10);
  const written = writeFilesAtomic(out, resultsFiles(results, commandLine(argv, 'dse')));
  process.stdout.write(`${points.length} points: ${results.points.filter((p) => p.outcome?.ok).length} synthesized, ${results.points.filter((p) => p.outcome && !p.outcome.ok).length} did not fit or failed in the tools, ${failed.length} jobs failed\nwrote ${written.join(', ')}\n`);
  if (failed.length) process.exitCode = 1;
});
