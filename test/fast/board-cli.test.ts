/**
 * `npm run board` and `npm run flash`: bad input gives one `error:` line and exit 2 before any port is opened
 * or any tool runs; flash reports a missing iceprog, a missing bitstream (naming the synth command that makes
 * it) and iceprog's own failure (a stand-in iceprog that fails like the real one without a board).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runTs } from '../helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'trgen-board-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const errorLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.trim());

describe('npm run board: bad input, exit 2, one error line, before opening anything', () => {
  const NOPORT = join(tmp, 'no-such-tty');
  const cases: [string, string[], RegExp][] = [
    ['no --port', ['--preset', 'tiny'], /^error: --port is required/],
    ['neither --config nor --preset', ['--port', NOPORT], /^error: give exactly one of --config FILE or --preset NAME/],
    ['an unknown preset', ['--port', NOPORT, '--preset', 'nope'], /^error: unknown preset 'nope'/],
    ['a missing vector file', ['--port', NOPORT, '--preset', 'tiny', '--vectors', join(tmp, 'none.json')], /^error: .*none\.json.*ENOENT/],
    ['a vector file of another config', ['--port', NOPORT, '--preset', 'tiny', '--vectors', join(ROOT, 'test/vectors/small-random.json')], /^error: --vectors .*small-random\.json: the file is for config 'trsmall'/],
    ['--vectors and --mnist', ['--port', NOPORT, '--preset', 'tiny', '--vectors', 'a.json', '--mnist', '2'], /^error: give at most one of --vectors and --mnist/],
    ['a bad --baud', ['--port', NOPORT, '--preset', 'tiny', '--baud', 'fast'], /^error: --baud: expected an integer/],
    ['a bad --mnist count', ['--port', NOPORT, '--preset', 'mnist', '--mnist', '0'], /^error: --mnist: expected an integer in 1\.\.2004/],
    ['--mnist on a config that cannot hold the 8-bit MLP', ['--port', NOPORT, '--preset', 'tiny', '--mnist', '1'], /^error: --mnist: config 'trtiny' cannot run the MLP: wBits\/xBits 4\/4/],
    ['a port that does not exist', ['--port', NOPORT, '--preset', 'tiny'], /^error: --port .*no-such-tty: no such device/],
    ['--out in a directory', ['--port', NOPORT, '--preset', 'tiny', '--out', tmp], /^error: --out .*: is a directory/],
  ];
  for (const [what, args, msg] of cases) {
    it(what, () => {
      const r = runTs('host/cli-board.ts', args);
      expect(r.code, r.stderr).toBe(2);
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(msg)]);
    });
  }

  it('a bad vector file: one error line', () => {
    const f = join(tmp, 'bad.json');
    writeFileSync(f, '{"format": "trgen-vectors", "version": 1, "config": {"preset": "tiny"}, "cases": [{"name": "x"}]}');
    const r = runTs('host/cli-board.ts', ['--port', NOPORT, '--preset', 'tiny', '--vectors', f]);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: .*bad\.json/);
  });
});

describe('npm run flash', () => {
  const TSX_CLI = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  /** run the flash CLI with PATH = only `bin` (plus node's own directory? no: node is started by path) */
  const flash = (args: string[], pathDirs: string[]) => {
    const r = spawnSync(process.execPath, [TSX_CLI, join(ROOT, 'host/cli-flash.ts'), ...args], {
      cwd: tmp,
      encoding: 'utf8',
      env: { ...process.env, PATH: pathDirs.join(':') },
      timeout: 60_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const empty = join(tmp, 'empty-bin');
  mkdirSync(empty, { recursive: true });
  const fake = join(tmp, 'fake-bin');
  mkdirSync(fake, { recursive: true });
  // a stand-in iceprog with the real one's output and exit status when no FTDI device is attached
  // (iceprog of Debian's fpga-icestorm 0~20230218: "init..", the reason, "ABORT.", exit 2)
  writeFileSync(join(fake, 'iceprog'), '#!/bin/sh\n[ "$1" = "--help" ] && exit 0\necho "init.." >&2\necho "Can\'t find iCE FTDI USB device (vendor_id 0x0403, device_id 0x6010 or 0x6014)." >&2\necho "ABORT." >&2\nexit 2\n');
  chmodSync(join(fake, 'iceprog'), 0o755);
  const bin = join(tmp, 'x.bin');
  writeFileSync(bin, new Uint8Array(100));

  it('a missing bitstream names the npm run synth command that makes it (exit 2)', () => {
    const cfg = join(tmp, 'flashcfg.json');
    writeFileSync(cfg, JSON.stringify({ preset: 'tiny', name: 'trflashtest' }));
    const r = flash(['--config', cfg, '--board', 'icebreaker'], [fake]);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toEqual([`error: no bitstream at out/synth/trflashtest-icebreaker/trflashtest_board.bin: build it first with \`npm run synth -- --config ${cfg} --board icebreaker\``]);
  });

  it('iceprog missing (exit 2)', () => {
    const r = flash(['--preset', 'tiny', '--board', 'hx8k', '--bin', bin], [empty]);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error: iceprog is not installed: .*fpga-icestorm/)]);
  });

  it("no board attached: iceprog's failure in one error line (exit 1)", () => {
    const r = flash(['--preset', 'tiny', '--board', 'hx8k', '--bin', bin], [fake, dirname('/bin/sh')]);
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr).filter((l) => l.startsWith('error:'))).toEqual([
      "error: iceprog failed (exit 2): Can't find iCE FTDI USB device (vendor_id 0x0403, device_id 0x6010 or 0x6014). (is the board attached by USB? on Linux, is the FTDI device accessible to this user?)",
    ]);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^flash: iceprog /), expect.stringMatching(/^error: /)]);
  });

  it('bad input: unknown board, missing --board (exit 2)', () => {
    const a = flash(['--preset', 'tiny', '--board', 'ulx3s'], [fake]);
    expect(a.code).toBe(2);
    expect(errorLines(a.stderr)).toEqual(["error: unknown board 'ulx3s' (boards: icebreaker, hx8k)"]);
    const b = flash(['--preset', 'tiny'], [fake]);
    expect(b.code).toBe(2);
    expect(errorLines(b.stderr)).toEqual([expect.stringMatching(/^error: --board is required/)]);
  });
});
