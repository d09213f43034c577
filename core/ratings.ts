import { rate } from 'openskill';
import type { RatedTeam } from './placements.js';

/**
 * matchq's rating scale (contract, "Ratings"): OpenSkill's Plackett–Luce model with
 * μ₀ = the player's base rating, σ₀ = 500, β = 250, τ = 5. The rating players see and
 * the matcher uses is round(μ). Pure: the result API and the replay with learning both call
 * `rateTeams`, so a replayed game moves ratings exactly as a posted result does.
 */
export const SIGMA0 = 500;
export const BETA = 250;
export const TAU = 5;

export interface Skill {
  mu: number;
  sigma: number;
}

/** A player who never played this mode: their base rating, fully uncertain. */
export const initialSkill = (baseRating: number): Skill => ({ mu: baseRating, sigma: SIGMA0 });

/** The rating the matcher uses and players see. */
export const ratingOf = (skill: Skill): number => Math.round(skill.mu);

/**
 * Rates one game: `teams[i]` are the skills of team i's players, `ranks[i]` its rank
 * (1 is best, equal ranks tie). Returns the new skills in the same shape.
 */
export function rateGame(teams: Skill[][], ranks: number[]): Skill[][] {
  if (teams.length !== ranks.length) throw new Error('rateGame: one rank per team');
  return rate(teams, { rank: ranks, beta: BETA, tau: TAU }).map((team) => team.map(({ mu, sigma }) => ({ mu, sigma })));
}

/**
 * Rates a checked result (core/placements.ts groupPlacements): each unit's players at their
 * current skill, `skillOf`; returns every player's new skill.
 */
export function rateTeams(teams: readonly RatedTeam[], skillOf: (playerId: string) => Skill): Map<string, Skill> {
  const rated = rateGame(
    teams.map((team) => team.playerIds.map(skillOf)),
    teams.map((team) => team.rank),
  );
  const after = new Map<string, Skill>();
  teams.forEach((team, t) => team.playerIds.forEach((id, p) => after.set(id, rated[t]![p]!)));
  return after;
}
