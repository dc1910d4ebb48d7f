/**
 * npm run model -- --vectors FILE [--out FILE]
 *   Evaluate the golden model on a reference-vector file; report per case, compare with the expectations the
 *   file holds (exit 1 on a difference), and optionally write the file with expectations filled in.
 * npm run model -- --random --preset NAME|--config FILE --seed N [--cases N] --out FILE
 *   Write a random reference-vector file (reproducible from the seed) with golden-model expectations.
 */
import { writeFileSync } from 'node:fs';
import { UserError, checkOut, parseArgs, runCli } from '../gen/cli-util.ts';
import { compareMatrices, formatMismatches } from './driver/compare.ts';
import { buildStreams, modelJob, schedule } from './driver/driver.ts';
import { formatVectors, loadVectors, parseVectors, randomVectors, withExpected } from './driver/vectors.ts';
import { readFileSync } from 'node:fs';

const USAGE = 'usage: npm run model -- --vectors FILE [--out FILE]\n       npm run model -- --random (--preset NAME | --config FILE) --seed N [--cases N] --out FILE';

runCli(() => {
  const args = parseArgs(process.argv.slice(2), {
    vectors: { type: 'string', help: 'reference-vector file to evaluate' },
    out: { type: 'string', help: 'write the vector file with golden-model expectations here' },
    random: { type: 'boolean', help: 'generate a random vector file instead' },
    preset: { type: 'string', help: 'design preset for --random' },
    config: { type: 'string', help: 'design config file for --random' },
    seed: { type: 'string', help: 'seed for --random' },
    cases: { type: 'string', help: 'number of cases for --random', default: '6' },
  }, USAGE);
  if (args['random']) {
    if (typeof args['out'] !== 'string') throw new UserError(`--random needs --out FILE\n${USAGE}`);
    checkOut(args['out'], 'file');
    if (typeof args['seed'] !== 'string' || !/^\d+$/.test(args['seed'])) throw new UserError('--random needs --seed <non-negative integer>');
    let cfgInput: Record<string, unknown>;
    if (typeof args['config'] === 'string') {
      try {
        cfgInput = JSON.parse(readFileSync(args['config'], 'utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new UserError(`cannot read config ${args['config']}: ${(e as Error).message}`);
      }
    } else cfgInput = { preset: typeof args['preset'] === 'string' ? args['preset'] : 'default' };
    const n = Number(args['cases']);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UserError('--cases must be an integer 1..1000');
    const file = randomVectors(cfgInput, Number(args['seed']), { cases: n });
    const { cfg, jobs } = parseVectors(JSON.stringify(file), 'generated vectors');
    writeFileSync(args['out'], formatVectors(withExpected(file, cfg, jobs)));
    process.stdout.write(`wrote ${n} random cases (seed ${args['seed']}) for ${cfg.name} to ${args['out']}\n`);
    return;
  }
  if (typeof args['vectors'] !== 'string') throw new UserError(`--vectors FILE is required\n${USAGE}`);
  if (typeof args['out'] === 'string') checkOut(args['out'], 'file');
  const { file, cfg, jobs } = loadVectors(args['vectors']);
  const mism = [];
  const lines = [`golden model: ${file.cases.length} case(s) for design ${cfg.name} (${cfg.rows}x${cfg.cols}, w${cfg.wBits}/x${cfg.xBits})`];
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i]!;
    const c = file.cases[i]!;
    const r = modelJob(cfg, job);
    const K = job.W[0]!.length;
    lines.push(`  ${c.name.padEnd(20)} ${job.control.mode.padEnd(12)} g=${job.control.g} k=${job.control.k} d=${job.control.d}  M=${job.W.length} N=${job.X.length} K=${K}  term pairs ${r.termPairs} (${(r.termPairs / (job.W.length * job.X.length * K)).toFixed(2)}/MAC)`);
    if (c.expected) {
      mism.push(...compareMatrices(c.name, 'acc', c.expected.acc, r.acc), ...compareMatrices(c.name, 'y', c.expected.y, r.y));
      if (c.expected.termPairs !== undefined && c.expected.termPairs !== r.termPairs) {
        lines.push(`  ${c.name}: term pairs differ: expected ${c.expected.termPairs}, model ${r.termPairs}`);
        process.exitCode = 1;
      }
    }
  }
  const s = schedule(cfg, buildStreams(cfg, jobs).tiles);
  lines.push(`  schedule: ${s.workCycles} work cycles, ${s.totalCycles} cycles to the last result row`);
  if (file.expectedSchedule && file.expectedSchedule.totalCycles !== s.totalCycles) {
    lines.push(`  schedule differs from the file: expected ${file.expectedSchedule.totalCycles} cycles, model ${s.totalCycles}`);
    process.exitCode = 1;
  }
  if (file.cases.some((c) => c.expected)) lines.push(`  vs. expectations in the file: ${formatMismatches(mism)}`);
  process.stdout.write(lines.join('\n') + '\n');
  if (mism.length) process.exitCode = 1;
  if (typeof args['out'] === 'string') {
    writeFileSync(args['out'], formatVectors(withExpected(file, cfg, jobs)));
    process.stdout.write(`wrote ${args['out']}\n`);
  }
});
