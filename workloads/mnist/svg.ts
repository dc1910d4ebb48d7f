/**
 * A small hand-written SVG scatter/line plot (no dependencies, deterministic output): log-scale x axis with
 * decade and 2/5 ticks, linear y axis with "nice" ticks, series with markers and optional connecting lines,
 * horizontal reference lines, legend. Points below the y range are drawn as open triangles on the bottom edge
 * (labelled with their label and value if they have a label).
 */

export type Marker = 'circle' | 'square' | 'diamond' | 'triangle' | 'star';

export interface PlotPoint {
  x: number;
  y: number;
  label?: string;
}

export interface PlotSeries {
  name: string;
  color: string;
  marker: Marker;
  line: boolean;
  points: PlotPoint[];
}

export interface PlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: PlotSeries[];
  hLines?: { y: number; label: string; color: string }[];
  width?: number;
  height?: number;
  /** y range; default: from the data */
  yMin?: number;
  yMax?: number;
}

const f = (v: number): string => {
  const s = v.toFixed(2);
  return s.replace(/\.?0+$/, '') || '0';
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** "Nice" linear ticks covering [lo, hi] (steps 1, 2, 5 × 10^n, about `count` of them). */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(Number.isFinite(lo) && Number.isFinite(hi)) || hi < lo) throw new RangeError(`bad range ${lo}..${hi}`);
  if (hi === lo) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag) as number;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/** Log ticks within [lo, hi]: major at powers of ten, minor at 2·10^n and 5·10^n. */
export function logTicks(lo: number, hi: number): { major: number[]; minor: number[] } {
  if (!(lo > 0 && hi >= lo)) throw new RangeError(`bad log range ${lo}..${hi}`);
  const major: number[] = [];
  const minor: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v < lo * (1 - 1e-12) || v > hi * (1 + 1e-12)) continue;
      (m === 1 ? major : minor).push(v);
    }
  }
  return { major, minor };
}

/** Tick label for log axes: 1k, 20k, 1M, ... */
export function siLabel(v: number): string {
  if (v >= 1e6) return `${f(v / 1e6)}M`;
  if (v >= 1e3) return `${f(v / 1e3)}k`;
  return f(v);
}

function marker(m: Marker, x: number, y: number, color: string, r = 4.5): string {
  const p = (pts: [number, number][]): string => pts.map(([a, b]) => `${f(a)},${f(b)}`).join(' ');
  switch (m) {
    case 'circle':
      return `<circle cx="${f(x)}" cy="${f(y)}" r="${f(r)}" fill="${color}"/>`;
    case 'square':
      return `<rect x="${f(x - r)}" y="${f(y - r)}" width="${f(2 * r)}" height="${f(2 * r)}" fill="${color}"/>`;
    case 'diamond':
      return `<polygon points="${p([[x, y - r * 1.3], [x + r * 1.3, y], [x, y + r * 1.3], [x - r * 1.3, y]])}" fill="${color}"/>`;
    case 'triangle':
      return `<polygon points="${p([[x, y - r * 1.3], [x + r * 1.2, y + r], [x - r * 1.2, y + r]])}" fill="${color}"/>`;
    case 'star': {
      const pts: [number, number][] = [];
      for (let i = 0; i < 10; i++) {
        const a = -Math.PI / 2 + (i * Math.PI) / 5;
        const rr = i % 2 === 0 ? r * 1.6 : r * 0.7;
        pts.push([x + rr * Math.cos(a), y + rr * Math.sin(a)]);
      }
      return `<polygon points="${p(pts)}" fill="${color}"/>`;
    }
  }
}

export function renderPlot(o: PlotOptions): string {
  const W = o.width ?? 760;
  const H = o.height ?? 500;
  const m = { l: 70, r: 20, t: 40, b: 60 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = o.series.flatMap((s) => s.points);
  if (all.length === 0) throw new RangeError('renderPlot: no points');
  for (const p of all) if (!(p.x > 0 && Number.isFinite(p.y))) throw new RangeError(`renderPlot: bad point (${p.x}, ${p.y})`);
  const xs = all.map((p) => p.x);
  const lx0 = Math.log10(Math.min(...xs)) - 0.08;
  const lx1 = Math.log10(Math.max(...xs)) + 0.08;
  const ysAll = [...all.map((p) => p.y), ...(o.hLines ?? []).map((h) => h.y)];
  let y0 = o.yMin ?? Math.min(...ysAll);
  let y1 = o.yMax ?? Math.max(...ysAll);
  if (y1 - y0 < 1e-9) {
    y0 -= 1;
    y1 += 1;
  }
  const pad = (y1 - y0) * 0.05;
  if (o.yMin === undefined) y0 -= pad;
  if (o.yMax === undefined) y1 += pad;
  const X = (x: number): number => m.l + ((Math.log10(x) - lx0) / (lx1 - lx0)) * pw;
  const Y = (y: number): number => m.t + (1 - (y - y0) / (y1 - y0)) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${f(W / 2)}" y="22" text-anchor="middle" font-size="15">${esc(o.title)}</text>`);
  // grid and ticks
  const lt = logTicks(10 ** lx0, 10 ** lx1);
  for (const v of lt.minor) out.push(`<line x1="${f(X(v))}" y1="${m.t}" x2="${f(X(v))}" y2="${m.t + ph}" stroke="#eee"/>`);
  for (const v of lt.major) out.push(`<line x1="${f(X(v))}" y1="${m.t}" x2="${f(X(v))}" y2="${m.t + ph}" stroke="#ccc"/>`);
  for (const v of [...lt.major, ...lt.minor].sort((a, b) => a - b)) {
    out.push(`<line x1="${f(X(v))}" y1="${m.t + ph}" x2="${f(X(v))}" y2="${m.t + ph + 5}" stroke="black"/>`);
    out.push(`<text x="${f(X(v))}" y="${m.t + ph + 18}" text-anchor="middle">${siLabel(v)}</text>`);
  }
  for (const v of niceTicks(y0, y1, 8)) {
    out.push(`<line x1="${m.l}" y1="${f(Y(v))}" x2="${m.l + pw}" y2="${f(Y(v))}" stroke="#eee"/>`);
    out.push(`<line x1="${m.l - 5}" y1="${f(Y(v))}" x2="${m.l}" y2="${f(Y(v))}" stroke="black"/>`);
    out.push(`<text x="${m.l - 8}" y="${f(Y(v) + 4)}" text-anchor="end">${f(v)}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="black"/>`);
  out.push(`<text x="${f(m.l + pw / 2)}" y="${H - 15}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  out.push(`<text x="18" y="${f(m.t + ph / 2)}" text-anchor="middle" transform="rotate(-90 18 ${f(m.t + ph / 2)})">${esc(o.yLabel)}</text>`);
  out.push(`<clipPath id="plot"><rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}"/></clipPath>`);
  for (const h of o.hLines ?? []) {
    if (h.y < y0 || h.y > y1) continue;
    out.push(`<line x1="${m.l}" y1="${f(Y(h.y))}" x2="${m.l + pw}" y2="${f(Y(h.y))}" stroke="${h.color}" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${m.l + pw - 6}" y="${f(Y(h.y) - 5)}" text-anchor="end" fill="${h.color}">${esc(h.label)}</text>`);
  }
  for (const s of o.series) {
    const inRange = s.points.filter((p) => p.y >= y0);
    if (s.line && inRange.length > 1) {
      const sorted = inRange.slice().sort((a, b) => a.x - b.x);
      out.push(`<polyline clip-path="url(#plot)" fill="none" stroke="${s.color}" stroke-width="1.5" points="${sorted.map((p) => `${f(X(p.x))},${f(Y(Math.min(p.y, y1)))}`).join(' ')}"/>`);
    }
    for (const p of s.points) {
      const title = `<title>${esc(`${s.name}${p.label ? ` ${p.label}` : ''}: ${f(p.y)} @ ${siLabel(p.x)}`)}</title>`;
      if (p.y < y0) {
        const x = X(p.x);
        const y = m.t + ph - 6;
        out.push(`<g><polygon points="${f(x - 5)},${f(y - 4)} ${f(x + 5)},${f(y - 4)} ${f(x)},${f(y + 4)}" fill="none" stroke="${s.color}"/>${title}</g>`);
        if (p.label) out.push(`<text x="${f(x + 7)}" y="${f(y)}" font-size="10" fill="${s.color}">${esc(`${p.label} ${f(p.y)}`)}</text>`);
      } else {
        out.push(`<g>${marker(s.marker, X(p.x), Y(Math.min(p.y, y1)), s.color)}${title}</g>`);
        if (p.label) out.push(`<text x="${f(X(p.x) + 7)}" y="${f(Y(Math.min(p.y, y1)) - 6)}" font-size="10" fill="${s.color}">${esc(p.label)}</text>`);
      }
    }
  }
  // legend (bottom right inside the plot)
  const lh = 18;
  const lw = 12 + Math.max(...o.series.map((s) => s.name.length)) * 7 + 30;
  const lx = m.l + pw - lw - 10;
  const ly = m.t + ph - 10 - lh * o.series.length - 8;
  out.push(`<rect x="${f(lx)}" y="${f(ly)}" width="${f(lw)}" height="${f(lh * o.series.length + 8)}" fill="white" stroke="#999"/>`);
  o.series.forEach((s, i) => {
    const y = ly + 4 + lh * i + lh / 2;
    if (s.line) out.push(`<line x1="${f(lx + 6)}" y1="${f(y)}" x2="${f(lx + 30)}" y2="${f(y)}" stroke="${s.color}" stroke-width="1.5"/>`);
    out.push(marker(s.marker, lx + 18, y, s.color, 4));
    out.push(`<text x="${f(lx + 36)}" y="${f(y + 4)}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
