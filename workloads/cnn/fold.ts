/**
 * From the trainer's parameters (net.ts: a flat list of conv / bn / relu / gap / fc layers, OHWI weights) to
 * the quantizer's float network (qcnn.ts FLayer: one entry per array job or host pooling, OIHW weights, the
 * batch norm and ReLU that follow a conv attached to it, an FC layer as a conv whose kernel covers its input), and the
 * calibration inputs of every FLayer.
 */
import { convDirect, type ConvGeom } from '../../sim/model/conv.ts';
import { type CnnParams, forwardCollect, layerShapes } from './net.ts';
import { BN_EPS } from './layers.ts';
import type { FLayer } from './qcnn.ts';

export interface Folded {
  layers: FLayer[];
  /** index of each FLayer's first layer in params.spec.layers */
  specIndex: number[];
  inShape: [number, number, number];
}

/** OHWI (w[((o·kh + y)·kw + x)·I + i]) to OIHW (w[((o·I + i)·kh + y)·kw + x]). */
export function ohwiToOihw(w: Float32Array, O: number, kh: number, kw: number, I: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < O; o++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < I; i++) out[((o * I + i) * kh + y) * kw + x] = w[((o * kh + y) * kw + x) * I + i] as number;
  return out;
}

export function foldNet(params: CnnParams): Folded {
  const spec = params.spec;
  const shapes = layerShapes(spec);
  const layers: FLayer[] = [];
  const specIndex: number[] = [];
  let n = 0;
  for (let i = 0; i < spec.layers.length; i++) {
    const L = spec.layers[i]!;
    const P = params.layers[i];
    const sh = shapes[i]!;
    n++;
    if (L.kind === 'conv' && P?.kind === 'conv') {
      const geom: ConvGeom = { inH: sh.in.h, inW: sh.in.w, inC: L.cin, outC: L.cout, kh: L.k, kw: L.k, stride: L.stride, pad: L.pad, groups: L.groups };
      const f: FLayer = { kind: 'conv', name: L.groups === 1 ? (L.k === 1 ? `pw${n}` : `conv${n}`) : `dw${n}`, geom, w: ohwiToOihw(P.w, L.cout, L.k, L.k, L.cin / L.groups), relu: false };
      specIndex.push(i);
      const B = params.layers[i + 1];
      if (spec.layers[i + 1]?.kind === 'bn' && B?.kind === 'bn') {
        f.bn = { gamma: B.gamma, beta: B.beta, mean: B.runMean, var: B.runVar, eps: BN_EPS };
        i++;
      }
      if (spec.layers[i + 1]?.kind === 'relu') {
        f.relu = true;
        i++;
      }
      layers.push(f);
    } else if (L.kind === 'gap') {
      layers.push({ kind: 'gap', name: `gap${n}`, h: sh.in.h, w: sh.in.w, c: sh.in.c });
      specIndex.push(i);
    } else if (L.kind === 'fc' && P?.kind === 'fc') {
      // an FC layer is a conv whose kernel covers its whole input (its flattened NHWC input order is OHWI)
      const geom: ConvGeom = { inH: sh.in.h, inW: sh.in.w, inC: sh.in.c, outC: L.outF, kh: sh.in.h, kw: sh.in.w, stride: 1, pad: 0, groups: 1 };
      const f: FLayer = { kind: 'conv', name: `fc${n}`, geom, w: ohwiToOihw(P.w, L.outF, sh.in.h, sh.in.w, sh.in.c), b: P.b, relu: false };
      specIndex.push(i);
      if (spec.layers[i + 1]?.kind === 'relu') {
        f.relu = true;
        i++;
      }
      layers.push(f);
    } else throw new RangeError(`layer ${i} (${L.kind}) cannot be mapped (batch norm and ReLU must follow a conv or fc layer)`);
  }
  return { layers, specIndex, inShape: [spec.input.h, spec.input.w, spec.input.c] };
}

/** Float inputs of every FLayer over the samples, concatenated (entry l = input activations of FLayer l). */
export function calibrationInputs(params: CnnParams, folded: Folded, samples: readonly { pixels: Float32Array }[]): Float32Array[] {
  const parts: Float32Array[][] = folded.layers.map(() => []);
  for (const s of samples) {
    const a = forwardCollect(params, s.pixels);
    folded.specIndex.forEach((si, l) => parts[l]!.push(a.inputs[si]!));
  }
  return parts.map((ps) => {
    const out = new Float32Array(ps.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of ps) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  });
}

/**
 * Float inference of the folded network (direct convolutions, BN with running statistics, mean pooling): the
 * reference that foldNet preserves the trainer's network (test/fast/cnn-fold.test.ts).
 */
export function floatInfer(layers: readonly FLayer[], pixels: Float32Array): Float64Array {
  let x: number[] = Array.from(pixels);
  for (const L of layers) {
    if (L.kind === 'gap') {
      const s = new Array<number>(L.c).fill(0);
      for (let p = 0; p < L.h * L.w; p++) for (let c = 0; c < L.c; c++) s[c] = (s[c] as number) + (x[p * L.c + c] as number);
      x = s.map((v) => v / (L.h * L.w));
      continue;
    }
    const z = convDirect(x, L.w, L.geom);
    const C = L.geom.outC;
    x = z.map((v, i) => {
      const o = i % C;
      let y = v + (L.b ? (L.b[o] as number) : 0);
      if (L.bn) y = ((y - (L.bn.mean[o] as number)) / Math.sqrt((L.bn.var[o] as number) + L.bn.eps)) * (L.bn.gamma[o] as number) + (L.bn.beta[o] as number);
      return L.relu ? Math.max(0, y) : y;
    });
  }
  return Float64Array.from(x);
}
