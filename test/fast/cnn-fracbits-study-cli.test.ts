/**
 * `npm run cnn:fracbits-study` option checks: a bad option exits with code 2 and one `error:` line before any
 * training or data loading starts, and writes no results file.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectUserError } from '../helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'trgen-study-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('cnn:fracbits-study bad options', () => {
  const cases: [string[], RegExp][] = [
    [['--allocs', 'uniform,fancy'], /--allocs: 'fancy' is not one of uniform, per-layer, per-block, greedy, greedy-warm, per-layer-val, greedy-warm-val, readme/],
    [['--allocs', ''], /option '--allocs' needs a value/],
    [['--protocol', 'c'], /--protocol: 'c' must be a or b/],
    [['--targets', '3,0'], /--targets: '0' must be an integer 1\.\.32/],
    [['--seeds', '0'], /--seeds/],
    [['--bogus'], /bogus/],
  ];
  for (const [args, pattern] of cases) {
    it(args.join(' ') || '(empty)', () => {
      const out = join(tmp, 'study.json');
      expectUserError('workloads/cnn/fracbits-study.ts', ['--out', out, ...args], pattern);
      expect(existsSync(out), args.join(' ')).toBe(false);
    });
  }
});
