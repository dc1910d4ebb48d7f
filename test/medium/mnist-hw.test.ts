/**
 * MNIST hardware inference (workloads/mnist/hw.ts) on Verilator, small: a 784-24-16-10 MLP trained briefly on
 * MNIST (seed 5), quantized to 8 bits, run on a few test digits in conventional and TR mode (per-layer TR
 * settings), every output chained through the hardware and compared with the golden model and inferQ.
 * Partial tiles on purpose: 24 and 10 channels (C = 8), 6 images (R = 4), K = 784 = 49 groups of 16.
 * Then tampering: a corrupted weight, and corrupted hardware outputs, must be reported as mismatches.
 */
import { describe, expect, it } from 'vitest';
import { derive } from '../../gen/config.ts';
import { loadMnist } from '../../workloads/mnist/data.ts';
import { Comparison, compareLayer, hwConfigFor, referenceInference, runHardwareInference, runHardwareMode } from '../../workloads/mnist/hw.ts';
import { collectLayerInputs, trainMlp } from '../../workloads/mnist/mlp.ts';
import { type LayerTerms, type QMlp, quantizeInput, quantizeMlp } from '../../workloads/mnist/qmlp.ts';

const SEED = 5;
const { train, test } = loadMnist();
const trainSub = train.filter((_, i) => i % 4 === 0);
const weights = trainMlp(trainSub, { seed: SEED, epochs: 2, batchSize: 64, lr: 2e-3, hidden: [24, 16] });
const calib = collectLayerInputs(weights, train.filter((_, i) => i % 16 === 0));
const q: QMlp = quantizeMlp(weights.layers, calib, { wBits: 8, xBits: 8, mulBits: 16, maxShift: 31, quantile: 0.999 });
// 6 test digits spread over the classes (the test list is class-major)
const samples = Array.from({ length: 6 }, (_, i) => test[Math.floor((i * test.length) / 6) + 3]!);
const TR: LayerTerms[] = [
  { mode: 'tr', g: 16, k: 12, d: 2 },
  { mode: 'tr', g: 8, k: 10, d: 3 },
  { mode: 'tr', g: 12, k: 20, d: 3 },
];
const CONV: LayerTerms[] = q.layers.map(() => ({ mode: 'conventional' }));

describe(`MNIST on the simulated array (784-24-16-10, seed ${SEED})`, () => {
  it('the hardware config follows the net and rejects a shift beyond the design', () => {
    const cfg = hwConfigFor(q);
    expect({ w: cfg.wBits, x: cfg.xBits, mul: cfg.outMulBits, R: cfg.rows, C: cfg.cols, G: cfg.groupMax }).toEqual({ w: 8, x: 8, mul: 16, R: 4, C: 8, G: 16 });
    const big: QMlp = { ...q, layers: q.layers.map((L, l) => (l === 0 ? { ...L, shift: derive(cfg).maxShift + 1 } : L)) };
    expect(() => hwConfigFor(big)).toThrow(/maxShift/);
  });

  it('conventional and TR mode: every output equals the golden model and inferQ, cycles equal the schedule', async () => {
    const log: string[] = [];
    const r = await runHardwareInference(q, samples, TR, { onProgress: (m) => log.push(m) });
    const label = { seed: SEED, log };
    expect(r.images).toBe(6);
    expect(r.modes.map((m) => m.mode)).toEqual(['conventional', 'tr']);
    for (const m of r.modes) {
      expect({ ...label, mode: m.mode, mismatches: m.mismatches, examples: m.mismatchExamples }).toEqual({ ...label, mode: m.mode, mismatches: 0, examples: [] });
      // acc and y of every image × channel × layer
      expect(m.outputsCompared).toBe(2 * 6 * (24 + 16 + 10));
      expect(m.cyclesEqualSchedule).toBe(true);
      expect(m.cyclesPerLayer).toEqual(m.scheduleCyclesPerLayer);
      expect(m.predictionsEqualModel).toBe(true);
      expect(m.cyclesPerImage).toBe(m.cyclesPerLayer.reduce((a, b) => a + b, 0) / 6);
    }
    const [conv, tr] = r.modes as [(typeof r.modes)[0], (typeof r.modes)[0]];
    // conventional layer 1: 3 channel tiles × 2 vector tiles, 49 groups of g·T_w·T_x = 16·4·4 cycles each
    expect(conv.cyclesPerLayer[0]).toBeGreaterThanOrEqual(6 * 49 * 256);
    expect(conv.cyclesPerLayer[0]).toBeLessThan(6 * 49 * 256 + 200);
    // TR layer 1: k·d = 24 cycles per group of 16
    expect(tr.cyclesPerLayer[0]).toBeGreaterThanOrEqual(6 * 49 * 24);
    expect(tr.cyclesPerLayer[0]).toBeLessThan(6 * 49 * 24 + 200);
    expect(r.cycleRatio).toBeCloseTo(conv.cyclesPerImage / tr.cyclesPerImage, 12);
    expect(r.cycleRatio).toBeGreaterThan(5);
    expect(tr.layers).toEqual(TR);
    // the hardware's predictions are inferQ's (checked above), so this is the quantized net's accuracy
    const refs = referenceInference(q, samples.map((s) => quantizeInput(q, s.pixels)), CONV);
    expect(conv.predictions).toEqual(refs.map((x) => x.pred));
  });

  it('a corrupted weight on the hardware side is detected (references from the intact net)', async () => {
    const x0 = quantizeInput(q, samples[0]!.pixels);
    const i = x0.findIndex((v) => v > 50); // a bright pixel of image 0
    const L0 = q.layers[0]!;
    const o = 3;
    const Wq = L0.Wq.slice();
    Wq[o * L0.inDim + i] = Wq[o * L0.inDim + i]! > 0 ? Wq[o * L0.inDim + i]! - 1 : Wq[o * L0.inDim + i]! + 1;
    const bad: QMlp = { ...q, layers: [{ ...L0, Wq }, ...q.layers.slice(1)] };
    const refs = referenceInference(q, samples.map((s) => quantizeInput(q, s.pixels)), CONV);
    const m = await runHardwareMode('conventional', hwConfigFor(q), bad, samples, CONV, refs);
    expect(m.mismatches).toBeGreaterThan(0);
    expect(m.mismatchExamples[0]).toMatch(new RegExp(`^layer 1 image 0 channel ${o} acc: expected model (-?\\d+), inferQ (-?\\d+) \\| hardware \\1$`));
  });

  it('corrupted hardware outputs differ from both references and are counted once each', () => {
    const x0s = samples.map((s) => quantizeInput(q, s.pixels));
    const refs = referenceInference(q, x0s, CONV);
    const l = 1;
    const hw = { acc: refs.map((r) => Array.from(r.acc[l]!)), y: refs.map((r) => Array.from(r.y[l]!)) };
    const run = { hw, model: { acc: hw.acc.map((a) => a.slice()), y: hw.y.map((a) => a.slice()), termPairs: 0 } };
    const ok = new Comparison();
    compareLayer(ok, l, false, run, refs);
    expect({ compared: ok.compared, mismatches: ok.mismatches }).toEqual({ compared: 2 * 6 * 16, mismatches: 0 });
    hw.acc[2]![5]! += 1;
    hw.y[4]![0] = hw.y[4]![0]! === 0 ? 1 : 0;
    const bad = new Comparison();
    compareLayer(bad, l, false, run, refs);
    expect(bad.mismatches).toBe(2);
    expect(bad.examples[0]).toMatch(/^layer 2 image 2 channel 5 acc: expected model -?\d+, inferQ -?\d+ \| hardware -?\d+$/);
    expect(bad.examples[1]).toMatch(/^layer 2 image 4 channel 0 y: /);
    // a model-only difference (hardware equal to inferQ) is a mismatch too
    const run2 = { hw: { acc: refs.map((r) => Array.from(r.acc[l]!)), y: refs.map((r) => Array.from(r.y[l]!)) }, model: { ...run.model, acc: run.model.acc.map((a) => a.slice()) } };
    run2.model.acc[0]![0]! += 7;
    const modelOnly = new Comparison();
    compareLayer(modelOnly, l, false, run2, refs);
    expect(modelOnly.mismatches).toBe(1);
  });
});
