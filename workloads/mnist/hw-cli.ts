/**
 * MNIST hardware inference on the Verilator-simulated array, conventional vs TR mode:
 *
 *   npx tsx workloads/mnist/hw-cli.ts [--images 100] [--g 16 --k 16 --d 2] [--json FILE]
 *        [--wbits 8 --xbits 8 --mulbits 16 --maxshift 31 --quantile 0.9999]
 *
 * Loads (or trains, ~1 min, then caches) the 784-512-512-10 float MLP of `npm run mnist` (same training digits,
 * same quantization), quantizes it, and runs
 * `--images` test digits (spread evenly over the class-major test list) through every layer on the array in
 * both modes (see workloads/mnist/hw.ts). Prints per-layer progress and a table; exit code 1 if any output
 * differs from the golden model / inferQ or the cycles differ from the schedule.
 */
import { writeFileSync, renameSync } from 'node:fs';
import { UserError, intOption, parseArgs, runCli } from '../../gen/cli-util.ts';
import { loadMnist } from './data.ts';
import { DEFAULT_TRAIN_OPTIONS } from './defaults.ts';
import { type HwModeResult, runHardwareInference } from './hw.ts';
import { collectLayerInputs, trainMlpCached } from './mlp.ts';
import { type LayerTerms, quantizeMlp } from './qmlp.ts';
import { BASE_QUANT, X_BITS, TR_W_BITS, spreadSamples, trainValSplit } from './setup.ts';

const USAGE = 'usage: npx tsx workloads/mnist/hw-cli.ts [--images N] [--g G --k K --d D] [--json FILE] [--wbits B --xbits B --mulbits B --maxshift S --quantile Q]';

const SPEC = {
  images: { type: 'string', help: 'test digits to run (spread evenly over the test set)', default: '100' },
  g: { type: 'string', help: 'TR group size (every layer)', default: '16' },
  k: { type: 'string', help: 'TR weight terms kept per group (every layer)', default: '16' },
  d: { type: 'string', help: 'TR data terms kept per value (every layer)', default: '2' },
  wbits: { type: 'string', help: 'weight bits', default: String(TR_W_BITS) },
  xbits: { type: 'string', help: 'activation bits', default: String(X_BITS) },
  mulbits: { type: 'string', help: 'requant multiplier bits (0 = shift only)', default: String(BASE_QUANT.mulBits) },
  maxshift: { type: 'string', help: 'largest requant shift', default: String(BASE_QUANT.maxShift) },
  quantile: { type: 'string', help: 'activation calibration quantile', default: String(BASE_QUANT.quantile) },
  json: { type: 'string', help: 'also write the result as JSON to this file' },
} as const;

function row(m: HwModeResult): string[] {
  const t = m.layers.map((x) => (x.mode === 'tr' ? `g${x.g}/k${x.k}/d${x.d}` : 'exact')).join(' ');
  return [
    m.mode,
    t,
    m.cyclesPerLayer.join(' + '),
    m.cyclesPerImage.toFixed(0),
    String(m.outputsCompared),
    String(m.mismatches),
    m.predictionsEqualModel ? 'yes' : 'NO',
    m.cyclesEqualSchedule ? 'yes' : 'NO',
    `${(100 * m.accuracy).toFixed(1)} %`,
    m.simSeconds.toFixed(1),
  ];
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(w[i] as number)).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

runCli(async () => {
  const a = parseArgs(process.argv.slice(2), SPEC, USAGE);
  const int = (name: string, lo: number, hi: number): number => intOption(a, name, lo, hi) as number; // every option has a default
  const images = int('images', 1, 2004);
  const g = int('g', 1, 32);
  const k = int('k', 1, 1024);
  const d = int('d', 1, 8);
  const wBits = int('wbits', 2, 8);
  const xBits = int('xbits', 2, 8);
  const mulBits = int('mulbits', 0, 18);
  const maxShift = int('maxshift', 0, 63);
  const quantile = Number(a['quantile']);
  if (!(quantile > 0 && quantile <= 1)) throw new UserError(`--quantile: expected a number in (0, 1], got ${JSON.stringify(a['quantile'])}`);
  if (mulBits === 1) throw new UserError('--mulbits: must be 0 (shift only) or 2..18');

  const { train, test } = loadMnist();
  const { trainSet } = trainValSplit(train); // the digits `npm run mnist` trains on: the same cached net
  const t0 = performance.now();
  const trained = trainMlpCached(trainSet, { ...DEFAULT_TRAIN_OPTIONS });
  console.log(`float MLP ${trained.weights.layers.map((L) => L.inDim).join('-')}-${trained.weights.layers[trained.weights.layers.length - 1]!.outDim}: ${trained.cached ? 'cached' : `trained in ${trained.trainSeconds.toFixed(0)} s`} (${trained.path})`);
  const calib = collectLayerInputs(trained.weights, trainSet.filter((_, i) => i % 8 === 0));
  const q = quantizeMlp(trained.weights.layers, calib, { ...BASE_QUANT, wBits, xBits, mulBits, maxShift, quantile });
  console.log(`quantized: w${wBits}/x${xBits}, mul ${mulBits} b, requant (mul, shift) per layer: ${q.layers.map((L) => `(${L.mul}, ${L.shift})`).join(' ')} [${((performance.now() - t0) / 1000).toFixed(1)} s]`);
  const samples = spreadSamples(test, images);
  const tr: LayerTerms[] = q.layers.map(() => ({ mode: 'tr', g, k, d }));

  const r = await runHardwareInference(q, samples, tr, { onProgress: (m) => console.log(`  ${m}`) });
  console.log(`\n${images} test images on ${r.config}\n`);
  console.log(
    table(['mode', 'terms per layer', 'cycles per layer', 'cycles/image', 'outputs compared', 'mismatches', 'preds = inferQ', 'cycles = schedule', 'accuracy', 'Verilator s'], r.modes.map(row)),
  );
  console.log(`\ncycle ratio conventional / TR: ${r.cycleRatio.toFixed(3)}`);
  for (const m of r.modes) for (const e of m.mismatchExamples) console.log(`  ${m.mode} mismatch: ${e}`);
  if (typeof a['json'] === 'string') {
    const file = a['json'];
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(r, null, 2) + '\n');
    renameSync(tmp, file);
    console.log(`wrote ${file}`);
  }
  const ok = r.modes.every((m) => m.mismatches === 0 && m.predictionsEqualModel && m.cyclesEqualSchedule);
  console.log(ok ? 'PASS: every hardware output equals the golden model and inferQ; cycles equal the schedule' : 'FAIL');
  if (!ok) process.exitCode = 1;
});
