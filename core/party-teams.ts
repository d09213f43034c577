/**
 * Teams for a room of party tickets (contract v1.1: every member of a party on one team; team
 * sums, each member counted at the party's rating, as even as possible with parties whole).
 *
 * A ticket of size s and rating r is an item of weight s·r that needs s seats; a split puts
 * every item in one of T teams of exactly S seats. Which item sets can be seated at all
 * depends only on their sizes, so the room former asks `SeatPlans` (below) before it picks.
 *
 * The split is exact where the solo split is (core/teams.ts): rooms with at most EXACT_LIMIT
 * distinct solo splits (every mode with ≤ 5 a team and up to 3 teams: 5v5, 3×5, 4×2, 3×3 …).
 * Merging players into parties only lowers the number of splits, so the same line holds.
 * The search places items largest first, a team with the same seats and sum as an earlier
 * one is not tried again (symmetry), and a branch is cut when its best case cannot beat the
 * best split found: the fullest team's final sum is at least its sum plus its free seats at
 * the lowest rating left, the emptiest's at most its sum plus its seats at the highest left.
 *
 * Beyond that line (4 teams × 4 and up) the same search runs with a budget of EXACT_LIMIT
 * nodes from a greedy start (largest item into the lightest team that has the seats), then
 * swaps items of equal size between teams while a swap lowers the imbalance. The bound there:
 * the split is never worse than the greedy one, and no single equal-size swap improves it.
 * A room of solo tickets only is split by balanceTeams itself, so solo rooms do not change.
 */
import { balanceTeams, EXACT_LIMIT, partitionCount, type TeamSplit } from './teams.js';

/** Splits tickets of `sizes` and `ratings` (parallel) into teams of exactly teamSize players; throws if they cannot be seated. */
export function balancePartyTeams(sizes: readonly number[], ratings: readonly number[], teams: number, teamSize: number): TeamSplit {
  const n = sizes.length;
  let players = 0;
  for (const size of sizes) players += size;
  if (players !== teams * teamSize) throw new Error(`balancePartyTeams: ${players} players for ${teams} × ${teamSize}`);
  if (teams === 1) return { teamOf: new Array<number>(n).fill(0), imbalance: 0 };
  if (sizes.every((size) => size === 1)) return balanceTeams(ratings, teams, teamSize);

  // Largest first (seating is the hard part), then heaviest, then input position: equal inputs, equal splits.
  const order = sizes.map((_, i) => i).sort((a, b) => sizes[b]! - sizes[a]! || ratings[b]! - ratings[a]! || a - b);
  const size = order.map((i) => sizes[i]!);
  const rating = order.map((i) => ratings[i]!);
  // The lowest and highest player rating from position j on.
  const minFrom = new Array<number>(n + 1).fill(Infinity);
  const maxFrom = new Array<number>(n + 1).fill(-Infinity);
  for (let j = n - 1; j >= 0; j--) {
    minFrom[j] = Math.min(minFrom[j + 1]!, rating[j]!);
    maxFrom[j] = Math.max(maxFrom[j + 1]!, rating[j]!);
  }
  const exact = partitionCount(teams, teamSize) <= EXACT_LIMIT;
  const sums = new Array<number>(teams).fill(0);
  const seats = new Array<number>(teams).fill(teamSize);
  const current = new Array<number>(n).fill(0);
  let best: number[] | null = exact ? null : greedy(size, rating, teams, teamSize);
  let bestImbalance = best ? imbalanceBy(size, rating, best, teams) : Infinity;
  let nodes = 0;

  const place = (j: number): void => {
    if (j === n) {
      const imbalance = Math.max(...sums) - Math.min(...sums);
      if (imbalance < bestImbalance) {
        bestImbalance = imbalance;
        best = current.slice();
      }
      return;
    }
    let high = -Infinity;
    let low = Infinity;
    for (let t = 0; t < teams; t++) {
      high = Math.max(high, sums[t]! + seats[t]! * minFrom[j]!);
      low = Math.min(low, sums[t]! + seats[t]! * maxFrom[j]!);
    }
    if (high - low >= bestImbalance) return;
    const s = size[j]!;
    const w = s * rating[j]!;
    for (let t = 0; t < teams; t++) {
      if (seats[t]! < s || sameAsEarlier(t, sums, seats)) continue;
      if (!exact && ++nodes > EXACT_LIMIT) return;
      current[j] = t;
      sums[t]! += w;
      seats[t]! -= s;
      place(j + 1);
      sums[t]! -= w;
      seats[t]! += s;
      if (bestImbalance === 0) return;
    }
  };
  place(0);
  if (!best) throw new Error(`balancePartyTeams: parties of ${[...size].join(', ')} cannot be seated in ${teams} × ${teamSize}`);
  const byTeam: number[] = best;
  if (!exact) swapEqualSizes(size, rating, byTeam, teams);
  const teamOf = new Array<number>(n);
  for (let j = 0; j < n; j++) teamOf[order[j]!] = byTeam[j]!;
  return { teamOf, imbalance: imbalanceBy(sizes, ratings, teamOf, teams) };
}

/** Highest minus lowest team sum, each ticket counted size × rating. */
export function imbalanceBy(sizes: readonly number[], ratings: readonly number[], teamOf: readonly number[], teams: number): number {
  const sums = new Array<number>(teams).fill(0);
  for (let i = 0; i < sizes.length; i++) sums[teamOf[i]!]! += sizes[i]! * ratings[i]!;
  return Math.max(...sums) - Math.min(...sums);
}

/** Teams with the same free seats and sum give the same splits: only the first of them is tried. */
function sameAsEarlier(t: number, sums: readonly number[], seats: readonly number[]): boolean {
  for (let u = 0; u < t; u++) if (seats[u] === seats[t] && sums[u] === sums[t]) return true;
  return false;
}

/** Largest first into the lightest team with the seats; null when that strands an item. */
function greedy(size: readonly number[], rating: readonly number[], teams: number, teamSize: number): number[] | null {
  const sums = new Array<number>(teams).fill(0);
  const seats = new Array<number>(teams).fill(teamSize);
  const teamOf: number[] = [];
  for (let j = 0; j < size.length; j++) {
    let pick = -1;
    for (let t = 0; t < teams; t++) if (seats[t]! >= size[j]! && (pick < 0 || sums[t]! < sums[pick]!)) pick = t;
    if (pick < 0) return null;
    teamOf.push(pick);
    sums[pick]! += size[j]! * rating[j]!;
    seats[pick]! -= size[j]!;
  }
  return teamOf;
}

function swapEqualSizes(size: readonly number[], rating: readonly number[], teamOf: number[], teams: number): void {
  let current = imbalanceBy(size, rating, teamOf, teams);
  for (let improved = true; improved && current > 0;) {
    improved = false;
    for (let a = 0; a < size.length && !improved; a++) {
      for (let b = a + 1; b < size.length && !improved; b++) {
        if (size[a] !== size[b] || teamOf[a] === teamOf[b] || rating[a] === rating[b]) continue;
        [teamOf[a], teamOf[b]] = [teamOf[b]!, teamOf[a]!];
        const next = imbalanceBy(size, rating, teamOf, teams);
        if (next < current) {
          current = next;
          improved = true;
        } else {
          [teamOf[a], teamOf[b]] = [teamOf[b]!, teamOf[a]!];
        }
      }
    }
  }
}

/**
 * The ticket make-ups a room can take: every multiset of sizes 1 … maxSize adding up to
 * teams × teamSize that can be seated in teams of exactly teamSize. Each plan is a count per
 * size (index 0 unused), fewest tickets first: large parties are the hard ones to place.
 */
export class SeatPlans {
  readonly plans: Int32Array[];

  constructor(
    readonly teams: number,
    readonly teamSize: number,
    readonly maxSize: number,
  ) {
    const plans: Int32Array[] = [];
    const counts = new Int32Array(maxSize + 1);
    const gather = (largest: number, left: number): void => {
      if (left === 0) {
        if (canSeat(counts, teams, teamSize)) plans.push(counts.slice());
        return;
      }
      for (let s = Math.min(largest, left); s >= 1; s--) {
        counts[s]!++;
        gather(s, left - s);
        counts[s]!--;
      }
    };
    gather(maxSize, teams * teamSize);
    const tickets = (plan: Int32Array) => plan.reduce((a, b) => a + b, 0);
    this.plans = plans.sort((a, b) => tickets(a) - tickets(b));
  }

  /** The first plan that `available` (count per size) covers and that has a ticket of size `uses`, or null. */
  first(available: Int32Array, uses: number): Int32Array | null {
    for (const plan of this.plans) {
      let fits = plan[uses]! > 0;
      for (let s = 1; s <= this.maxSize && fits; s++) fits = plan[s]! <= available[s]!;
      if (fits) return plan;
    }
    return null;
  }
}

/** Whether tickets with `counts` per size can fill `teams` teams of exactly teamSize. */
export function canSeat(counts: Int32Array, teams: number, teamSize: number): boolean {
  const items: number[] = [];
  for (let s = counts.length - 1; s >= 1; s--) for (let c = 0; c < counts[s]!; c++) items.push(s);
  const seats = new Array<number>(teams).fill(teamSize);
  const fit = (j: number): boolean => {
    if (j === items.length) return seats.every((left) => left === 0);
    for (let t = 0; t < teams; t++) {
      if (seats[t]! < items[j]!) continue;
      let repeat = false;
      for (let u = 0; u < t && !repeat; u++) repeat = seats[u] === seats[t];
      if (repeat) continue;
      seats[t]! -= items[j]!;
      const done = fit(j + 1);
      seats[t]! += items[j]!;
      if (done) return true;
    }
    return false;
  };
  return fit(0);
}
