/**
 * `npm run bench -- parties`: matching with parties (issue 11, item 3). On traces with a party
 * mix, in ffa3 (parties up to 3) and in a 5v5 mode (parties up to 5), the core against a
 * baseline that fills rooms first-come-first-served with parties whole, both in the same run
 * through the same replay: matched share, wait p50 / p95 / max by party size, spread, team
 * imbalance. Then the tick over 100k tickets with the party mix, arrived at once, beside the
 * same tick with solo tickets only (the solo path) in the same run. Solo-only pools run the
 * unchanged solo code, so the solo quality figures are `npm run bench -- matcher`'s. Each timed
 * tick follows a gc() and a pause for the concurrent sweepers (SETTLE_MS), so CPU time is the tick's.
 * A table on stdout, progress on stderr, JSON in bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createPool, type Pool } from '../core/pool.js';
import { replay, type ReplayResult } from '../core/replay.js';
import { quantile } from '../core/replay-figures.js';
import type { MatchConfig, ModeRule, Ticket } from '../core/types.js';
import { seededRandom } from '../core/seeded-random.js';
import { collector } from './matcher/gc.js';
import { gaussian, type TraceShape } from './matcher/traces.js';
import { createPartyBaselinePool } from './parties/baseline.js';
import { generatePartyTrace, type PartyMix } from './parties/traces.js';

const RESULTS = new URL('./results/', import.meta.url);

const MODES: { mode: string; rule: ModeRule; mix: PartyMix }[] = [
  // 60% solo, 25% pairs, 15% trios.
  {
    mode: 'ffa3',
    rule: { teams: 1, teamSize: 3, window: { initial: 0, perSecond: 50, max: Infinity }, maxWaitSeconds: 300, party: { maxSize: 3, aggregate: 'avg' } },
    mix: [0, 0.6, 0.25, 0.15],
  },
  // 5v5 with parties up to 5: 60% solo, 20% pairs, 10% trios, 5% four-stacks, 5% five-stacks.
  {
    mode: '5v5',
    rule: { teams: 2, teamSize: 5, window: { initial: 25, perSecond: 20, max: 400 }, maxWaitSeconds: 180, party: { maxSize: 5, aggregate: 'avg' } },
    mix: [0, 0.6, 0.2, 0.1, 0.05, 0.05],
  },
];
/** Tickets (parties) per second; the baseline is quadratic in the pool, so no dense shape. */
const SHAPES: (TraceShape & { traces: number })[] = [
  { name: 'steady-sparse', seconds: 3600, rate: 0.5, bursty: false, leaveShare: 0.05, seed: 7000, traces: 8 },
  { name: 'bursty-medium', seconds: 1800, rate: 4, bursty: true, leaveShare: 0.05, seed: 8000, traces: 4 },
];

interface Figures {
  tickets: number;
  matchedShare: number;
  bySize: Record<number, { tickets: number; matchedShare: number; waitP50: number; waitP95: number; waitMax: number }>;
  spreadMean: number;
  spreadP95: number;
  imbalanceMean: number;
  imbalanceP95: number;
}

const progress = (text: string) => process.stderr.write(`bench parties: ${text}\n`);
const ascending = (a: number, b: number) => a - b;
const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);

function figuresOf(results: ReplayResult[]): Figures {
  const ends = results.flatMap((r) => r.ends);
  const spreads = results.flatMap((r) => r.spreads).sort(ascending);
  const imbalances = results.flatMap((r) => r.imbalances).sort(ascending);
  const bySize: Figures['bySize'] = {};
  for (const size of [...new Set(ends.map((e) => e.size))].sort(ascending)) {
    const mine = ends.filter((e) => e.size === size);
    const waits = mine
      .filter((e) => e.outcome === 'matched')
      .map((e) => e.waitedMs)
      .sort(ascending);
    bySize[size] = {
      tickets: mine.length,
      matchedShare: waits.length / mine.length,
      waitP50: quantile(waits, 0.5),
      waitP95: quantile(waits, 0.95),
      waitMax: waits.at(-1) ?? 0,
    };
  }
  return {
    tickets: ends.length,
    matchedShare: ends.filter((e) => e.outcome === 'matched').length / Math.max(1, ends.length),
    bySize,
    spreadMean: mean(spreads),
    spreadP95: quantile(spreads, 0.95),
    imbalanceMean: mean(imbalances),
    imbalanceP95: quantile(imbalances, 0.95),
  };
}

/** Repetitions of each 100k tick. */
const TICK_REPETITIONS = 11;
/**
 * How long the bench sleeps between the gc() before a measured tick and the tick: the process's
 * CPU time counts every thread, and V8's concurrent sweepers go on freeing the setup's garbage
 * after gc() returns, which billed 5–10 ms of sweeping to a 15 ms tick on a quiet machine.
 */
const SETTLE_MS = 200;
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * The tick over n party-mix tickets arrived at once, a second later (median of `repetitions`):
 * wall time, and the process's CPU time, which a machine shared with other work inflates less.
 */
function tickTime(
  rule: ModeRule,
  mix: PartyMix,
  n: number,
  repetitions: number,
  gc: () => void,
): { medianMs: number; maxMs: number; cpuMedianMs: number; cpuMinMs: number; cpuMs: number[]; rooms: number } {
  const pool: Pool = createPool(rule);
  const rand = seededRandom(n);
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let rooms = 0;
  for (let rep = -1; rep < repetitions; rep++) {
    const t0 = (rep + 1) * 10_000_000;
    for (let i = 0; i < n; i++) {
      let u = rand();
      let size = 1;
      for (let s = 1; s < mix.length; s++)
        if ((u -= mix[s]!) < 0) {
          size = s;
          break;
        }
      const rating = Math.round(gaussian(rand, 1500, 300));
      const ticket: Ticket =
        size === 1
          ? { ticketId: `${rep}-${i}`, playerId: `p${i}`, rating, joinedAt: t0 }
          : {
              ticketId: `${rep}-${i}`,
              playerId: `p${i}-0`,
              rating,
              joinedAt: t0,
              members: Array.from({ length: size }, (_, m) => ({ playerId: `p${i}-${m}`, rating })),
              partyId: `q${i}`,
            };
      pool.add(ticket);
    }
    gc();
    sleep(SETTLE_MS);
    const cpu = process.cpuUsage();
    const start = performance.now();
    const result = pool.tick(t0 + 1000);
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    if (rep >= 0) {
      times.push(ms);
      cpuTimes.push((used.user + used.system) / 1000);
      rooms = result.rooms.length;
    }
    pool.tick(t0 + rule.maxWaitSeconds * 1000);
  }
  const cpuMs = cpuTimes.slice();
  times.sort(ascending);
  cpuTimes.sort(ascending);
  return { medianMs: times[times.length >> 1]!, maxMs: times.at(-1)!, cpuMedianMs: cpuTimes[cpuTimes.length >> 1]!, cpuMinMs: cpuTimes[0]!, cpuMs, rooms };
}

export async function main(): Promise<void> {
  const loadAtStart = loadavg();
  const gc = collector();
  const quality = [];
  for (const { mode, rule, mix } of MODES) {
    const config: MatchConfig = { regions: ['global'], modes: { [mode]: rule } };
    for (const shape of SHAPES) {
      progress(`${mode} ${shape.name}: ${shape.traces} traces of ${shape.seconds} s at ${shape.rate} parties/s`);
      const ours: ReplayResult[] = [];
      const baseline: ReplayResult[] = [];
      for (let i = 0; i < shape.traces; i++) {
        const events = generatePartyTrace({ ...shape, seed: shape.seed + i }, mix, mode);
        ours.push(replay(events, { config, tickMs: 1000 }));
        baseline.push(replay(events, { config, tickMs: 1000, createPool: createPartyBaselinePool }));
      }
      quality.push({ mode, shape: shape.name, mix, ours: figuresOf(ours), baseline: figuresOf(baseline) });
    }
  }
  const ticks = [];
  for (const { mode, rule, mix } of MODES) {
    progress(`tick over 100k ${mode} tickets with the party mix, and solo only`);
    // The same tick with solo tickets only (the solo path, RoomFormer) as the baseline, in the same run.
    const solo = tickTime(rule, [0, 1], 100_000, TICK_REPETITIONS, gc);
    ticks.push({ mode, n: 100_000, ...tickTime(rule, mix, 100_000, TICK_REPETITIONS, gc), solo });
  }

  const s = (ms: number) => (ms / 1000).toFixed(1);
  console.log('\nparties: ours / first-come-first-served baseline, per shape pooled over its traces (waits in s)');
  console.table(
    quality.flatMap(({ mode, shape, ours, baseline }) =>
      Object.keys(ours.bySize).map((size) => {
        const o = ours.bySize[+size]!;
        const b = baseline.bySize[+size]!;
        return {
          mode,
          shape,
          size: +size,
          tickets: o.tickets,
          matched: `${(o.matchedShare * 100).toFixed(1)}% / ${(b.matchedShare * 100).toFixed(1)}%`,
          'wait p50': `${s(o.waitP50)} / ${s(b.waitP50)}`,
          'wait p95': `${s(o.waitP95)} / ${s(b.waitP95)}`,
          'wait max': `${s(o.waitMax)} / ${s(b.waitMax)}`,
        };
      }),
    ),
  );
  console.table(
    quality.map(({ mode, shape, ours, baseline }) => ({
      mode,
      shape,
      matched: `${(ours.matchedShare * 100).toFixed(1)}% / ${(baseline.matchedShare * 100).toFixed(1)}%`,
      'spread mean': `${ours.spreadMean.toFixed(0)} / ${baseline.spreadMean.toFixed(0)}`,
      'spread p95': `${ours.spreadP95.toFixed(0)} / ${baseline.spreadP95.toFixed(0)}`,
      'imbalance mean': `${ours.imbalanceMean.toFixed(0)} / ${baseline.imbalanceMean.toFixed(0)}`,
      'imbalance p95': `${ours.imbalanceP95.toFixed(0)} / ${baseline.imbalanceP95.toFixed(0)}`,
    })),
  );
  const machine = { cpus: cpus().length, loadAverage: { start: loadAtStart, end: loadavg() } };
  console.log(
    `\ntick over 100k tickets arrived at once, 1 s later (median of ${TICK_REPETITIONS}): party mix / solo only (the solo path), wall and CPU time; load average ${machine.loadAverage.end.map((l) => l.toFixed(1)).join(' ')} on ${machine.cpus} cores`,
  );
  console.table(
    ticks.map(({ mode, n, medianMs, maxMs, cpuMedianMs, cpuMinMs, rooms, solo }) => ({
      mode,
      tickets: n,
      'median ms': `${medianMs.toFixed(1)} / ${solo.medianMs.toFixed(1)}`,
      'max ms': `${maxMs.toFixed(1)} / ${solo.maxMs.toFixed(1)}`,
      'CPU median ms': `${cpuMedianMs.toFixed(1)} / ${solo.cpuMedianMs.toFixed(1)}`,
      'CPU min ms': `${cpuMinMs.toFixed(1)} / ${solo.cpuMinMs.toFixed(1)}`,
      'party / solo (CPU)': +(cpuMedianMs / solo.cpuMedianMs).toFixed(2),
      rooms: `${rooms} / ${solo.rooms}`,
    })),
  );

  const result = { bench: 'parties', at: new Date().toISOString(), node: process.version, machine, settleMs: SETTLE_MS, quality, ticks };
  mkdirSync(RESULTS, { recursive: true });
  const json = JSON.stringify(result, null, 2) + '\n';
  writeFileSync(new URL(`parties-${result.at.replace(/[:.]/g, '-')}.json`, RESULTS), json);
  writeFileSync(new URL('parties-latest.json', RESULTS), json);
  progress('saved bench/results/parties-latest.json');
}
