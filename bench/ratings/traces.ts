/**
 * Traces for the ratings bench (`--true-skill` replay): a population of players with a hidden
 * true skill ~N(1500, 300), each coming back to play every `gapSeconds` (jittered) for the
 * whole run, so every player plays dozens of games and the ratings have something to learn.
 * `start` says what the ratings start from: `newcomers` all at 1500 (nothing known), or a
 * `guess` off by N(0, guessSd) (what a placement test or another game might give). Seeded.
 */
import { normal, seededRandom } from '../../core/seeded-random.js';
import type { TraceEvent, TraceJoin } from '../../core/trace.js';

export interface LearningShape {
  name: string;
  mode: string;
  players: number;
  seconds: number;
  gapSeconds: number;
  start: { kind: 'newcomers' } | { kind: 'guess'; sd: number };
  seed: number;
}

export function generateLearningTrace(shape: LearningShape, region = 'global'): TraceJoin[] {
  const random = seededRandom(shape.seed);
  const joins: TraceJoin[] = [];
  let ticket = 0;
  for (let p = 0; p < shape.players; p++) {
    const playerId = `p${p}`;
    const trueSkill = Math.round(normal(random, 1500, 300));
    const rating = shape.start.kind === 'newcomers' ? 1500 : Math.round(trueSkill + normal(random, 0, shape.start.sd));
    for (let at = random() * shape.gapSeconds * 1000; at < shape.seconds * 1000; at += shape.gapSeconds * 1000 * (0.75 + random() / 2)) {
      joins.push({ at: Math.round(at), type: 'join', ticketId: `t${ticket++}`, playerId, rating, trueSkill, mode: shape.mode, region });
    }
  }
  return joins.sort((a, b) => a.at - b.at || (a.ticketId < b.ticketId ? -1 : 1));
}

/** The trace as NDJSON, as `npm run simulate -- --trace FILE --true-skill` reads it. */
export const ndjson = (events: readonly TraceEvent[]): string => events.map((event) => JSON.stringify(event) + '\n').join('');
