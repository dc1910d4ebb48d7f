/**
 * The one place where Verilog text is produced: generated netlist modules (gen/netlist.ts) and hand-written
 * leaf templates (rtl-templates/, placeholders substituted here). Output is deterministic: same input, same bytes.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Expr, type Module, show } from './netlist.ts';

export const TEMPLATE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'rtl-templates');

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

const PLACEHOLDER = /@@([A-Za-z_][A-Za-z0-9_]*)@@/g;

/**
 * Substitute @@NAME@@ placeholders (a syntax Verilog never uses, unlike {{ }} replication) of a template; every placeholder must have a value and none may survive.
 */
export function substitute(text: string, values: Record<string, string>, what: string): string {
  const out = text.replace(PLACEHOLDER, (m, name: string) => {
    const v = values[name];
    if (v === undefined) throw new TemplateError(`${what}: no value for placeholder ${m}`);
    return v;
  });
  if (out.includes('@@')) throw new TemplateError(`${what}: a placeholder survived substitution`);
  return out;
}

export function loadTemplate(file: string, values: Record<string, string>): string {
  const text = readFileSync(join(TEMPLATE_DIR, file), 'utf8');
  return substitute(text, values, file);
}

/** Names of the `parameter`s a template module declares (to check instantiations against). */
export function templateParams(text: string): string[] {
  return [...text.matchAll(/^\s*parameter\s+(?:signed\s+)?(?:\[[^\]]*\]\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*=/gm)].map((m) => m[1] as string);
}

function range(width: number): string {
  return width === 1 ? '' : `[${width - 1}:0] `;
}

export function expr(e: Expr): string {
  return show(e);
}

/** Emit one generated module. */
export function emitModule(m: Module): string {
  const lines: string[] = [];
  for (const d of m.doc) lines.push(`// ${d}`.trimEnd());
  lines.push(`module ${m.name} (`);
  const pw = Math.max(...m.ports.map((p) => range(p.width).length), 0);
  m.ports.forEach((p, i) => {
    const decl = `${p.dir === 'input' ? 'input ' : 'output'} wire ${range(p.width).padEnd(pw)}${p.name}${i < m.ports.length - 1 ? ',' : ''}`;
    lines.push(`    ${decl}${p.doc ? `  // ${p.doc}` : ''}`);
  });
  lines.push(');');
  if (m.wires.length) {
    const ww = Math.max(...m.wires.map((w) => range(w.width).length));
    for (const w of m.wires) {
      const decl = `    wire ${range(w.width).padEnd(ww)}${w.name};${w.doc ? `  // ${w.doc}` : ''}`;
      if (w.unused) lines.push('    /* verilator lint_off UNUSED */', decl, '    /* verilator lint_on UNUSED */');
      else lines.push(decl);
    }
    lines.push('');
  }
  for (const a of m.assigns) lines.push(`    assign ${expr(a.lhs)} = ${expr(a.rhs)};`);
  if (m.assigns.length) lines.push('');
  for (const inst of m.instances) {
    if (inst.params.length) {
      lines.push(`    ${inst.module} #(`);
      inst.params.forEach(([k, v], i) => lines.push(`        .${k}(${v})${i < inst.params.length - 1 ? ',' : ''}`));
      lines.push(`    ) ${inst.name} (`);
    } else {
      lines.push(`    ${inst.module} ${inst.name} (`);
    }
    const cw = Math.max(...inst.conns.map(([k]) => k.length));
    inst.conns.forEach(([k, e], i) => lines.push(`        .${k.padEnd(cw)}(${expr(e)})${i < inst.conns.length - 1 ? ',' : ''}`));
    lines.push('    );');
  }
  lines.push('endmodule');
  return lines.join('\n') + '\n';
}
