/**
 * The matcher against the baseline on the same generated traces, through the same replay.
 * A shape's traces are pooled (every ticket of every seed in one set of figures), and the
 * per-trace ratios are kept beside, so the pooled ratio can be read against the seed-to-seed noise.
 */
import { replay, type ReplayResult } from '../../core/replay.js';
import { replayFigures, type ReplayFigures } from '../../core/replay-figures.js';
import { DEFAULT_MATCH_CONFIG } from '../../core/rule.js';
import { createBaselinePool } from './baseline-matcher.js';
import { generateTrace, type QualityShape } from './traces.js';

/** Lowest and highest ours / baseline ratio over a shape's traces. */
export type RatioRange = [number, number];

export interface QualityRow {
  trace: QualityShape;
  ours: ReplayFigures;
  baseline: ReplayFigures;
  perTrace: { waitP50: RatioRange; waitP95: RatioRange; waitMax: RatioRange };
}

export function compareOnShape(shape: QualityShape): QualityRow {
  const options = { config: DEFAULT_MATCH_CONFIG, tickMs: 1000 };
  const ours: ReplayResult[] = [];
  const baseline: ReplayResult[] = [];
  for (let i = 0; i < shape.traces; i++) {
    const events = generateTrace({ ...shape, seed: shape.seed + i });
    ours.push(replay(events, options));
    baseline.push(replay(events, { ...options, createPool: createBaselinePool }));
  }
  const oursEach = ours.map(replayFigures);
  const baselineEach = baseline.map(replayFigures);
  const ratios = (key: 'waitP50' | 'waitP95' | 'waitMax'): RatioRange => {
    const each = oursEach.map((figures, i) => figures[key] / baselineEach[i]![key]);
    return [Math.min(...each), Math.max(...each)];
  };
  return {
    trace: shape,
    ours: replayFigures(pooled(ours)),
    baseline: replayFigures(pooled(baseline)),
    perTrace: { waitP50: ratios('waitP50'), waitP95: ratios('waitP95'), waitMax: ratios('waitMax') },
  };
}

/** Several replays as one: figures read only ends and spreads. */
function pooled(results: readonly ReplayResult[]): ReplayResult {
  const dissolutions = { declined: 0, accept_timeout: 0, allocation_failed: 0 };
  for (const r of results) for (const reason of Object.keys(dissolutions) as (keyof typeof dissolutions)[]) dissolutions[reason] += r.dissolutions[reason];
  return {
    outputs: [],
    ends: results.flatMap((r) => r.ends),
    spreads: results.flatMap((r) => r.spreads),
    imbalances: results.flatMap((r) => r.imbalances),
    dissolutions,
  };
}
