/** Test fixtures for the CNN: a small random float network with every layer kind. */
import { Rng } from '../sim/model/index.ts';
import type { ConvGeom } from '../sim/model/conv.ts';
import type { FLayer } from '../workloads/cnn/qcnn.ts';

function randF(rng: Rng, n: number, s = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * s);
}

/** A small random float CNN with every layer kind: 3x3 s2 conv + BN, depthwise + BN, pointwise + BN, GAP, FC. */
export function randomNet(rng: Rng): { layers: FLayer[]; calib: Float32Array[] } {
  const bn = (c: number) => ({
    gamma: Float32Array.from({ length: c }, () => (rng.next() < 0.2 ? -1 : 1) * (0.5 + rng.next())),
    beta: randF(rng, c, 0.3),
    mean: randF(rng, c, 0.2),
    var: Float32Array.from({ length: c }, () => 0.5 + rng.next()),
    eps: 1e-5,
  });
  const g1: ConvGeom = { inH: 9, inW: 9, inC: 1, outC: 6, kh: 3, kw: 3, stride: 2, pad: 1, groups: 1 };
  const g2: ConvGeom = { inH: 5, inW: 5, inC: 6, outC: 6, kh: 3, kw: 3, stride: 1, pad: 1, groups: 6 };
  const g3: ConvGeom = { inH: 5, inW: 5, inC: 6, outC: 8, kh: 1, kw: 1, stride: 1, pad: 0, groups: 1 };
  const g4: ConvGeom = { inH: 1, inW: 1, inC: 8, outC: 4, kh: 1, kw: 1, stride: 1, pad: 0, groups: 1 };
  const layers: FLayer[] = [
    { kind: 'conv', name: 'c1', geom: g1, w: randF(rng, 6 * 9, 0.5), bn: bn(6), relu: true },
    { kind: 'conv', name: 'dw', geom: g2, w: randF(rng, 6 * 9, 0.5), bn: bn(6), relu: true },
    { kind: 'conv', name: 'pw', geom: g3, w: randF(rng, 8 * 6, 0.5), bn: bn(8), relu: true },
    { kind: 'gap', name: 'gap', h: 5, w: 5, c: 8 },
    { kind: 'conv', name: 'fc', geom: g4, w: randF(rng, 4 * 8, 0.5), b: randF(rng, 4, 0.1), relu: false },
  ];
  const calib = layers.map(() => Float32Array.from({ length: 200 }, () => Math.abs(rng.normal())));
  return { layers, calib };
}

