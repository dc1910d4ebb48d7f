/**
 * MNIST digits through the quantized MLP on a board, layer by layer (`npm run board -- --mnist N`).
 *
 * The net, its quantization and the test digits are those of `npm run mnist` and workloads/mnist/hw.ts (the
 * cached 784-512-512-10 float MLP, w8/x8, the same calibration), in TR mode with the README's headline
 * setting g16/k13/d2 on every layer. Each layer is one driver job (hw.ts layerJob), run on the board in as
 * many runs as its memories need; the input of layer l+1 is the board's output y of layer l. Every output
 * is compared with the golden model (modelJob of the same job) and with the integer network (inferQ), and
 * the predictions with inferQ's. Without accumulator memory (the default board build) the last layer's
 * logits are its y = clamp(acc + bias): predictions are then the argmax of y on the board and in the model.
 */
import { UserError } from '../gen/cli-util.ts';
import { boardMemoryMap, memory } from '../gen/board.ts';
import { type TrConfig, bitsFor, derive } from '../gen/config.ts';
import { modelJob } from '../sim/driver/driver.ts';
import { loadMnist } from '../workloads/mnist/data.ts';
import { DEFAULT_TRAIN_OPTIONS } from '../workloads/mnist/defaults.ts';
import { Comparison, argmax, hwConfigFor, layerJob, referenceInference } from '../workloads/mnist/hw.ts';
import { collectLayerInputs, trainMlpCached } from '../workloads/mnist/mlp.ts';
import { type LayerTerms, type QMlp, quantizeInput, quantizeMlp } from '../workloads/mnist/qmlp.ts';
import { BASE_QUANT, TR_W_BITS, X_BITS, spreadSamples, trainValSplit } from '../workloads/mnist/setup.ts';
import type { BoardSession } from './session.ts';

/** The headline TR setting of the README's hardware-inference table. */
export const MNIST_TERMS: LayerTerms = { mode: 'tr', g: 16, k: 13, d: 2 };

export interface MnistBoardSetup {
  q: QMlp;
  x0s: Int32Array[];
  labels: number[];
  /** indexes of the digits in the test list */
  indexes: number[];
  terms: LayerTerms[];
  termsLabel: string;
}

export interface MnistBoardResult {
  images: number;
  labels: number[];
  indexes: number[];
  predictions: number[];
  modelPredictions: number[];
  predictionsEqualModel: boolean;
  accuracy: number;
  outputsCompared: number;
  mismatches: number;
  mismatchExamples: string[];
  /** per layer: shape, board outputs y (images × channels) */
  layers: { layer: number; inDim: number; outDim: number; y: number[][]; mismatches: number }[];
}

/** Load the net and the digits; UserError when cfg cannot run the net (checked before the port is opened). */
export function loadMnistSetup(cfg: TrConfig, images: number): MnistBoardSetup {
  // the cheap check first (loading the net may mean training it, ~1 min, when it is not cached)
  if (cfg.wBits !== TR_W_BITS || cfg.xBits !== X_BITS) {
    throw new UserError(`--mnist: config '${cfg.name}' cannot run the MLP: wBits/xBits ${cfg.wBits}/${cfg.xBits} (the net: ${TR_W_BITS}/${X_BITS}; preset mnist or ice can)`);
  }
  const { train, test } = loadMnist();
  const { trainSet } = trainValSplit(train);
  const trained = trainMlpCached(trainSet, { ...DEFAULT_TRAIN_OPTIONS });
  const calib = collectLayerInputs(trained.weights, trainSet.filter((_, i) => i % 8 === 0));
  const q = quantizeMlp(trained.weights.layers, calib, { ...BASE_QUANT, wBits: TR_W_BITS, xBits: X_BITS });
  const want = hwConfigFor(q);
  const { name: _a, ...w } = want;
  const { name: _b, ...g } = cfg;
  let terms: LayerTerms;
  if (JSON.stringify(w) === JSON.stringify(g)) terms = { ...MNIST_TERMS };
  else {
    // another config (e.g. preset ice, whose board top fits the iCEBreaker): it must hold the net's widths,
    // fan-ins, requant multipliers, shifts and biases; the TR setting is g = min(16, G), d = 2 and the largest
    // k whose weight stream of one channel tile fits the default weight memory
    const d = derive(cfg);
    const why: string[] = [];
    if (cfg.wBits !== q.opts.wBits || cfg.xBits !== q.opts.xBits) why.push(`wBits/xBits ${cfg.wBits}/${cfg.xBits} (the net: ${q.opts.wBits}/${q.opts.xBits})`);
    const maxIn = Math.max(...q.layers.map((L) => L.inDim));
    if (cfg.maxK < maxIn) why.push(`maxK ${cfg.maxK} < fan-in ${maxIn}`);
    const maxShift = Math.max(...q.layers.map((L) => L.shift));
    if (maxShift > d.maxShift) why.push(`maxShift ${d.maxShift} < ${maxShift}`);
    const maxMul = Math.max(1, ...q.layers.map((L) => L.mul));
    if (maxMul > 1 && bitsFor(maxMul) > d.MULW) why.push(`multiplier width ${d.MULW} b < ${bitsFor(maxMul)} b`);
    const maxBias = Math.max(0, ...q.layers.flatMap((L) => Array.from(L.bias, Math.abs)));
    if (bitsFor(maxBias + 1) + 1 > d.BBW) why.push(`bias width ${d.BBW} b < ${bitsFor(maxBias + 1) + 1} b`);
    if (why.length) throw new UserError(`--mnist: config '${cfg.name}' cannot run the MLP: ${why.join(', ')} (preset mnist or ice can)`);
    const gg = Math.min(16, d.G);
    const depthW = memory(boardMemoryMap(cfg), 'w').depth;
    const k = Math.min(d.kMax, Math.floor(depthW / Math.ceil(maxIn / gg)));
    if (k < 1) throw new UserError(`--mnist: config '${cfg.name}': one channel tile of a ${maxIn}-input layer does not fit the default weight memory (${depthW} words)`);
    terms = { mode: 'tr', g: gg, k, d: Math.min(2, d.TX) };
  }
  const idx = spreadSamples(test.map((_, i) => i), images);
  const samples = idx.map((i) => test[i] as (typeof test)[number]);
  return {
    q,
    x0s: samples.map((s) => quantizeInput(q, s.pixels)),
    labels: samples.map((s) => s.label),
    indexes: idx,
    terms: q.layers.map(() => ({ ...terms })),
    termsLabel: terms.mode === 'tr' ? `TR g${terms.g}/k${terms.k}/d${terms.d}` : 'conventional',
  };
}

export async function runMnistOnBoard(s: BoardSession, m: MnistBoardSetup, onLayer?: (partial: Partial<MnistBoardResult>) => void): Promise<MnistBoardResult> {
  const { q, x0s, labels, terms } = m;
  const cfg = s.cfg;
  const refs = referenceInference(q, x0s, terms);
  const cmp = new Comparison();
  const layers: MnistBoardResult['layers'] = [];
  let X: number[][] = x0s.map((x) => Array.from(x));
  let logits: number[][] = [];
  let modelLogits: number[][] = [];
  let hasAcc = false;
  for (let l = 0; l < q.layers.length; l++) {
    const L = q.layers[l] as QMlp['layers'][number];
    const last = l === q.layers.length - 1;
    const job = layerJob(cfg, q, l, X, terms[l] as LayerTerms);
    const model = modelJob(cfg, job);
    const [hw] = await s.runJobs([job], `layer ${l + 1}/${q.layers.length} (${L.inDim}→${L.outDim})`, [model]);
    if (!hw) throw new Error('internal: no layer result');
    const before = cmp.mismatches;
    refs.forEach((ref, n) => {
      for (let c = 0; c < L.outDim; c++) {
        const where = `layer ${l + 1} image ${n} channel ${c}`;
        const rY = last ? null : (ref.y[l] as Int32Array)[c];
        cmp.check(hw.y[n]?.[c] as number, rY === null || rY === undefined ? { model: model.y[n]?.[c] as number } : { model: model.y[n]?.[c] as number, inferQ: rY }, `${where} y`);
        if (hw.acc) cmp.check(hw.acc[n]?.[c] as number, { model: model.acc[n]?.[c] as number, inferQ: (ref.acc[l] as Int32Array)[c] as number }, `${where} acc`);
      }
    });
    layers.push({ layer: l + 1, inDim: L.inDim, outDim: L.outDim, y: hw.y, mismatches: cmp.mismatches - before });
    onLayer?.({ images: x0s.length, labels, indexes: m.indexes, layers });
    if (last) {
      // logits: acc + bias when the board stores accumulators, else y = clamp(acc + bias)
      hasAcc = hw.acc !== null;
      logits = hw.acc ? hw.acc.map((row) => row.map((a, c) => a + (L.bias[c] as number))) : hw.y;
      modelLogits = hw.acc ? model.acc.map((row) => row.map((a, c) => a + (L.bias[c] as number))) : model.y;
    } else X = hw.y; // chained through the board
  }
  const predictions = logits.map((z) => argmax(z));
  // the model's predictions by the same rule; with accumulators they must also equal inferQ's
  const modelPredictions = modelLogits.map((z) => argmax(z));
  const sameAsInferQ = !hasAcc || modelPredictions.every((p, n) => p === refs[n]?.pred);
  return {
    images: x0s.length,
    labels,
    indexes: m.indexes,
    predictions,
    modelPredictions,
    predictionsEqualModel: sameAsInferQ && predictions.every((p, n) => p === modelPredictions[n]),
    accuracy: predictions.filter((p, n) => p === labels[n]).length / labels.length,
    outputsCompared: cmp.compared,
    mismatches: cmp.mismatches,
    mismatchExamples: cmp.examples,
    layers,
  };
}
