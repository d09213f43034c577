/**
 * Replay with learning (`npm run simulate -- --true-skill`): every player of the trace has a
 * hidden true skill; each final room is played, its finishing order drawn from the true skills
 * (core/game-outcome.ts, the demo game server's model), and the result moves ratings through
 * the production path: groupPlacements checks and groups it as the server API does, rateTeams
 * rates it as the result ledger does, on matchq's scale. A join then uses the player's current
 * rating in its mode, as a gateway's join does. Pure and seeded: the same trace and seed, the
 * same games.
 */
import { drawPlacements } from './game-outcome.js';
import { groupPlacements } from './placements.js';
import { initialSkill, rateTeams, ratingOf, type Skill } from './ratings.js';
import { seededRandom } from './seeded-random.js';

export interface LearningOptions {
  /** Each player's hidden skill, on the rating scale (core/trace.ts trueSkillsOf). */
  trueSkills: ReadonlyMap<string, number>;
  /** Seeds the games' draws. */
  seed: number;
  /** The baseline: games are played the same way, ratings never move from their start. */
  frozen?: boolean;
}

/** A seat of a final room: the player, their team, and the rating they joined with (their base before a first game). */
export interface LearningSeat {
  playerId: string;
  team: number;
  joinedRating: number;
}

/** The `result` line a played room adds to the replay's output (the placements of `result.v1`). */
export interface ResultLine {
  type: 'result';
  at: number;
  mode: string;
  tickets: string[];
  placements: { playerId: string; rank: number; before: number; after: number }[];
}

/** One played game, for the figures: when, and how far apart its players' true skills were. */
export interface PlayedGame {
  mode: string;
  at: number;
  /** Highest minus lowest true skill of the room's players. */
  trueSpread: number;
}

export interface Learning {
  /** The rating a join uses: the player's current one in the mode, or `base` (the trace's) before their first game there. */
  ratingOf(mode: string, playerId: string, base: number): number;
  /** Plays a final room and rates its result. */
  play(mode: string, teamMode: boolean, seats: readonly LearningSeat[], ticketIds: string[], at: number): ResultLine;
  /** Per mode, per player: the rating before their first game, then after each game. */
  readonly histories: ReadonlyMap<string, ReadonlyMap<string, readonly number[]>>;
  readonly games: readonly PlayedGame[];
  readonly trueSkills: ReadonlyMap<string, number>;
}

export function createLearning({ trueSkills, seed, frozen = false }: LearningOptions): Learning {
  const random = seededRandom(seed);
  const skills = new Map<string, Map<string, Skill>>();
  const histories = new Map<string, Map<string, number[]>>();
  const games: PlayedGame[] = [];
  const truth = (playerId: string) => {
    const skill = trueSkills.get(playerId);
    if (skill === undefined) throw new Error(`replay with learning: player ${playerId} has no true skill`);
    return skill;
  };
  const of = <T>(map: Map<string, Map<string, T>>, mode: string) => {
    let inner = map.get(mode);
    if (!inner) map.set(mode, (inner = new Map()));
    return inner;
  };

  return {
    histories,
    games,
    trueSkills,
    ratingOf(mode, playerId, base) {
      const skill = skills.get(mode)?.get(playerId);
      return skill ? ratingOf(skill) : base;
    },
    play(mode, teamMode, seats, ticketIds, at) {
      const current = of(skills, mode);
      const history = of(histories, mode);
      const before = new Map(seats.map((seat) => [seat.playerId, current.get(seat.playerId) ?? initialSkill(seat.joinedRating)]));
      const placements = drawPlacements(
        seats.map((seat) => ({ playerId: seat.playerId, team: seat.team, rating: truth(seat.playerId) })),
        teamMode,
        random,
      );
      const grouped = groupPlacements([...seats], teamMode, placements);
      if (!grouped.ok) throw new Error(`replay with learning: a drawn result is refused: ${grouped.error}`);
      const after = frozen ? before : rateTeams(grouped.teams, (id) => before.get(id)!);
      for (const seat of seats) {
        const next = after.get(seat.playerId)!;
        current.set(seat.playerId, next);
        const ratings = history.get(seat.playerId) ?? [ratingOf(before.get(seat.playerId)!)];
        ratings.push(ratingOf(next));
        history.set(seat.playerId, ratings);
      }
      const truths = seats.map((seat) => truth(seat.playerId));
      games.push({ mode, at, trueSpread: Math.max(...truths) - Math.min(...truths) });
      return {
        type: 'result',
        at,
        mode,
        tickets: ticketIds,
        placements: placements.map(({ playerId, rank }) => ({
          playerId,
          rank,
          before: ratingOf(before.get(playerId)!),
          after: ratingOf(after.get(playerId)!),
        })),
      };
    },
  };
}
