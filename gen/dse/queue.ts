/**
 * Where sweep jobs run, part 2: a BullMQ queue on Redis, for sweeps spread over many machines.
 *
 * The submitter (`npm run dse -- --queue redis://HOST:PORT`) adds one BullMQ job per missing point, with the
 * content key as the job id, so a point is queued at most once however often a sweep is submitted, and a point
 * some earlier sweep already finished is answered from Redis without running again. Workers (`npm run
 * dse:worker -- --queue ...`, on any number of machines) rebuild the design from the job's spec, check that
 * they get the same content key (the same generator, flow and tools), run it and return the JobEntry as the
 * job's result. The submitter polls the jobs, writes each result once into its cache and shows progress.
 *
 * A worker that dies mid-job stops renewing the job's lock; when the lock expires, BullMQ's stalled-job check
 * (run by every live worker) puts the job back in the queue and another worker takes it. A job that throws
 * (not a design failure, which is a result) is retried up to ATTEMPTS times.
 */
import { Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { UserError } from '../cli-util.ts';
import { type JobEntry, type JobSpec, outcomeText, runJob, withTimeLimit, workerName } from './job.ts';
import { type Pending, type PoolOptions, type ResultCache, estimate } from './pool.ts';

export const QUEUE_NAME = 'trgen-dse';
export const ATTEMPTS = 3;
/** Every job: retried ATTEMPTS times when it throws; kept in Redis when done, so a resubmitted sweep is answered at once. */
const JOB_OPTIONS = { attempts: ATTEMPTS, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false } as const;

export interface RedisAddress {
  host: string;
  port: number;
  db: number;
  password?: string;
}

/** Parse redis://[:password@]HOST:PORT[/DB] (UserError otherwise). */
export function parseRedisUrl(url: string): RedisAddress {
  const m = /^redis:\/\/(?::([^@]*)@)?([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})(?:\/(\d{1,2}))?\/?$/.exec(url);
  if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) throw new UserError(`--queue: '${url}' is not a Redis URL redis://HOST:PORT (optionally redis://:PASSWORD@HOST:PORT/DB)`);
  return { host: (m[2] as string).replace(/^\[|\]$/g, ''), port: Number(m[3]), db: Number(m[4] ?? 0), ...(m[1] ? { password: decodeURIComponent(m[1]) } : {}) };
}

const connection = (a: RedisAddress) => ({ host: a.host, port: a.port, db: a.db, ...(a.password ? { password: a.password } : {}), maxRetriesPerRequest: null });

/** Fail fast (UserError) when Redis does not answer, instead of BullMQ's endless reconnecting. */
export async function checkRedis(a: RedisAddress, url: string, timeoutMs = 5000): Promise<void> {
  const r = new Redis({ ...connection(a), lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  let first: Error | undefined;
  r.on('error', (e: Error) => void (first ??= e));
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    throw new UserError(`--queue ${url}: no Redis server answers (${(first ?? (e as Error)).message})`);
  } finally {
    r.disconnect();
  }
}

export interface QueueJobData {
  key: string;
  id: string;
  spec: JobSpec;
}

function isEntry(v: unknown, key: string): v is JobEntry {
  return typeof v === 'object' && v !== null && (v as JobEntry).format === 'trgen-dse-job' && (v as JobEntry).key === key;
}

/**
 * Submit the missing jobs and wait for all of them. Each result is written to the cache once, as it arrives.
 * Returns the jobs that failed for good (every attempt threw).
 */
export async function runQueued(jobs: readonly Pending[], cache: ResultCache, url: string, o: Omit<PoolOptions, 'synth' | 'concurrency'> & { pollMs?: number } = {}): Promise<{ failed: { id: string; key: string; error: string }[] }> {
  const addr = parseRedisUrl(url);
  await checkRedis(addr, url);
  const queue = new Queue<QueueJobData, JobEntry>(QUEUE_NAME, { connection: connection(addr) });
  queue.on('error', () => undefined);
  const t0 = performance.now();
  const todo = jobs.filter((j) => !cache.get(j.key));
  const pending = new Map(todo.map((j) => [j.key, j]));
  const failed: { id: string; key: string; error: string }[] = [];
  const times: number[] = [];
  let running = 0;
  const progress = (event: string): void => {
    const left = pending.size;
    o.onProgress?.(
      { total: jobs.length, cached: jobs.length - todo.length, done: times.length, running, failed: failed.length, elapsed: (performance.now() - t0) / 1000, eta: estimate(left - running, times, Math.max(1, running)) },
      event,
    );
  };
  try {
    for (const j of todo) {
      const old = await Job.fromId<QueueJobData, JobEntry>(queue, j.key);
      if (old && (await old.getState()) === 'failed') await old.retry('failed');
      else if (!old) await queue.add('synth', { key: j.key, id: j.id, spec: j.spec }, { ...JOB_OPTIONS, jobId: j.key });
    }
    progress(`queued ${todo.length} jobs on ${url}`);
    let lastLine = '';
    while (pending.size > 0) {
      if (o.signal?.aborted) break;
      let active = 0;
      for (const [key, j] of [...pending]) {
        const job = await Job.fromId<QueueJobData, JobEntry>(queue, key);
        if (!job) {
          // removed from Redis behind our back: queue it again
          await queue.add('synth', { key, id: j.id, spec: j.spec }, { ...JOB_OPTIONS, jobId: key });
          continue;
        }
        const state = await job.getState();
        if (state === 'completed') {
          pending.delete(key);
          if (!isEntry(job.returnvalue, key)) {
            failed.push({ id: j.id, key, error: 'the worker returned no result' });
            continue;
          }
          const e = job.returnvalue;
          cache.put(e);
          times.push(e.run.seconds);
          progress(`done ${j.id} on ${e.run.worker} (${outcomeText(e.outcome)}, ${e.run.seconds} s)`);
        } else if (state === 'failed') {
          pending.delete(key);
          failed.push({ id: j.id, key, error: job.failedReason || 'failed' });
          progress(`FAILED ${j.id}: ${job.failedReason}`);
        } else if (state === 'active') active++;
      }
      running = active;
      const counts = `${times.length}/${todo.length} ${running} ${failed.length}`;
      if (counts !== lastLine) {
        lastLine = counts;
        progress('poll');
      }
      if (pending.size > 0) await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
    }
  } finally {
    await queue.close();
  }
  return { failed };
}

export interface WorkerOptions {
  url: string;
  concurrency: number;
  /** job lock duration: a dead worker's job is retried elsewhere this long after it stopped renewing */
  lockMs: number;
  log: (s: string) => void;
  signal?: AbortSignal;
  /** stop a job after this many seconds (it throws, so BullMQ retries it and then reports it failed) */
  jobTimeoutS?: number;
}

/** Take jobs from the queue until aborted. */
export async function runQueueWorker(o: WorkerOptions): Promise<void> {
  const addr = parseRedisUrl(o.url);
  await checkRedis(addr, o.url);
  let slot = 0;
  const w = new Worker<QueueJobData, JobEntry>(
    QUEUE_NAME,
    async (job) => {
      const me = workerName(`w${slot++ % o.concurrency}`);
      o.log(`start ${job.data.id} (${job.data.key.slice(0, 12)}, attempt ${job.attemptsMade + 1})`);
      const limit = withTimeLimit(undefined, o.jobTimeoutS);
      let e: JobEntry;
      try {
        e = await runJob(job.data.spec, { worker: me, expectKey: job.data.key, ...(limit.signal ? { signal: limit.signal } : {}) });
      } finally {
        limit.clear();
      }
      o.log(`done ${job.data.id}: ${outcomeText(e.outcome)} (${e.run.seconds} s)`);
      return e;
    },
    { connection: connection(addr), concurrency: o.concurrency, lockDuration: o.lockMs, stalledInterval: Math.max(1000, Math.round(o.lockMs / 2)), maxStalledCount: 5 },
  );
  w.on('error', (e) => o.log(`redis: ${e.message}`));
  w.on('failed', (job, e) => o.log(`FAILED ${job?.data.id ?? '?'}: ${e.message.split('\n')[0]}`));
  o.log(`worker ${workerName('*')} on ${o.url}, ${o.concurrency} at a time, lock ${o.lockMs} ms`);
  await new Promise<void>((resolve) => {
    if (o.signal?.aborted) resolve();
    o.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  await w.close(true);
}
