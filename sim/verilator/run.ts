/**
 * Run jobs on the Verilator-simulated RTL of a design and compare against the golden model.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrConfig } from '../../gen/config.ts';
import { buildDesign } from '../../gen/design.ts';
import { type Job, type OutItem, type Schedule, type Streams, assemble, buildStreams, itemsPerTile, modelJob, schedule, unpackOutItem } from '../driver/driver.ts';
import { stimulusLines } from './stimulus.ts';
import { type RunEnd, buildTrSimulator, runSimulator } from './verilator.ts';


export interface SimOptions {
  /** withhold valid at random on every input stream with this probability (percent) */
  stallPct?: number;
  stallSeed?: number;
  /** keep the stimulus/output files in this directory */
  workDir?: string;
  /** share repeated weight/data beat sequences in the stimulus (large layers) */
  blocks?: boolean;
  /** write a VCD of the whole run here (builds the simulator with tracing) */
  vcd?: string;
  /** test hook: change the streams before they are written (e.g. an illegal descriptor field) */
  editStreams?: (s: Streams) => void;
}

export interface SimResult {
  /** per job: hardware N×M accumulators and outputs */
  hw: { acc: number[][]; y: number[][] }[];
  /** per job: golden model */
  model: ReturnType<typeof modelJob>[];
  items: OutItem[];
  end: RunEnd;
  schedule: Schedule;
  streams: Streams;
}

/** Simulate a sequence of jobs in one continuous run of the RTL. */
export async function simulateJobs(cfg: TrConfig, jobs: readonly Job[], opts: SimOptions = {}): Promise<SimResult> {
  const design = buildDesign(cfg);
  const d = design.derived;
  const sim = await buildTrSimulator(design, { trace: opts.vcd !== undefined });
  const streams = buildStreams(cfg, jobs, { blocks: opts.blocks ?? false });
  opts.editStreams?.(streams);
  const dir = opts.workDir ?? mkdtempSync(join(tmpdir(), 'trgen-sim-'));
  mkdirSync(dir, { recursive: true });
  try {
    const stim = join(dir, 'stimulus.jsonl');
    const outPath = join(dir, 'output.jsonl');
    writeFileSync(stim, stimulusLines(d, streams).join('\n') + '\n');
    const expectRows = streams.tiles.length * itemsPerTile(d);
    const sched = schedule(cfg, streams.tiles);
    const { rows: raw, end } = await runSimulator(sim, stim, outPath, {
      expectRows,
      ...(opts.vcd !== undefined ? { vcd: opts.vcd } : {}),
      maxCycles: Math.max(10_000, sched.totalCycles * (opts.stallPct ? 20 : 2) + 1000),
      ...(opts.stallPct ? { stallPct: opts.stallPct, stallSeed: opts.stallSeed ?? 1 } : {}),
    });
    const items = raw.map((r) => unpackOutItem(d, r.cyc, r.ports));
    return {
      hw: assemble(cfg, jobs, streams, items),
      model: jobs.map((j) => modelJob(cfg, j)),
      items,
      end,
      schedule: sched,
      streams,
    };
  } finally {
    if (!opts.workDir) rmSync(dir, { recursive: true, force: true });
  }
}
