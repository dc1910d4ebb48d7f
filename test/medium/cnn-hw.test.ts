/**
 * CNN hardware inference (workloads/cnn/hw.ts) on Verilator, small: a random float CNN with every layer kind
 * (3x3 stride-2 conv + BN, depthwise 3x3 + BN, pointwise + BN, global pooling on the host, FC), quantized with
 * QuantNorm and 8-bit scales, 3 images in conventional and TR mode, every layer chained through the hardware
 * and compared with the golden model and inferCnn. Partial tiles on purpose (75 pixels per layer with R = 4,
 * 6 and 10 channels with C = 8, K = 9, 54, 6, 10). Then tampering: a corrupted weight must show up.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/model/index.ts';
import { resolveConfig } from '../../gen/config.ts';
import type { LayerTerms } from '../../workloads/mnist/qmlp.ts';
import { cnnHwConfig, runCnnHardware } from '../../workloads/cnn/hw.ts';
import { convLayers, quantizeCnn, type Qcnn } from '../../workloads/cnn/qcnn.ts';
import { randomNet } from '../cnn-helpers.ts';

const SEED = 5;
const rng = new Rng(SEED);
const { layers, calib } = randomNet(rng);
const q: Qcnn = quantizeCnn(layers, calib, [9, 9, 1], { wBits: 6, xBits: 8, scales: { kind: 'int', bits: 8 }, biasBits: 16, maxShift: 24, quantile: 0.999 });
const samples = Array.from({ length: 3 }, (_, i) => ({ pixels: Float32Array.from({ length: 81 }, () => (rng.next() < 0.4 ? 0 : rng.next())), label: i % 4 }));
const TR: LayerTerms[] = [
  { mode: 'tr', g: 4, k: 3, d: 2 },
  { mode: 'tr', g: 8, k: 1, d: 2 },
  { mode: 'tr', g: 8, k: 4, d: 2 },
  { mode: 'tr', g: 8, k: 5, d: 3 },
];

describe(`CNN on the simulated array (random net, seed ${SEED})`, () => {
  it('conventional and TR mode: every accumulator and output equals the golden model and inferCnn, cycles equal the schedule', async () => {
    const log: string[] = [];
    const r = await runCnnHardware(q, samples, TR, { onProgress: (m) => log.push(m) });
    for (const m of r.modes) {
      const ctx = `seed ${SEED}, ${m.mode}: ${m.mismatchExamples.join('; ')}\n${log.join('\n')}`;
      expect(m.mismatches, ctx).toBe(0);
      expect(m.outputsCompared, ctx).toBeGreaterThan(3000);
      expect(m.cyclesEqualSchedule, ctx).toBe(true);
      expect(m.predictionsEqualModel, ctx).toBe(true);
      expect(m.cyclesPerLayer, ctx).toEqual(m.scheduleCyclesPerLayer);
    }
    // TR at these budgets takes fewer cycles than conventional mode on the same hardware
    expect(r.cycleRatio).toBeGreaterThan(1);
  }, 600_000);

  it('per-block budgets: one k per channel tile (a 4-column array, so c1 and pw have two tiles each) match the golden model, inferCnn and the schedule', async () => {
    const cfg = resolveConfig({ ...cnnHwConfig(q), name: 'trcnn4', cols: 4 }, 'test');
    const blocks: LayerTerms[] = [
      { mode: 'tr', g: 4, k: 3, d: 2, blocks: { c: 4, k: [3, 1] } },
      { mode: 'tr', g: 8, k: 2, d: 2, blocks: { c: 4, k: [1, 2] } },
      { mode: 'tr', g: 8, k: 4, d: 2, blocks: { c: 4, k: [4, 2] } },
      { mode: 'tr', g: 8, k: 5, d: 3 },
    ];
    const log: string[] = [];
    const r = await runCnnHardware(q, samples.slice(0, 2), blocks, { cfg, onProgress: (m) => log.push(m) });
    const m = r.modes.find((x) => x.mode === 'tr')!;
    const ctx = `${m.mismatchExamples.join('; ')}\n${log.join('\n')}`;
    expect(m.mismatches, ctx).toBe(0);
    expect(m.cyclesEqualSchedule, ctx).toBe(true);
    expect(m.predictionsEqualModel, ctx).toBe(true);
  }, 600_000);

  it('a corrupted weight is reported as mismatches against references from the intact net', async () => {
    const cfg = cnnHwConfig(q);
    const L = convLayers(q)[0]!; // c1, channel 0, centre tap
    const Wq = Int32Array.from(L.Wq);
    Wq[4] = Wq[4] === 5 ? 4 : 5;
    const bad: Qcnn = { ...q, layers: q.layers.map((X) => (X === L ? { ...L, Wq } : X)) };
    const r = await runCnnHardware(bad, samples.slice(0, 1), TR, { cfg, referenceNet: q });
    for (const m of r.modes) {
      expect(m.mismatches, m.mode).toBeGreaterThan(0);
      expect(m.mismatchExamples[0], m.mode).toMatch(/^c1 image 0 pixel \d+ channel \d+ acc: expected model -?\d+, inferCnn -?\d+ \| hardware -?\d+$/);
    }
  }, 600_000);
});
