/**
 * What a ready check and failed allocations cost in wait, through the replay (README "Replay"):
 * the same generated traces with no ready check, with one (accept.seconds 10; a seeded 10% of
 * tickets decline their first proposal, 5% stay silent; everyone else accepts after 1 s or 3 s),
 * and with 10% of final rooms failing allocation, all in the same run. Waits are the matched
 * tickets' time from join to final room, so a requeue's lost time shows in them.
 */
import { seededRandom } from '../../core/seeded-random.js';
import { replay, type ReplayOptions, type ReplayResult } from '../../core/replay.js';
import { replayFigures, type ReplayFigures } from '../../core/replay-figures.js';
import { DEFAULT_MATCH_CONFIG } from '../../core/rule.js';
import type { TraceEvent } from '../../core/trace.js';
import type { MatchConfig } from '../../core/types.js';
import { generateTrace, type QualityShape } from './traces.js';

export interface ReadyCheckCase {
  name: string;
  figures: ReplayFigures;
  /** Rooms that fell through per 100 final rooms, by reason. */
  dissolvedPer100: { declined: number; accept_timeout: number; allocation_failed: number };
}

export interface ReadyCheckRow {
  trace: QualityShape;
  cases: ReadyCheckCase[];
}

/** Shapes kept small: four medium and one dense trace replay in a few seconds per case. */
export const READY_CHECK_TRACES: QualityShape[] = [
  { name: 'steady-medium', seconds: 3600, rate: 4, bursty: false, leaveShare: 0.05, seed: 2000, traces: 4 },
  { name: 'bursty-dense', seconds: 1800, rate: 40, bursty: true, leaveShare: 0.05, seed: 6000, traces: 1 },
];

const withAccept: MatchConfig = {
  regions: DEFAULT_MATCH_CONFIG.regions,
  modes: { ffa3: { ...DEFAULT_MATCH_CONFIG.modes.ffa3!, accept: { seconds: 10, cooldownSeconds: 0 } } },
};

/** The trace with a decline line for a seeded 10% of its joins and a silent line for another 5%. */
export function withAnswers(events: readonly TraceEvent[], seed: number, declineShare = 0.1, silentShare = 0.05): TraceEvent[] {
  const rand = seededRandom(seed);
  return events.flatMap((event): TraceEvent[] => {
    if (event.type !== 'join') return [event];
    const draw = rand();
    if (draw < declineShare) return [event, { at: event.at, type: 'decline', ticketId: event.ticketId }];
    if (draw < declineShare + silentShare) return [event, { at: event.at, type: 'silent', ticketId: event.ticketId }];
    return [event];
  });
}

const CASES: { name: string; answers: boolean; options: Omit<ReplayOptions, 'tickMs'> }[] = [
  { name: 'no ready check', answers: false, options: { config: DEFAULT_MATCH_CONFIG } },
  { name: 'ready check, all accept in 1 s', answers: false, options: { config: withAccept, acceptMs: 1000 } },
  { name: 'ready check, 10% decline 5% silent, accept 1 s', answers: true, options: { config: withAccept, acceptMs: 1000 } },
  { name: 'ready check, 10% decline 5% silent, accept 3 s', answers: true, options: { config: withAccept, acceptMs: 3000 } },
  { name: '10% allocations fail', answers: false, options: { config: DEFAULT_MATCH_CONFIG, allocationFail: { share: 0.1, seed: 1 } } },
];

export function readyCheckOnShape(shape: QualityShape): ReadyCheckRow {
  const traces = Array.from({ length: shape.traces }, (_, i) => generateTrace({ ...shape, seed: shape.seed + i }));
  const cases = CASES.map(({ name, answers, options }) => {
    const results = traces.map((events, i) => replay(answers ? withAnswers(events, shape.seed + 100 + i) : events, { ...options, tickMs: 1000 }));
    const pooled: ReplayResult = {
      outputs: [],
      ends: results.flatMap((r) => r.ends),
      spreads: results.flatMap((r) => r.spreads),
      imbalances: results.flatMap((r) => r.imbalances),
      dissolutions: { declined: 0, accept_timeout: 0, allocation_failed: 0 },
    };
    for (const r of results)
      for (const reason of ['declined', 'accept_timeout', 'allocation_failed'] as const) pooled.dissolutions[reason] += r.dissolutions[reason];
    const rooms = pooled.spreads.length || 1;
    const per100 = (n: number) => +((n / rooms) * 100).toFixed(1);
    const { declined, accept_timeout, allocation_failed } = pooled.dissolutions;
    return {
      name,
      figures: replayFigures(pooled),
      dissolvedPer100: { declined: per100(declined), accept_timeout: per100(accept_timeout), allocation_failed: per100(allocation_failed) },
    };
  });
  return { trace: shape, cases };
}
