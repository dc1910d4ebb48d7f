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
 *             while C stays ≤ T (`fill`: also layers already at or above their real k, so the spare budget
 *             is used up as far as the slopes allow). The rounded budgets are then fine-tuned like any QAT point.
 *             roundingCandidates lists every floor/ceil choice (with and without the fill) for a caller that
 *             picks one by a loss, as the seed study's val-rounded allocations do.
 * Budget units (budgetUnits): one k per layer, or one k per block of C output channels (C = the array's column
 * count: a block is a channel tile, and k is a per-tile control register, so per-block budgets cost no
 * hardware; per-output-channel budgets would need a per-column k). The vectors above then run over units.
 * projectBudgets (optional) keeps the cost exactly on the target after every step instead of the penalty.
 */
import type { LayerTerms, TermBlocks } from '../mnist/qmlp.ts';
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
  /**
   * after each step, project onto the target: shift every budget by one common δ (then clamp to [kMin, kMax])
   * so that the cost equals the target exactly (when reachable); the penalty λ may then be 0
   */
  project?: boolean;
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
  if (o.project) projectBudgets(st.k, o.slopes, o.target, o.kMin, o.kMax);
}

/**
 * In place: k_u ← clamp(k_u − δ, kMin, kMax) with the one δ that makes the cost Σ slope_u·k_u equal the target
 * (bisection; the cost is monotone in δ). An unreachable target gives all budgets at kMin or kMax.
 */
export function projectBudgets(k: number[], slopes: readonly number[], target: number, kMin: number, kMax: number): void {
  const at = (delta: number): number => k.reduce((s, v, u) => s + Math.min(kMax, Math.max(kMin, v - delta)) * (slopes[u] as number), 0);
  let lo = Math.min(...k) - kMax; // δ here: everything at kMax (cost maximal)
  let hi = Math.max(...k) - kMin; // δ here: everything at kMin
  if (at(lo) <= target) hi = lo;
  else if (at(hi) >= target) lo = hi;
  else
    for (let i = 0; i < 100 && hi - lo > 1e-12; i++) {
      const mid = (lo + hi) / 2;
      if (at(mid) > target) lo = mid;
      else hi = mid;
    }
  const delta = (lo + hi) / 2;
  for (let u = 0; u < k.length; u++) k[u] = Math.min(kMax, Math.max(kMin, (k[u] as number) - delta));
}

/**
 * Round real budgets to integers with total cost ≤ target (see the file comment), starting from the nearest
 * integers or from `start`.
 */
export function roundBudgets(k: readonly number[], slopes: readonly number[], target: number, kMin: number, kMax: number, fill = false, start?: readonly number[]): number[] {
  const r = start ? start.slice() : k.map((v) => Math.min(kMax, Math.max(kMin, Math.round(v))));
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
    if (!c || (c.under <= 0 && !fill)) break;
    r[c.l] = (r[c.l] as number) + 1;
  }
  return r;
}

/**
 * The integer budgets a rounding of real budgets k may pick: every choice of ⌊k_l⌋ or ⌈k_l⌉ per unit (clamped to
 * [kMin, kMax]) whose cost is within the target, each also with roundBudgets' fill (spare budget to the units
 * furthest below their real budget, while the slopes allow); duplicates removed, in a fixed order. A unit count
 * above `maxUnits` is refused (2^units choices).
 */
export function roundingCandidates(k: readonly number[], slopes: readonly number[], target: number, kMin: number, kMax: number, maxUnits = 12): number[][] {
  if (k.length > maxUnits) throw new Error(`roundingCandidates: ${k.length} units (at most ${maxUnits})`);
  const clamp = (v: number): number => Math.min(kMax, Math.max(kMin, v));
  const seen = new Set<string>();
  const out: number[][] = [];
  // every r added is within the target: the choice is checked below, and the fill only raises while it stays so
  const add = (r: number[]): void => {
    const key = r.join('/');
    if (seen.has(key)) return;
    seen.add(key);
    out.push(r);
  };
  for (let m = 0; m < 2 ** k.length; m++) {
    const r = k.map((v, l) => clamp((m >> l) & 1 ? Math.ceil(v) : Math.floor(v)));
    if (fracCost(r, slopes) > target) continue;
    add(r);
    // the fill from this choice: roundBudgets' second loop (nothing to take back: the choice is within the target)
    add(roundBudgets(k, slopes, target, kMin, kMax, true, r));
  }
  return out;
}

/** Per-layer settings from budgets. */
export const budgetsToTerms = (ks: readonly number[], g: number, d: number): LayerTerms[] => ks.map((k) => ({ mode: 'tr', g, k, d }));

/**
 * A unit of learned budget: output channels c0 .. c1 − 1 of conv layer `conv` (per-layer budgets: one unit per
 * layer covering all channels; per-block budgets: one unit per block of blockC channels, blockC = the array's
 * column count, i.e. one channel tile with its own k register). slope = budget term pairs per unit of k.
 */
export interface BudgetUnit {
  conv: number;
  block: number;
  c0: number;
  c1: number;
  slope: number;
}

/** The budget units of a net: per layer (blockC = Infinity) or per block of blockC output channels. */
export function budgetUnits(convs: readonly QConv[], g: number, d: number, xBits: number, bundle: number, blockC: number): BudgetUnit[] {
  const units: BudgetUnit[] = [];
  convs.forEach((L, conv) => {
    const { outH, outW } = convOutSize(L.geom);
    const perChannel = new Float64Array(L.geom.outC);
    for (const p of convParts(L.geom, bundle)) {
      const b = outH * outW * dotBudget(p.K, { mode: 'tr', g, k: 1, d }, L.wBits, xBits);
      for (let o = p.o0; o < p.o0 + p.outC; o++) perChannel[o] = b;
    }
    const c = Number.isFinite(blockC) ? blockC : L.geom.outC;
    for (let c0 = 0, block = 0; c0 < L.geom.outC; c0 += c, block++) {
      const c1 = Math.min(L.geom.outC, c0 + c);
      let slope = 0;
      for (let o = c0; o < c1; o++) slope += perChannel[o] as number;
      units.push({ conv, block, c0, c1, slope });
    }
  });
  return units;
}

/** Per conv layer: the TR setting of unit budgets ks (a layer with one unit gets a plain k, otherwise blocks). */
export function unitsToTerms(units: readonly BudgetUnit[], ks: readonly number[], nConv: number, g: number, d: number): LayerTerms[] {
  return Array.from({ length: nConv }, (_, conv) => {
    const us = units.map((u, i) => ({ u, k: ks[i] as number })).filter(({ u }) => u.conv === conv);
    if (us.length === 0) throw new RangeError(`no budget unit for conv layer ${conv}`);
    const k0 = us[0]!.k;
    if (us.length === 1) return { mode: 'tr', g, k: k0, d };
    return { mode: 'tr', g, k: Math.max(...us.map((x) => x.k)), d, blocks: { c: us[0]!.u.c1 - us[0]!.u.c0, k: us.map((x) => x.k) } };
  });
}

/** The real budgets of one conv layer as the QAT transform takes them (trTransform hooks.budget). */
export function unitBudget(units: readonly BudgetUnit[], ks: readonly number[], conv: number): number | TermBlocks {
  const idx = units.flatMap((u, i) => (u.conv === conv ? [i] : []));
  if (idx.length === 1) return ks[idx[0]!] as number;
  const u0 = units[idx[0]!]!;
  return { c: u0.c1 - u0.c0, k: idx.map((i) => ks[i] as number) };
}

/**
 * dCE/dk per unit: Σ over the unit's weights of dL/dw · (TR_{n+1} − TR_n). grad and dk of a conv layer are in
 * the trainer's layout (OHWI: the output channel is the outermost index). A layer without dk contributes 0.
 */
export function unitGradients(units: readonly BudgetUnit[], outC: readonly number[], grad: (conv: number) => ArrayLike<number> | undefined, dk: (conv: number) => ArrayLike<number> | undefined): number[] {
  return units.map((u) => {
    const gr = grad(u.conv);
    const dd = dk(u.conv);
    if (!gr || !dd) return 0;
    const per = dd.length / (outC[u.conv] as number);
    let s = 0;
    for (let i = u.c0 * per; i < u.c1 * per; i++) s += (gr[i] as number) * (dd[i] as number);
    return s;
  });
}
