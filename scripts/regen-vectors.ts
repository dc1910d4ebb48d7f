/**
 * Regenerate the checked-in reference vectors under test/vectors/ (golden-model expectations included).
 * Run after an intentional change of the model semantics: `npx tsx scripts/regen-vectors.ts`, then review the diff.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { derive, presetConfig } from '../gen/config.ts';
import { formatVectors, parseVectors, randomVectors, type VectorCase, type VectorFile, VECTOR_FORMAT, VECTOR_VERSION, withExpected } from '../sim/driver/vectors.ts';

const DIR = join(import.meta.dirname, '..', 'test', 'vectors');

function save(name: string, file: VectorFile): void {
  const { cfg, jobs } = parseVectors(JSON.stringify(file), name); // validates every case against the design
  const out = withExpected(file, cfg, jobs);
  writeFileSync(join(DIR, name), formatVectors(out));
  process.stdout.write(`wrote test/vectors/${name} (${file.cases.length} cases)\n`);
}

save('tiny-random.json', { ...randomVectors({ preset: 'tiny' }, 11, { cases: 8 }), description: 'random cases, tiny preset (4-bit)' });
save('small-random.json', { ...randomVectors({ preset: 'small' }, 21, { cases: 10 }), description: 'random cases, small preset (8-bit, 2x4, lanes 4)' });
save('wide-random.json', { ...randomVectors({ preset: 'wide' }, 31, { cases: 8 }), description: 'random cases, wide preset (6/5-bit, 3x5, shift-only output)' });

// hand-picked corner cases on the small preset (8-bit): extreme magnitudes, TR ties, partial groups and tiles,
// saturation and ReLU, the largest shift
const K = 19;
const MAXSHIFT = derive(presetConfig('small')).maxShift;
const ones = (n: number, v: number): number[] => new Array<number>(n).fill(v);
const ramp = <T,>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const cases: VectorCase[] = [
  {
    name: 'max-magnitude-conv',
    control: { mode: 'conventional', g: 8, k: 1, d: 1 },
    relu: false,
    weights: [ones(K, 127), ones(K, -127), ramp(K, (i) => (i % 2 ? 127 : -127))],
    inputs: [ones(K, 127), ones(K, -127), ramp(K, (i) => 85 * (i % 3 === 0 ? 1 : -1))],
    bias: [0, 0, 0],
    mul: [1, 1, 1],
    shift: [0, 0, 0],
  },
  {
    name: 'max-magnitude-tr-k1-d1',
    control: { mode: 'tr', g: 8, k: 1, d: 1 },
    relu: false,
    // the single most significant term of 127 is +128: TR can exceed the true magnitude
    weights: [ones(K, 127), ones(K, -127), ramp(K, (i) => (i % 2 ? 127 : -127))],
    inputs: [ones(K, 127), ones(K, -127), ramp(K, (i) => 85 * (i % 3 === 0 ? 1 : -1))],
    bias: [0, 0, 0],
    mul: [1, 1, 1],
    shift: [0, 0, 0],
  },
  {
    name: 'tr-ties-lowest-index',
    control: { mode: 'tr', g: 4, k: 2, d: 2 },
    relu: false,
    // equal leading terms in every group: the budget goes to the lowest indices
    weights: [ones(12, 64), ramp(12, (i) => (i % 4 === 3 ? 96 : 64)), ramp(12, (i) => (i % 2 ? -48 : 48))],
    inputs: [ramp(12, (i) => i + 1), ones(12, 3)],
    bias: [0, 0, 0],
    mul: [1, 1, 1],
    shift: [0, 0, 0],
  },
  {
    name: 'partial-group-and-tile',
    control: { mode: 'tr', g: 7, k: 9, d: 3 },
    relu: true,
    weights: ramp(5, (m) => ramp(K, (i) => ((i * 37 + m * 11) % 255) - 127)),
    inputs: ramp(3, (n) => ramp(K, (i) => ((i * 53 + n * 29) % 255) - 127)),
    bias: [100, -100, 5000, -5000, 0],
    mul: [4095, 1, 2048, 3000, 77],
    shift: [20, 2, 19, 21, 12],
  },
  {
    name: 'saturate-and-max-shift',
    control: { mode: 'conventional', g: 1, k: 1, d: 1 },
    relu: false,
    weights: [ones(5, 127), ones(5, -127), ones(5, 1), ones(5, 1)],
    inputs: [ones(5, 127), ones(5, -1)],
    bias: [0, 0, -(2 ** 20), 2 ** 20],
    mul: [4095, 4095, 4095, 4095],
    shift: [0, 0, MAXSHIFT, MAXSHIFT],
  },
];
save('small-corners.json', { format: VECTOR_FORMAT, version: VECTOR_VERSION, description: 'hand-picked corner cases (small preset)', config: { preset: 'small' }, cases });
