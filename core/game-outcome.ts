import type { Placement } from './placements.js';

/** Rating points that make one side ten times as likely to come first (Elo's scale). */
const TENFOLD = 400;

export interface OutcomeSeat {
  playerId: string;
  rating: number;
  team: number;
}

/**
 * A plausible result of one game, for the demo game server (seats at their ratings) and the
 * replay with learning (seats at their hidden true skill): the sides (the teams of a team mode, else each player)
 * finish in an order drawn by Plackett–Luce with strength 10^(rating/400), a side's rating
 * being its players' mean, so the higher-rated side wins more often but not always.
 */
export function drawPlacements(seats: OutcomeSeat[], teamMode: boolean, random: () => number): Placement[] {
  const sides = new Map<number, OutcomeSeat[]>();
  seats.forEach((seat, index) => {
    const key = teamMode ? seat.team : index;
    sides.set(key, [...(sides.get(key) ?? []), seat]);
  });
  let left = [...sides.values()].map((members) => ({
    members,
    strength: 10 ** (members.reduce((sum, seat) => sum + seat.rating, 0) / members.length / TENFOLD),
  }));
  const rankOf = new Map<string, number>();
  for (let rank = 1; left.length > 0; rank++) {
    const total = left.reduce((sum, side) => sum + side.strength, 0);
    let pick = random() * total;
    const next = left.find((side) => (pick -= side.strength) <= 0) ?? left[left.length - 1]!;
    for (const seat of next.members) rankOf.set(seat.playerId, rank);
    left = left.filter((side) => side !== next);
  }
  return seats.map((seat) => ({ playerId: seat.playerId, rank: rankOf.get(seat.playerId)! }));
}
