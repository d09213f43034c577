/**
 * `npm run bench -- ratings`: replay with learning (issue 14, item 6). Generated populations
 * with a hidden true skill play for hours through the production matcher core; each final room
 * is played from the true skills and rated by the production rating path (core/replay-learning.ts).
 * Reported beside a baseline in the same run, the same trace and the same games with ratings
 * frozen at their start: how fast ratings converge (Spearman of rating with true skill after N
 * games) and how close in true skill the rooms become (mean true-skill spread per tenth of the
 * run), and what it costs in wait. A table on stdout, progress on stderr, JSON and an HTML chart
 * in bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fmt, page, pairedBars, table } from '../common/html-report.js';
import { learningFigures, type LearningFigures } from '../core/learning-figures.js';
import { replay } from '../core/replay.js';
import { replayFigures, type ReplayFigures } from '../core/replay-figures.js';
import { createLearning } from '../core/replay-learning.js';
import { DEFAULT_MATCH_CONFIG } from '../core/rule.js';
import { trueSkillsOf } from '../core/trace.js';
import type { MatchConfig } from '../core/types.js';
import { generateLearningTrace, type LearningShape } from './ratings/traces.js';

const RESULTS = new URL('./results/', import.meta.url);

const CONFIG: MatchConfig = {
  regions: ['global'],
  modes: {
    ffa3: DEFAULT_MATCH_CONFIG.modes.ffa3!,
    '2v2': { teams: 2, teamSize: 2, window: { initial: 0, perSecond: 50, max: Infinity }, maxWaitSeconds: 300 },
  },
};

/** 600 players for 6 hours, each back every ~7 minutes: about 50 games each. */
const SHAPES: LearningShape[] = [
  { name: 'ffa3, newcomers at 1500', mode: 'ffa3', players: 600, seconds: 6 * 3600, gapSeconds: 420, start: { kind: 'newcomers' }, seed: 9100 },
  { name: 'ffa3, start off by N(0, 300)', mode: 'ffa3', players: 600, seconds: 6 * 3600, gapSeconds: 420, start: { kind: 'guess', sd: 300 }, seed: 9200 },
  { name: '2v2, newcomers at 1500', mode: '2v2', players: 600, seconds: 6 * 3600, gapSeconds: 420, start: { kind: 'newcomers' }, seed: 9300 },
];

interface Side {
  learning: LearningFigures;
  replay: ReplayFigures;
}
export interface RatingsRow {
  shape: LearningShape;
  learned: Side;
  frozen: Side;
}

const progress = (text: string) => process.stderr.write(`bench ratings: ${text}\n`);

function run(shape: LearningShape, frozen: boolean): Side {
  const events = generateLearningTrace(shape);
  const learning = createLearning({ trueSkills: trueSkillsOf(events), seed: shape.seed + 1, frozen });
  const result = replay(events, { config: CONFIG, tickMs: 1000, learning });
  return { learning: learningFigures(learning, shape.mode), replay: replayFigures(result) };
}

const at = (side: Side, games: number) => side.learning.convergence.find((p) => p.games === games)?.spearman ?? NaN;
const first = (side: Side) => side.learning.spreadBySlice[0] ?? NaN;
const last = (side: Side) => side.learning.spreadBySlice[side.learning.spreadBySlice.length - 1] ?? NaN;

export async function main(): Promise<void> {
  const rows: RatingsRow[] = [];
  for (const shape of SHAPES) {
    progress(`${shape.name}: ${shape.players} players for ${shape.seconds / 3600} h, learning and frozen`);
    rows.push({ shape, learned: run(shape, false), frozen: run(shape, true) });
  }
  const r = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
  console.log('\nratings learning from results (Spearman of rating with true skill; learned / frozen at the start, the baseline, same trace and games)');
  console.table(
    rows.map(({ shape, learned, frozen }) => ({
      trace: shape.name,
      games: learned.learning.games,
      'rho at 0': `${r(at(learned, 0))} / ${r(at(frozen, 0))}`,
      'rho after 5': `${r(at(learned, 5))} / ${r(at(frozen, 5))}`,
      'rho after 10': `${r(at(learned, 10))} / ${r(at(frozen, 10))}`,
      'rho after 20': `${r(at(learned, 20))} / ${r(at(frozen, 20))}`,
      'rho final': `${r(learned.learning.finalSpearman)} / ${r(frozen.learning.finalSpearman)}`,
    })),
  );
  const s = (ms: number) => (ms / 1000).toFixed(1);
  console.log('\nmatch quality: mean true-skill spread of rooms, first and last tenth of the run (learned / frozen; ratio = learned / frozen), and wait in s');
  console.table(
    rows.map(({ shape, learned, frozen }) => ({
      trace: shape.name,
      'spread, first tenth': `${first(learned).toFixed(0)} / ${first(frozen).toFixed(0)}`,
      'spread, last tenth': `${last(learned).toFixed(0)} / ${last(frozen).toFixed(0)} (${(last(learned) / last(frozen)).toFixed(2)})`,
      'wait p50': `${s(learned.replay.waitP50)} / ${s(frozen.replay.waitP50)}`,
      'wait p95': `${s(learned.replay.waitP95)} / ${s(frozen.replay.waitP95)}`,
      matched: `${(learned.replay.matchedShare * 100).toFixed(2)}% / ${(frozen.replay.matchedShare * 100).toFixed(2)}%`,
    })),
  );

  const result = { bench: 'ratings', at: new Date().toISOString(), node: process.version, rows };
  mkdirSync(RESULTS, { recursive: true });
  const json = JSON.stringify(result, null, 2) + '\n';
  const stamp = result.at.replace(/[:.]/g, '-');
  writeFileSync(new URL(`ratings-${stamp}.json`, RESULTS), json);
  writeFileSync(new URL('ratings-latest.json', RESULTS), json);
  writeFileSync(new URL('ratings-latest.html', RESULTS), ratingsChart(result.at, rows));
  progress(`saved bench/results/ratings-${stamp}.json, ratings-latest.json and ratings-latest.html`);
}

/** bench/results/ratings-latest.html: per trace, convergence and true-skill spread, learned beside frozen. */
function ratingsChart(when: string, rows: readonly RatingsRow[]): string {
  const legend: [string, string] = ['ratings learning', 'frozen at start (baseline)'];
  const sections = rows.map(({ shape, learned, frozen }) => {
    const points = learned.learning.convergence;
    const frozenAt = (games: number) => frozen.learning.convergence.find((p) => p.games === games)?.spearman ?? 0;
    const tenths = learned.learning.spreadBySlice.map((_, i) => String(i + 1));
    return (
      pairedBars(
        `${shape.name}: Spearman of rating with true skill after N games`,
        points.map((p) => String(p.games)),
        points.map((p) => Math.max(0, p.spearman)),
        points.map((p) => Math.max(0, frozenAt(p.games))),
        legend,
      ) +
      pairedBars(
        `${shape.name}: mean true-skill spread of rooms, by tenth of the run`,
        tenths,
        learned.learning.spreadBySlice,
        frozen.learning.spreadBySlice,
        legend,
      ) +
      table(
        ['games played', 'players', 'rho learned', 'rho frozen'],
        points.map((p) => [p.games, p.players, fmt(p.spearman), fmt(frozenAt(p.games))]),
      )
    );
  });
  return page(
    `matchq ratings bench, ${when}`,
    `<p>Node ${process.version}. Same trace and games on both sides; the baseline never moves a rating.</p>` + sections.join(''),
  );
}
