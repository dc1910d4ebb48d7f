import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRESETS, presetConfig, resolveConfig } from '../../gen/config.ts';
import { buildDesign } from '../../gen/design.ts';
import { TEMPLATE_DIR, TemplateError, substitute, templateParams } from '../../gen/emit.ts';
import { trLeaves } from '../../gen/leaves.ts';

const ALL_TR_LEAVES = [...new Set([...trLeaves('tp'), ...trLeaves('tv')])];
import { ModuleBuilder, cat, konst, slice } from '../../gen/netlist.ts';

describe('netlist builder', () => {
  const leaf = { name: 'leaf', ports: [{ name: 'a', dir: 'input' as const, width: 4 }, { name: 'y', dir: 'output' as const, width: 2 }] };

  it('rejects a connection of the wrong width', () => {
    const m = new ModuleBuilder('t');
    const a = m.input('a', 3);
    const y = m.output('y', 2);
    expect(() => m.inst(leaf, 'u', {}, { a, y })).toThrow(/leaf\.a is 4 bits, connected to a of 3 bits/);
  });

  it('rejects undriven and doubly driven bits', () => {
    const m = new ModuleBuilder('t');
    const a = m.input('a', 4);
    const y = m.output('y', 4);
    m.inst(leaf, 'u', {}, { a, y: slice(y, 0, 2) });
    expect(() => m.build({ leaf })).toThrow(/'y' bit 2 is never driven/);
    const m2 = new ModuleBuilder('t2');
    const a2 = m2.input('a', 4);
    const y2 = m2.output('y', 2);
    m2.inst(leaf, 'u', {}, { a: a2, y: y2 });
    m2.assign(slice(y2, 1, 1), konst(1, 0));
    expect(() => m2.build({ leaf })).toThrow(/bit y\[1\] driven twice/);
  });

  it('rejects driving an input, missing ports and bad slices', () => {
    const m = new ModuleBuilder('t');
    const a = m.input('a', 4);
    expect(() => m.assign(a, cat(konst(2, 1), konst(2, 2)))).not.toThrow();
    expect(() => m.build({})).toThrow(/input 'a' driven/);
    const m2 = new ModuleBuilder('t3');
    const b = m2.input('b', 4);
    expect(() => m2.inst(leaf, 'u', {}, { a: b })).toThrow(/port 'y' of leaf not connected/);
    expect(() => slice(b, 3, 2)).toThrow(/out of range/);
  });
});

describe('templates', () => {
  it('substitution fails on an unknown or surviving placeholder', () => {
    expect(substitute('module @@P@@_x;', { P: 'ab' }, 't')).toBe('module ab_x;');
    expect(() => substitute('module @@Q@@_x;', { P: 'ab' }, 't')).toThrow(TemplateError);
    expect(() => substitute('@@P@@ @@', { P: 'x' }, 't')).toThrow(/survived/);
  });

  it('each leaf declares exactly the parameters the generator passes', () => {
    for (const leaf of ALL_TR_LEAVES) {
      const text = readFileSync(join(TEMPLATE_DIR, leaf.file), 'utf8');
      expect({ file: leaf.file, params: templateParams(text).sort() }).toEqual({ file: leaf.file, params: [...leaf.params].sort() });
    }
  });

  it('no placeholder survives in any emitted design', () => {
    for (const name of Object.keys(PRESETS)) {
      for (const [f, text] of Object.entries(buildDesign(presetConfig(name)).files)) {
        expect({ f, left: text.match(/@@\w*@@?/g) }).toEqual({ f, left: null });
      }
    }
  });

  it('every template file is used', () => {
    const used = new Set(ALL_TR_LEAVES.map((l) => l.file));
    const trFiles = readdirSync(TEMPLATE_DIR).filter((f) => f.startsWith('tr_') || f.startsWith('tv_'));
    expect(trFiles.sort()).toEqual([...used].sort());
  });
});

describe('design emission', () => {
  it('is deterministic', () => {
    const cfg = resolveConfig({ preset: 'small', name: 'det' });
    const a = buildDesign(cfg);
    const b = buildDesign(resolveConfig({ preset: 'small', name: 'det' }));
    expect(a.files).toEqual(b.files);
    expect(JSON.stringify(a.params)).toBe(JSON.stringify(b.params));
  });

  it('top header records every parameter and the schedule', () => {
    const cfg = presetConfig('wide');
    const d = buildDesign(cfg);
    const top = d.files[`${d.top}.v`] as string;
    for (const [k, v] of Object.entries(cfg)) expect(top).toMatch(new RegExp(`//   ${k}\\s+${v}\\n`));
    expect(top).toContain(`cycles/tile  = max(groups*cycles/group, ${d.derived.LMIN})`);
    expect(top).toContain(`config sha256 ${d.configHash}`);
  });

  it('one module per file, named after the file, all prefixed with the design name', () => {
    const d = buildDesign(presetConfig('tiny'));
    for (const [f, text] of Object.entries(d.files)) {
      const mods = [...text.matchAll(/^module (\w+)/gm)].map((m) => m[1]);
      expect({ f, mods }).toEqual({ f, mods: [f.replace(/\.v$/, '')] });
      expect(f.startsWith('trtiny_')).toBe(true);
    }
  });
});
