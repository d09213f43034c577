/**
 * A game server's result checked against its room (contract, "Server keys and the server
 * API"): every player of the room exactly once, a team mode's players sharing their team's
 * rank. Pure; the answer groups the players into the teams the ratings treat as units.
 */

export interface Placement {
  playerId: string;
  rank: number;
}
export interface Seat {
  playerId: string;
  team: number;
}
/** A unit of the rating: one team (team modes) or one player (teams = 1), with its rank. */
export interface RatedTeam {
  playerIds: string[];
  rank: number;
}

export type Grouped = { ok: true; teams: RatedTeam[] } | { ok: false; error: string };

/**
 * Groups `placements` by the room's seats. With `teamMode` the units are the room's teams, in
 * team order; otherwise each player is their own unit, in the room's seat order.
 */
export function groupPlacements(seats: Seat[], teamMode: boolean, placements: Placement[]): Grouped {
  const rankOf = new Map<string, number>();
  const inRoom = new Set(seats.map((seat) => seat.playerId));
  for (const [index, { playerId, rank }] of placements.entries()) {
    if (!inRoom.has(playerId)) return { ok: false, error: `placements.${index}.playerId: ${playerId} is not a player of this room` };
    if (rankOf.has(playerId)) return { ok: false, error: `placements.${index}.playerId: ${playerId} is placed twice` };
    rankOf.set(playerId, rank);
  }
  const missing = seats.filter((seat) => !rankOf.has(seat.playerId)).map((seat) => seat.playerId);
  if (missing.length > 0) return { ok: false, error: `placements: missing player${missing.length > 1 ? 's' : ''} of the room: ${missing.join(', ')}` };

  if (!teamMode) return { ok: true, teams: seats.map((seat) => ({ playerIds: [seat.playerId], rank: rankOf.get(seat.playerId)! })) };
  const byTeam = new Map<number, RatedTeam>();
  for (const seat of [...seats].sort((a, b) => a.team - b.team)) {
    const rank = rankOf.get(seat.playerId)!;
    const team = byTeam.get(seat.team);
    if (!team) byTeam.set(seat.team, { playerIds: [seat.playerId], rank });
    else if (team.rank !== rank) return { ok: false, error: `placements: the players of team ${seat.team} must share one rank (got ${team.rank} and ${rank})` };
    else team.playerIds.push(seat.playerId);
  }
  return { ok: true, teams: [...byTeam.values()] };
}

/** The same result whatever order its placements came in: two posts are equal iff their keys are. */
export function placementsKey(placements: Placement[]): string {
  return JSON.stringify([...placements].sort((a, b) => (a.playerId < b.playerId ? -1 : a.playerId > b.playerId ? 1 : 0)).map((p) => [p.playerId, p.rank]));
}
