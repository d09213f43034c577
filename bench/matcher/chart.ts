/** bench/results/matcher-latest.html: the bench's figures as tables and bar charts, self-contained. */
import type { ReplayFigures } from '../../core/replay-figures.js';
import { fmt, page, pairedBars, ratioBars, table } from '../../common/html-report.js';
import type { MemoryFigures } from './memory.js';
import type { QualityRow } from './quality.js';
import type { TickTime } from './tick-times.js';

export interface MatcherResult {
  at: string;
  node: string;
  referenceSortMs: number;
  ticks: { n: number; ours: TickTime; baseline: TickTime | null }[];
  memory: MemoryFigures;
  quality: QualityRow[];
}

export function matcherChart(result: MatcherResult): string {
  const names = result.quality.map((q) => q.trace.name);
  const pick = (key: keyof ReplayFigures, side: 'ours' | 'baseline', scale = 1) => result.quality.map((q) => q[side][key] / scale);
  const legend: [string, string] = ['matchq', 'baseline'];
  const tickRows = result.ticks.map(({ n, ours, baseline }) => [
    n,
    fmt(ours.medianMs),
    fmt(ours.maxMs),
    ours.rooms,
    baseline ? fmt(baseline.medianMs) : 'skipped',
  ]);
  const figureRows = result.quality.flatMap(({ trace, ours, baseline }) =>
    (['matchedShare', 'waitP50', 'waitP95', 'waitP99', 'waitMax', 'extremesWaitP95', 'spreadMean', 'spreadP95', 'timeouts'] as const).map((key) => [
      trace.name,
      key,
      fmt(ours[key]),
      fmt(baseline[key]),
      baseline[key] === 0 ? '' : fmt(ours[key] / baseline[key]),
    ]),
  );
  const range = ([low, high]: [number, number]) => `${fmt(low)} to ${fmt(high)}`;
  const rangeRows = result.quality.map(({ trace, perTrace }) => [
    trace.name,
    trace.traces,
    range(perTrace.waitP50),
    range(perTrace.waitP95),
    range(perTrace.waitMax),
  ]);
  return page(
    `matchq matcher bench, ${result.at}`,
    `<p>Node ${result.node}; Float64Array.sort(100k) takes ${fmt(result.referenceSortMs)} ms on this machine.
Heap per waiting ticket: ${fmt(result.memory.ticketBytes)} B ticket and ids, ${fmt(result.memory.poolBytes)} B pool.</p>` +
      `<h2>Tick over n tickets arrived at once (ms)</h2>` +
      table(['tickets', 'median', 'max', 'rooms', 'baseline median'], tickRows) +
      ratioBars(
        'matchq / baseline, pooled per shape (below the line is better)',
        names,
        (
          [
            ['wait p50', 'waitP50'],
            ['wait p95', 'waitP95'],
            ['wait p99', 'waitP99'],
            ['wait max', 'waitMax'],
            ['extremes p95', 'extremesWaitP95'],
          ] as const
        ).map(([name, key]) => ({ name, ratios: result.quality.map((q) => q.ours[key] / q.baseline[key]) })),
      ) +
      pairedBars('Wait p50 (s)', names, pick('waitP50', 'ours', 1000), pick('waitP50', 'baseline', 1000), legend) +
      pairedBars('Wait p95 (s)', names, pick('waitP95', 'ours', 1000), pick('waitP95', 'baseline', 1000), legend) +
      pairedBars('Wait p99 (s)', names, pick('waitP99', 'ours', 1000), pick('waitP99', 'baseline', 1000), legend) +
      pairedBars('Wait max (s)', names, pick('waitMax', 'ours', 1000), pick('waitMax', 'baseline', 1000), legend) +
      pairedBars('Wait p95 at the rating extremes (s)', names, pick('extremesWaitP95', 'ours', 1000), pick('extremesWaitP95', 'baseline', 1000), legend) +
      pairedBars('Spread mean', names, pick('spreadMean', 'ours'), pick('spreadMean', 'baseline'), legend) +
      `<h2>All figures (waits in ms), each shape pooled over its traces</h2>` +
      table(['trace', 'figure', 'matchq', 'baseline', 'ratio'], figureRows) +
      `<h2>The ratio on each trace alone: lowest to highest</h2>` +
      table(['trace', 'traces', 'wait p50', 'wait p95', 'wait max'], rangeRows),
  );
}
