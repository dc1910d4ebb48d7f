/**
 * FracBits on TR budgets: learn a real budget k_l per conv layer during quantization-aware training under a
 * fixed-schedule term-pair target, then round.
 *
 *   forward:  w_l = (1 − a_l)·TR_{n_l}(w_l) + a_l·TR_{n_l+1}(w_l),  n_l = ⌊k_l⌋, a_l = k_l − n_l   (qat.ts)
 *   cost:     C(k) = Σ_l B_l·min(k_l, g·T_w)  with B_l = pixels·channels·⌈K/g⌉·min(d, T_x) of layer l's lowered
 *             jobs (cost.ts dotBudget), i.e. the budget term pairs, linear in k_l
 *   loss:     CE + λ·(C(k)/T − 1)²  (T = the target); dCE/dk_l = Σ dL/dw · (TR_{n+1} − TR_n) over layer l's
 *             weights (the trainer's weight gradient is dL/d(transformed weights)); k_l is updated by Adam
 *             (its own learning rate), clamped to [kMin, kMax].
 *   rounding: k_l → round(k_l); while C > T, lower the layer whose rounded k is furthest above its real k
 *             (ties to the layer that saves the most); then raise layers (most below their real k first)
 *             while C stays ≤ T. The rounded budgets are then fine-tuned like any QAT point.
 * Per-output-channel budgets would need a per-column k in the sequencer (today k is one control register
 * for the whole tile), so budgets are per layer.
 */
import type { LayerTerms } from '../mnist/qmlp.ts';
import { convParts, convOutSize } from '../../sim/model/conv.ts';
import { dotBudget } from './cost.ts';
import type { QConv } from './qcnn.ts';

/** B_l: budget term pairs per unit of k (valid while k ≤ g·T_w), from the lowered jobs. */
export function budgetSlope(L: QConv, g: number, d: number, xBits: number, bundle: number): number {
  const { outH, outW } = convOutSize(L.geom);
  let s = 0;
  for (const p of convParts(L.geom, bundle)) s += outH * outW * p.outC * dotBudget(p.K, { mode: 'tr', g, k: 1, d }, L.wBits, xBits);
  return s;
}

export interface FracState {
  k: number[];
  m: number[];
  v: number[];
  t: number;
}

export interface FracOptions {
  target: number;
  slopes: readonly number[];
  kMin: number;
  kMax: number;
  lambda: number;
  lr: number;
}

export const fracCost = (k: readonly number[], slopes: readonly number[]): number => k.reduce((s, v, l) => s + v * (slopes[l] as number), 0);

/** One Adam step on the budgets given dCE/dk_l. */
export function fracStep(st: FracState, dce: readonly number[], o: FracOptions): void {
  const C = fracCost(st.k, o.slopes);
  st.t++;
  const b1 = 0.9;
  const b2 = 0.999;
  st.k.forEach((k, l) => {
    const g = (dce[l] as number) + (2 * o.lambda * (C / o.target - 1) * (o.slopes[l] as number)) / o.target;
    st.m[l] = b1 * (st.m[l] as number) + (1 - b1) * g;
    st.v[l] = b2 * (st.v[l] as number) + (1 - b2) * g * g;
    const mh = (st.m[l] as number) / (1 - b1 ** st.t);
    const vh = (st.v[l] as number) / (1 - b2 ** st.t);
    st.k[l] = Math.min(o.kMax, Math.max(o.kMin, k - (o.lr * mh) / (Math.sqrt(vh) + 1e-8)));
  });
}

/** Round real budgets to integers with total cost ≤ target (see the file comment). */
export function roundBudgets(k: readonly number[], slopes: readonly number[], target: number, kMin: number, kMax: number): number[] {
  const r = k.map((v) => Math.min(kMax, Math.max(kMin, Math.round(v))));
  while (fracCost(r, slopes) > target) {
    let best = -1;
    for (let l = 0; l < r.length; l++) {
      if ((r[l] as number) <= kMin) continue;
      if (best < 0) {
        best = l;
        continue;
      }
      const ex = (r[l] as number) - (k[l] as number);
      const eb = (r[best] as number) - (k[best] as number);
      if (ex > eb + 1e-12 || (Math.abs(ex - eb) <= 1e-12 && (slopes[l] as number) > (slopes[best] as number))) best = l;
    }
    if (best < 0) break;
    r[best] = (r[best] as number) - 1;
  }
  for (;;) {
    const cands = r
      .map((v, l) => ({ l, under: (k[l] as number) - v }))
      .filter(({ l }) => (r[l] as number) < kMax && fracCost(r, slopes) + (slopes[l] as number) <= target)
      .sort((a, b) => b.under - a.under);
    const c = cands[0];
    if (!c || c.under <= 0) break;
    r[c.l] = (r[c.l] as number) + 1;
  }
  return r;
}

/** Per-layer settings from budgets. */
export const budgetsToTerms = (ks: readonly number[], g: number, d: number): LayerTerms[] => ks.map((k) => ({ mode: 'tr', g, k, d }));
