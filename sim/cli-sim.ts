/**
 * npm run sim -- --vectors FILE [--out FILE] [--vcd FILE] [--stall-pct P] [--seed S]
 * Generate the design of a reference-vector file, run all its cases on the Verilator-simulated RTL in one
 * continuous stream, and report every output that differs from the file's expectations (or, where the file
 * has none, from the golden model) plus the measured vs scheduled cycles; the first wrong result in time is
 * located as (tile, row, column, cycle) so it can be found in the VCD that --vcd writes. Exit 1 on any mismatch.
 */
import { writeFileSync } from 'node:fs';
import { UserError, checkOut, parseArgs, runCli } from '../gen/cli-util.ts';
import { compareMatrices, formatMismatches, type Mismatch } from './driver/compare.ts';
import { locateResult } from './driver/driver.ts';
import { type SimResult, simulateJobs } from './verilator/run.ts';
import type { TrConfig } from '../gen/config.ts';
import { requireVerilator } from './verilator/verilator.ts';
import { loadVectors } from './driver/vectors.ts';

const USAGE = 'usage: npm run sim -- --vectors FILE [--out FILE] [--vcd FILE] [--stall-pct P --seed S]';

runCli(async () => {
  const args = parseArgs(process.argv.slice(2), {
    vectors: { type: 'string', help: 'reference-vector file' },
    out: { type: 'string', help: 'write RTL outputs and the comparison as JSON' },
    vcd: { type: 'string', help: 'write a waveform (VCD) of the whole run; builds the simulator with tracing' },
    'stall-pct': { type: 'string', help: 'withhold input valid at random (percent of cycles) to test back-pressure', default: '0' },
    seed: { type: 'string', help: 'seed of the stall pattern', default: '1' },
  }, USAGE);
  if (typeof args['vectors'] !== 'string') throw new UserError(`--vectors FILE is required (usage: --help)`);
  const stallPct = Number(args['stall-pct']);
  if (!Number.isInteger(stallPct) || stallPct < 0 || stallPct > 90) throw new UserError('--stall-pct must be an integer 0..90');
  const seed = Number(args['seed']);
  if (!Number.isInteger(seed) || seed < 0) throw new UserError('--seed must be a non-negative integer');
  if (typeof args['out'] === 'string') checkOut(args['out'], 'file');
  const vcd = typeof args['vcd'] === 'string' ? checkOut(args['vcd'], 'file', '--vcd') : undefined;
  const { file, cfg, jobs } = loadVectors(args['vectors']);
  requireVerilator();
  process.stderr.write(`building and running ${cfg.name} (${jobs.length} cases) in Verilator...\n`);
  const r = await simulateJobs(cfg, jobs, { ...(stallPct ? { stallPct, stallSeed: seed } : {}), ...(vcd ? { vcd } : {}) });
  const mism: Mismatch[] = [];
  const lines: string[] = [];
  jobs.forEach((j, i) => {
    const c = file.cases[i]!;
    const exp = c.expected ?? r.model[i]!;
    const hw = r.hw[i]!;
    const ms = [...compareMatrices(c.name, 'acc', exp.acc, hw.acc), ...compareMatrices(c.name, 'y', exp.y, hw.y)];
    mism.push(...ms);
    lines.push(`  ${c.name.padEnd(20)} ${j.control.mode.padEnd(12)} ${j.X.length}x${j.W.length} outputs: ${ms.length ? `${ms.length} ${ms.length === 1 ? 'MISMATCH' : 'MISMATCHES'}` : 'all equal'}${c.expected ? '' : ' (vs model; file has no expectations)'}`);
  });
  const sched = r.schedule.totalCycles;
  const cyclesOk = stallPct > 0 || r.end.cycles === sched;
  lines.push(`  cycles: measured ${r.end.cycles}, schedule ${sched}${stallPct ? ` (stalls injected: ${r.end.stalls} withheld beats)` : cyclesOk ? ' (equal)' : ' (DIFFERENT)'}; work cycles ${r.end.work} (schedule ${r.schedule.workCycles})`);
  if (r.end.err) lines.push('  the array raised its error flag (a descriptor had an illegal field)');
  const first = firstWrong(cfg, r, mism, file.cases.map((c) => c.name));
  if (first) lines.push(first);
  if (vcd) lines.push(`  waveform: ${vcd} (cycle c of the run is VCD time ${VCD_T0} + 2·c, clock low, outputs of cycle c visible)`);
  process.stdout.write(`RTL vs expected for ${args['vectors']}:\n${lines.join('\n')}\n${formatMismatches(mism)}\n`);
  if (typeof args['out'] === 'string') {
    writeFileSync(args['out'], JSON.stringify({
      vectors: args['vectors'],
      design: cfg.name,
      cycles: r.end.cycles,
      scheduleCycles: sched,
      workCycles: r.end.work,
      cases: jobs.map((_, i) => ({ name: file.cases[i]!.name, acc: r.hw[i]!.acc, y: r.hw[i]!.y })),
      mismatches: mism,
    }, null, 1) + '\n');
  }
  if (mism.length || !cyclesOk || r.end.err || r.end.work !== r.schedule.workCycles) process.exitCode = 1;
});

/** VCD time of cycle 0 (the harness dumps 8 reset half-cycles, then two per cycle). */
const VCD_T0 = 8;

/** The earliest wrong result in the run, located in the stream: case, vector, channel, tile, row, column, cycle. */
function firstWrong(cfg: TrConfig, r: SimResult, mism: readonly Mismatch[], names: readonly string[]): string | null {
  let best: { m: Mismatch; tile: number; row: number; col: number; cycle: number } | null = null;
  for (const m of mism) {
    const job = names.indexOf(m.job);
    const at = locateResult(cfg, r.streams, job, m.n, m.m);
    const cycle = at ? r.items[at.item]?.cycle : undefined;
    if (!at || cycle === undefined) continue;
    if (!best || cycle < best.cycle) best = { m, tile: at.tile, row: at.row, col: at.col, cycle };
  }
  if (!best) return null;
  const { m } = best;
  return `  first wrong result: case ${m.job} ${m.what} vector ${m.n} channel ${m.m} = tile ${best.tile}, row ${best.row}, column ${best.col}, left the array at cycle ${best.cycle} (VCD time ${VCD_T0 + 2 * best.cycle}): expected ${m.expected}, actual ${m.actual}`;
}
