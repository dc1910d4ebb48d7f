import { describe, expect, it } from 'vitest';
import { matmul, maxMagnitude, Rng, type DotSpec } from '../../sim/model/index.ts';
import {
  convDirect,
  convOutSize,
  convParts,
  globalSumPool,
  im2col,
  patchRow,
  scatterPart,
  weightMatrix,
  type ConvGeom,
} from '../../sim/model/conv.ts';

const SEED = 4242;

function randTensor(rng: Rng, n: number, bits: number): number[] {
  const m = maxMagnitude(bits);
  return Array.from({ length: n }, () => (rng.next() < 0.25 ? 0 : rng.int(-m, m)));
}

/** The layer through its lowered matrix jobs (every part), scattered back to HWC. */
function lowered(x: number[], w: number[], g: ConvGeom, bundle: number, spec: DotSpec): number[] {
  const { outH, outW } = convOutSize(g);
  const out = new Array<number>(outH * outW * g.outC).fill(NaN);
  for (const part of convParts(g, bundle)) scatterPart(out, matmul(weightMatrix(w, g, part), im2col(x, g, part), spec).acc, g, part);
  return out;
}

const CASES: [string, ConvGeom, number][] = [
  ['3x3 stride 1 pad 1', { inH: 6, inW: 5, inC: 3, outC: 4, kh: 3, kw: 3, stride: 1, pad: 1, groups: 1 }, 1],
  ['3x3 stride 2 pad 1', { inH: 7, inW: 7, inC: 2, outC: 3, kh: 3, kw: 3, stride: 2, pad: 1, groups: 1 }, 1],
  ['3x3 stride 2 pad 0', { inH: 8, inW: 6, inC: 2, outC: 2, kh: 3, kw: 3, stride: 2, pad: 0, groups: 1 }, 1],
  ['1x1 pointwise', { inH: 4, inW: 4, inC: 5, outC: 6, kh: 1, kw: 1, stride: 1, pad: 0, groups: 1 }, 1],
  ['5x3 stride 3 pad 2', { inH: 9, inW: 7, inC: 2, outC: 2, kh: 5, kw: 3, stride: 3, pad: 2, groups: 1 }, 1],
  ['depthwise, one channel per job', { inH: 5, inW: 5, inC: 4, outC: 4, kh: 3, kw: 3, stride: 1, pad: 1, groups: 4 }, 1],
  ['depthwise, bundles of 3 (last partial)', { inH: 5, inW: 6, inC: 7, outC: 7, kh: 3, kw: 3, stride: 2, pad: 1, groups: 7 }, 3],
  ['depthwise multiplier 2, bundles of 2', { inH: 4, inW: 4, inC: 3, outC: 6, kh: 3, kw: 3, stride: 1, pad: 1, groups: 3 }, 2],
  ['grouped conv (2 groups of 2 channels)', { inH: 5, inW: 5, inC: 4, outC: 6, kh: 3, kw: 3, stride: 1, pad: 1, groups: 2 }, 2],
];

describe('conv lowering (sim/model/conv.ts)', () => {
  it.each(CASES)('%s: lowered matrix jobs equal the direct convolution (conventional mode)', (_name, g, bundle) => {
    const rng = new Rng(SEED);
    const I = g.inC / g.groups;
    const x = randTensor(rng, g.inH * g.inW * g.inC, 8);
    const w = randTensor(rng, g.outC * I * g.kh * g.kw, 6);
    const spec: DotSpec = { mode: 'conventional', g: 1, k: 1, d: 1, wBits: 6, xBits: 8 };
    const got = lowered(x, w, g, bundle, spec);
    const want = convDirect(x, w, g);
    const bad = got.findIndex((v, i) => v !== want[i]);
    expect(bad, `seed ${SEED}: first mismatch at HWC index ${bad}: lowered ${got[bad]} vs direct ${want[bad]}`).toBe(-1);
  });

  it('reduction order is tap-major, channel-minor: a group of g = C values is one tap of all channels', () => {
    const g: ConvGeom = { inH: 5, inW: 5, inC: 8, outC: 1, kh: 3, kw: 3, stride: 1, pad: 1, groups: 1 };
    // x encodes (y, x, c) so each reduction slot can be decoded
    const x = Array.from({ length: 5 * 5 * 8 }, (_, i) => i + 1);
    const [part] = convParts(g);
    const row = patchRow(x, g, part!, 2, 2);
    for (let r = 0; r < row.length; r++) {
      const v = (row[r] as number) - 1;
      const tap = Math.floor(r / 8);
      const [ky, kx] = [Math.floor(tap / 3), tap % 3];
      expect({ r, y: Math.floor(v / 40), x: Math.floor(v / 8) % 5, c: v % 8 }).toEqual({ r, y: 1 + ky, x: 1 + kx, c: r % 8 });
    }
  });

  it('zero padding: taps outside the image are 0 in the reduction vector', () => {
    const g: ConvGeom = { inH: 3, inW: 3, inC: 1, outC: 1, kh: 3, kw: 3, stride: 1, pad: 1, groups: 1 };
    const row = patchRow([1, 2, 3, 4, 5, 6, 7, 8, 9], g, convParts(g)[0]!, 0, 0);
    expect(row).toEqual([0, 0, 0, 0, 1, 2, 0, 4, 5]);
  });

  it('depthwise under TR: bundling g channels at one tap leaves one nonzero weight per group, so each channel keeps its own k largest terms per tap', () => {
    const rng = new Rng(SEED + 1);
    const g: ConvGeom = { inH: 5, inW: 5, inC: 8, outC: 8, kh: 3, kw: 3, stride: 1, pad: 1, groups: 8 };
    const x = randTensor(rng, 5 * 5 * 8, 8);
    const w = randTensor(rng, 8 * 9, 8);
    const trB: DotSpec = { mode: 'tr', g: 8, k: 2, d: 2, wBits: 8, xBits: 8 };
    const got = lowered(x, w, g, 8, trB);
    // the same layer as 8 one-channel jobs with groups of one weight (g = 1, same k, d)
    const tr1: DotSpec = { ...trB, g: 1 };
    const want = lowered(x, w, g, 1, tr1);
    expect(got).toEqual(want);
    // and TR really changed something (k = 2 of up to 4 terms per weight)
    expect(got).not.toEqual(convDirect(x, w, g));
  });

  it('parts: one for a dense conv, ceil(groups / bundle) for grouped ones, covering every channel once', () => {
    expect(convParts({ inH: 4, inW: 4, inC: 16, outC: 32, kh: 3, kw: 3, stride: 1, pad: 1, groups: 1 }, 8)).toEqual([
      { g0: 0, nGroups: 1, o0: 0, outC: 32, c0: 0, inC: 16, K: 144 },
    ]);
    const parts = convParts({ inH: 4, inW: 4, inC: 20, outC: 20, kh: 3, kw: 3, stride: 1, pad: 1, groups: 20 }, 8);
    expect(parts.map((p) => [p.o0, p.outC, p.K])).toEqual([
      [0, 8, 72],
      [8, 8, 72],
      [16, 4, 36],
    ]);
  });

  it('rejects malformed geometry', () => {
    const ok: ConvGeom = { inH: 4, inW: 4, inC: 4, outC: 4, kh: 3, kw: 3, stride: 1, pad: 1, groups: 1 };
    expect(() => convParts({ ...ok, groups: 3 })).toThrow(/groups 3 must divide/);
    expect(() => convParts({ ...ok, stride: 0 })).toThrow(/stride/);
    expect(() => convParts({ ...ok, kh: 7, pad: 0 })).toThrow(/does not fit/);
    expect(() => im2col([1, 2], ok, convParts(ok)[0]!)).toThrow(/expected 4x4x4/);
  });

  it('global sum pooling sums each channel over all pixels', () => {
    expect(globalSumPool([1, 10, 2, 20, 3, 30, 4, 40], 2, 2, 2)).toEqual([10, 100]);
  });
});
