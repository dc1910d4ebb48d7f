/**
 * Wall time of one sweep with 1 and 2 local workers and with 1 and 2 queue workers on this machine, each from
 * an empty cache (and an empty queue): `npx tsx scripts/dse-scaling.ts [--space FILE]` (default: the slow
 * test's 12-point sweep, test/fixtures/dse/tiny-12.json). Needs redis-server (scripts/setup.sh installs it);
 * one is started on a loopback port for the queue runs. Prints a Markdown table.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const i = process.argv.indexOf('--space');
const space = i > 0 ? resolve(process.argv[i + 1] as string) : join(ROOT, 'test/fixtures/dse/tiny-12.json');
const tmp = mkdtempSync(join(tmpdir(), 'trgen-dse-scaling-'));
const port = 21000 + (process.pid % 10000);
const url = `redis://127.0.0.1:${port}`;
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (p: ChildProcess): Promise<number> => new Promise((res) => p.once('exit', (c) => res(c ?? -1)));

async function run(label: string, workers: number, queue: boolean): Promise<{ label: string; seconds: number; canonical: string }> {
  const dir = join(tmp, label.replace(/\W+/g, '-'));
  spawnSync('redis-cli', ['-p', String(port), 'flushall']);
  const ws: ChildProcess[] = [];
  const t0 = performance.now();
  if (queue) for (let w = 0; w < workers; w++) ws.push(spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'gen/dse/cli-worker.ts'), '--queue', url, '--jobs', '1'], { cwd: ROOT, stdio: 'ignore' }));
  const args = ['--space', space, '--cache', join(dir, 'cache'), '--out', join(dir, 'out'), ...(queue ? ['--queue', url] : ['--jobs', String(workers)])];
  const sub = spawn(TSX, [join(ROOT, 'gen/dse/cli-dse.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await exited(sub);
  const seconds = (performance.now() - t0) / 1000;
  for (const w of ws) w.kill('SIGTERM');
  await Promise.all(ws.map(exited));
  if (code !== 0) throw new Error(`${label}: npm run dse exited with ${code}`);
  const r = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8')) as Record<string, unknown>;
  delete r['timings'];
  return { label, seconds, canonical: JSON.stringify(r) };
}

try {
  await sleep(300);
  const rows: { label: string; seconds: number; canonical: string }[] = [];
  for (const [label, n, q] of [['local pool, 1 at a time', 1, false], ['local pool, 2 at a time', 2, false], ['queue, 1 worker', 1, true], ['queue, 2 workers', 2, true]] as const) {
    rows.push(await run(label, n, q));
  }
  const same = rows.every((r) => r.canonical === rows[0]?.canonical);
  const base = rows[0]?.seconds ?? 1;
  console.log(`sweep ${space}\n\n| runner | wall time | speed-up vs local 1 |\n|---|---:|---:|`);
  for (const r of rows) console.log(`| ${r.label} | ${r.seconds.toFixed(0)} s | ${(base / r.seconds).toFixed(2)}× |`);
  console.log(`\nresults.json (without timings) identical across the four runs: ${same ? 'yes' : 'NO'}`);
  if (!same) process.exitCode = 1;
} finally {
  redis.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
