import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/model/index.ts';
import { calibrationInputs, floatInfer, foldNet } from '../../workloads/cnn/fold.ts';
import { forwardEval, initParams, mnistCnnSpec } from '../../workloads/cnn/net.ts';

const SEED = 99;

describe('folding the trainer net for the quantizer (workloads/cnn/fold.ts)', () => {
  // a small instance of the default architecture with non-trivial batch-norm statistics
  const params = initParams(mnistCnnSpec([4, 6, 8]), new Rng(SEED));
  const rng = new Rng(SEED + 1);
  for (const L of params.layers) {
    if (L?.kind !== 'bn') continue;
    for (let c = 0; c < L.gamma.length; c++) {
      L.gamma[c] = (rng.next() < 0.25 ? -1 : 1) * (0.5 + rng.next());
      L.beta[c] = rng.normal() * 0.2;
      L.runMean[c] = rng.normal() * 0.1;
      L.runVar[c] = 0.5 + rng.next();
    }
  }
  const img = Float32Array.from({ length: 784 }, () => (rng.next() < 0.7 ? 0 : rng.next()));

  it('one FLayer per conv / pooling / FC, batch norm and ReLU attached to the conv before them', () => {
    const f = foldNet(params);
    expect(f.layers.map((L) => [L.kind, L.name, L.kind === 'conv' ? [L.relu, !!L.bn, L.geom.groups] : null])).toEqual([
      ['conv', 'conv1', [true, true, 1]],
      ['conv', 'conv2', [true, true, 1]],
      ['conv', 'dw3', [true, true, 6]],
      ['conv', 'pw4', [true, true, 1]],
      ['gap', 'gap5', null],
      ['conv', 'fc6', [false, false, 1]],
    ]);
    expect(f.specIndex).toEqual([0, 3, 6, 9, 12, 13]);
  });

  it(`the folded network computes the trainer's logits (seed ${SEED})`, () => {
    const f = foldNet(params);
    const want = Array.from(forwardEval(params, img));
    const got = Array.from(floatInfer(f.layers, img));
    got.forEach((v, i) => expect(v, `logit ${i}: folded ${v} vs trainer ${want[i]}`).toBeCloseTo(want[i]!, 4));
  });

  it('calibration inputs: one tensor per FLayer, sized like its input', () => {
    const f = foldNet(params);
    const c = calibrationInputs(params, f, [{ pixels: img }, { pixels: img }]);
    expect(c.map((a) => a.length)).toEqual([2 * 784, 2 * 14 * 14 * 4, 2 * 7 * 7 * 6, 2 * 7 * 7 * 6, 2 * 7 * 7 * 8, 2 * 8]);
  });
});

describe('the MLP as a trainer net (workloads/cnn/mlp-net.ts)', () => {
  it('folds to convs whose kernels cover their inputs and computes the MLP forward pass', async () => {
    const { initMlp, forward } = await import('../../workloads/mnist/mlp.ts');
    const { mlpAsCnn } = await import('../../workloads/cnn/mlp-net.ts');
    const w = initMlp([784, 12, 10], new Rng(SEED));
    const p = mlpAsCnn(w);
    const f = foldNet(p);
    expect(f.layers.map((L) => (L.kind === 'conv' ? [L.geom.kh, L.geom.kw, L.geom.inC, L.geom.outC, L.relu] : null))).toEqual([
      [28, 28, 1, 12, true],
      [1, 1, 12, 10, false],
    ]);
    const img = Float32Array.from({ length: 784 }, (_, i) => ((i * 37) % 11) / 10);
    const want = Array.from(forward(w, img));
    Array.from(floatInfer(f.layers, img)).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
    Array.from(forwardEval(p, img)).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
  });
});
