/**
 * A simulated board to talk to without hardware:
 *
 *   npx tsx host/sim-board.ts (--config FILE | --preset NAME) [--cpb 8] [--w-depth N] [--acc] [--watchdog-bits B]
 *
 * Builds (cached) the Verilator simulator of the board top `<name>_board` and runs it behind a
 * pseudo-terminal (sim/verilator/board-harness.ts --pty). Prints the pty path; then
 * `npm run board -- --port <that path> ...` talks to it exactly as to a board on a USB-UART, every byte
 * crossing the simulated uart_rx / uart_tx pins. Runs until Ctrl-C. --cpb is the simulated UART bit period
 * in clock cycles (a real board: 104 at 12 MHz and 115200 baud; the default 8 keeps the simulation fast).
 */
import { UserError, intOption, parseArgs, runCli } from '../gen/cli-util.ts';
import { loadConfigFile } from '../gen/cli.ts';
import { BOARDS, buildBoard } from '../gen/board.ts';
import { presetConfig } from '../gen/config.ts';
import { buildBoardSimulator, startBoardPty } from '../sim/verilator/board-harness.ts';

const USAGE = 'usage: npx tsx host/sim-board.ts (--config FILE | --preset NAME) [--cpb 8] [--w-depth N] [--acc] [--watchdog-bits B]';
const SPEC = {
  config: { type: 'string', help: 'config file' },
  preset: { type: 'string', help: 'preset' },
  cpb: { type: 'string', help: 'UART bit period in clock cycles', default: '8' },
  'w-depth': { type: 'string', help: 'weight memory depth (power of two; default: the board default)' },
  acc: { type: 'boolean', help: 'build with the accumulator memory (memory a)' },
  'watchdog-bits': { type: 'string', help: 'run watchdog: 2^B - 1 cycles without progress', default: '24' },
} as const;

runCli(async () => {
  const a = parseArgs(process.argv.slice(2), SPEC, USAGE);
  if ((a['config'] === undefined) === (a['preset'] === undefined)) throw new UserError('give exactly one of --config FILE or --preset NAME');
  const cfg = typeof a['config'] === 'string' ? loadConfigFile(a['config']) : presetConfig(a['preset'] as string);
  const cpb = intOption(a, 'cpb', 4, 65535) as number;
  const wDepth = intOption(a, 'w-depth', 256, 65536);
  const build = buildBoard(cfg, BOARDS.hx8k, {
    clksPerBit: cpb,
    acc: a['acc'] === true,
    watchdogBits: intOption(a, 'watchdog-bits', 8, 31) as number,
    ...(wDepth !== undefined ? { depths: { w: wDepth } } : {}),
  });
  process.stderr.write(`sim-board: building the Verilator simulator of ${build.top} (cached after the first time)...\n`);
  const pty = await startBoardPty(await buildBoardSimulator(build), { cpb });
  console.log(pty.path);
  process.stderr.write(`sim-board: ${build.top} at ${pty.path} (CLKS_PER_BIT ${cpb}); e.g. npm run board -- --port ${pty.path} ${typeof a['config'] === 'string' ? `--config ${a['config']}` : `--preset ${a['preset'] as string}`}; Ctrl-C stops it\n`);
  const stop = (): void => {
    void pty.stop().then((s) => {
      if (s) process.stderr.write(`sim-board: stopped after ${s.cycles} cycles, ${s.sent} bytes in, ${s.received} bytes out\n`);
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
});
