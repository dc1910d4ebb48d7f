/**
 * npm run synth -- (--config FILE | --preset NAME) --board icebreaker|hx8k [--out DIR] [--seed N] [--freq MHZ]
 *                  [--dsp on|off] [--router router1|router2] [--placer heap|sa] [--tmg-ripup] [--core] [--readback all|results]
 *                  [--require-timing] [--verbose]   (synth-job.ts USAGE, SYNTH_ARGS)
 *
 * Generates the board top (gen/board.ts: UART host protocol + on-chip RAMs around the array; or with --core the
 * bare array in the bench wrapper), runs yosys → nextpnr-ice40 → icepack (gen/synth/flow.ts, tools on
 * worker threads) with a fixed seed and an explicit clock constraint, and writes, atomically, into DIR:
 * <top>.bin, <top>.asc, report.json, report.md, the board .pcf, src/ (Verilog + yosys script), logs/.
 *
 * Exit status: 0 success (also when timing is not met: a WARNING is printed and report.json says
 * timingMet: false), 3 timing not met with --require-timing (everything is still written), 2 user error (bad
 * option / config / board, the design does not fit or has too many I/O, any tool failure; nothing is written),
 * 1 internal error.
 */
import { existsSync, statSync } from 'node:fs';
import { configFromArgs } from '../cli.ts';
import { UserError, parseArgs, runCli, writeFilesAtomic } from '../cli-util.ts';
import { type Stage, synthesize } from './flow.ts';
import { SYNTH_ARGS, USAGE, commandLine, defaultOutDir, outputFiles, summaryLine, synthOptions, synthTarget } from './synth-job.ts';

const STAGE_TEXT: Record<Stage, string> = {
  yosys: 'synthesis (yosys synth_ice40)',
  nextpnr: 'place & route (nextpnr-ice40)',
  icepack: 'bitstream (icepack)',
};

/** Progress on stderr: a line per stage and a heartbeat with the tool's latest log line. Line-based (no \r), so logs stay readable. */
class Progress {
  private readonly t0 = performance.now();
  private stage: Stage | undefined;
  private stageT0 = 0;
  private last = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly verbose: boolean, heartbeatSeconds: number) {
    this.timer = setInterval(() => this.heartbeat(), heartbeatSeconds * 1000);
    this.timer.unref();
  }

  private stamp(): string {
    return `[${((performance.now() - this.t0) / 1000).toFixed(1).padStart(6)} s]`;
  }

  say(msg: string): void {
    process.stderr.write(`synth ${this.stamp()} ${msg}\n`);
  }

  on = (stage: Stage, line?: string): void => {
    if (line === undefined) {
      if (this.stage) this.say(`${this.stage} done in ${((performance.now() - this.stageT0) / 1000).toFixed(1)} s`);
      this.stage = stage;
      this.stageT0 = performance.now();
      this.last = '';
      this.say(`${STAGE_TEXT[stage]} ...`);
      return;
    }
    const t = line.trim();
    if (this.verbose) process.stderr.write(`  ${stage}| ${line}\n`);
    if (t !== '' && !/^(Info:\s+(\[\s*-?\d+,|legend|\+ represents)|<suppressed)/.test(t)) this.last = t;
  };

  private heartbeat(): void {
    if (!this.stage) return;
    const s = ((performance.now() - this.stageT0) / 1000).toFixed(0);
    const last = this.last.length > 100 ? `${this.last.slice(0, 97)}...` : this.last;
    this.say(`${this.stage} running for ${s} s${last ? ` | ${last}` : ''}`);
  }

  finish(): void {
    if (this.stage) this.say(`${this.stage} done in ${((performance.now() - this.stageT0) / 1000).toFixed(1)} s`);
    this.stop();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) runCli(async () => {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv, SYNTH_ARGS, USAGE);
  const opts = synthOptions(args);
  const cfg = configFromArgs(args);
  const target = synthTarget(cfg, opts.board, opts.target, opts.readback);
  const out = opts.out ?? defaultOutDir(cfg, opts.board, opts.target);
  // fail before the (minutes-long) tool run if the output cannot be a directory
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UserError(`--out: ${out} exists and is not a directory`);
  const b = opts.board;
  const progress = new Progress(opts.verbose, process.stderr.isTTY ? 10 : 30);
  progress.say(
    `${target.top} (${cfg.name}: ${cfg.rows}x${cfg.cols}, w${cfg.wBits}/x${cfg.xBits}, G ${cfg.groupMax}) on ${b.id} (${b.part}), ` +
      `${opts.freqMHz} MHz constraint, seed ${opts.seed}, ${Object.keys(target.files).length} Verilog files`,
  );
  let r;
  try {
    r = await synthesize({
      files: target.files,
      top: target.top,
      board: b.id,
      freqMHz: opts.freqMHz,
      seed: opts.seed,
      router: opts.router,
      placer: opts.placer,
      tmgRipup: opts.tmgRipup,
      ...(opts.dsp !== undefined ? { dsp: opts.dsp } : {}),
      onProgress: progress.on,
    });
    progress.finish();
  } finally {
    progress.stop();
  }
  const { files, report } = outputFiles(target, r, commandLine(argv));
  try {
    writeFilesAtomic(out, files);
  } catch (e) {
    throw new UserError(`cannot write the results to ${out}/: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  process.stdout.write(
    `trgen synth: ${report.top} on ${b.id}: ${summaryLine(report)}\n` +
      `wrote ${Object.keys(files).length} files to ${out}/ (report.md, report.json, logs/, src/)\n` +
      (opts.target === 'board' ? `flash: iceprog ${out}/${report.top}.bin\n` : 'bench wrapper (--core): for measurements only, not a usable bitstream\n'),
  );
  if (!report.timingMet) {
    const slow = Object.entries(report.clocks).filter(([, c]) => c.fmaxMHz < c.constraintMHz).map(([n, c]) => `${n}: ${c.fmaxMHz} MHz < ${c.constraintMHz} MHz`);
    process.stderr.write(`WARNING: timing not met (${slow.join('; ')}); the design may misbehave at ${report.freqConstraintMHz} MHz. Try another --seed or a lower --freq.\n`);
    if (opts.requireTiming) process.exitCode = 3;
  }
});
