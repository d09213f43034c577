/** The `npm run simulate -- --report FILE.html` page: histograms of wait and spread, figures. */
import type { ReplayResult } from '../core/replay.js';
import type { ReplayFigures } from '../core/replay-figures.js';
import { fmt, histogram, page, table } from '../common/html-report.js';

export function replayReport(trace: string, result: ReplayResult, figures: ReplayFigures): string {
  const waits = result.ends.filter((e) => e.outcome === 'matched').map((e) => e.waitedMs / 1000);
  const rows: [string, string][] = [
    ['tickets', fmt(figures.tickets)],
    ['rooms', fmt(figures.rooms)],
    ['matched share', `${(figures.matchedShare * 100).toFixed(1)}%`],
    ['wait p50 (s)', fmt(figures.waitP50 / 1000)],
    ['wait p95 (s)', fmt(figures.waitP95 / 1000)],
    ['wait p99 (s)', fmt(figures.waitP99 / 1000)],
    ['wait max (s)', fmt(figures.waitMax / 1000)],
    ['wait p95 at the rating extremes (s)', fmt(figures.extremesWaitP95 / 1000)],
    ['spread mean', fmt(figures.spreadMean)],
    ['spread p95', fmt(figures.spreadP95)],
    ['timeouts', fmt(figures.timeouts)],
    ['cancelled', fmt(figures.cancelled)],
  ];
  return page(
    `matchq replay: ${trace}`,
    table(['figure', 'value'], rows) + histogram('Wait of matched tickets', waits, 's') + histogram('Spread of rooms', result.spreads, 'rating points'),
  );
}
