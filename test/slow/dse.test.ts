/**
 * Slow tier: `npm run dse` end to end with the real tools, on a 12-point sweep of tiny cores
 * (test/fixtures/dse/tiny-12.json: TR, bp and bs at 1×1 and 1×2 on the UP5K, seeds 1 and 2).
 *   1. the local pool (2 at a time) runs every point; a second run answers everything from the cache;
 *   2. the same sweep through a BullMQ queue on a real redis-server (started here on a loopback port), with two
 *      workers, one of them killed (SIGKILL) in the middle of its first job: every point is done exactly once,
 *      nothing is lost, and results.json is byte-identical to the local run's apart from the timings.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAME } from '../../gen/dse/queue.ts';
import { ROOT, runTs } from '../helpers.ts';

const SPACE = join(ROOT, 'test/fixtures/dse/tiny-12.json');
const tmp = mkdtempSync(join(tmpdir(), 'trgen-dse-slow-'));
const PORT = 20000 + (process.pid % 20000);
const URL = `redis://127.0.0.1:${PORT}`;
let redis: ChildProcess | undefined;
const procs: ChildProcess[] = [];

const canonical = (dir: string): string => {
  const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Record<string, unknown>;
  delete r['timings'];
  return JSON.stringify(r, null, 2);
};

function start(script: string, args: string[]): ChildProcess & { out: string[] } {
  // node itself (not the tsx wrapper, which runs the script in a child process), so that SIGKILL reaches it
  const p = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & { out: string[] };
  p.out = [];
  const lines = (d: Buffer, part: { s: string }) => {
    const all = (part.s + d.toString()).split('\n');
    part.s = all.pop() as string;
    p.out.push(...all.filter((l) => l));
  };
  const o = { s: '' };
  const e = { s: '' };
  p.stdout?.on('data', (d: Buffer) => lines(d, o));
  p.stderr?.on('data', (d: Buffer) => lines(d, e));
  procs.push(p);
  return p;
}

const exited = (p: ChildProcess): Promise<number> => new Promise((res) => (p.exitCode !== null ? res(p.exitCode) : p.once('exit', (c) => res(c ?? -1))));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const which = spawnSync('sh', ['-c', 'command -v redis-server']);
  if (which.status !== 0) throw new Error('redis-server is missing: run scripts/setup.sh (as root it installs the Debian package)');
  redis = spawn('redis-server', ['--port', String(PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    if (spawnSync('redis-cli', ['-p', String(PORT), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG') return;
    await sleep(100);
  }
  throw new Error(`redis-server did not start on port ${PORT}`);
});

afterAll(() => {
  for (const p of procs) p.kill('SIGKILL');
  redis?.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

describe('npm run dse with the real tools', () => {
  it('local pool: 12 points synthesized, then all from the cache; the queue with 2 workers (one killed mid-job) gives the same results.json', async () => {
    // 1. local pool
    const t0 = performance.now();
    const local = runTs('gen/dse/cli-dse.ts', ['--space', SPACE, '--cache', join(tmp, 'cache-local'), '--out', join(tmp, 'local'), '--jobs', '2'], { timeout: 900_000 });
    const localSeconds = (performance.now() - t0) / 1000;
    expect(local.code, local.stderr).toBe(0);
    expect(local.stdout).toContain('12 points: 12 synthesized, 0 did not fit or failed in the tools, 0 jobs failed');
    const again = runTs('gen/dse/cli-dse.ts', ['--space', SPACE, '--cache', join(tmp, 'cache-local'), '--out', join(tmp, 'local2')], { timeout: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('12/12 done (12 cached)');
    expect(canonical(join(tmp, 'local2'))).toBe(canonical(join(tmp, 'local')));

    // 2. queue: two workers, the first is killed in the middle of its first job
    const t1 = performance.now();
    const w1 = start('gen/dse/cli-worker.ts', ['--queue', URL, '--jobs', '1', '--lock-ms', '4000']);
    const w2 = start('gen/dse/cli-worker.ts', ['--queue', URL, '--jobs', '1', '--lock-ms', '4000']);
    const sub = start('gen/dse/cli-dse.ts', ['--space', SPACE, '--queue', URL, '--cache', join(tmp, 'cache-queue'), '--out', join(tmp, 'queue')]);
    let killedDuring = '';
    for (let i = 0; i < 600 && !killedDuring; i++) {
      const s = w1.out.find((l) => / start /.test(l));
      if (s) {
        await sleep(3000); // well inside a job of 10-25 s
        expect(w1.out.filter((l) => / done /.test(l))).toEqual([]);
        w1.kill('SIGKILL');
        killedDuring = s;
      } else await sleep(200);
    }
    expect(killedDuring).not.toBe('');
    const code = await exited(sub);
    const queueSeconds = (performance.now() - t1) / 1000;
    expect(code, sub.out.join('\n')).toBe(0);
    expect(sub.out.join('\n')).toContain('12 points: 12 synthesized, 0 did not fit or failed in the tools, 0 jobs failed');
    w2.kill('SIGTERM');
    await exited(w2);

    // every point completed exactly once; the killed worker's job stalled and was taken over
    const q = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: PORT } });
    const counts = await q.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed');
    const jobs = await q.getJobs(['completed']);
    await q.close();
    expect(counts).toEqual({ completed: 12, failed: 0, active: 0, wait: 0, delayed: 0 });
    expect(new Set(jobs.map((j) => j.id)).size).toBe(12);
    const killedId = /start (.*) \(/.exec(killedDuring)?.[1];
    const taken = jobs.find((j) => j.data.id === killedId);
    expect(taken, `job of '${killedDuring}'`).toBeDefined();
    // started by the killed worker, finished by the other one (after its lock expired)
    expect(w2.out.some((l) => l.includes(`start ${killedId} (`))).toBe(true);
    expect(w2.out.some((l) => l.includes(`done ${killedId}:`))).toBe(true);
    expect(w1.out.some((l) => l.includes(`done ${killedId}:`))).toBe(false);

    // the same results as the local run, byte for byte apart from the timings
    expect(canonical(join(tmp, 'queue'))).toBe(canonical(join(tmp, 'local')));
    console.log(`dse tiny-12: local pool (2 at a time) ${localSeconds.toFixed(0)} s; queue with 2 workers, one killed: ${queueSeconds.toFixed(0)} s`);
  }, 1_800_000);
});
