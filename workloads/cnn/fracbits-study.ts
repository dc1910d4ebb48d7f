/**
 * npm run cnn:fracbits-study -- [--targets 4,6] [--seeds 5] [--first-seed 1] [--out FILE.json] [--allocs LIST] [--greedy] [--extra] [--protocol a|b] [--report]
 *
 * Seed study: uniform budgets vs learned per-layer budgets vs learned per-block budgets (one k per block of 8
 * output channels = one channel tile of the 8-column array) at equal fixed-schedule term pairs, TR g8 d2, all
 * fine-tuned the same way (the `npm run cnn` QAT fine-tuning: 3 epochs, lr/4, TR in the loop), over several
 * fine-tuning seeds; accuracy on the 2,004 test digits through the fully integer pipeline (cli.ts evalPtq).
 *
 * The learned budgets come from one FracBits run per (target, granularity) with training seed 1, the same
 * method for both granularities (fracbits.ts budgetUnits): budgets start at the uniform k, Adam on dCE/dk
 * (alwaysDk: a gradient also at integer k), a projected update (every k in [1, g·T_w], the cost exactly on
 * the target), 3 epochs; then roundBudgets with fill (cost ≤ target, spare budget used up as far as the
 * slopes allow, so every allocation has (nearly) the uniform allocation's term pairs). --greedy adds the
 * allocation of `npm run cnn`'s greedy search (post-training, on the same validation digits, per layer, k ≤ 16),
 * fine-tuned and evaluated the same way. --allocs picks the allocations (default uniform,
 * per-layer, per-block; --greedy adds greedy, --extra adds readme): 'greedy-warm' is FracBits per layer started
 * from the greedy search's budgets instead of the uniform k (projected onto the target, then the same 3 epochs),
 * i.e. the post-training search's allocation refined by the QAT gradient. 'per-layer-val' and 'greedy-warm-val'
 * are the same two FracBits runs with another rounding: of every floor/ceil choice per layer within the target
 * (each with and without the fill, fracbits.ts roundingCandidates), the one whose budgets give the FracBits-
 * trained net the lowest loss on the greedy search's validation digits (the digits and objective the greedy
 * search uses; the test digits play no part).
 *
 * --protocol b (FracBits as a training method, at equal training epochs): per fine-tuning seed, one FracBits
 * run (per layer, 3 epochs, that seed) and 3 more epochs at its rounded budgets from the weights it trained
 * ('B: per-layer joint', with per-layer in --allocs; 'B: per-layer joint from greedy' with greedy-warm), against
 * uniform budgets and the greedy search's (with greedy in --allocs) trained for all 6 epochs from the float net
 * ('B: uniform', 'B: greedy'). --extra adds the per-layer allocations of the
 * README run (penalty method). Results are appended to the JSON file after every run (re-runs hit the
 * fine-tuning cache in workloads/cnn/cache). Progress on stderr; at the end (or with --report alone, from
 * the JSON file) a markdown summary on stdout: per target and allocation mean ± sample sd over seeds, the
 * per-seed accuracies and the budget term pairs.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { type ArgSpec, UserError, checkOut, intOption, parseArgs } from '../../gen/cli-util.ts';
import { loadMnist } from '../mnist/data.ts';
import { trainValSplit } from '../mnist/setup.ts';
import type { LayerTerms } from '../mnist/qmlp.ts';
import { CNN_DEFAULT_TRAIN_OPTIONS } from './defaults.ts';
import { calibrationInputs, foldNet } from './fold.ts';
import { budgetUnits, budgetsToTerms, fracCost, fracStep, projectBudgets, roundBudgets, roundingCandidates, unitBudget, unitGradients, unitsToTerms, type BudgetUnit, type FracState } from './fracbits.ts';
import type { CnnParams } from './net.ts';
import { trTransform } from './qat.ts';
import { convLayers, evaluateQcnn, quantizeCnn, termBound, type QcnnOptions } from './qcnn.ts';
import { PreparedCnnCache, evaluateCnnPoint, greedyBudgets } from './sweep.ts';
import { trainCnn, trainCnnCached, type CnnTrainOptions } from './train.ts';

const USAGE = 'npm run cnn:fracbits-study -- [--targets 4,6] [--seeds 5] [--first-seed 1] [--out FILE.json] [--allocs LIST] [--greedy] [--extra] [--protocol a|b] [--report]';
const ALLOCS = ['uniform', 'per-layer', 'per-block', 'greedy', 'greedy-warm', 'per-layer-val', 'greedy-warm-val', 'readme'] as const;
type AllocName = (typeof ALLOCS)[number];
const SPEC: ArgSpec = {
  targets: { type: 'string', help: 'uniform budgets k whose term pairs are the targets, comma-separated, each 1..32', default: '4,6' },
  seeds: { type: 'string', help: 'fine-tuning seeds per allocation, 1..100', default: '5' },
  'first-seed': { type: 'string', help: 'first fine-tuning seed, 1..1000000', default: '1' },
  out: { type: 'string', help: 'results file (JSON; appended to after every run, re-runs skip what it holds)', default: 'out/cnn-fracbits-study.json' },
  allocs: { type: 'string', help: `allocations to fine-tune, comma-separated, of ${ALLOCS.join(', ')} (protocol b: uniform always, per-layer and greedy-warm as joint runs, greedy; the others ignored)`, default: 'uniform,per-layer,per-block' },
  greedy: { type: 'boolean', help: "also fine-tune the allocation of `npm run cnn`'s greedy search (post-training, validation digits)" },
  protocol: { type: 'string', help: "a: every allocation fine-tuned 3 epochs from the float net; b: FracBits' own 3 + 3 epochs against 6 for the others", default: 'a' },
  extra: { type: 'boolean', help: "also fine-tune the per-layer allocations of the README's penalty-method run" },
  report: { type: 'boolean', help: 'only print the markdown summary of the results file' },
};
/** Options, checked before any work starts: one `error:` line and exit 2 on bad input. */
function options(): { targets: number[]; nSeeds: number; firstSeed: number; outFile: string; allocs: Set<AllocName>; protocolB: boolean; reportOnly: boolean } {
  try {
    const a = parseArgs(process.argv.slice(2), SPEC, USAGE);
    const targets = String(a['targets']).split(',').map((t) => {
      if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > 32) throw new UserError(`--targets: '${t}' must be an integer 1..32`);
      return Number(t);
    });
    const reportOnly = a['report'] === true;
    const protocol = String(a['protocol']);
    if (protocol !== 'a' && protocol !== 'b') throw new UserError(`--protocol: '${protocol}' must be a or b`);
    const allocs = new Set<AllocName>(
      String(a['allocs']).split(',').map((n) => {
        if (!(ALLOCS as readonly string[]).includes(n)) throw new UserError(`--allocs: '${n}' is not one of ${ALLOCS.join(', ')}`);
        return n as AllocName;
      }),
    );
    if (a['greedy'] === true) allocs.add('greedy');
    if (a['extra'] === true) allocs.add('readme');
    const outFile = String(a['out']);
    if (reportOnly && !existsSync(outFile)) throw new UserError(`--out: ${outFile} does not exist (nothing to report)`);
    if (!reportOnly) checkOut(outFile, 'file');
    return { targets, nSeeds: intOption(a, 'seeds', 1, 100) as number, firstSeed: intOption(a, 'first-seed', 1, 1_000_000) as number, outFile, allocs, protocolB: protocol === 'b', reportOnly };
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(2);
  }
}
const { targets, nSeeds, firstSeed, outFile, allocs: allocNames, protocolB, reportOnly } = options();

const G = 8;
const D = 2;
const BUNDLE = 8;
const BLOCK = 8;
const X_BITS = 8;
const QAT_EPOCHS = 3;
const BASE: QcnnOptions = { wBits: 8, xBits: X_BITS, biasBits: 16, maxShift: 31, quantile: 0.9999, scales: { kind: 'int', bits: 8 } };
const K_MIN = 1;
const K_MAX = G * termBound(8);
const log = (s: string): void => void process.stderr.write(`${s}\n`);

const mean = (a: readonly number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: readonly number[]): number => (a.length < 2 ? NaN : Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / (a.length - 1)));
const pc = (v: number): string => (100 * v).toFixed(2);

/** The markdown summary of a results file. */
function report(st: State): string {
  const out: string[] = [];
  const tgs = [...new Set(st.runs.map((r) => r.target))].sort((a, b) => a - b);
  out.push('| target | allocation | k (per layer; per block: layer min–max) | budget term pairs / image | n | mean ± sd | per seed (seed order) | Δ vs uniform (paired mean ± sd, t) | Δ vs per-layer (paired, t) | Δ vs greedy (paired, t) |');
  out.push('|---|---|---|---:|---:|---:|---|---:|---:|---:|');
  const paired = (xs: readonly Run[], base: ReadonlyMap<number, number>): string => {
    const d = xs.filter((r) => base.has(r.seed)).map((r) => r.accuracy - base.get(r.seed)!);
    if (d.length < 2) return '';
    // equal differences on every seed: no spread, no t
    return `${pc(mean(d))} ± ${pc(sd(d))} pp, t = ${sd(d) > 0 ? (mean(d) / (sd(d) / Math.sqrt(d.length))).toFixed(2) : '—'}`;
  };
  for (const t of tgs) {
    const rs = st.runs.filter((r) => r.target === t);
    const allocNames = [...new Set(rs.map((r) => r.alloc))];
    const bySeed = (name: string) => new Map(rs.filter((r) => r.alloc === name).map((r) => [r.seed, r.accuracy]));
    for (const a of allocNames) {
      // protocol B rows ('B: ...') against protocol B's uniform; no per-layer column there
      const pre = a.startsWith('B: ') ? 'B: ' : '';
      const uni = bySeed(`${pre}uniform`);
      const lay = pre ? new Map<number, number>() : bySeed('per-layer');
      const gre = bySeed(`${pre}greedy`);
      const xs = rs.filter((r) => r.alloc === a).sort((x, y) => x.seed - y.seed);
      const acc = xs.map((r) => r.accuracy);
      const desc = (terms: readonly LayerTerms[]) => terms.map((tt) => (tt.mode !== 'tr' ? 'conv' : tt.blocks ? `${Math.min(...tt.blocks.k)}–${Math.max(...tt.blocks.k)}` : `${tt.k}`)).join('/');
      // protocol B's joint runs learn their budgets per seed
      const kDescs = [...new Set(xs.map((r) => desc(r.terms)))];
      const kDesc = kDescs.length === 1 ? kDescs[0] : `per seed: ${xs.map((r) => desc(r.terms)).join(', ')}`;
      const budgets = [...new Set(xs.map((r) => r.budget))];
      out.push(`| k${t} d2 | ${a} | ${kDesc} | ${budgets.length === 1 ? budgets[0] : `${Math.min(...budgets)}–${Math.max(...budgets)}`} | ${xs.length} | ${pc(mean(acc))} ± ${pc(sd(acc))} % | ${acc.map(pc).join(', ')} | ${a === `${pre}uniform` ? '' : paired(xs, uni)} | ${a === 'uniform' || a === 'per-layer' ? '' : paired(xs, lay)} | ${a === `${pre}uniform` || a === `${pre}greedy` ? '' : paired(xs, gre)} |`);
    }
  }
  out.push('');
  for (const x of st.greedy ?? []) out.push(`- greedy k${x.target} (${x.seconds.toFixed(0)} s): ${x.ks.join('/')} (cost ${x.cost} of ${x.targetCost})`);
  for (const l of st.learned) out.push(`- learned ${l.alloc} k${l.target} (${l.units} units, ${l.seconds.toFixed(0)} s): real ${l.learned.map((v) => v.toFixed(2)).join('/')} → ${l.ks.join('/')} (cost ${l.cost} of ${l.targetCost})`);
  const fresh = st.runs.filter((r) => !r.cached).map((r) => r.seconds);
  if (fresh.length) out.push(`- fine-tune + evaluation per run: ${mean(fresh).toFixed(0)} s mean (${Math.min(...fresh).toFixed(0)}–${Math.max(...fresh).toFixed(0)} s, ${fresh.length} runs)`);
  return out.join('\n') + '\n';
}
if (reportOnly) {
  process.stdout.write(report(JSON.parse(readFileSync(outFile, 'utf8')) as State));
  process.exit(0);
}

const split = loadMnist();
const trainSet = split.train;
const test = split.test;
const calibSet = trainSet.filter((_, i) => i % 16 === 0);
// the greedy search's digits: those of `npm run cnn` (cli.ts FULL.valEvery = 2)
const valSet = trainValSplit(trainSet).valSet.filter((_, i) => i % 2 === 0);
const trainOpts: CnnTrainOptions = { ...CNN_DEFAULT_TRAIN_OPTIONS };
const trained = trainCnnCached(trainSet, trainOpts);
log(`float net: ${trained.cached ? 'cached' : `trained in ${trained.trainSeconds.toFixed(0)} s`}`);
const params = trained.params;
const folded = foldNet(params);
const q8 = quantizeCnn(folded.layers, calibrationInputs(params, folded, calibSet), folded.inShape, BASE);
const convs = convLayers(q8);
const specIdx = convs.map((L) => folded.specIndex[q8.layers.indexOf(L)] as number);
const outC = convs.map((L) => L.geom.outC);

interface Run {
  target: number;
  alloc: string;
  seed: number;
  terms: LayerTerms[];
  budget: number;
  accuracy: number;
  correct: number;
  seconds: number;
  cached: boolean;
}
interface Learned {
  target: number;
  alloc: string;
  units: number;
  learned: number[];
  /** rounded with fill (used) */
  ks: number[];
  /** rounded without fill (roundBudgets as `npm run cnn` calls it) */
  ksNoFill?: number[];
  /** val-rounded allocations: the loss of the chosen rounding on the validation digits, and how many were scored */
  valLoss?: number;
  candidates?: number;
  cost: number;
  targetCost: number;
  seconds: number;
}
interface Greedy {
  target: number;
  ks: number[];
  cost: number;
  targetCost: number;
  seconds: number;
}
interface State {
  runs: Run[];
  learned: Learned[];
  greedy?: Greedy[];
}
const state: State = existsSync(outFile) ? (JSON.parse(readFileSync(outFile, 'utf8')) as State) : { runs: [], learned: [] };
const save = (): void => {
  // whole-file replace, so an interrupted run never leaves a half-written results file
  writeFileSync(`${outFile}.tmp`, JSON.stringify(state, null, 1) + '\n');
  renameSync(`${outFile}.tmp`, outFile);
};

/** A trained net folded and quantized to integers (the `npm run cnn` pipeline, cli.ts evalPtq). */
function quantized(net: CnnParams): PreparedCnnCache {
  const f = foldNet(net);
  return new PreparedCnnCache(quantizeCnn(f.layers, calibrationInputs(net, f, calibSet), f.inShape, BASE), BUNDLE);
}

/** The `npm run cnn` fine-tuning (cli.ts fineTune, with a seed) and the integer evaluation on the test digits (cli.ts evalPtq). */
function fineTuneEval(terms: LayerTerms[], seed: number, init: CnnParams = params, epochs = QAT_EPOCHS): { accuracy: number; correct: number; budget: number; seconds: number; cached: boolean } {
  const t0 = performance.now();
  const r = trainCnnCached(trainSet, {
    ...trainOpts,
    seed,
    init,
    epochs,
    lr: CNN_DEFAULT_TRAIN_OPTIONS.lr / 4,
    transform: trTransform(folded, q8, terms, BUNDLE),
    transformId: `tr-qat-v1 ${JSON.stringify(terms)} scales ${JSON.stringify(BASE.scales)} g${G} bundle ${BUNDLE}`,
  });
  const p = evaluateCnnPoint(quantized(r.params), test, 'fracbits-tr', 'study', terms);
  return { accuracy: p.accuracy, correct: p.correct, budget: p.cost.budgetTermPairs, seconds: (performance.now() - t0) / 1000, cached: r.cached };
}

/** One FracBits run over budget units (projected, with a gradient at integer k): the real budgets and the trained net. */
function fracTrain(units: BudgetUnit[], ku: number, alloc: string, seed: number, init?: readonly number[]): { k: number[]; params: CnnParams } {
  const slopes = units.map((u) => u.slope);
  const target = fracCost(units.map(() => ku), slopes);
  const st: FracState = { k: init ? init.slice() : units.map(() => ku), m: units.map(() => 0), v: units.map(() => 0), t: 0 };
  const fo = { target, slopes, kMin: K_MIN, kMax: K_MAX, lambda: 0, lr: 0.03, project: true };
  // a start other than the uniform k: onto the target first (one common shift), so every step starts on it
  if (init) projectBudgets(st.k, slopes, target, K_MIN, K_MAX);
  const dks: (Float32Array | undefined)[] = convs.map(() => undefined);
  const transform = trTransform(folded, q8, convs.map(() => ({ mode: 'tr', g: G, k: ku, d: D })), BUNDLE, { budget: (c) => unitBudget(units, st.k, c), onDk: (c, dk) => (dks[c] = dk), alwaysDk: true });
  const trainedNet = trainCnn(trainSet, {
    ...trainOpts,
    seed,
    init: params as CnnParams,
    epochs: QAT_EPOCHS,
    lr: CNN_DEFAULT_TRAIN_OPTIONS.lr / 4,
    transform,
    onGradients: (slots) => {
      const grads = specIdx.map((si) => slots.find((x) => x.layer === si && x.name === 'w')?.grad);
      fracStep(st, unitGradients(units, outC, (c) => grads[c], (c) => dks[c]), fo);
    },
    onProgress: (e, s, n) => void (s === n - 1 && log(`  FracBits ${alloc} k${ku} (seed ${seed}): epoch ${e + 1} done, k ${st.k.map((v) => v.toFixed(2)).join('/')}`)),
  });
  return { k: st.k.slice(), params: trainedNet };
}

/**
 * Of every rounding of the learned budgets (fracbits.ts roundingCandidates), the one whose budgets give the
 * FracBits-trained net the lowest loss on the greedy search's validation digits (its objective, sweep.ts
 * greedyBudgets; ties to the first).
 */
function valRounding(units: BudgetUnit[], k: readonly number[], target: number, net: CnnParams): { ks: number[]; loss: number; candidates: number } {
  const cache = quantized(net);
  const cands = roundingCandidates(k, units.map((u) => u.slope), target, K_MIN, K_MAX);
  let best = { ks: cands[0] as number[], loss: Infinity };
  for (const ks of cands) {
    const loss = evaluateQcnn(cache.q, cache.layers(unitsToTerms(units, ks, convs.length, G, D)), valSet).loss;
    if (loss < best.loss) best = { ks, loss };
  }
  return { ...best, candidates: cands.length };
}

/**
 * FracBits over budget units (per layer or per block), training seed 1, from the uniform k or from init; the
 * rounded budgets are what protocol A fine-tunes. rounding 'fill': roundBudgets with fill; 'val': valRounding.
 */
function learn(units: BudgetUnit[], ku: number, alloc: string, init?: readonly number[], rounding: 'fill' | 'val' = 'fill'): Learned {
  const slopes = units.map((u) => u.slope);
  const target = fracCost(units.map(() => ku), slopes);
  const hit = state.learned.find((l) => l.target === ku && l.alloc === alloc);
  if (hit) {
    // (re)round with fill: equal term pairs as far as the slopes allow (a val rounding is kept as chosen)
    if (rounding === 'fill') {
      hit.ksNoFill = roundBudgets(hit.learned, slopes, target, K_MIN, K_MAX);
      hit.ks = roundBudgets(hit.learned, slopes, target, K_MIN, K_MAX, true);
      hit.cost = fracCost(hit.ks, slopes);
      save();
    }
    return hit;
  }
  const t0 = performance.now();
  const { k, params: net } = fracTrain(units, ku, alloc, trainOpts.seed, init);
  const vr = rounding === 'val' ? valRounding(units, k, target, net) : undefined;
  const ks = vr ? vr.ks : roundBudgets(k, slopes, target, K_MIN, K_MAX, true);
  const ksNoFill = roundBudgets(k, slopes, target, K_MIN, K_MAX);
  const l: Learned = { target: ku, alloc, units: units.length, learned: k, ks, ksNoFill, ...(vr ? { valLoss: vr.loss, candidates: vr.candidates } : {}), cost: fracCost(ks, slopes), targetCost: target, seconds: (performance.now() - t0) / 1000 };
  state.learned.push(l);
  save();
  log(`FracBits ${alloc} k${ku}: ${units.length} units, learned in ${l.seconds.toFixed(0)} s → ${ks.join('/')} (cost ${l.cost} of ${target}${vr ? `; val-rounded, ${vr.candidates} roundings scored, loss ${vr.loss.toFixed(4)}` : ''})`);
  return l;
}

/** The greedy search's per-layer budgets at target ku (searched once, kept in the results file). */
function greedyFor(ku: number): number[] {
  const hit = state.greedy?.find((x) => x.target === ku);
  if (hit) return hit.ks;
  const t0 = performance.now();
  const slopes = perLayer.map((u) => u.slope);
  const ks = greedyBudgets(new PreparedCnnCache(q8, BUNDLE), valSet, slopes, ku, G, D, 3);
  const seconds = (performance.now() - t0) / 1000;
  (state.greedy ??= []).push({ target: ku, ks, cost: fracCost(ks, slopes), targetCost: fracCost(slopes.map(() => ku), slopes), seconds });
  save();
  log(`greedy k${ku}: ${ks.join('/')} in ${seconds.toFixed(0)} s`);
  return ks;
}

// the README's per-layer FracBits allocations (penalty method, `npm run cnn`, seed 1)
const README_PER_LAYER: Record<number, number[]> = { 4: [5, 4, 3, 6, 2, 4, 6], 6: [9, 6, 4, 7, 5, 6, 8] };

const perLayer = budgetUnits(convs, G, D, X_BITS, BUNDLE, Infinity);
const perBlock = budgetUnits(convs, G, D, X_BITS, BUNDLE, BLOCK);
const record = (ku: number, alloc: string, seed: number, terms: LayerTerms[], r: ReturnType<typeof fineTuneEval>): void => {
  state.runs.push({ target: ku, alloc, seed, terms, ...r });
  save();
  log(`seed ${seed} k${ku} d${D} ${alloc}: ${(100 * r.accuracy).toFixed(2)} % (${r.correct}/${test.length}), budget ${r.budget}, ${r.seconds.toFixed(0)} s${r.cached ? ' (cached)' : ''}`);
};
const done = (ku: number, alloc: string, seed: number): boolean => state.runs.some((r) => r.target === ku && r.alloc === alloc && r.seed === seed);
const uniformTerms = (ku: number): LayerTerms[] => convs.map(() => ({ mode: 'tr', g: G, k: ku, d: D }));

if (!protocolB) {
  const allocs = new Map<number, [string, LayerTerms[]][]>();
  for (const ku of targets) {
    const list: [string, LayerTerms[]][] = [];
    const want = (n: AllocName): boolean => allocNames.has(n);
    if (want('uniform')) list.push(['uniform', uniformTerms(ku)]);
    if (want('per-layer')) list.push(['per-layer', unitsToTerms(perLayer, learn(perLayer, ku, 'per-layer').ks, convs.length, G, D)]);
    if (want('per-block')) list.push(['per-block', unitsToTerms(perBlock, learn(perBlock, ku, 'per-block').ks, convs.length, G, D)]);
    if (want('greedy')) list.push(['greedy', budgetsToTerms(greedyFor(ku), G, D)]);
    if (want('greedy-warm')) list.push(['per-layer from greedy', unitsToTerms(perLayer, learn(perLayer, ku, 'per-layer from greedy', greedyFor(ku)).ks, convs.length, G, D)]);
    if (want('per-layer-val')) list.push(['per-layer (val-rounded)', unitsToTerms(perLayer, learn(perLayer, ku, 'per-layer (val-rounded)', undefined, 'val').ks, convs.length, G, D)]);
    if (want('greedy-warm-val')) list.push(['per-layer from greedy (val-rounded)', unitsToTerms(perLayer, learn(perLayer, ku, 'per-layer from greedy (val-rounded)', greedyFor(ku), 'val').ks, convs.length, G, D)]);
    const rp = README_PER_LAYER[ku];
    if (want('readme') && rp) list.push(['per-layer (README)', unitsToTerms(perLayer, rp, convs.length, G, D)]);
    allocs.set(ku, list);
  }
  for (let seed = firstSeed; seed < firstSeed + nSeeds; seed++) {
    for (const ku of targets) {
      for (const [alloc, terms] of allocs.get(ku)!) if (!done(ku, alloc, seed)) record(ku, alloc, seed, terms, fineTuneEval(terms, seed));
    }
  }
} else {
  const slopes = perLayer.map((u) => u.slope);
  for (let seed = firstSeed; seed < firstSeed + nSeeds; seed++) {
    for (const ku of targets) {
      const others: [string, LayerTerms[]][] = [['B: uniform', uniformTerms(ku)]];
      if (allocNames.has('greedy')) others.push(['B: greedy', budgetsToTerms(greedyFor(ku), G, D)]);
      for (const [alloc, terms] of others) if (!done(ku, alloc, seed)) record(ku, alloc, seed, terms, fineTuneEval(terms, seed, params, 2 * QAT_EPOCHS));
      const joint: [string, number[] | undefined][] = [];
      if (allocNames.has('per-layer')) joint.push(['B: per-layer joint', undefined]);
      if (allocNames.has('greedy-warm')) joint.push(['B: per-layer joint from greedy', greedyFor(ku)]);
      for (const [alloc, init] of joint) {
        if (done(ku, alloc, seed)) continue;
        const t0 = performance.now();
        const learned = fracTrain(perLayer, ku, alloc, seed, init);
        const ks = roundBudgets(learned.k, slopes, fracCost(slopes.map(() => ku), slopes), K_MIN, K_MAX, true);
        const terms = unitsToTerms(perLayer, ks, convs.length, G, D);
        const r = fineTuneEval(terms, seed, learned.params);
        record(ku, alloc, seed, terms, { ...r, seconds: (performance.now() - t0) / 1000 });
      }
    }
  }
}
log(`done: ${state.runs.length} runs in ${outFile}`);
process.stdout.write(report(state));
