/**
 * The MNIST MLP (workloads/mnist/mlp.ts) as a net of the CNN trainer: fully connected layers with ReLU between
 * them, so the same quantizer, TR fine-tuning (QAT) and integer evaluation apply to both workloads.
 */
import type { MlpWeights } from '../mnist/mlp.ts';
import type { CnnParams, LayerSpec } from './net.ts';

export function mlpAsCnn(w: MlpWeights): CnnParams {
  const layers: LayerSpec[] = [];
  const params: CnnParams['layers'] = [];
  w.layers.forEach((L, l) => {
    layers.push({ kind: 'fc', inF: L.inDim, outF: L.outDim });
    params.push({ kind: 'fc', w: Float32Array.from(L.W), b: Float32Array.from(L.b) });
    if (l < w.layers.length - 1) {
      layers.push({ kind: 'relu' });
      params.push(null);
    }
  });
  const side = Math.round(Math.sqrt(w.layers[0]?.inDim ?? 0));
  if (side * side !== w.layers[0]?.inDim) throw new RangeError(`MLP input ${w.layers[0]?.inDim} is not a square image`);
  return { spec: { input: { h: side, w: side, c: 1 }, layers }, layers: params };
}
