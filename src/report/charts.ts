/**
 * Inline SVG charts for the HTML report, written as strings: no script, no font or image from
 * anywhere, so the file renders the same offline, in a mail client's preview and on paper.
 */

/** A moment to point at on a per-day chart: a dashed line at the start of the day with this index. */
export interface Mark {
  readonly index: number;
  readonly label: string;
}

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly values: readonly number[];
}

const WIDTH = 760;
const MARGIN = { top: 28, right: 12, bottom: 34, left: 52 } as const;

/** Text for HTML and SVG: the five characters that could open markup or end an attribute. */
export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

const fixed = (n: number) => String(Math.round(n * 10) / 10);
/** A share (0..1) as a whole percentage, for labels and tooltips. */
const percent = (v: number) => `${Math.round(v * 100)}%`;

/** A round upper bound for an axis, and its ticks (0 and four more). */
function axisOf(max: number): number[] {
  if (max <= 0) return [0, 1];
  const raw = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  return Array.from({ length: Math.ceil(max / step) + 1 }, (_, i) => i * step);
}

function frame(id: string, title: string, height: number, body: string): string {
  const t = escapeHtml(title);
  return `<figure class="chart-box"><svg class="chart" data-chart="${escapeHtml(id)}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${t}"><title>${t}</title>${body}</svg><figcaption>${t}</figcaption></figure>`;
}

function legend(series: readonly { name: string; color: string }[]): string {
  let x = MARGIN.left;
  return series
    .map((s) => {
      const item = `<rect x="${x}" y="6" width="12" height="12" fill="${s.color}"/><text x="${x + 16}" y="16" class="legend">${escapeHtml(s.name)}</text>`;
      x += 28 + s.name.length * 7;
      return item;
    })
    .join('');
}

/** Horizontal grid lines and their labels on the left. */
function yAxis(ticks: readonly number[], y: (v: number) => number, label: (v: number) => string): string {
  return ticks
    .map((v) => `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${fixed(y(v))}" y2="${fixed(y(v))}" class="grid"/><text x="${MARGIN.left - 6}" y="${fixed(y(v) + 4)}" class="tick" text-anchor="end">${label(v)}</text>`)
    .join('');
}

/** Dashed lines at the left edge of the marked slots, labelled at the top. */
function marks(list: readonly Mark[], slotLeft: (i: number) => number, height: number): string {
  return list
    .map((m) => {
      const x = fixed(slotLeft(m.index));
      return `<line class="mark" x1="${x}" x2="${x}" y1="${MARGIN.top - 6}" y2="${height - MARGIN.bottom}" stroke="#57606a" stroke-dasharray="4 3"/><text x="${fixed(slotLeft(m.index) + 4)}" y="${MARGIN.top - 2}" class="tick">${escapeHtml(m.label)}</text>`;
    })
    .join('');
}

/** Labels under the x positions, every one when they fit, else every k-th. */
function xLabels(labels: readonly string[], x: (i: number) => number, height: number): string {
  const every = Math.max(1, Math.ceil((labels.length * 44) / (WIDTH - MARGIN.left - MARGIN.right)));
  return labels
    .map((l, i) => (i % every === 0 ? `<text x="${fixed(x(i))}" y="${height - MARGIN.bottom + 16}" class="tick" text-anchor="middle">${escapeHtml(l)}</text>` : ''))
    .join('');
}

/** Bars per label, the series stacked in the order given (first at the bottom). */
export function stackedBars(id: string, title: string, labels: readonly string[], series: readonly Series[], marked: readonly Mark[] = [], height = 220): string {
  const totals = labels.map((_, i) => series.reduce((n, s) => n + (s.values[i] ?? 0), 0));
  const ticks = axisOf(Math.max(0, ...totals));
  const top = ticks[ticks.length - 1]!;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const slot = (WIDTH - MARGIN.left - MARGIN.right) / Math.max(1, labels.length);
  const y = (v: number) => MARGIN.top + plotHeight - (v / top) * plotHeight;
  const x = (i: number) => MARGIN.left + slot * (i + 0.5);
  const bars = labels.flatMap((label, i) => {
    let base = 0;
    return series.flatMap((s) => {
      const v = s.values[i] ?? 0;
      if (v === 0) return [];
      const rect = `<rect class="bar" x="${fixed(x(i) - slot * 0.35)}" y="${fixed(y(base + v))}" width="${fixed(slot * 0.7)}" height="${fixed(y(base) - y(base + v))}" fill="${s.color}"><title>${escapeHtml(`${label} ${s.name}: ${v}`)}</title></rect>`;
      base += v;
      return [rect];
    });
  });
  return frame(id, title, height, `${legend(series)}${yAxis(ticks, y, String)}${bars.join('')}${marks(marked, (i) => x(i) - slot / 2, height)}${xLabels(labels, x, height)}`);
}

/** A share (0..1) per label as a line with a dot per known value; unknown values break the line. */
export function shareLine(id: string, title: string, labels: readonly string[], values: readonly (number | null)[], color: string, marked: readonly Mark[] = [], height = 200): string {
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const slot = (WIDTH - MARGIN.left - MARGIN.right) / Math.max(1, labels.length);
  const y = (v: number) => MARGIN.top + plotHeight - v * plotHeight;
  const x = (i: number) => MARGIN.left + slot * (i + 0.5);
  let path = '';
  let drawing = false;
  const dots: string[] = [];
  values.forEach((v, i) => {
    if (v === null) {
      drawing = false;
      return;
    }
    path += `${drawing ? 'L' : 'M'}${fixed(x(i))} ${fixed(y(v))} `;
    drawing = true;
    dots.push(`<circle class="dot" cx="${fixed(x(i))}" cy="${fixed(y(v))}" r="3.5" fill="${color}"><title>${escapeHtml(`${labels[i]}: ${percent(v)}`)}</title></circle>`);
  });
  const line = path === '' ? '' : `<path class="line" d="${path.trimEnd()}" fill="none" stroke="${color}" stroke-width="2"/>`;
  return frame(id, title, height, `${yAxis([0, 0.25, 0.5, 0.75, 1], y, percent)}${line}${dots.join('')}${marks(marked, (i) => x(i) - slot / 2, height)}${xLabels(labels, x, height)}`);
}

/** A share (0..1) per item as a horizontal bar; null values are said in words. */
export function shareBars(id: string, title: string, items: readonly { label: string; value: number | null }[], color: string): string {
  const row = 24;
  const labelWidth = 200;
  const barWidth = WIDTH - labelWidth - 70;
  const height = MARGIN.top + row * Math.max(1, items.length) + 8;
  const rows = items.map((item, i) => {
    const y = MARGIN.top + i * row;
    const label = `<text x="${labelWidth - 8}" y="${y + 15}" class="tick" text-anchor="end">${escapeHtml(item.label)}</text>`;
    if (item.value === null) return `${label}<text x="${labelWidth}" y="${y + 15}" class="tick muted">no TP or FP verdict</text>`;
    const w = fixed(Math.max(1, item.value * barWidth));
    return `${label}<rect class="bar" x="${labelWidth}" y="${y + 3}" width="${w}" height="${row - 8}" fill="${color}"><title>${escapeHtml(`${item.label}: ${percent(item.value)}`)}</title></rect><text x="${fixed(labelWidth + Number(w) + 6)}" y="${y + 15}" class="tick">${percent(item.value)}</text>`;
  });
  const axis = `<line x1="${labelWidth}" x2="${labelWidth}" y1="${MARGIN.top - 4}" y2="${height - 4}" class="grid"/>`;
  return frame(id, title, height, `${axis}${rows.join('')}`);
}
