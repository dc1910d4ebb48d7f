/**
 * A small typed structural netlist: modules with ports, wires, continuous assignments of slices/concats and
 * instances of other modules (leaf templates or generated modules). Builders construct the circuit here;
 * gen/emit.ts is the only place that turns it into Verilog text. Every connection is width-checked when the
 * module is built, so a width bug is a generator error, not a silent truncation in the RTL.
 */

export type Dir = 'input' | 'output';

export interface Port {
  name: string;
  dir: Dir;
  width: number;
  doc?: string;
}

/** Anything with a name, a direction and a width: the interface of a module or leaf. */
export interface Signature {
  /** Module name as emitted. */
  name: string;
  ports: Port[];
}

export type Expr =
  | { k: 'net'; name: string; width: number }
  | { k: 'slice'; name: string; lo: number; width: number }
  | { k: 'cat'; parts: Expr[]; width: number }
  | { k: 'const'; value: bigint; width: number }
  | { k: 'xor'; parts: Expr[]; width: number };

export interface WireDecl {
  name: string;
  width: number;
  doc?: string;
  /** Intentionally left unread (e.g. the data bus leaving the last column); emitted with a lint waiver. */
  unused?: boolean;
}

export interface Instance {
  module: string;
  name: string;
  params: [string, number][];
  conns: [string, Expr][];
}

export interface Assign {
  lhs: Expr;
  rhs: Expr;
}

export interface Module extends Signature {
  doc: string[];
  wires: WireDecl[];
  assigns: Assign[];
  instances: Instance[];
}

export class NetlistError extends Error {
  override readonly name = 'NetlistError';
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkWidth(w: number, what: string): void {
  if (!Number.isInteger(w) || w < 1) throw new NetlistError(`${what}: width must be a positive integer, got ${w}`);
}

/** Slice of a named signal: bits [lo + width - 1 : lo]. */
export function slice(sig: Expr, lo: number, width: number): Expr {
  checkWidth(width, 'slice');
  if (sig.k !== 'net') throw new NetlistError('slice: only whole nets can be sliced');
  if (!Number.isInteger(lo) || lo < 0 || lo + width > sig.width) {
    throw new NetlistError(`slice ${sig.name}[${lo + width - 1}:${lo}] out of range (width ${sig.width})`);
  }
  if (lo === 0 && width === sig.width) return sig;
  return { k: 'slice', name: sig.name, lo, width };
}

/** Concatenation, most significant part first (Verilog order). */
export function cat(...parts: Expr[]): Expr {
  if (parts.length === 0) throw new NetlistError('cat of nothing');
  if (parts.length === 1) return parts[0] as Expr;
  return { k: 'cat', parts, width: parts.reduce((a, p) => a + p.width, 0) };
}

/** Concatenation with element 0 at the least significant end (packed-array order). */
export function pack(partsLsbFirst: Expr[]): Expr {
  return cat(...[...partsLsbFirst].reverse());
}

/** Bitwise XOR of two or more expressions of one width (only as a value: never driven). */
export function xor(...parts: Expr[]): Expr {
  if (parts.length < 2) throw new NetlistError('xor of fewer than two parts');
  const w = (parts[0] as Expr).width;
  if (parts.some((p) => p.width !== w)) throw new NetlistError(`xor of different widths: ${parts.map((p) => p.width).join(', ')}`);
  return { k: 'xor', parts, width: w };
}

export function konst(width: number, value: number | bigint): Expr {
  checkWidth(width, 'const');
  const v = BigInt(value);
  if (v < 0n || v >= 1n << BigInt(width)) throw new NetlistError(`constant ${v} does not fit ${width} bits`);
  return { k: 'const', value: v, width };
}

/** Builder for one generated module. */
export class ModuleBuilder {
  private readonly ports: Port[] = [];
  private readonly wires: WireDecl[] = [];
  private readonly assigns: Assign[] = [];
  private readonly instances: Instance[] = [];
  private readonly names = new Map<string, { width: number; kind: 'input' | 'output' | 'wire' }>();

  constructor(
    readonly name: string,
    private readonly doc: string[] = [],
  ) {
    if (!IDENT.test(name)) throw new NetlistError(`bad module name '${name}'`);
  }

  private declare(name: string, width: number, kind: 'input' | 'output' | 'wire'): Expr {
    if (!IDENT.test(name)) throw new NetlistError(`${this.name}: bad signal name '${name}'`);
    checkWidth(width, `${this.name}.${name}`);
    if (this.names.has(name)) throw new NetlistError(`${this.name}: '${name}' declared twice`);
    this.names.set(name, { width, kind });
    return { k: 'net', name, width };
  }

  input(name: string, width: number, doc?: string): Expr {
    this.ports.push({ name, dir: 'input', width, ...(doc ? { doc } : {}) });
    return this.declare(name, width, 'input');
  }

  output(name: string, width: number, doc?: string): Expr {
    this.ports.push({ name, dir: 'output', width, ...(doc ? { doc } : {}) });
    return this.declare(name, width, 'output');
  }

  wire(name: string, width: number, doc?: string, opts: { unused?: boolean } = {}): Expr {
    this.wires.push({ name, width, ...(doc ? { doc } : {}), ...(opts.unused ? { unused: true } : {}) });
    return this.declare(name, width, 'wire');
  }

  assign(lhs: Expr, rhs: Expr): void {
    this.checkExpr(lhs);
    this.checkExpr(rhs);
    if (lhs.width !== rhs.width) {
      throw new NetlistError(`${this.name}: assign width mismatch: ${show(lhs)} is ${lhs.width} bits, ${show(rhs)} is ${rhs.width}`);
    }
    this.assigns.push({ lhs, rhs });
  }

  /** Instantiate `sig` with parameters; every port must be connected with an expression of equal width. */
  inst(sig: Signature, name: string, params: Record<string, number>, conns: Record<string, Expr>): void {
    if (!IDENT.test(name)) throw new NetlistError(`${this.name}: bad instance name '${name}'`);
    if (this.instances.some((i) => i.name === name)) throw new NetlistError(`${this.name}: instance '${name}' twice`);
    const list: [string, Expr][] = [];
    for (const p of sig.ports) {
      const e = conns[p.name];
      if (!e) throw new NetlistError(`${this.name}.${name}: port '${p.name}' of ${sig.name} not connected`);
      this.checkExpr(e);
      if (e.width !== p.width) {
        throw new NetlistError(`${this.name}.${name}: port ${sig.name}.${p.name} is ${p.width} bits, connected to ${show(e)} of ${e.width} bits`);
      }
      list.push([p.name, e]);
    }
    for (const k of Object.keys(conns)) {
      if (!sig.ports.some((p) => p.name === k)) throw new NetlistError(`${this.name}.${name}: ${sig.name} has no port '${k}'`);
    }
    const ps: [string, number][] = Object.entries(params);
    for (const [k, v] of ps) {
      if (!IDENT.test(k) || !Number.isInteger(v)) throw new NetlistError(`${this.name}.${name}: bad parameter ${k}=${v}`);
    }
    this.instances.push({ module: sig.name, name, params: ps, conns: list });
  }

  private checkExpr(e: Expr): void {
    switch (e.k) {
      case 'net':
      case 'slice': {
        const d = this.names.get(e.name);
        if (!d) throw new NetlistError(`${this.name}: unknown signal '${e.name}'`);
        if (e.k === 'net' && d.width !== e.width) throw new NetlistError(`${this.name}: '${e.name}' width ${e.width} != declared ${d.width}`);
        if (e.k === 'slice' && e.lo + e.width > d.width) throw new NetlistError(`${this.name}: slice of '${e.name}' out of range`);
        return;
      }
      case 'cat':
      case 'xor':
        for (const p of e.parts) this.checkExpr(p);
        return;
      case 'const':
        return;
    }
  }

  /** Finish: checks every wire and output bit is driven exactly once and no input is driven. */
  build(sigs: Record<string, Signature>): Module {
    const driven = new Map<string, Uint8Array>();
    for (const [n, d] of this.names) driven.set(n, new Uint8Array(d.width));
    const mark = (e: Expr, who: string): void => {
      switch (e.k) {
        case 'net':
        case 'slice': {
          const d = this.names.get(e.name);
          if (d?.kind === 'input') throw new NetlistError(`${this.name}: input '${e.name}' driven by ${who}`);
          const bits = driven.get(e.name) as Uint8Array;
          const lo = e.k === 'slice' ? e.lo : 0;
          for (let b = lo; b < lo + e.width; b++) {
            if (bits[b]) throw new NetlistError(`${this.name}: bit ${e.name}[${b}] driven twice (again by ${who})`);
            bits[b] = 1;
          }
          return;
        }
        case 'cat':
          for (const p of e.parts) mark(p, who);
          return;
        case 'const':
          throw new NetlistError(`${this.name}: ${who} drives a constant`);
        case 'xor':
          throw new NetlistError(`${this.name}: ${who} drives an expression`);
      }
    };
    for (const a of this.assigns) mark(a.lhs, `assign to ${show(a.lhs)}`);
    for (const i of this.instances) {
      const sig = sigs[i.module];
      if (!sig) throw new NetlistError(`${this.name}: no signature for module ${i.module}`);
      for (const [pn, e] of i.conns) {
        const p = sig.ports.find((q) => q.name === pn) as Port;
        if (p.dir === 'output') mark(e, `${i.name}.${pn}`);
      }
    }
    for (const [n, d] of this.names) {
      if (d.kind === 'input') continue;
      const bits = driven.get(n) as Uint8Array;
      const missing = bits.indexOf(0);
      if (missing >= 0) throw new NetlistError(`${this.name}: ${d.kind} '${n}' bit ${missing} is never driven`);
    }
    return {
      name: this.name,
      doc: this.doc,
      ports: this.ports,
      wires: this.wires,
      assigns: this.assigns,
      instances: this.instances,
    };
  }
}

export function show(e: Expr): string {
  switch (e.k) {
    case 'net':
      return e.name;
    case 'slice':
      return e.width === 1 ? `${e.name}[${e.lo}]` : `${e.name}[${e.lo + e.width - 1}:${e.lo}]`;
    case 'cat':
      return `{${e.parts.map(show).join(', ')}}`;
    case 'const':
      return `${e.width}'h${e.value.toString(16)}`;
    case 'xor':
      return `(${e.parts.map(show).join(' ^ ')})`;
  }
}
