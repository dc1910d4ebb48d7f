/**
 * npm run model -- --vectors FILE [--out FILE]
 *   Evaluate the golden model on a reference-vector file; report per case, compare with the expectations the
 *   file holds (exit 1 on a difference), and optionally write the file with expectations filled in.
 * npm run model -- --random --preset NAME|--config FILE --seed N [--cases N] [--modes M] [--K LO..HI] [--g LO..HI]
 *                  [--k LO..HI] [--d LO..HI] [--extremes] --out FILE
 *   Write a random reference-vector file (reproducible from the seed) with golden-model expectations.
 * npm run model -- --edge --preset NAME|--config FILE --out FILE
 *   Write the design's edge cases (extreme values, K = maxK and 1, largest and smallest k and d, saturating
 *   output stage) with golden-model expectations.
 */
import { writeFileSync } from 'node:fs';
import { UserError, checkOut, parseArgs, runCli } from '../gen/cli-util.ts';
import { compareMatrices, formatMismatches } from './driver/compare.ts';
import { buildStreams, modelJob, schedule } from './driver/driver.ts';
import { MODE_MIXES, type ModeMix, type RandomVectorOptions, type VectorFile, edgeVectors, formatVectors, loadVectors, parseVectors, randomVectors, withExpected } from './driver/vectors.ts';
import type { ParsedArgs } from '../gen/cli-util.ts';
import { readFileSync } from 'node:fs';

const USAGE =
  'usage: npm run model -- --vectors FILE [--out FILE]\n       npm run model -- --random (--preset NAME | --config FILE) --seed N [--cases N] [--modes alternate|conventional|tr|random] [--K LO..HI] [--g LO..HI] [--k LO..HI] [--d LO..HI] [--extremes] --out FILE\n       npm run model -- --edge (--preset NAME | --config FILE) --out FILE';

runCli(() => {
  const args = parseArgs(process.argv.slice(2), {
    vectors: { type: 'string', help: 'reference-vector file to evaluate' },
    out: { type: 'string', help: 'write the vector file with golden-model expectations here' },
    random: { type: 'boolean', help: 'generate a random vector file instead' },
    preset: { type: 'string', help: 'design preset for --random' },
    config: { type: 'string', help: 'design config file for --random' },
    seed: { type: 'string', help: 'seed for --random' },
    cases: { type: 'string', help: 'number of cases for --random', default: '6' },
    modes: { type: 'string', help: 'modes of the random cases: alternate, conventional, tr or random', default: 'alternate' },
    K: { type: 'string', help: 'range of the dot-product length K, LO..HI (default 1..3·groupMax)' },
    g: { type: 'string', help: 'range of the group size g, LO..HI (clipped to the design)' },
    k: { type: 'string', help: 'range of the weight budget k, LO..HI (clipped to the design)' },
    d: { type: 'string', help: 'range of the data cap d, LO..HI (clipped to the design)' },
    extremes: { type: 'boolean', help: 'random cases with the output stage at its extremes (largest bias, multiplier, shift)' },
    edge: { type: 'boolean', help: 'write the design\'s edge cases instead' },
  }, USAGE);
  if (args['random'] && args['edge']) throw new UserError('--random and --edge exclude each other');
  if (args['edge']) {
    const out = outFile(args, '--edge');
    const g = writeGenerated(out, edgeVectors(configInput(args)));
    process.stdout.write(`wrote ${g.cases} edge cases for ${g.design} to ${out}\n`);
    return;
  }
  if (args['random']) {
    const out = outFile(args, '--random');
    if (typeof args['seed'] !== 'string' || !/^\d+$/.test(args['seed'])) throw new UserError('--random needs --seed <non-negative integer>');
    const cfgInput = configInput(args);
    const n = Number(args['cases']);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UserError('--cases must be an integer 1..1000');
    const modes = String(args['modes']);
    if (!(MODE_MIXES as readonly string[]).includes(modes)) throw new UserError(`--modes: expected ${MODE_MIXES.join(', ')}, got ${JSON.stringify(modes)}`);
    const K = range(args, 'K');
    const opts: RandomVectorOptions = { cases: n, modes: modes as ModeMix, ...(args['extremes'] ? { extremes: true } : {}) };
    if (K) Object.assign(opts, { minK: K[0], maxK: K[1] });
    for (const f of ['g', 'k', 'd'] as const) {
      const r = range(args, f);
      if (r) opts[f] = r;
    }
    const g = writeGenerated(out, randomVectors(cfgInput, Number(args['seed']), opts));
    process.stdout.write(`wrote ${n} random cases (seed ${args['seed']}) for ${g.design} to ${out}\n`);
    return;
  }
  if (typeof args['vectors'] !== 'string') throw new UserError(`--vectors FILE is required (usage: --help)`);
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

/** The design of --random / --edge: --config FILE or --preset NAME (default preset "default"). */
function configInput(args: ParsedArgs): Record<string, unknown> {
  if (typeof args['config'] === 'string') {
    try {
      return JSON.parse(readFileSync(args['config'], 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new UserError(`cannot read config ${args['config']}: ${(e as Error).message}`);
    }
  }
  return { preset: typeof args['preset'] === 'string' ? args['preset'] : 'default' };
}

/** An integer range option LO..HI (1 ≤ LO ≤ HI). */
function range(args: ParsedArgs, name: string): [number, number] | undefined {
  const v = args[name];
  if (v === undefined) return undefined;
  const m = /^(\d+)\.\.(\d+)$/.exec(String(v));
  if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new UserError(`--${name}: expected a range LO..HI with 1 <= LO <= HI, got ${JSON.stringify(v)}`);
  return [Number(m[1]), Number(m[2])];
}

/** The --out FILE a generator mode needs, checked before any work. */
function outFile(args: ParsedArgs, mode: string): string {
  if (typeof args['out'] !== 'string') throw new UserError(`${mode} needs --out FILE (usage: --help)`);
  return checkOut(args['out'], 'file');
}

/** Validate a generated file, fill in the golden-model expectations and write it. */
function writeGenerated(out: string, file: VectorFile): { cases: number; design: string } {
  const { cfg, jobs } = parseVectors(JSON.stringify(file), 'generated vectors');
  writeFileSync(out, formatVectors(withExpected(file, cfg, jobs)));
  return { cases: jobs.length, design: cfg.name };
}
