/**
 * Expected-vs-actual comparison of job outputs, reported side by side.
 */
export interface Mismatch {
  job: string;
  what: 'acc' | 'y';
  n: number;
  m: number;
  expected: number;
  actual: number;
}

export function compareMatrices(job: string, what: 'acc' | 'y', expected: number[][], actual: number[][]): Mismatch[] {
  const out: Mismatch[] = [];
  expected.forEach((row, n) =>
    row.forEach((e, m) => {
      const a = actual[n]?.[m];
      if (a !== e) out.push({ job, what, n, m, expected: e, actual: a ?? NaN });
    }),
  );
  return out;
}

export function formatMismatches(ms: readonly Mismatch[], limit = 20): string {
  if (ms.length === 0) return 'no mismatches';
  const lines = [`${ms.length} mismatch${ms.length > 1 ? 'es' : ''}:`, '  case                 out  vector channel   expected     actual'];
  for (const x of ms.slice(0, limit)) {
    lines.push(`  ${x.job.padEnd(20)} ${x.what.padEnd(4)} ${String(x.n).padStart(6)} ${String(x.m).padStart(7)} ${String(x.expected).padStart(10)} ${String(x.actual).padStart(10)}`);
  }
  if (ms.length > limit) lines.push(`  ... and ${ms.length - limit} more`);
  return lines.join('\n');
}
