/**
 * Every CLI's --out: a path that cannot be the output fails with exit 2 and one `error:` line before any work
 * starts (issue: exit 1 / internal error / only after the whole simulation); a missing directory is created.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectUserError, runTs } from '../helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'trgen-out-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const aFile = join(tmp, 'a-file');
writeFileSync(aFile, 'not a directory\n');
const aDir = join(tmp, 'a-dir');
mkdirSync(aDir);
const vectors = join(import.meta.dirname, '..', 'vectors', 'tiny-random.json');

describe('--out checked before work starts', () => {
  it('gen: an existing regular file, and a path under a regular file', () => {
    expectUserError('gen/cli.ts', ['--preset', 'tiny', '--out', aFile], /--out .*a-file: exists and is not a directory/);
    expectUserError('gen/cli.ts', ['--preset', 'tiny', '--out', join(aFile, 'x')], /cannot create directory .*: a parent is not a directory/);
  });

  it('gen: a directory that does not exist yet is created', () => {
    const out = join(tmp, 'new', 'deeper');
    const r = runTs('gen/cli.ts', ['--preset', 'tiny', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, 'params.json'))).toBe(true);
    expect(r.stdout).toMatch(/^generated trtiny: 2x2 TR array/);
  });

  it('model --random and model --vectors: an existing directory', () => {
    expectUserError('sim/cli-model.ts', ['--random', '--preset', 'tiny', '--seed', '1', '--out', aDir], /--out .*a-dir: is a directory \(expected a file name\)/);
    expectUserError('sim/cli-model.ts', ['--vectors', vectors, '--out', aDir], /is a directory/);
  });

  it('model --random into a directory that does not exist yet', () => {
    const out = join(tmp, 'made', 'v.json');
    const r = runTs('sim/cli-model.ts', ['--random', '--preset', 'tiny', '--seed', '1', '--cases', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('sim: an existing directory fails before the simulation', () => {
    expectUserError('sim/cli-sim.ts', ['--vectors', vectors, '--out', aDir], /is a directory/);
  });
});
