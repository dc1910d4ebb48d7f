/**
 * npm run mnist -- [--out DIR] [--hw-images N] [--quick]
 *
 * The MNIST workload end to end: trains (or loads from the cache) the float 784-512-512-10 MLP on the fixed
 * split minus a held-out validation subset, quantizes it, sweeps QT (conventional quantization at several
 * weight widths) and TR (g = 16, k = 3..24, data caps d), compares them at matched accuracy, measures the
 * effect of the requantization precision, searches per-layer mixed TR budgets on the validation digits, runs
 * N test digits (evenly spaced over the class-major test list) through the Verilator-simulated array in
 * conventional and TR mode, and writes DIR/results.json, DIR/results.md and DIR/accuracy-vs-cost.svg
 * atomically. Progress goes to stderr (\r updates on a TTY, plain lines otherwise).
 *
 * Exit codes: 0 ok; 1 a hardware output differs from the model (or an internal error); 2 bad options.
 * --quick: a reduced net (784-32-32-10, 4 epochs on half of the training digits, every 4th test digit), a
 * short sweep and 3 hardware images by default, for a smoke test.
 */
import { relative } from 'node:path';
import { checkOut, intOption, parseArgs, runCli, writeFilesAtomic } from '../../gen/cli-util.ts';
import { loadMnist, type Sample } from './data.ts';
import { BASE_QUANT, TR_G, TR_W_BITS, VAL_EVERY, X_BITS, spreadSamples, trainValSplit } from './setup.ts';
import { DEFAULT_TRAIN_OPTIONS } from './defaults.ts';
import { searchAllocation } from './mixed.ts';
import { collectLayerInputs, evaluate, trainMlpCached, type MlpWeights, type TrainOptions } from './mlp.ts';
import { type LayerTerms, type QMlp, evaluateQ, quantizeMlp } from './qmlp.ts';
import { type HwSummary, type MixedTarget, hwAgrees, hwSummary, type RequantRow, type Results, renderMarkdown, renderResultsSvg, ratioSummary, kfmt } from './report.ts';
import { type Point, PreparedCache, evaluatePoint, matchedComparison, termsLabel } from './sweep.ts';

const USAGE = 'usage: npm run mnist -- [--out DIR] [--hw-images N] [--g G] [--quick]';

const SPEC = {
  out: { type: 'string', help: 'output directory', default: 'out/mnist' },
  'hw-images': { type: 'string', help: 'test digits run on the simulated array (0 = skip; default 100, 3 with --quick)' },
  quick: { type: 'boolean', help: 'smoke run: small net, short sweep' },
  g: { type: 'string', help: `TR group size of the sweep and the mixed-precision search, 1..16 (default ${TR_G})` },
} as const;

interface Plan {
  hidden: number[];
  epochs: number;
  trainEvery: number;
  testEvery: number;
  qtBits: number[];
  qtWxBits: number[];
  ks: number[];
  ds: number[];
  mixedUniformKs: number[];
  mixedStart: number;
  refineIters: number;
  hwImages: number;
}

const FULL: Plan = {
  hidden: [512, 512],
  epochs: DEFAULT_TRAIN_OPTIONS.epochs,
  trainEvery: 1,
  testEvery: 1,
  qtBits: [2, 3, 4, 5, 6, 8],
  qtWxBits: [3, 4, 5, 6, 8],
  ks: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 20, 24],
  ds: [2, 3, 4],
  mixedUniformKs: [6, 8, 10],
  mixedStart: 14,
  refineIters: 3,
  hwImages: 100,
};

const QUICK: Plan = {
  hidden: [32, 32],
  epochs: 4,
  trainEvery: 2,
  testEvery: 4,
  qtBits: [2, 4, 6],
  qtWxBits: [4],
  ks: [4, 8, 14],
  ds: [2, 4],
  mixedUniformKs: [8],
  mixedStart: 10,
  refineIters: 1,
  hwImages: 3,
};

const MATCH_TOLERANCE = 0.001; // 0.1 pp

/** Progress on stderr: \r-updated status line on a TTY, plain lines otherwise (status lines only when `important`). */
class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private open = false;
  status(msg: string, important = false): void {
    if (this.tty) {
      process.stderr.write(`\r\x1b[K${msg}`);
      this.open = true;
    } else if (important) process.stderr.write(`${msg}\n`);
  }
  line(msg: string): void {
    if (this.tty && this.open) process.stderr.write('\r\x1b[K');
    this.open = false;
    process.stderr.write(`${msg}\n`);
  }
}

class Steps {
  private i = 0;
  private readonly t0 = performance.now();
  constructor(
    private readonly p: Progress,
    private readonly n: number,
    private readonly what: string,
  ) {}
  next(label: string): void {
    this.i++;
    const el = (performance.now() - this.t0) / 1000;
    const eta = this.i > 1 ? ` ETA ${Math.max(0, (el / (this.i - 1)) * (this.n - this.i + 1)).toFixed(0)} s` : '';
    this.p.status(`${this.what} ${this.i}/${this.n}: ${label}${eta}`, false);
  }
  done(p: Point): void {
    const el = (performance.now() - this.t0) / 1000;
    const eta = this.i < this.n ? `, ETA ${((el / this.i) * (this.n - this.i)).toFixed(0)} s` : '';
    this.p.line(`  ${this.what} ${this.i}/${this.n} ${p.label}: acc ${(100 * p.accuracy).toFixed(2)} %, ${kfmt(p.cost.termPairs)} term pairs/sample${eta}`);
  }
}

const uniform = (q: QMlp, t: LayerTerms): LayerTerms[] => q.layers.map(() => ({ ...t }));

runCli(async () => {
  const a = parseArgs(process.argv.slice(2), SPEC, USAGE);
  const quick = a['quick'] === true;
  const plan = quick ? QUICK : FULL;
  const hwImages = intOption(a, 'hw-images', 0, 2004) ?? plan.hwImages;
  const g = intOption(a, 'g', 1, 16) ?? TR_G;
  const tr = (k: number, d: number): LayerTerms => ({ mode: 'tr', g, k, d });
  const outDir = checkOut(String(a['out']), 'dir');
  const P = new Progress();
  const times: Record<string, number> = {};
  const tStart = performance.now();
  let tPhase = tStart;
  const phase = (name: string): void => {
    const now = performance.now();
    times[name] = (now - tPhase) / 1000;
    tPhase = now;
  };

  // ---- data and float net
  const split = loadMnist();
  const trainAll = split.train;
  const { trainSet, valSet: valAll } = trainValSplit(trainAll, plan.trainEvery);
  const valSet = valAll.filter((_, i) => !quick || i % 2 === 0);
  const test = split.test.filter((_, i) => i % plan.testEvery === 0);
  P.line(`mnist: ${trainSet.length} train / ${valSet.length} validation / ${test.length} test digits${quick ? ' (quick)' : ''}`);
  const trainOpts: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, hidden: plan.hidden, epochs: plan.epochs };
  let epochLoss = 0;
  let epochSteps = 0;
  const trained = trainMlpCached(trainSet, {
    ...trainOpts,
    onProgress: (epoch, step, steps, loss) => {
      epochLoss += loss;
      epochSteps++;
      if (step % 10 === 0 || step === steps - 1) P.status(`training epoch ${epoch + 1}/${trainOpts.epochs} step ${step + 1}/${steps} loss ${loss.toFixed(4)}`);
    },
    onEpoch: (epoch, snapshot) => {
      const acc = evaluate(snapshot(), valSet).accuracy;
      P.line(`  epoch ${epoch + 1}/${trainOpts.epochs}: mean loss ${(epochLoss / Math.max(1, epochSteps)).toFixed(4)}, validation acc ${(100 * acc).toFixed(2)} %`);
      epochLoss = 0;
      epochSteps = 0;
    },
  });
  const w: MlpWeights = trained.weights;
  const dims = [w.layers[0]!.inDim, ...w.layers.map((L) => L.outDim)];
  P.line(`float net ${dims.join('-')}: ${trained.cached ? `cached (${relative(process.cwd(), trained.path)})` : `trained in ${trained.trainSeconds.toFixed(1)} s`}`);
  const floatAcc = evaluate(w, test).accuracy;
  P.line(`float test accuracy ${(100 * floatAcc).toFixed(2)} %`);
  phase('training');

  // ---- quantized nets
  const calib = collectLayerInputs(w, trainSet.filter((_, i) => i % 8 === 0));
  const quantize = (wBits: number, xBits: number, mulBits = BASE_QUANT.mulBits): QMlp => quantizeMlp(w.layers, calib, { ...BASE_QUANT, wBits, xBits, mulBits });
  const q8 = quantize(TR_W_BITS, X_BITS);
  const cache8 = new PreparedCache(q8);

  const nPoints = plan.qtBits.length + plan.qtWxBits.length + plan.ks.length * plan.ds.length;
  const steps = new Steps(P, nPoints, 'sweep');
  const qt: Point[] = [];
  for (const b of plan.qtBits) {
    steps.next(`QT w${b}/x${X_BITS}`);
    const q = b === TR_W_BITS ? q8 : quantize(b, X_BITS);
    const c = b === TR_W_BITS ? cache8 : new PreparedCache(q);
    const p = evaluatePoint(c, test, 'qt', `QT w${b}`, uniform(q, { mode: 'conventional' }), { binary: true });
    qt.push(p);
    steps.done(p);
  }
  const qtWx: Point[] = [];
  for (const b of plan.qtWxBits) {
    steps.next(`QT w${b}/x${b}`);
    const q = quantize(b, b);
    const p = evaluatePoint(new PreparedCache(q), test, 'qt-wx', `QT w${b}x${b}`, uniform(q, { mode: 'conventional' }), { binary: true });
    qtWx.push(p);
    steps.done(p);
  }
  const trPoints: Point[] = [];
  for (const d of plan.ds) {
    for (const k of plan.ks) {
      steps.next(`TR g${g} k${k} d${d}`);
      const p = evaluatePoint(cache8, test, 'tr', `TR k${k} d${d}`, uniform(q8, tr(k, d)));
      trPoints.push(p);
      steps.done(p);
    }
  }
  phase('sweep');

  // ---- matched accuracy (QT series with 2..6-bit weights; 8 bit is the reference of the TR net)
  const qtForMatch = qt.filter((p) => p.wBits <= 6);
  const matched = {
    strict: matchedComparison(qtForMatch, trPoints, 0),
    tolerance: matchedComparison(qtForMatch, trPoints, MATCH_TOLERANCE),
    wx: matchedComparison(qtWx.filter((p) => p.wBits <= 6), trPoints, MATCH_TOLERANCE),
  };
  const rs = ratioSummary(matched.tolerance);
  P.line(`matched accuracy (±${(100 * MATCH_TOLERANCE).toFixed(1)} pp): TR needs ${rs.hese} fewer term pairs than QT (HESE), ${rs.binary} vs QT binary; paper: 4.6–5.3×`);
  const bestQt = qtForMatch.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  const bestMatch = matched.tolerance.find((m) => m.qt === bestQt.label);
  const headlinePoint =
    trPoints.find((p) => p.label === bestMatch?.tr) ?? trPoints.reduce((a, b) => (b.accuracy > a.accuracy || (b.accuracy === a.accuracy && b.cost.termPairs < a.cost.termPairs) ? b : a));
  const headlineRule = bestMatch?.tr
    ? `cheapest TR point within ${(100 * MATCH_TOLERANCE).toFixed(1)} pp of the most accurate QT point (${bestQt.label})`
    : 'most accurate TR point (no TR point matched the best QT point)';
  P.line(`headline TR point: ${headlinePoint.label} (${headlineRule})`);

  // ---- requantization precision
  const reqRows: RequantRow[] = [];
  const variants: [string, string, number, boolean][] = [
    ['float', 'float multiplier (reference, computed in float64)', 16, true],
    ['int16', '16-bit integer multiplier + shift', 16, false],
    ['int8', '8-bit integer multiplier + shift', 8, false],
    ['pow2', 'power of two (shift only)', 0, false],
  ];
  for (const [variant, description, mulBits, floatRequant] of variants) {
    P.status(`requant precision: ${variant}`, true);
    const q = quantize(TR_W_BITS, X_BITS, mulBits);
    const c = new PreparedCache(q);
    const hidden = q.layers.slice(0, -1);
    const conv = evaluateQ(q, c.layers(uniform(q, { mode: 'conventional' })), test, { floatRequant }).accuracy;
    const trAcc = evaluateQ(q, c.layers(headlinePoint.terms), test, { floatRequant }).accuracy;
    reqRows.push({
      variant,
      description,
      mulShift: floatRequant ? null : hidden.map((L) => [L.mul, L.shift]),
      relError: floatRequant ? null : hidden.map((L) => Math.abs((L.mul * 2 ** -L.shift) / L.realMul - 1)),
      conventionalAccuracy: conv,
      trAccuracy: trAcc,
    });
    P.line(`  requant ${variant}: conventional ${(100 * conv).toFixed(2)} %, TR ${(100 * trAcc).toFixed(2)} %`);
  }
  phase('requant');

  // ---- mixed precision on the validation digits
  const mixedD = (headlinePoint.terms[0] as LayerTerms & { d: number }).d;
  const K_MIN = 2;
  const K_MAX = 16;
  const valEval = (ks: readonly number[]) => {
    const r = evaluateQ(q8, cache8.layers(ks.map((k) => tr(k, mixedD))), valSet);
    return { loss: r.loss, accuracy: r.accuracy, cost: r.termPairsPerSample };
  };
  const uniformVal = plan.mixedUniformKs.map((k) => ({ k, ...valEval(q8.layers.map(() => k)) }));
  const search = searchAllocation(valEval, {
    kMin: K_MIN,
    kMax: K_MAX,
    start: q8.layers.map(() => plan.mixedStart),
    targets: uniformVal.map((u) => u.cost),
    refineIters: plan.refineIters,
    extraStarts: plan.mixedUniformKs.map((k) => q8.layers.map(() => k)),
    onEval: (c, n) => P.status(`mixed-precision search: ${n} allocations evaluated, last (${c.ks.join(', ')}): val loss ${c.loss.toFixed(4)}, ${kfmt(c.cost)} pairs`),
  });
  const mixedTargets: MixedTarget[] = uniformVal.map((u, i) => {
    const res = search.results[i]!;
    const uniformTest = evaluatePoint(cache8, test, 'uniform', `TR k${u.k} d${mixedD} (uniform)`, uniform(q8, tr(u.k, mixedD)));
    const found = res.found;
    const foundTest = found ? evaluatePoint(cache8, test, 'mixed', `TR mixed k ${found.ks.join('/')} d${mixedD}`, found.ks.map((k) => tr(k, mixedD))) : null;
    P.line(
      `  mixed @ uniform k${u.k}: found (${found ? found.ks.join(', ') : 'none'}) test ${foundTest ? (100 * foundTest.accuracy).toFixed(2) : '—'} % ` +
        `vs uniform ${(100 * uniformTest.accuracy).toFixed(2)} % (${foundTest ? kfmt(foundTest.cost.termPairs) : '—'} vs ${kfmt(uniformTest.cost.termPairs)} pairs)`,
    );
    return {
      uniformK: u.k,
      target: u.cost,
      found: found ? found.ks : null,
      greedy: res.greedy ? res.greedy.ks : null,
      val: { found: found ? { loss: found.loss, accuracy: found.accuracy, cost: found.cost } : null, uniform: { loss: u.loss, accuracy: u.accuracy, cost: u.cost } },
      test: { found: foundTest, uniform: uniformTest },
    };
  });
  phase('mixed');

  // ---- hardware inference
  let hardware: HwSummary | null = null;
  let hwOk = true;
  if (hwImages > 0) {
    const { runHardwareInference } = await import('./hw.ts');
    const samples: Sample[] = spreadSamples(test, hwImages);
    P.line(`hardware inference: ${hwImages} test digits, conventional and ${termsLabel(headlinePoint.terms)}`);
    const h = await runHardwareInference(q8, samples, headlinePoint.terms, { onProgress: (m) => P.status(`  ${m}`, true) });
    hardware = hwSummary(h);
    hwOk = hwAgrees(hardware);
    for (const m of hardware.modes) {
      P.line(`  ${m.mode}: ${m.cyclesPerImage.toFixed(0)} cycles/image, ${m.outputsCompared} outputs compared, ${m.mismatches} mismatches, accuracy ${(100 * m.accuracy).toFixed(1)} %`);
    }
    P.line(`  cycle ratio conventional / TR: ${h.cycleRatio.toFixed(2)}×`);
    phase('hardware');
  }
  times['total'] = (performance.now() - tStart) / 1000;

  const results: Results = {
    version: 1,
    quick,
    settings: {
      seeds: { train: trainOpts.seed, search: 'deterministic (no randomness)' },
      data: {
        source: 'mnist npm package 1.1.0 (10,000 digits)',
        train: trainSet.length,
        validation: valSet.length,
        test: test.length,
        split: `fixed split of data.ts; validation = every ${VAL_EVERY}th training digit (index ≡ ${VAL_EVERY - 1} mod ${VAL_EVERY}), held out of training${quick ? '; quick: subsets' : ''}`,
      },
      net: { dims, trainOptions: { ...trainOpts }, cacheKey: trained.key, cached: trained.cached, trainSeconds: trained.trainSeconds },
      quant: {
        xBits: X_BITS,
        trWBits: TR_W_BITS,
        qtWBits: plan.qtBits,
        qtWxBits: plan.qtWxBits,
        mulBits: BASE_QUANT.mulBits,
        maxShift: BASE_QUANT.maxShift,
        quantile: BASE_QUANT.quantile,
        wScale: 'least-squares clip per layer (mse)',
        calibration: `|activation| quantile ${BASE_QUANT.quantile} on every 8th training digit`,
      },
      tr: { g, ks: plan.ks, ds: plan.ds },
      matchTolerance: MATCH_TOLERANCE,
      mixed: {
        g,
        d: mixedD,
        kMin: K_MIN,
        kMax: K_MAX,
        start: q8.layers.map(() => plan.mixedStart),
        refineIters: plan.refineIters,
        validation: valSet.length,
        objective: 'mean cross-entropy of the dequantized integer logits',
      },
      hwImages,
    },
    float: { accuracy: floatAcc, macs: qt[0]!.cost.macs },
    qt,
    qtWx,
    tr: trPoints,
    matched,
    headline: { rule: headlineRule, point: headlinePoint },
    requant: { trSetting: termsLabel(headlinePoint.terms), rows: reqRows },
    mixed: { targets: mixedTargets, evaluations: search.evaluations, path: search.path.map((c) => ({ ks: c.ks, loss: c.loss, accuracy: c.accuracy, cost: c.cost })) },
    hardware,
    runtimeSeconds: times,
  };
  const written = writeFilesAtomic(outDir, {
    'results.json': JSON.stringify(results, null, 2) + '\n',
    'results.md': renderMarkdown(results),
    'accuracy-vs-cost.svg': renderResultsSvg(results),
  });
  P.line(`wrote ${written.map((p) => relative(process.cwd(), p)).join(', ')} (${times['total']!.toFixed(0)} s)`);
  if (!hwOk) {
    P.line('FAIL: a hardware output differs from the model (see results.md)');
    process.exitCode = 1;
  }
});
