/**
 * npm run flash -- (--config FILE | --preset NAME) --board icebreaker|hx8k [--bin FILE]
 *
 * Programs the board top's bitstream with `iceprog` (Debian package fpga-icestorm; scripts/setup.sh installs
 * it when it is missing). The bitstream is `npm run synth`'s output `out/synth/<name>-<board>/<name>_board.bin`
 * unless --bin names one. One `error:` line when iceprog is missing or the bitstream is missing (exit 2), or
 * when iceprog fails, e.g. no board attached (exit 1, with iceprog's own message).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { loadConfigFile } from '../gen/cli.ts';
import { RunError, UserError, parseArgs, runCli } from '../gen/cli-util.ts';
import { presetConfig } from '../gen/config.ts';

const USAGE = 'usage: npm run flash -- (--config FILE | --preset NAME) --board icebreaker|hx8k [--bin FILE]';
const SPEC = {
  config: { type: 'string', help: 'config file the bitstream was built from' },
  preset: { type: 'string', help: 'preset the bitstream was built from' },
  board: { type: 'string', help: 'icebreaker or hx8k' },
  bin: { type: 'string', help: 'bitstream to program (default: the npm run synth output of the config and board)' },
} as const;
const BOARD_NAMES = ['icebreaker', 'hx8k'];

class FlashError extends RunError {}

function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2), SPEC, USAGE);
  if ((a['config'] === undefined) === (a['preset'] === undefined)) throw new UserError('give exactly one of --config FILE or --preset NAME');
  const board = a['board'];
  if (typeof board !== 'string') throw new UserError(`--board is required: one of ${BOARD_NAMES.join(', ')}`);
  if (!BOARD_NAMES.includes(board)) throw new UserError(`unknown board '${board}' (boards: ${BOARD_NAMES.join(', ')})`);
  const cfg = typeof a['config'] === 'string' ? loadConfigFile(a['config']) : presetConfig(a['preset'] as string);
  const src = typeof a['config'] === 'string' ? `--config ${a['config']}` : `--preset ${a['preset'] as string}`;
  const bin = typeof a['bin'] === 'string' ? a['bin'] : `out/synth/${cfg.name}-${board}/${cfg.name}_board.bin`;
  if (!existsSync(bin) || !statSync(bin).isFile()) {
    throw new UserError(typeof a['bin'] === 'string' ? `--bin ${bin}: no such file` : `no bitstream at ${bin}: build it first with \`npm run synth -- ${src} --board ${board}\``);
  }
  const probe = spawnSync('iceprog', ['--help'], { stdio: 'ignore' });
  if ((probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new UserError('iceprog is not installed: run `bash scripts/setup.sh` as root, or `apt-get install -y fpga-icestorm`');
  }
  process.stderr.write(`flash: iceprog ${bin} (${statSync(bin).size} bytes, ${cfg.name} for ${board})\n`);
  return new Promise<void>((res, rej) => {
    const p = spawn('iceprog', [bin], { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString(); // shown on success; on failure only its last line, in the error line
    });
    p.on('error', (e) => rej(new FlashError(`iceprog could not run: ${e.message}`)));
    p.on('close', (code) => {
      if (code === 0) {
        process.stderr.write(err);
        process.stdout.write(`flashed ${bin}; now: npm run board -- --port /dev/ttyUSB1 ${src}\n`);
        res();
        return;
      }
      // iceprog ends with "ABORT." after the line that says what went wrong: quote that line
      const lines = err.split('\n').map((l) => l.trim()).filter((l) => l && l !== 'ABORT.' && l !== 'init..');
      const last = [...lines].reverse().find((l) => /can't|cannot|error|fail|not /i.test(l)) ?? lines.pop() ?? '';
      const hint = /find|no device|usb|ftdi/i.test(err) ? ' (is the board attached by USB? on Linux, is the FTDI device accessible to this user?)' : '';
      rej(new FlashError(`iceprog failed (exit ${code}): ${last || 'no message'}${hint}`));
    });
  });
}

runCli(main);
