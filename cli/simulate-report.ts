/** The `npm run simulate -- --report FILE.html` page: histograms of wait and spread, figures. */
import type { ReplayResult } from '../core/replay.js';
import type { ReplayFigures } from '../core/replay-figures.js';
import type { LearningFigures } from '../core/learning-figures.js';
import { fmt, histogram, page, table } from '../common/html-report.js';

/** With `--true-skill`: per mode, the convergence of ratings and the true-skill spread of rooms over the run. */
function learningSection(learned: readonly LearningFigures[]): string {
  return learned
    .map(
      (f) =>
        `<h2>${f.mode}: ratings learning from ${fmt(f.games)} games (${fmt(f.players)} players)</h2>` +
        table(
          ['games played', 'players', 'Spearman of rating with true skill'],
          f.convergence.map((p) => [p.games, p.players, fmt(p.spearman)]),
        ) +
        table(
          ['tenth of the run', 'mean true-skill spread of rooms'],
          f.spreadBySlice.map((v, i) => [i + 1, fmt(v)]),
        ),
    )
    .join('');
}

export function replayReport(trace: string, result: ReplayResult, figures: ReplayFigures, learned: readonly LearningFigures[] = []): string {
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
    table(['figure', 'value'], rows) +
      histogram('Wait of matched tickets', waits, 's') +
      histogram('Spread of rooms', result.spreads, 'rating points') +
      learningSection(learned),
  );
}
