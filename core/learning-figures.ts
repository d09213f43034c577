/**
 * What a replay with learning is judged by, shared by `npm run simulate -- --true-skill` and
 * the ratings bench: how fast ratings converge on the true skills (Spearman rank correlation
 * after N games), and how close in true skill the rooms are over the run.
 */
import type { Learning } from './replay-learning.js';

/** Ranks 1..n, ties sharing their mean rank. */
function ranks(values: readonly number[]): number[] {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const out = new Array<number>(values.length);
  for (let start = 0; start < order.length;) {
    let stop = start;
    while (stop + 1 < order.length && order[stop + 1]!.value === order[start]!.value) stop++;
    const mean = (start + stop) / 2 + 1;
    for (let k = start; k <= stop; k++) out[order[k]!.index] = mean;
    start = stop + 1;
  }
  return out;
}

/**
 * Spearman's rank correlation (Pearson's on tie-averaged ranks), in [-1, 1]. Fewer than two
 * values, or a side with no order at all (every rating equal), carry no information: 0.
 */
export function spearman(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length) throw new Error('spearman: two series of one length');
  const n = xs.length;
  if (n < 2) return 0;
  const rx = ranks(xs);
  const ry = ranks(ys);
  const mean = (n + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = rx[i]! - mean;
    const dy = ry[i]! - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return 0;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

export interface ConvergencePoint {
  /** Games played. */
  games: number;
  /** Players who played at least that many games in the mode. */
  players: number;
  /** Spearman of their rating after exactly that many games with their true skill. */
  spearman: number;
}

export interface LearningFigures {
  mode: string;
  games: number;
  players: number;
  /** At each checkpoint of games played (0: the starting ratings). */
  convergence: ConvergencePoint[];
  /** Spearman of every player's final rating with their true skill. */
  finalSpearman: number;
  /** Mean true-skill spread of the rooms in each consecutive slice of the run (by the order they were played). */
  spreadBySlice: number[];
}

export const CHECKPOINTS = [0, 1, 2, 3, 5, 10, 20, 30, 50];

/** The figures of one mode; checkpoints no player reached are left out. */
export function learningFigures(learning: Learning, mode: string, checkpoints = CHECKPOINTS, slices = 10): LearningFigures {
  const histories = [...(learning.histories.get(mode) ?? new Map<string, readonly number[]>()).entries()];
  const truth = (playerId: string) => learning.trueSkills.get(playerId)!;
  const convergence: ConvergencePoint[] = [];
  for (const games of checkpoints) {
    const reached = histories.filter(([, ratings]) => ratings.length > games);
    if (reached.length === 0) break;
    convergence.push({
      games,
      players: reached.length,
      spearman: spearman(
        reached.map(([, ratings]) => ratings[games]!),
        reached.map(([playerId]) => truth(playerId)),
      ),
    });
  }
  const played = learning.games.filter((game) => game.mode === mode);
  const spreadBySlice: number[] = [];
  for (let s = 0; s < slices && played.length >= slices; s++) {
    const slice = played.slice(Math.floor((s * played.length) / slices), Math.floor(((s + 1) * played.length) / slices));
    spreadBySlice.push(slice.reduce((sum, game) => sum + game.trueSpread, 0) / slice.length);
  }
  return {
    mode,
    games: played.length,
    players: histories.length,
    convergence,
    finalSpearman: spearman(
      histories.map(([, ratings]) => ratings[ratings.length - 1]!),
      histories.map(([playerId]) => truth(playerId)),
    ),
    spreadBySlice,
  };
}
