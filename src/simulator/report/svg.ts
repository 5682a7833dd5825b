/** Inline SVG line charts for report.html: no library, no external assets. */
import { escapeXml } from './xml.ts';

export interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  points: [number, number][];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** `nines` spreads the tail of a percentile axis: 50, 90, 99, 99.9 are evenly spaced. */
  xScale?: 'linear' | 'nines';
  width?: number;
  height?: number;
}

/** A categorical palette that stays readable on white (Okabe–Ito plus a few). */
export const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#7f3c8d', '#3b3b3b', '#a6761d', '#e7298a'];

const PAD = { left: 56, right: 30, top: 28, bottom: 40 };
const MAX_NINES = 5;

/** Percentile (0–100) to the `nines` axis: 0→0, 90→1, 99→2, 99.9→3. */
export function ninesX(percentile: number): number {
  const rest = 1 - Math.min(percentile, 99.9999) / 100;
  return Math.min(MAX_NINES, Math.max(0, -Math.log10(rest)));
}

/** A round step for about `count` ticks over [0, max]. */
export function niceStep(max: number, count = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

const fmtNum = (v: number) => (Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toPrecision(2).replace(/\.?0+$/, ''));

/** Renders the series as one `<svg>` element with axes, grid, ticks and a `<title>` per line. */
export function lineChart(series: Series[], opts: ChartOptions): string {
  const width = opts.width ?? 720;
  const height = opts.height ?? 260;
  const nines = opts.xScale === 'nines';
  const tx = (x: number) => (nines ? ninesX(x) : x);
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const label = `${escapeXml(opts.title)}`;
  const head = `<svg class="chart" role="img" aria-label="${label}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`;
  const titleEl = `<text x="${PAD.left}" y="16" class="chart-title">${label}</text>`;
  if (all.length === 0) return `${head}${titleEl}<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="muted">no data</text></svg>`;

  // On the nines axis p100 would sit at infinity: the axis ends at the highest finite percentile's
  // decade and the maximum is drawn at its edge.
  const xs = all.filter(([x]) => !nines || x < 100).map(([x]) => tx(x));
  const xMin = nines ? 0 : Math.min(...xs);
  const xMaxRaw = xs.length > 0 ? Math.max(...xs) : 2;
  const xMax = nines ? Math.max(2, Math.ceil(xMaxRaw - 1e-9)) : xMaxRaw === xMin ? xMin + 1 : xMaxRaw;
  const yStep = niceStep(Math.max(...all.map(([, y]) => y)));
  const yMax = Math.max(yStep, Math.ceil(Math.max(...all.map(([, y]) => y)) / yStep) * yStep);
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const px = (x: number) => PAD.left + ((Math.min(tx(x), xMax) - xMin) / (xMax - xMin)) * plotW;
  const py = (y: number) => PAD.top + plotH - (y / yMax) * plotH;
  const r = (v: number) => v.toFixed(1);

  const parts: string[] = [head, titleEl];
  for (let y = 0; y <= yMax + yStep / 2; y += yStep) {
    parts.push(`<line x1="${PAD.left}" x2="${width - PAD.right}" y1="${r(py(y))}" y2="${r(py(y))}" class="grid"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${r(py(y) + 4)}" text-anchor="end" class="tick">${fmtNum(y)}</text>`);
  }
  for (const [x, text] of xTicks(xMin, xMax, nines)) {
    const X = nines ? PAD.left + ((x - xMin) / (xMax - xMin)) * plotW : px(x);
    parts.push(`<line x1="${r(X)}" x2="${r(X)}" y1="${PAD.top}" y2="${PAD.top + plotH}" class="grid"/>`);
    parts.push(`<text x="${r(X)}" y="${PAD.top + plotH + 16}" text-anchor="middle" class="tick">${escapeXml(text)}</text>`);
  }
  parts.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" class="frame"/>`);
  parts.push(`<text x="${PAD.left + plotW / 2}" y="${height - 6}" text-anchor="middle" class="axis">${escapeXml(opts.xLabel)}</text>`);
  parts.push(`<text x="12" y="${PAD.top + plotH / 2}" text-anchor="middle" class="axis" transform="rotate(-90 12 ${PAD.top + plotH / 2})">${escapeXml(opts.yLabel)}</text>`);
  for (const s of series) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length === 0) continue;
    const d = pts.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${r(px(x))},${r(py(y))}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="5 4"' : '';
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"${dash}><title>${escapeXml(s.name)}</title></path>`);
    if (pts.length === 1) parts.push(`<circle cx="${r(px(pts[0][0]))}" cy="${r(py(pts[0][1]))}" r="3" fill="${s.color}"/>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

function xTicks(min: number, max: number, nines: boolean): [number, string][] {
  if (nines) {
    const labels = ['0', '90', '99', '99.9', '99.99', '99.999'];
    const ticks: [number, string][] = [];
    for (let n = 0; n <= max; n++) ticks.push([n, `p${labels[n]}`]);
    ticks.splice(1, 0, [ninesX(50), 'p50']);
    return ticks;
  }
  const step = niceStep(max - min, 6);
  const ticks: [number, string][] = [];
  for (let x = Math.ceil(min / step) * step; x <= max + 1e-9; x += step) ticks.push([x, fmtNum(x)]);
  return ticks;
}
