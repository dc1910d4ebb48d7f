/**
 * Train the 784-512-512-10 float MLP on the fixed MNIST split and print progress, per-epoch times and test
 * accuracy.
 *
 *   npx tsx workloads/mnist/train-demo.ts [--seed 1] [--epochs 8] [--batch 64] [--lr 1e-3]
 *        [--optimizer adam|momentum] [--schedule constant|cosine] [--wd 0] [--shift 0]
 *        [--hidden 512,512] [--cache]
 *
 * --cache uses/saves workloads/mnist/cache/mlp-<key>.bin (trainMlpCached); without it, always trains.
 */
import { labelCounts, loadMnist } from './data.ts';
import { DEFAULT_TRAIN_OPTIONS } from './defaults.ts';
import { evaluate, trainingKey, trainMlp, trainMlpCached, type MlpWeights, type TrainOptions } from './mlp.ts';

function arg(name: string): string | undefined {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 ? process.argv[k + 1] : undefined;
}

const num = (name: string, dflt: number): number => {
  const v = arg(name);
  return v === undefined ? dflt : Number(v);
};

const t0 = performance.now();
const { train, test } = loadMnist();
console.log(`data: ${train.length} train / ${test.length} test, loaded in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
console.log(`train per class: ${labelCounts(train).join(' ')}`);
console.log(`test per class:  ${labelCounts(test).join(' ')}`);

const d = DEFAULT_TRAIN_OPTIONS;
const opts: TrainOptions = {
  seed: num('seed', d.seed),
  epochs: num('epochs', d.epochs),
  batchSize: num('batch', d.batchSize),
  lr: num('lr', d.lr),
  hidden: (arg('hidden') ?? (d.hidden ?? [512, 512]).join(',')).split(',').map(Number),
  optimizer: (arg('optimizer') ?? d.optimizer) as TrainOptions['optimizer'],
  lrSchedule: (arg('schedule') ?? d.lrSchedule) as TrainOptions['lrSchedule'],
  weightDecay: num('wd', d.weightDecay ?? 0),
  augmentShift: num('shift', d.augmentShift ?? 0),
};
console.log(`options: ${JSON.stringify(opts)}`);
console.log(`cache key: ${trainingKey(train, opts)}`);

const tty = process.stdout.isTTY === true;
let epochStart = performance.now();
let trainTime = 0;
const epochTimes: number[] = [];
const withProgress: TrainOptions = {
  ...opts,
  onProgress: (epoch, step, steps, loss) => {
    if (tty && (step % 25 === 0 || step === steps - 1)) {
      process.stdout.write(`\r  epoch ${epoch + 1} step ${step + 1}/${steps} loss ${loss.toFixed(4)}   `);
    }
  },
  onEpoch: (epoch, snapshot) => {
    const dt = (performance.now() - epochStart) / 1000;
    epochTimes.push(dt);
    trainTime += dt;
    const w = snapshot();
    const e0 = performance.now();
    const te = evaluate(w, test);
    const evalTime = (performance.now() - e0) / 1000;
    process.stdout.write(
      `${tty ? '\r' : ''}epoch ${epoch + 1}: ${dt.toFixed(2)} s train, test acc ${(100 * te.accuracy).toFixed(2)} % loss ${te.loss.toFixed(4)} (eval ${evalTime.toFixed(2)} s)\n`,
    );
    epochStart = performance.now();
  },
};

let weights: MlpWeights;
if (process.argv.includes('--cache')) {
  const r = trainMlpCached(train, withProgress);
  weights = r.weights;
  console.log(r.cached ? `loaded cached weights ${r.path}` : `trained in ${r.trainSeconds.toFixed(1)} s, saved ${r.path}`);
} else {
  weights = trainMlp(train, withProgress);
}
if (epochTimes.length) {
  console.log(`training: ${trainTime.toFixed(1)} s total, ${(trainTime / epochTimes.length).toFixed(2)} s/epoch (excluding per-epoch evaluation)`);
}
const trainEval = evaluate(weights, train);
const testEval = evaluate(weights, test);
console.log(`final float accuracy: train ${(100 * trainEval.accuracy).toFixed(2)} %, test ${(100 * testEval.accuracy).toFixed(2)} %`);
console.log('test confusion (rows = label, cols = predicted):');
testEval.confusion.forEach((row, y) => console.log(`  ${y}: ${row.map((v) => String(v).padStart(4)).join('')}`));
