import { describe, expect, it } from 'vitest';
import type { ConvGeom } from '../../sim/model/conv.ts';
import { convCost, dotBudget, effBits } from '../../workloads/cnn/cost.ts';
import type { QConv } from '../../workloads/cnn/qcnn.ts';

function layer(geom: ConvGeom, wBits: number): QConv {
  const n = geom.outC;
  const z = () => new Float64Array(n);
  return {
    kind: 'conv', name: 'l', geom, wBits, Wq: new Int32Array((geom.outC * geom.inC * geom.kh * geom.kw) / geom.groups), sw: z(), sxIn: 1, sxOut: 1,
    bias: new Int32Array(n), biasReal: z(), mul: new Int32Array(n).fill(1), shift: new Int32Array(n), realMul: z(), relu: true, last: false,
  };
}

describe('CNN cost (workloads/cnn/cost.ts), hand-computed cases', () => {
  const dense: ConvGeom = { inH: 4, inW: 4, inC: 8, outC: 8, kh: 3, kw: 3, stride: 1, pad: 1, groups: 1 };
  const dw: ConvGeom = { ...dense, groups: 8 };

  it('dense 3x3, 8-bit: MACs, budget term pairs and ACE in both modes', () => {
    // 16 pixels · 8 channels · 72 = 9216 MACs; T_w = T_x = 4
    expect(convCost(layer(dense, 8), { mode: 'conventional' }, 8, 8)).toMatchObject({ macs: 9216, loweredMacs: 9216, budget: 9216 * 16, ace: 9216 * 64, outputs: 128 });
    // TR g8 k4 d2: 9 groups · 4 · 2 = 72 per dot product; b_w,eff = 2·4/8 = 1, b_x,eff = 4
    expect(convCost(layer(dense, 8), { mode: 'tr', g: 8, k: 4, d: 2 }, 8, 8)).toMatchObject({ budget: 128 * 72, ace: 9216 * 4 });
  });

  it('depthwise: real MACs exclude the lowered zeros, the budget follows the lowered job', () => {
    const c = convCost(layer(dw, 8), { mode: 'conventional' }, 8, 8);
    expect(c).toMatchObject({ macs: 16 * 8 * 9, loweredMacs: 16 * 8 * 72, budget: 16 * 8 * 72 * 16 });
    // one-channel bundles: no zeros
    expect(convCost(layer(dw, 8), { mode: 'conventional' }, 8, 1)).toMatchObject({ loweredMacs: 16 * 8 * 9 });
  });

  it('budgets clip k to the group and d to the data width; effective widths', () => {
    expect(dotBudget(10, { mode: 'tr', g: 4, k: 99, d: 9 }, 3, 8)).toBe(3 * 4 * 2 * 4); // min(k, g·T_w) = 8, min(d, T_x) = 4
    expect(effBits({ mode: 'tr', g: 8, k: 5, d: 2 }, 8, 8)).toEqual({ bw: 1.25, bx: 4 });
    expect(effBits({ mode: 'conventional' }, 3, 8)).toEqual({ bw: 3, bx: 8 });
  });
});
