/** The matcher against the baseline on the same generated traces, through the same replay. */
import { replay } from '../../core/replay.js';
import { replayFigures, type ReplayFigures } from '../../core/replay-figures.js';
import { DEFAULT_MATCH_CONFIG } from '../../core/rule.js';
import { createBaselinePool } from './baseline-matcher.js';
import { generateTrace, type TraceShape } from './traces.js';

export interface QualityRow {
  trace: TraceShape;
  ours: ReplayFigures;
  baseline: ReplayFigures;
}

export function compareOnTrace(shape: TraceShape): QualityRow {
  const events = generateTrace(shape);
  const options = { config: DEFAULT_MATCH_CONFIG, tickMs: 1000 };
  return {
    trace: shape,
    ours: replayFigures(replay(events, options)),
    baseline: replayFigures(replay(events, { ...options, createPool: createBaselinePool })),
  };
}
