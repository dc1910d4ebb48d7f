/**
 * Where sweep jobs run, part 1: the result cache shared by every runner, progress, and the local pool.
 *
 * The cache is a directory of `<key>.json` files (gen/dse/job.ts JobEntry), each written once, atomically
 * (temp file + rename): a result that is already there is never rewritten, so a repeated, interrupted or
 * concurrent sweep only adds what is missing. The local pool runs the missing jobs in this process, at most
 * `concurrency` at a time; every tool run is on its own worker thread (gen/synth/run.ts), so the pool is a pool
 * of worker threads sized to the machine by default.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type JobEntry, type JobSpec, type SynthFn, outcomeText, runJob, withTimeLimit, workerName } from './job.ts';

export class ResultCache {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  path(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`internal: bad job key '${key}'`);
    return join(this.dir, `${key}.json`);
  }

  get(key: string): JobEntry | undefined {
    const p = this.path(key);
    if (!existsSync(p)) return undefined;
    try {
      const e = JSON.parse(readFileSync(p, 'utf8')) as JobEntry;
      return e.format === 'trgen-dse-job' && e.key === key ? e : undefined;
    } catch {
      return undefined; // unreadable: treated as missing, and replaced by the next run
    }
  }

  /** Store an entry unless one is already there (returns false then). */
  put(e: JobEntry): boolean {
    const p = this.path(e.key);
    if (this.get(e.key)) return false;
    const tmp = `${p}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      writeFileSync(tmp, JSON.stringify(e, null, 2) + '\n');
      renameSync(tmp, p);
    } finally {
      rmSync(tmp, { force: true });
    }
    return true;
  }
}

export interface Pending {
  key: string;
  spec: JobSpec;
  /** the point's id, for progress lines */
  id: string;
}

export interface Progress {
  total: number;
  cached: number;
  done: number;
  running: number;
  failed: number;
  /** seconds since the runner started */
  elapsed: number;
  /** estimated seconds to go (null until a job has finished) */
  eta: number | null;
}

/** ETA from the mean job time so far, the jobs left and how many run at once. */
export function estimate(left: number, finishedSeconds: readonly number[], parallel: number): number | null {
  if (finishedSeconds.length === 0) return left === 0 ? 0 : null;
  const mean = finishedSeconds.reduce((a, b) => a + b, 0) / finishedSeconds.length;
  return Math.round((mean * left) / Math.max(1, parallel));
}

export function progressLine(p: Progress): string {
  const eta = p.eta === null ? '?' : p.eta >= 120 ? `${Math.round(p.eta / 60)} min` : `${p.eta} s`;
  return `dse: ${p.done + p.cached}/${p.total} done (${p.cached} cached), ${p.running} running, ${p.failed} failed, ${Math.round(p.elapsed)} s elapsed, ETA ${eta}`;
}

export interface PoolOptions {
  concurrency?: number;
  synth?: SynthFn;
  /** called on every change: a job started, finished or failed */
  onProgress?: (p: Progress, event: string) => void;
  signal?: AbortSignal;
  /** stop a job after this many seconds (it is reported as failed and not cached) */
  jobTimeoutS?: number;
}

export const defaultConcurrency = (): number => Math.max(1, availableParallelism());

/**
 * Run the jobs that are not in the cache, `concurrency` at a time; each result goes to the cache as soon as it
 * is known. A job that throws (not a design failure: see runJob) is reported and left out, and the sweep goes
 * on; the caller sees it as missing. Returns the failed jobs with their error messages.
 */
export async function runLocal(jobs: readonly Pending[], cache: ResultCache, o: PoolOptions = {}): Promise<{ failed: { id: string; key: string; error: string }[] }> {
  const concurrency = o.concurrency ?? defaultConcurrency();
  const todo = jobs.filter((j) => !cache.get(j.key));
  const t0 = performance.now();
  const times: number[] = [];
  const failed: { id: string; key: string; error: string }[] = [];
  let running = 0;
  let next = 0;
  const progress = (event: string): void => {
    const left = todo.length - times.length - failed.length;
    o.onProgress?.(
      { total: jobs.length, cached: jobs.length - todo.length, done: times.length, running, failed: failed.length, elapsed: (performance.now() - t0) / 1000, eta: estimate(left - running, times, concurrency) ?? null },
      event,
    );
  };
  progress('start');
  const slot = async (n: number): Promise<void> => {
    for (;;) {
      if (o.signal?.aborted) return;
      const j = todo[next++];
      if (!j) return;
      running++;
      progress(`start ${j.id}`);
      const limit = withTimeLimit(o.signal, o.jobTimeoutS);
      try {
        const e = await runJob(j.spec, { worker: workerName(`local${n}`), expectKey: j.key, ...(o.synth ? { synth: o.synth } : {}), ...(limit.signal ? { signal: limit.signal } : {}) });
        cache.put(e);
        times.push(e.run.seconds);
        running--;
        progress(`done ${j.id} (${outcomeText(e.outcome)}, ${e.run.seconds} s)`);
      } catch (err) {
        running--;
        if (o.signal?.aborted) return;
        failed.push({ id: j.id, key: j.key, error: (err as Error).message.split('\n')[0] as string });
        progress(`FAILED ${j.id}: ${(err as Error).message.split('\n')[0]}`);
      } finally {
        limit.clear();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, todo.length)) }, (_, n) => slot(n)));
  return { failed };
}
