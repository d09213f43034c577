/** bench/results/matcher-latest.html: the bench's figures as tables and bar charts, self-contained. */
import type { ReplayFigures } from '../../core/replay-figures.js';
import { escapeHtml, fmt, page, pairedBars, ratioBars, table } from '../../common/html-report.js';
import type { MemoryFigures } from './memory.js';
import type { QualityRow } from './quality.js';
import type { ReadyCheckRow } from './ready-check.js';
import type { TickTime } from './tick-times.js';

export interface MatcherResult {
  at: string;
  node: string;
  referenceSortMs: number;
  ticks: { n: number; ours: TickTime; baseline: TickTime | null }[];
  memory: MemoryFigures;
  quality: QualityRow[];
  readyCheck: ReadyCheckRow[];
  note?: string;
  machine?: { cpus: number; loadAverage: { start: number[]; end: number[] } };
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
    (result.note ? `<p><strong>${escapeHtml(result.note)}</strong></p>` : '') +
      (result.machine
        ? `<p>${result.machine.cpus} cores, load average ${result.machine.loadAverage.start.map((l) => l.toFixed(1)).join(' ')} at the start.</p>`
        : '') +
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
      table(['trace', 'traces', 'wait p50', 'wait p95', 'wait max'], rangeRows) +
      readyCheckSection(result.readyCheck),
  );
}

/** What a ready check and failed allocations cost: each case's waits over the same traces with no ready check. */
function readyCheckSection(rows: readonly ReadyCheckRow[]): string {
  if (rows.length === 0) return '';
  const cases = rows[0]!.cases.slice(1).map((c) => c.name);
  const ratios = (key: 'waitP50' | 'waitP95') =>
    rows.map(({ trace, cases: all }) => ({ name: trace.name, ratios: all.slice(1).map((c) => c.figures[key] / all[0]!.figures[key]) }));
  const figureRows = rows.flatMap(({ trace, cases: all }) =>
    all.map((c) => [
      trace.name,
      c.name,
      `${fmt(c.figures.matchedShare * 100)}%`,
      fmt(c.figures.waitP50 / 1000),
      fmt(c.figures.waitP95 / 1000),
      fmt(c.figures.waitP99 / 1000),
      fmt(c.figures.waitP95 / all[0]!.figures.waitP95),
      `${c.dissolvedPer100.declined} / ${c.dissolvedPer100.accept_timeout} / ${c.dissolvedPer100.allocation_failed}`,
    ]),
  );
  return (
    `<h2>What a ready check (accept.seconds 10) and failed allocations cost in wait</h2>` +
    ratioBars('Wait p50 over the same traces with no ready check', cases, ratios('waitP50')) +
    ratioBars('Wait p95 over the same traces with no ready check', cases, ratios('waitP95')) +
    table(
      [
        'trace',
        'case',
        'matched',
        'wait p50 (s)',
        'wait p95 (s)',
        'wait p99 (s)',
        'p95 / no ready check',
        'dissolved per 100 rooms: declined / silent / alloc',
      ],
      figureRows,
    )
  );
}
