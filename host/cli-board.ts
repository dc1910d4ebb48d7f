/**
 * npm run board -- --port PATH (--config FILE | --preset NAME) [--vectors FILE | --mnist N] [--baud B]
 *                  [--timeout MS] [--out FILE]
 *
 * Talks to a board running the board top of the config (`npm run synth`, `npm run flash`) over its serial
 * port: PING and build check, then either the cases of a vector file or N MNIST test digits through the MLP
 * layer by layer (each layer's input is the board's output of the previous layer), every output compared
 * with the golden model. Without --vectors / --mnist it only checks the connection and the build.
 *
 * Exit codes: 0 every output equals the golden model; 1 mismatches, no answer, a link that keeps garbling
 * answers, or an error flag of the board; 2 bad input (before the port is opened) or a board running another
 * build. One `error:` line on stderr for every failure. --out writes a JSON report (temp file + rename),
 * also on failure, with the results read so far.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { UserError, checkOut, intOption, parseArgs, runCli } from '../gen/cli-util.ts';
import { loadConfigFile } from '../gen/cli.ts';
import { type TrConfig, derive, presetConfig } from '../gen/config.ts';
import { buildDesign } from '../gen/design.ts';
import { type Job, modelJob } from '../sim/driver/driver.ts';
import { loadVectors } from '../sim/driver/vectors.ts';
import { BoardSession, LinkError } from './session.ts';
import { openSerial, type Transport } from './serial.ts';
import { type MnistBoardSetup, loadMnistSetup, runMnistOnBoard } from './mnist.ts';

const USAGE = 'usage: npm run board -- --port PATH (--config FILE | --preset NAME) [--vectors FILE | --mnist N] [--baud B] [--timeout MS] [--out FILE]';

const SPEC = {
  port: { type: 'string', help: 'serial device of the board (e.g. /dev/ttyUSB1), or the pty of the simulated board' },
  config: { type: 'string', help: 'config file the board was built from' },
  preset: { type: 'string', help: 'preset the board was built from' },
  vectors: { type: 'string', help: 'run the cases of this reference-vector file' },
  mnist: { type: 'string', help: 'run this many MNIST test digits through the MLP (config: preset mnist)' },
  baud: { type: 'string', help: 'baud rate', default: '115200' },
  timeout: { type: 'string', help: 'ms without an answer byte before giving up', default: '3000' },
  out: { type: 'string', help: 'write a JSON report of the results to this file' },
} as const;

interface Report {
  generator: string;
  command: string;
  port: string;
  config: TrConfig;
  configHash: string;
  board: Record<string, unknown> | null;
  mode: 'ping' | 'vectors' | 'mnist';
  ok: boolean;
  error: string | null;
  summary: Record<string, unknown>;
  results: unknown;
}

function writeReport(path: string, r: Report): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, JSON.stringify(r, null, 1) + '\n');
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}

const kB = (n: number): string => (n >= 10240 ? `${(n / 1024).toFixed(1)} kB` : `${n} B`);

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), SPEC, USAGE);
  // ---- every input is checked before the port is opened
  const port = a['port'];
  if (typeof port !== 'string') throw new UserError(`--port is required: the board's serial device, e.g. /dev/ttyUSB1 (usage: --help)`);
  if ((a['config'] === undefined) === (a['preset'] === undefined)) throw new UserError('give exactly one of --config FILE or --preset NAME: the config the board was built from');
  if (a['vectors'] !== undefined && a['mnist'] !== undefined) throw new UserError('give at most one of --vectors and --mnist');
  const cfg = typeof a['config'] === 'string' ? loadConfigFile(a['config']) : presetConfig(a['preset'] as string);
  const baud = intOption(a, 'baud', 300, 12_000_000) as number;
  const timeoutMs = intOption(a, 'timeout', 1, 600_000) as number;
  const out = typeof a['out'] === 'string' ? checkOut(a['out'], 'file') : null;
  const hash = buildDesign(cfg).configHash;
  let jobs: Job[] | null = null;
  let caseNames: string[] = [];
  if (typeof a['vectors'] === 'string') {
    const v = loadVectors(a['vectors']);
    if (buildDesign(v.cfg).configHash !== hash) {
      throw new UserError(`--vectors ${a['vectors']}: the file is for config '${v.cfg.name}' (${v.cfg.rows}×${v.cfg.cols}, w${v.cfg.wBits}/x${v.cfg.xBits}), not the board's config '${cfg.name}' (${cfg.rows}×${cfg.cols}, w${cfg.wBits}/x${cfg.xBits})`);
    }
    jobs = v.jobs;
    caseNames = v.file.cases.map((c, i) => c.name ?? `case ${i}`);
  }
  let mnist: MnistBoardSetup | null = null;
  if (a['mnist'] !== undefined) mnist = loadMnistSetup(cfg, intOption(a, 'mnist', 1, 2004) as number);

  const report: Report = {
    generator: 'trgen host/cli-board.ts',
    command: `npm run board -- ${process.argv.slice(2).join(' ')}`,
    port,
    config: cfg,
    configHash: hash,
    board: null,
    mode: jobs ? 'vectors' : mnist ? 'mnist' : 'ping',
    ok: false,
    error: null,
    summary: {},
    results: null,
  };
  const progress = (m: string): void => void process.stderr.write(`board: ${m}\n`);
  let t: Transport | null = null;
  let session: BoardSession | null = null;
  const linkSummary = (): Record<string, unknown> => {
    if (!session) return {};
    const s = session.stats;
    const wall = (performance.now() - session.t0) / 1000;
    return { ...s, wallSeconds: wall, bytesPerSecond: (s.bytesSent + s.bytesReceived) / Math.max(wall, 1e-6) };
  };
  try {
    t = await openSerial(port, baud);
    session = new BoardSession(t, cfg, { timeoutMs, baud, progress });
    const info = await session.connect();
    report.board = { ...info };
    const d = derive(cfg);
    console.log(`board at ${port}: ${cfg.name} (config sha256 ${hash.slice(0, 8)}...), ${d.R}×${d.C} array, w${d.BW}/x${d.BX}; build: CLKS_PER_BIT ${info.clksPerBit}, RX FIFO ${session.map.rxFifoBytes} B, ${session.map.memories.map((m) => m.name.toUpperCase()).join('/')} depth ${session.map.memories.map((m) => m.depth).join('/')}${info.acc ? ', accumulators readable' : ''}`);
    let mismatches = 0;
    if (jobs) {
      const js = jobs;
      const models = js.map((j) => modelJob(cfg, j));
      const cases: { name: string; y: number[][] | null; acc: number[][] | null; mismatches: number | null }[] = js.map((_, i) => ({ name: caseNames[i] as string, y: null, acc: null, mismatches: null }));
      report.results = cases;
      let compared = 0;
      const examples: string[] = [];
      const results = await session.runJobs(js, 'vectors', models, (res, complete) => {
        complete.forEach((c, i) => {
          const row = cases[i] as (typeof cases)[number];
          if (c && row.y === null) Object.assign(row, { y: res[i]?.y, acc: res[i]?.acc ?? null });
        });
      });
      results.forEach((r, i) => {
        const m = models[i] as ReturnType<typeof modelJob>;
        let bad = 0;
        const cmp = (what: string, got: number[][], want: number[][]): void => {
          want.forEach((row, n) => row.forEach((v, ch) => {
            compared++;
            const g = got[n]?.[ch];
            if (g !== v) {
              bad++;
              if (examples.length < 8) examples.push(`case ${i} (${caseNames[i]}) ${what}[${n}][${ch}]: model ${v}, board ${g}`);
            }
          }));
        };
        cmp('y', r.y, m.y);
        if (r.acc) cmp('acc', r.acc, m.acc);
        (cases[i] as (typeof cases)[number]).mismatches = bad;
        mismatches += bad;
      });
      const s = session.stats;
      console.log(`vectors ${a['vectors'] as string}: ${js.length} cases in ${s.runs} run${s.runs === 1 ? '' : 's'}`);
      console.log(`outputs compared with the golden model: ${compared} (y${session.map.acc ? ' and acc' : ''}), mismatches: ${mismatches}`);
      for (const e of examples) console.log(`  mismatch: ${e}`);
      report.summary = { cases: js.length, outputs: compared, mismatches };
    } else if (mnist) {
      const r = await runMnistOnBoard(session, mnist, (partial) => (report.results = partial));
      report.results = r;
      mismatches = r.mismatches;
      console.log(`MNIST: ${r.images} test digits through ${r.layers.length} layers (${mnist.termsLabel}), chained through the board`);
      console.log(`outputs compared with the golden model and inferQ: ${r.outputsCompared}, mismatches: ${r.mismatches}`);
      for (const e of r.mismatchExamples) console.log(`  mismatch: ${e}`);
      console.log(`predictions: ${r.predictions.join(' ')} (labels ${r.labels.join(' ')}); accuracy ${(100 * r.accuracy).toFixed(1)} %; predictions = model: ${r.predictionsEqualModel ? 'yes' : 'NO'}`);
      report.summary = { images: r.images, outputs: r.outputsCompared, mismatches: r.mismatches, accuracy: r.accuracy, predictionsEqualModel: r.predictionsEqualModel };
      if (!r.predictionsEqualModel) mismatches = Math.max(mismatches, 1);
    }
    const s = session.stats;
    const link = linkSummary();
    if (s.runs) console.log(`board cycles: ${s.boardCycles} over ${s.runs} run${s.runs === 1 ? '' : 's'} (schedule + run overhead: ${s.expectedCycles}${s.cycleDifferences ? `; ${s.cycleDifferences} runs differ` : ', equal'})`);
    console.log(
      `link: ${kB(s.bytesSent)} sent, ${kB(s.bytesReceived)} received in ${(link['wallSeconds'] as number).toFixed(2)} s = ${Math.round(link['bytesPerSecond'] as number)} B/s; ` +
        `${s.commands} commands, ${s.wordsSkipped} words not re-sent, ${s.resyncs} resynchronizations, ${s.rereadCorrections} result words corrected by re-reading`,
    );
    for (const n of s.notes) console.log(`  note: ${n}`);
    report.summary = { ...report.summary, link };
    report.ok = mismatches === 0;
    if (mismatches) {
      report.error = `${mismatches} outputs differ from the golden model`;
      process.stderr.write(`error: ${report.error}\n`);
      return 1;
    }
    if (report.mode !== 'ping') console.log('PASS: every output equals the golden model');
    return 0;
  } catch (e) {
    report.error = e instanceof Error ? e.message : String(e);
    report.summary = { ...report.summary, link: linkSummary() };
    throw e;
  } finally {
    if (t) await t.close();
    if (out) writeReport(out, report);
  }
}

runCli(main);
