/**
 * Train (or load from workloads/cnn/cache/) the default float MNIST CNN and print its test accuracy.
 * Progress goes to stderr, results to stdout.
 *
 *   npx tsx workloads/cnn/train-cli.ts [--seed 1] [--epochs N] [--lr X] [--batch B] [--wd W] [--shift S]
 *        [--widths 16,32,64,128] [--no-cache]
 *
 * Without flags it uses DEFAULT_CNN_TRAIN_OPTIONS (defaults.ts) through trainCnnCached; --no-cache always
 * trains and saves nothing. --widths selects mnistCnnSpecV2 with those widths.
 */
import { loadMnist } from '../mnist/data.ts';
import { DEFAULT_CNN_TRAIN_OPTIONS } from './defaults.ts';
import { layerShapes, mnistCnnSpecV2, paramCount } from './net.ts';
import { type CnnTrainOptions, cnnTrainingKey, evaluateCnn, trainCnn, trainCnnCached } from './train.ts';

function arg(name: string): string | undefined {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 ? process.argv[k + 1] : undefined;
}
const num = (name: string, dflt: number): number => {
  const v = arg(name);
  return v === undefined ? dflt : Number(v);
};

const d = DEFAULT_CNN_TRAIN_OPTIONS;
const opts: CnnTrainOptions = {
  ...d,
  seed: num('seed', d.seed),
  epochs: num('epochs', d.epochs),
  batchSize: num('batch', d.batchSize),
  lr: num('lr', d.lr),
  weightDecay: num('wd', d.weightDecay ?? 0),
  augmentShift: num('shift', d.augmentShift ?? 0),
};
const widths = arg('widths');
if (widths !== undefined) opts.net = mnistCnnSpecV2(widths.split(',').map(Number) as [number, number, number, number]);
const noCache = process.argv.includes('--no-cache');

const { train, test } = loadMnist();
const log = (s: string): void => void process.stderr.write(`${s}\n`);
log(`data: ${train.length} train / ${test.length} test`);
const { net: _net, ...shown } = opts;
log(`options: ${JSON.stringify(shown)}`);
log(`cache key: ${cnnTrainingKey(train, opts)}`);

let epochStart = performance.now();
const withProgress: CnnTrainOptions = {
  ...opts,
  onProgress: (epoch, step, steps, loss) => {
    if (step % 25 === 0 || step === steps - 1) process.stderr.write(`  epoch ${epoch + 1}/${opts.epochs} step ${step + 1}/${steps} loss ${loss.toFixed(4)}\n`);
  },
  onEpoch: (epoch, snapshot) => {
    const dt = (performance.now() - epochStart) / 1000;
    const acc = evaluateCnn(snapshot(), test).accuracy;
    log(`epoch ${epoch + 1}: ${dt.toFixed(1)} s, test accuracy ${(100 * acc).toFixed(2)} %`);
    epochStart = performance.now();
  },
};

const t0 = performance.now();
let params;
let how: string;
if (noCache) {
  params = trainCnn(train, withProgress);
  how = `trained in ${((performance.now() - t0) / 1000).toFixed(1)} s (not cached)`;
} else {
  const r = trainCnnCached(train, withProgress);
  params = r.params;
  how = r.cached ? `loaded from ${r.path}` : `trained in ${r.trainSeconds.toFixed(1)} s, saved to ${r.path}`;
}
const ev = evaluateCnn(params, test);
const shapes = layerShapes(params.spec);
const last = shapes[shapes.length - 1]!;
console.log(`net: ${params.spec.layers.length} layers, ${paramCount(params)} trainable parameters, ${last.out.c} classes`);
console.log(`params: ${how}`);
console.log(`float test accuracy: ${(100 * ev.accuracy).toFixed(2)} % (${ev.correct}/${ev.total}), mean loss ${ev.loss.toFixed(4)}`);
