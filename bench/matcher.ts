/**
 * `npm run bench -- matcher`: the matching core against the original rule (the baseline).
 * Tick time at 1k / 10k / 100k / 1M tickets arrived at once, heap per waiting ticket, and
 * quality on generated traces (steady and bursty, sparse and dense), both sides in the same
 * run. A table on stdout, progress on stderr, JSON and an HTML chart in bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createPool } from '../core/pool.js';
import { DEFAULT_MATCH_CONFIG } from '../core/rule.js';
import { createBaselinePool } from './matcher/baseline-matcher.js';
import { collector } from './matcher/gc.js';
import { matcherChart } from './matcher/chart.js';
import { measureMemory } from './matcher/memory.js';
import { compareOnShape, type QualityRow } from './matcher/quality.js';
import { measureTick, referenceSortMs, type TickTime } from './matcher/tick-times.js';
import { QUALITY_TRACES } from './matcher/traces.js';
import { READY_CHECK_TRACES, readyCheckOnShape, type ReadyCheckRow } from './matcher/ready-check.js';

const RESULTS = new URL('./results/', import.meta.url);
const rule = DEFAULT_MATCH_CONFIG.modes.ffa3!;
/** Repetitions per size; the baseline is quadratic (a 20k burst is seconds), so it stops at 10k. */
const SIZES = [
  { n: 1_000, ours: 21, baseline: 3 },
  { n: 10_000, ours: 11, baseline: 1 },
  { n: 100_000, ours: 9, baseline: 0 },
  { n: 1_000_000, ours: 5, baseline: 0 },
];

const progress = (text: string) => process.stderr.write(`bench matcher: ${text}\n`);

/**
 * `--note TEXT` is kept in the JSON beside the machine's load, for a run whose tick times the
 * load distorts (the replayed figures are deterministic and are not).
 */
export async function main(args: string[] = []): Promise<void> {
  const { note } = parseArgs({ args, options: { note: { type: 'string' } } }).values;
  const loadAtStart = loadavg();
  const gc = collector();
  const referenceMs = referenceSortMs();
  progress(
    `Float64Array.sort(100k) takes ${referenceMs.toFixed(1)} ms on this machine; load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores`,
  );

  const ticks: { n: number; ours: TickTime; baseline: TickTime | null }[] = [];
  for (const size of SIZES) {
    progress(`tick over ${size.n} tickets`);
    const ours = measureTick(createPool, rule, size.n, size.ours, gc);
    const baseline = size.baseline > 0 ? measureTick(createBaselinePool, rule, size.n, size.baseline, gc) : null;
    ticks.push({ n: size.n, ours, baseline });
  }
  progress('heap per waiting ticket (200k tickets)');
  const memory = measureMemory(rule, 200_000, gc);
  const quality: QualityRow[] = [];
  for (const shape of QUALITY_TRACES) {
    progress(`quality on ${shape.name} (${shape.traces} traces of ${shape.seconds} s at ${shape.rate}/s)`);
    quality.push(compareOnShape(shape));
  }

  const readyCheck: ReadyCheckRow[] = [];
  for (const shape of READY_CHECK_TRACES) {
    progress(`ready check and allocation failures on ${shape.name} (${shape.traces} traces)`);
    readyCheck.push(readyCheckOnShape(shape));
  }

  printTicks(ticks, referenceMs);
  console.log(
    `\nheap per waiting ticket: ${memory.ticketBytes.toFixed(0)} B the ticket and its ids, ${memory.poolBytes.toFixed(0)} B the pool (index, arrays, tick buffers)`,
  );
  printQuality(quality);
  printReadyCheck(readyCheck);

  const machine = { cpus: cpus().length, loadAverage: { start: loadAtStart, end: loadavg() } };
  const result = {
    bench: 'matcher',
    at: new Date().toISOString(),
    node: process.version,
    ...(note ? { note } : {}),
    machine,
    referenceSortMs: referenceMs,
    ticks,
    memory,
    quality,
    readyCheck,
  };
  mkdirSync(RESULTS, { recursive: true });
  const json = JSON.stringify(result, null, 2) + '\n';
  const stamp = result.at.replace(/[:.]/g, '-');
  writeFileSync(new URL(`matcher-${stamp}.json`, RESULTS), json);
  writeFileSync(new URL('matcher-latest.json', RESULTS), json);
  writeFileSync(new URL('matcher-latest.html', RESULTS), matcherChart(result));
  progress(`saved bench/results/matcher-${stamp}.json, matcher-latest.json and matcher-latest.html`);
}

function printTicks(ticks: { n: number; ours: TickTime; baseline: TickTime | null }[], referenceMs: number): void {
  console.log(`\ntick over n tickets arrived at once, 1 s later (median of repetitions; Float64Array.sort(100k) = ${referenceMs.toFixed(1)} ms here)`);
  console.table(
    ticks.map(({ n, ours, baseline }) => ({
      tickets: n,
      'ours ms': +ours.medianMs.toFixed(1),
      'ours max ms': +ours.maxMs.toFixed(1),
      rooms: ours.rooms,
      'baseline ms': baseline ? +baseline.medianMs.toFixed(1) : 'skipped (quadratic)',
      'baseline / ours': baseline ? +(baseline.medianMs / ours.medianMs).toFixed(0) : '',
    })),
  );
}

function printQuality(rows: QualityRow[]): void {
  console.log(
    '\nquality on generated traces, ours vs baseline, each shape pooled over its traces (waits in s; ratio = ours / baseline, lower is better except matched; range = the ratio on each trace alone)',
  );
  const s = (ms: number) => +(ms / 1000).toFixed(1);
  const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? 1 : Infinity) : +(a / b).toFixed(3));
  const range = ([low, high]: [number, number]) => `${low.toFixed(2)}-${high.toFixed(2)}`;
  console.table(
    rows.map(({ trace, ours, baseline, perTrace }) => ({
      trace: trace.name,
      tickets: ours.tickets,
      matched: `${(ours.matchedShare * 100).toFixed(2)}% / ${(baseline.matchedShare * 100).toFixed(2)}%`,
      'wait p50': `${s(ours.waitP50)} / ${s(baseline.waitP50)} (${ratio(ours.waitP50, baseline.waitP50)})`,
      'p50 range': range(perTrace.waitP50),
      'wait p95': `${s(ours.waitP95)} / ${s(baseline.waitP95)} (${ratio(ours.waitP95, baseline.waitP95)})`,
      'p95 range': range(perTrace.waitP95),
      'wait p99': `${s(ours.waitP99)} / ${s(baseline.waitP99)} (${ratio(ours.waitP99, baseline.waitP99)})`,
      'wait max': `${s(ours.waitMax)} / ${s(baseline.waitMax)} (${ratio(ours.waitMax, baseline.waitMax)})`,
      'max range': range(perTrace.waitMax),
      'extremes p95': `${s(ours.extremesWaitP95)} / ${s(baseline.extremesWaitP95)} (${ratio(ours.extremesWaitP95, baseline.extremesWaitP95)})`,
      'spread mean': `${ours.spreadMean.toFixed(0)} / ${baseline.spreadMean.toFixed(0)}`,
      'spread p95': `${ours.spreadP95.toFixed(0)} / ${baseline.spreadP95.toFixed(0)}`,
      timeouts: `${ours.timeouts} / ${baseline.timeouts}`,
    })),
  );
}

function printReadyCheck(rows: ReadyCheckRow[]): void {
  console.log(
    '\nwhat a ready check (accept.seconds 10) and failed allocations cost, replayed on the same traces (waits in s, join to final room; ratio = the case over no ready check)',
  );
  const s = (ms: number) => +(ms / 1000).toFixed(1);
  console.table(
    rows.flatMap(({ trace, cases }) =>
      cases.map(({ name, figures, dissolvedPer100 }) => ({
        trace: trace.name,
        case: name,
        matched: `${(figures.matchedShare * 100).toFixed(2)}%`,
        'wait p50': s(figures.waitP50),
        'wait p95': s(figures.waitP95),
        'wait p99': s(figures.waitP99),
        'p50 / p95 vs no ready check': `${(figures.waitP50 / cases[0]!.figures.waitP50).toFixed(2)} / ${(figures.waitP95 / cases[0]!.figures.waitP95).toFixed(2)}`,
        'dissolved / 100 rooms': `${dissolvedPer100.declined} declined, ${dissolvedPer100.accept_timeout} silent, ${dissolvedPer100.allocation_failed} alloc`,
        'left declined / silent / alloc': `${figures.declined} / ${figures.acceptTimeouts} / ${figures.allocationFailed}`,
        timeouts: figures.timeouts,
      })),
    ),
  );
}
