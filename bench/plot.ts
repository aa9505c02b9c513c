// A hand-written SVG line chart (no plotting dependency): log or linear axes, one line per series.

export interface Series {
  name: string;
  points: Array<[number, number]>;
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  /** Tick values on the x axis (default: every x of the data). */
  xTicks?: number[];
  xTickLabel?: (x: number) => string;
  series: Series[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number): string => (v >= 1000 ? `${+(v / 1000).toPrecision(3)} s` : `${+v.toPrecision(3)} ms`);

/** One chart as an SVG group of `width` × `height` at (`ox`, `oy`). */
function chartGroup(c: Chart, ox: number, oy: number, width: number, height: number): string {
  const m = { left: 70, right: 150, top: 36, bottom: 50 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const pts = c.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!c.yLog || y > 0));
  const xs = c.xTicks ?? [...new Set(pts.map((p) => p[0]))].sort((a, b) => a - b);
  const tx = (v: number): number => (c.xLog ? Math.log10(v) : v);
  const ty = (v: number): number => (c.yLog ? Math.log10(v) : v);
  const x0 = tx(Math.min(...xs, ...pts.map((p) => p[0])));
  const x1 = tx(Math.max(...xs, ...pts.map((p) => p[0])));
  let y0 = ty(Math.min(...pts.map((p) => p[1])));
  let y1 = ty(Math.max(...pts.map((p) => p[1])));
  if (c.yLog) {
    y0 = Math.floor(y0);
    y1 = Math.ceil(y1);
  } else {
    y0 = 0;
    y1 = y1 * 1.1 || 1;
  }
  if (y1 === y0) y1 = y0 + 1;
  const X = (v: number): number => m.left + ((tx(v) - x0) / (x1 - x0 || 1)) * w;
  const Y = (v: number): number => m.top + h - ((ty(v) - y0) / (y1 - y0)) * h;
  const out: string[] = [`<g transform="translate(${ox},${oy})">`];
  out.push(`<text x="${m.left + w / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(c.title)}</text>`);
  out.push(`<rect x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  // y grid: decades (log) or five steps (linear)
  const yTicks: number[] = [];
  if (c.yLog) for (let e = y0; e <= y1; e++) yTicks.push(10 ** e);
  else for (let i = 0; i <= 5; i++) yTicks.push((y1 / 5) * i);
  for (const v of yTicks) {
    out.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">${esc(fmt(v))}</text>`);
  }
  for (const v of xs) {
    out.push(`<line x1="${X(v).toFixed(1)}" x2="${X(v).toFixed(1)}" y1="${m.top}" y2="${m.top + h}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${X(v).toFixed(1)}" y="${m.top + h + 16}" text-anchor="middle" font-size="11">${esc(c.xTickLabel ? c.xTickLabel(v) : String(v))}</text>`);
  }
  out.push(`<text x="${m.left + w / 2}" y="${height - 10}" text-anchor="middle" font-size="12">${esc(c.xLabel)}</text>`);
  out.push(`<text transform="translate(16,${m.top + h / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(c.yLabel)}</text>`);
  c.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!c.yLog || y > 0)).sort((a, b) => a[0] - b[0]);
    if (p.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${p.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of p) out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3.5" fill="${color}"><title>${esc(`${s.name}, ${c.xTickLabel ? c.xTickLabel(x) : x}: ${fmt(y)}`)}</title></circle>`);
    const ly = m.top + 10 + i * 18;
    out.push(`<line x1="${m.left + w + 12}" x2="${m.left + w + 32}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${m.left + w + 38}" y="${ly + 4}" font-size="11">${esc(s.name)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** Charts side by side in one SVG document, with a caption line under them. */
export function svg(charts: Chart[], caption: string): string {
  const cw = 560;
  const ch = 380;
  const width = cw * charts.length;
  const height = ch + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...charts.map((c, i) => chartGroup(c, i * cw, 0, cw, ch)),
    `<text x="10" y="${height - 8}" font-size="11" fill="#555">${esc(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
