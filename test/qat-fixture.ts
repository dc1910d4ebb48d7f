/** A small random digits CNN, folded, quantized (8-bit, int8 scales) and set up for QAT, with its second conv
 *  layer (spec layer 3) at hand: the fixture of the QAT and FracBits tests. Deterministic for a seed. */
import type { ConvGeom } from '../sim/model/conv.ts';
import { Rng } from '../sim/model/index.ts';
import { type Folded, calibrationInputs, foldNet } from '../workloads/cnn/fold.ts';
import { initParams, mnistCnnSpec } from '../workloads/cnn/net.ts';
import { type QatLayer, qatLayers } from '../workloads/cnn/qat.ts';
import { type FConv, type Qcnn, quantizeCnn } from '../workloads/cnn/qcnn.ts';

export interface QatFixture {
  folded: Folded;
  q: Qcnn;
  /** spec layer 3, the second conv */
  conv2: QatLayer;
  /** its float weights (OHWI) and geometry */
  w: Float32Array;
  geom: ConvGeom;
  /** the calibration images */
  imgs: { pixels: Float32Array }[];
}

/** `widths`: the channel widths of mnistCnnSpec; 4 sparse random images calibrate the quantizer. */
export function qatFixture(seed: number, widths: readonly [number, number, number]): QatFixture {
  const params = initParams(mnistCnnSpec(widths), new Rng(seed));
  const folded = foldNet(params);
  const rng = new Rng(seed + 1);
  const imgs = Array.from({ length: 4 }, () => ({ pixels: Float32Array.from({ length: 784 }, () => (rng.next() < 0.7 ? 0 : rng.next())) }));
  const q = quantizeCnn(folded.layers, calibrationInputs(params, folded, imgs), folded.inShape, { wBits: 8, xBits: 8, scales: { kind: 'int', bits: 8 }, biasBits: 16, maxShift: 31, quantile: 0.9999 });
  const conv2 = qatLayers(folded, q).get(3)!;
  return { folded, q, conv2, imgs, w: (params.layers[3] as { w: Float32Array }).w, geom: (folded.layers[conv2.l] as FConv).geom };
}
