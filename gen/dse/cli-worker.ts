/**
 * npm run dse:worker -- --queue redis://HOST:PORT [--jobs N] [--lock-ms MS]
 *
 * Takes sweep jobs from the BullMQ queue that `npm run dse -- --queue URL` fills (gen/dse/queue.ts), runs them
 * with this machine's tools and returns the results, until stopped (Ctrl-C / SIGTERM: the running jobs are
 * abandoned, and their locks expire so that another worker takes them).
 */
import { UserError, intOption, parseArgs, runCli } from '../cli-util.ts';
import { defaultConcurrency } from './pool.ts';
import { parseRedisUrl, runQueueWorker } from './queue.ts';

const USAGE = 'usage: npm run dse:worker -- --queue redis://HOST:PORT [--jobs N] [--lock-ms MS] [--job-timeout S]';
const SPEC = {
  queue: { type: 'string', help: 'the Redis of the sweep queue' },
  jobs: { type: 'string', help: 'jobs at a time (default: the machine\'s available parallelism)' },
  'lock-ms': { type: 'string', help: 'job lock: a job of a dead worker goes to another after this long', default: '30000' },
  'job-timeout': { type: 'string', help: 'stop a job after this many seconds (it is retried, then reported failed; default: no limit)' },
} as const;

if (import.meta.url === `file://${process.argv[1]}`) runCli(async () => {
  const args = parseArgs(process.argv.slice(2), SPEC, USAGE);
  if (typeof args['queue'] !== 'string') throw new UserError('give the queue: --queue redis://HOST:PORT (usage: --help)');
  parseRedisUrl(args['queue']);
  const concurrency = intOption(args, 'jobs', 1, 256) ?? defaultConcurrency();
  const lockMs = intOption(args, 'lock-ms', 2000, 3_600_000) as number;
  const jobTimeoutS = intOption(args, 'job-timeout', 1, 86_400);
  const ac = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => ac.abort());
  const log = (s: string): void => void process.stdout.write(`${new Date().toISOString()} ${s}\n`);
  await runQueueWorker({ url: args['queue'], concurrency, lockMs, log, signal: ac.signal, ...(jobTimeoutS !== undefined ? { jobTimeoutS } : {}) });
  log('worker stopped');
});
