import type { LoadReport } from './generator.js';

/** A self-contained HTML page (inline SVG, no scripts) of latency and throughput over time. */

interface Line {
  label: string;
  color: string;
  points: (number | null)[];
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((step) => step * magnitude).find((candidate) => candidate >= value)!;
}

/** `xLabel` names point i on the x axis (seconds of the run unless told). */
export function lineChart(title: string, unit: string, lines: Line[], xLabel: (i: number) => string = (i) => `${i}s`, width = 860, height = 260): string {
  const pad = { left: 60, right: 150, top: 28, bottom: 32 };
  const n = Math.max(1, ...lines.map((line) => line.points.length));
  const max = niceMax(Math.max(0, ...lines.flatMap((line) => line.points.filter((p): p is number => p !== null))));
  const x = (i: number) => pad.left + (n <= 1 ? 0 : (i / (n - 1)) * (width - pad.left - pad.right));
  const y = (v: number) => height - pad.bottom - (v / max) * (height - pad.top - pad.bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const v = max * f;
      return `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${pad.left - 6}" y="${y(v) + 4}" text-anchor="end">${Number(v.toPrecision(3))}</text>`;
    })
    .join('');
  const ticks = Array.from({ length: 6 }, (_, k) => Math.round((k * (n - 1)) / 5))
    .map((i) => `<text x="${x(i)}" y="${height - pad.bottom + 16}" text-anchor="middle">${escape(xLabel(i))}</text>`)
    .join('');
  const paths = lines
    .map((line, li) => {
      let d = '';
      let pen = false;
      line.points.forEach((v, i) => {
        if (v === null) {
          pen = false;
          return;
        }
        d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
        pen = true;
      });
      const ly = pad.top + 8 + li * 18;
      return (
        `<path d="${d}" fill="none" stroke="${line.color}" stroke-width="1.6"/>` +
        `<line x1="${width - pad.right + 12}" x2="${width - pad.right + 32}" y1="${ly}" y2="${ly}" stroke="${line.color}" stroke-width="3"/>` +
        `<text x="${width - pad.right + 38}" y="${ly + 4}">${escape(line.label)}</text>`
      );
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">` +
    `<text x="${pad.left}" y="16" font-size="13" font-weight="bold">${escape(title)}</text>` +
    `<text x="12" y="${pad.top - 8}">${escape(unit)}</text>${grid}${ticks}${paths}</svg>`
  );
}

export function reportHtml(report: LoadReport, heading: string): string {
  const s = report.series;
  const latency = lineChart('Latency by second of the join', 'ms', [
    { label: 'join→queued p50', color: '#7fb3e6', points: s.map((p) => p.queuedP50) },
    { label: 'join→queued p99', color: '#1f5fa8', points: s.map((p) => p.queuedP99) },
    { label: 'join→matched p50', color: '#f0a36b', points: s.map((p) => p.matchedP50) },
    { label: 'join→matched p99', color: '#c0392b', points: s.map((p) => p.matchedP99) },
  ]);
  const throughput = lineChart('Throughput', 'per second', [
    { label: 'joins sent', color: '#888', points: s.map((p) => p.joins) },
    { label: 'matched (by join second)', color: '#2e8b57', points: s.map((p) => p.matched) },
  ]);
  const phases = report.warmLatencyMs?.joinToQueuedByTickPhase ?? [];
  const byPhase =
    phases.length > 0
      ? lineChart(
          'Warm join→queued by when in the tick the join was sent (the tick’s burst)',
          'ms',
          [
            { label: 'join→queued p50', color: '#7fb3e6', points: phases.map((p) => p.p50) },
            { label: 'join→queued p99', color: '#1f5fa8', points: phases.map((p) => p.p99) },
          ],
          (i) => `${phases[i]?.fromMs ?? ''} ms`,
        )
      : '';
  const { joinToQueued: q, joinToMatched: m } = report.latencyMs;
  const rows: [string, string][] = [
    ['players / gateways', `${report.players} / ${report.gateways.length}`],
    ['target rate, duration', `${report.rate} joins/s, ${report.durationS} s`],
    ['matched players per second', String(report.matchedPerSecond)],
    ['join→queued p50 / p95 / p99', `${q.p50} / ${q.p95} / ${q.p99} ms`],
    ['join→matched p50 / p95 / p99', `${m.p50} / ${m.p95} / ${m.p99} ms`],
    ['rooms, spread p50 / p99 / mean', `${report.rooms}, ${report.spread.p50} / ${report.spread.p99} / ${report.spread.mean}`],
    [
      'joins, queued, matched, waiting, timeouts, unanswered',
      `${report.joins}, ${report.queued}, ${report.matched}, ${report.waiting}, ${report.timeouts}, ${report.unanswered}`,
    ],
    ['errors, disconnects, connect failures', `${JSON.stringify(report.errors)}, ${report.disconnects}, ${report.connectFailures}`],
  ];
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>${escape(heading)}</title>` +
    '<style>body{font-family:sans-serif;margin:24px;color:#222}td{padding:2px 12px 2px 0}td:first-child{color:#666}</style></head><body>' +
    `<h1>${escape(heading)}</h1><table>${rows.map(([k, v]) => `<tr><td>${escape(k)}</td><td>${escape(v)}</td></tr>`).join('')}</table>` +
    `${latency}<br>${throughput}${byPhase ? `<br>${byPhase}` : ''}</body></html>\n`
  );
}
