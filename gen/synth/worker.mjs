// Worker thread for gen/synth/run.ts: runs ONE YoWASP tool invocation off the main thread.
// Plain .mjs on purpose: it must load unchanged whether the caller runs under tsx, vitest or compiled JS.
//
// workerData: { tool: 'yosys' | 'nextpnr-ice40' | 'icepack', args: string[], tree: nested YoWASP Tree }
// Messages to the parent:
//   { type: 'lines', lines: string[] }                       stdout/stderr, line-buffered, in arrival order
//   { type: 'done', tree }                                   exit status 0; tree = whole virtual file system afterwards
//   { type: 'exit', code, tree }                             the tool called exit() with a non-zero status
//   { type: 'crash', name, message, code }                   anything else: WebAssembly trap (RuntimeError), RangeError (memory), ...
import { parentPort, workerData } from 'node:worker_threads';

const { tool, args, tree } = workerData;

async function loadCommand(name) {
  if (name === 'yosys') {
    const m = await import('@yowasp/yosys');
    return { run: m.runYosys, Exit: m.Exit };
  }
  const m = await import('@yowasp/nextpnr-ice40');
  if (name === 'nextpnr-ice40') return { run: m.runNextpnrIce40, Exit: m.Exit };
  if (name === 'icepack') return { run: m.runIcepack, Exit: m.Exit };
  throw new Error(`unknown tool '${name}'`);
}

// One decoder and one partial-line buffer per stream, so a line split across writes stays whole.
function lineSink() {
  const decoder = new TextDecoder();
  let partial = '';
  return {
    write(bytes) {
      if (bytes === null) return;
      const text = partial + decoder.decode(bytes, { stream: true });
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      if (parts.length > 0) parentPort.postMessage({ type: 'lines', lines: parts.map((l) => l.replace(/\r$/, '')) });
    },
    flush() {
      const rest = partial + decoder.decode();
      partial = '';
      if (rest !== '') parentPort.postMessage({ type: 'lines', lines: [rest.replace(/\r$/, '')] });
    },
  };
}

// Transfer (not copy) the output buffers; the worker ends right after.
function transferList(node, out = new Set()) {
  for (const v of Object.values(node)) {
    if (v instanceof Uint8Array) out.add(v.buffer);
    else if (typeof v === 'object' && v !== null) transferList(v, out);
  }
  return [...out];
}

function postWithFiles(message) {
  try {
    parentPort.postMessage(message, transferList(message.tree));
  } catch {
    parentPort.postMessage(message); // a buffer that cannot be detached: copy instead
  }
}

async function main() {
  const stdout = lineSink();
  const stderr = lineSink();
  let command;
  try {
    command = await loadCommand(tool);
  } catch (e) {
    parentPort.postMessage({ type: 'crash', name: e?.name ?? 'Error', message: String(e?.message ?? e), code: e?.code });
    return;
  }
  try {
    const out = await command.run(args, tree, { stdout: stdout.write, stderr: stderr.write, decodeASCII: true });
    stdout.flush();
    stderr.flush();
    const result = out ?? {};
    postWithFiles({ type: 'done', tree: result });
  } catch (e) {
    stdout.flush();
    stderr.flush();
    if (e instanceof command.Exit) {
      const files = e.files ?? {};
      postWithFiles({ type: 'exit', code: e.code, tree: files });
    } else {
      parentPort.postMessage({
        type: 'crash',
        name: e?.constructor?.name ?? e?.name ?? 'Error',
        message: String(e?.message ?? e),
        code: e?.code,
      });
    }
  }
}

await main();
