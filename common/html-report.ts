/**
 * Self-contained HTML pieces (inline SVG, no script, nothing fetched) for the replay report
 * and the bench charts: a page shell, a figures table, a histogram and a grouped bar chart.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222;max-width:60rem}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}svg{display:block;margin:1rem 0}
.bar{fill:#3b7dd8}.bar.b{fill:#d8843b}.axis{stroke:#888}.even{stroke:#c33;stroke-dasharray:4 3}text{font-size:11px;fill:#444}
.s0{fill:#3b7dd8}.s1{fill:#7fb0ee}.s2{fill:#2a9d8f}.s3{fill:#e9c46a}.s4{fill:#d8843b}
</style></head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`;
}

export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cell = (tag: string, v: string | number) => `<${tag}>${escapeHtml(String(v))}</${tag}>`;
  return `<table><tr>${header.map((h) => cell('th', h)).join('')}</tr>${rows.map((r) => `<tr>${r.map((v) => cell('td', v)).join('')}</tr>`).join('')}</table>`;
}

const W = 640;
const H = 220;
const PAD = 36;

/** A histogram of `values` in `bins` equal bins from 0 to the maximum. */
export function histogram(title: string, values: readonly number[], unit: string, bins = 30): string {
  const max = values.reduce((a, b) => Math.max(a, b), 0) || 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v / max) * bins))]!++;
  const top = Math.max(1, ...counts);
  const bw = (W - 2 * PAD) / bins;
  const bars = counts
    .map((c, i) => {
      const h = ((H - 2 * PAD) * c) / top;
      return `<rect class="bar" x="${(PAD + i * bw).toFixed(1)}" y="${(H - PAD - h).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${c}</title></rect>`;
    })
    .join('');
  return `<h2>${escapeHtml(title)}</h2><svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img">
${bars}<line class="axis" x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}"/>
<text x="${PAD}" y="${H - PAD + 14}">0</text><text x="${W - PAD}" y="${H - PAD + 14}" text-anchor="end">${escapeHtml(fmt(max))} ${escapeHtml(unit)}</text>
<text x="${PAD}" y="${PAD - 8}">${top} max per bin, ${values.length} values</text></svg>`;
}

/** Bars for two series (a: blue, b: orange) side by side per label. */
export function pairedBars(title: string, labels: readonly string[], a: readonly number[], b: readonly number[], legend: [string, string]): string {
  const top = Math.max(1e-9, ...a, ...b);
  const gw = (W - 2 * PAD) / labels.length;
  const bw = gw / 2.5;
  const bar = (v: number, x: number, cls: string) => {
    const h = ((H - 2 * PAD) * v) / top;
    return `<rect class="${cls}" x="${x.toFixed(1)}" y="${(H - PAD - h).toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}"><title>${escapeHtml(fmt(v))}</title></rect>`;
  };
  const groups = labels
    .map((label, i) => {
      const x = PAD + i * gw + gw * 0.1;
      return `${bar(a[i]!, x, 'bar')}${bar(b[i]!, x + bw, 'bar b')}<text x="${(x + bw).toFixed(1)}" y="${H - PAD + 14}" text-anchor="middle">${escapeHtml(label)}</text>`;
    })
    .join('');
  return `<h2>${escapeHtml(title)}</h2><svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img">
${groups}<line class="axis" x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}"/>
<rect class="bar" x="${PAD}" y="8" width="10" height="10"/><text x="${PAD + 14}" y="17">${escapeHtml(legend[0])}</text>
<rect class="bar b" x="${PAD + 140}" y="8" width="10" height="10"/><text x="${PAD + 154}" y="17">${escapeHtml(legend[1])}</text></svg>`;
}

/**
 * Ratios to a baseline, one group per label and one bar per series, with the line at 1 drawn
 * across: what is below it is better than the baseline (at most five series).
 */
export function ratioBars(title: string, labels: readonly string[], series: readonly { name: string; ratios: readonly number[] }[]): string {
  const top = Math.max(1.2, ...series.flatMap((s) => s.ratios.filter(Number.isFinite)));
  const y = (v: number) => H - PAD - ((H - 2 * PAD) * Math.min(v, top)) / top;
  const gw = (W - 2 * PAD) / labels.length;
  const bw = (gw * 0.8) / series.length;
  const groups = labels
    .map((label, i) => {
      const x0 = PAD + i * gw + gw * 0.1;
      const bars = series
        .map((s, j) => {
          const v = s.ratios[i]!;
          return `<rect class="s${j}" x="${(x0 + j * bw).toFixed(1)}" y="${y(v).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(H - PAD - y(v)).toFixed(1)}"><title>${escapeHtml(`${s.name}: ${fmt(v)}`)}</title></rect>`;
        })
        .join('');
      return `${bars}<text x="${(x0 + gw * 0.4).toFixed(1)}" y="${H - PAD + 14}" text-anchor="middle">${escapeHtml(label)}</text>`;
    })
    .join('');
  const legend = series
    .map((s, j) => `<rect class="s${j}" x="${PAD + j * 110}" y="8" width="10" height="10"/><text x="${PAD + j * 110 + 14}" y="17">${escapeHtml(s.name)}</text>`)
    .join('');
  return `<h2>${escapeHtml(title)}</h2><svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img">
${groups}<line class="axis" x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}"/>
<line class="even" x1="${PAD}" y1="${y(1).toFixed(1)}" x2="${W - PAD}" y2="${y(1).toFixed(1)}"/><text x="${PAD - 4}" y="${(y(1) + 4).toFixed(1)}" text-anchor="end">1</text>
<text x="${PAD - 4}" y="${H - PAD + 4}" text-anchor="end">0</text>${legend}</svg>`;
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 3 : 1);
}
