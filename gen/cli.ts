/**
 * npm run gen -- [--config FILE | --preset NAME] [--out DIR]
 * Writes the design's Verilog (one module per file), a file list, and params.json. Deterministic.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, checkOut, parseArgs, runCli, writeFilesAtomic } from './cli-util.ts';
import { PRESETS, type TrConfig, presetConfig, resolveConfig } from './config.ts';
import { buildDesign } from './design.ts';

const USAGE = 'usage: npm run gen -- [--config FILE.json | --preset NAME] [--out DIR]';

export function loadConfigFile(path: string): TrConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return resolveConfig(raw, path);
}

/** Config from --config / --preset (default preset when neither is given). */
export function configFromArgs(args: Record<string, string | boolean | undefined>): TrConfig {
  if (args['config'] && args['preset']) throw new UserError('give either --config or --preset, not both');
  if (typeof args['config'] === 'string') return loadConfigFile(args['config']);
  return presetConfig(typeof args['preset'] === 'string' ? args['preset'] : 'default');
}

/** All output files of `npm run gen` for a config. */
export function generateFiles(cfg: TrConfig): { files: Record<string, string>; top: string } {
  const design = buildDesign(cfg);
  const files: Record<string, string> = { ...design.files };
  files[`${cfg.name}.f`] = Object.keys(design.files).join('\n') + '\n';
  files['params.json'] = JSON.stringify(design.params, null, 2) + '\n';
  return { files, top: design.top };
}

if (import.meta.url === `file://${process.argv[1]}`) runCli(() => {
  const args = parseArgs(process.argv.slice(2), {
    config: { type: 'string', help: 'design config (JSON: a "preset" and/or fields)' },
    preset: { type: 'string', help: `named preset (${Object.keys(PRESETS).join(', ')})` },
    out: { type: 'string', help: 'output directory (default: out/<name>)' },
  }, USAGE);
  const cfg = configFromArgs(args);
  const out = checkOut(typeof args['out'] === 'string' ? args['out'] : join('out', cfg.name), 'dir');
  const { files, top } = generateFiles(cfg);
  const written = writeFilesAtomic(out, files);
  const d = buildDesign(cfg).derived;
  process.stdout.write(
    `generated ${cfg.name}: ${cfg.rows}x${cfg.cols} TR array, w${cfg.wBits}/x${cfg.xBits} bits, groups up to ${cfg.groupMax}, ` +
      `acc ${d.accW} bits; top module ${top}\n` +
      `wrote ${written.length} files to ${out}/ (${cfg.name}.f lists the Verilog sources, params.json describes ports and schedule)\n`,
  );
});
