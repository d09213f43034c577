/**
 * Teams for a room of party tickets (contract v1.1: every member of a party on one team; team
 * sums, each member counted at the party's rating, as even as possible with parties whole).
 *
 * A ticket of size s and rating r is an item of weight s·r that needs s seats; a split puts
 * every item in one of T teams of exactly S seats. Which item sets can be seated at all
 * depends only on their sizes, so the room former asks `SeatPlans` (below) before it picks.
 *
 * The split is the solo split's branch-and-bound (TeamSearch, core/teams.ts), items placed
 * largest first, then strongest. It is exact where the solo split is: rooms with at most
 * EXACT_LIMIT distinct solo splits (every mode with ≤ 5 a team and up to 3 teams: 5v5, 3×5,
 * 4×2, 3×3 …); merging players into parties only lowers the number of splits, so the same line
 * holds. A room of solo tickets is split exactly as balanceTeams splits it.
 *
 * Beyond that line (4 teams × 4 and up) the same search runs with a budget of EXACT_LIMIT
 * nodes from a greedy start (largest item into the lightest team that has the seats), then
 * swaps items of equal size between teams while a swap lowers the imbalance. The bound there:
 * the split is never worse than the greedy one, and no single equal-size swap improves it.
 */
import { balanceTeams, EXACT_LIMIT, largeSoloSplit, teamSearch, type TeamSearch, type TeamSplit } from './teams.js';

/** Splits tickets of `sizes` and `ratings` (parallel) into teams of exactly teamSize players; throws if they cannot be seated. */
export function balancePartyTeams(sizes: readonly number[], ratings: readonly number[], teams: number, teamSize: number): TeamSplit {
  const n = sizes.length;
  let players = 0;
  for (const size of sizes) players += size;
  if (players !== teams * teamSize) throw new Error(`balancePartyTeams: ${players} players for ${teams} × ${teamSize}`);
  if (teams === 1) return { teamOf: new Array<number>(n).fill(0), imbalance: 0 };
  if (sizes.every((size) => size === 1)) return balanceTeams(ratings, teams, teamSize);
  const splitter = new PartyTeamSplitter(teams, teamSize);
  const imbalance = splitter.split(sizes, ratings, n);
  return { teamOf: Array.from(splitter.teamOf.subarray(0, n)), imbalance };
}

/**
 * balancePartyTeams for the room former: one per mode, its buffers reused, nothing allocated
 * per room (but for solo rooms beyond the exact line, whose greedy start is an array).
 */
export class PartyTeamSplitter {
  /** The team of each item of the last split, parallel to its input. */
  readonly teamOf: Int32Array;
  private readonly order: Int32Array;
  private readonly sums: Float64Array;
  private readonly seats: Int32Array;
  private readonly search: TeamSearch;

  constructor(
    readonly teams: number,
    readonly teamSize: number,
  ) {
    this.teamOf = new Int32Array(teams * teamSize);
    this.order = new Int32Array(teams * teamSize);
    this.sums = new Float64Array(teams);
    this.seats = new Int32Array(teams);
    this.search = teamSearch(teams, teamSize);
  }

  /** Splits items 0 … n (sizes adding up to teams × teamSize) into teamOf; returns the imbalance; throws if they cannot be seated. */
  split(sizes: ArrayLike<number>, ratings: ArrayLike<number>, n: number): number {
    const { teams, order, search, teamOf, sums } = this;
    // Largest first (seating is the hard part), then heaviest, then input position: equal inputs, equal splits.
    let solo = true;
    for (let i = 0; i < n; i++) {
      solo &&= sizes[i] === 1;
      let at = i;
      for (; at > 0; at--) {
        const o = order[at - 1]!;
        if (sizes[o]! > sizes[i]! || (sizes[o] === sizes[i] && ratings[o]! >= ratings[i]!)) break;
        order[at] = o;
      }
      order[at] = i;
    }
    for (let j = 0; j < n; j++) {
      search.size[j] = sizes[order[j]!]!;
      search.rating[j] = ratings[order[j]!]!;
    }
    let byTeam: ArrayLike<number> = search.best;
    if (search.exact) {
      // From the greedy split: the search only looks for better ones, and none when the greedy one is even.
      if (search.run(n, Infinity, this.greedy(n)) === Infinity) throw this.unseatable(n);
    } else if (solo) {
      byTeam = largeSoloSplit(search, Array.from(search.rating.subarray(0, n)), teams, this.teamSize);
    } else {
      if (search.run(n, EXACT_LIMIT, this.greedy(n)) === Infinity) throw this.unseatable(n);
      this.swapEqualSizes(n);
    }
    for (let j = 0; j < n; j++) teamOf[order[j]!] = byTeam[j]!;
    for (let t = 0; t < teams; t++) sums[t] = 0;
    for (let i = 0; i < n; i++) sums[teamOf[i]!]! += sizes[i]! * ratings[i]!;
    return spreadOf(sums);
  }

  private unseatable(n: number): Error {
    return new Error(
      `balancePartyTeams: parties of ${Array.from(this.search.size.subarray(0, n)).join(', ')} cannot be seated in ${this.teams} × ${this.teamSize}`,
    );
  }

  /** Largest first into the lightest team with the seats, into search.best; its imbalance, Infinity when that strands an item. */
  private greedy(n: number): number {
    const { teams, teamSize, sums, seats, search } = this;
    const { size, rating, best } = search;
    for (let t = 0; t < teams; t++) {
      seats[t] = teamSize;
      sums[t] = 0;
    }
    for (let j = 0; j < n; j++) {
      let pick = -1;
      for (let t = 0; t < teams; t++) if (seats[t]! >= size[j]! && (pick < 0 || sums[t]! < sums[pick]!)) pick = t;
      if (pick < 0) return Infinity;
      best[j] = pick;
      sums[pick]! += size[j]! * rating[j]!;
      seats[pick]! -= size[j]!;
    }
    return spreadOf(sums);
  }

  /** Swaps items of equal size between teams in search.best while a swap lowers the imbalance. */
  private swapEqualSizes(n: number): void {
    const { size, rating, best } = this.search;
    const imbalance = () => {
      this.sums.fill(0);
      for (let j = 0; j < n; j++) this.sums[best[j]!]! += size[j]! * rating[j]!;
      return spreadOf(this.sums);
    };
    let current = imbalance();
    for (let improved = true; improved && current > 0;) {
      improved = false;
      for (let a = 0; a < n && !improved; a++) {
        for (let b = a + 1; b < n && !improved; b++) {
          if (size[a] !== size[b] || best[a] === best[b] || rating[a] === rating[b]) continue;
          [best[a], best[b]] = [best[b]!, best[a]!];
          const next = imbalance();
          if (next < current) {
            current = next;
            improved = true;
          } else {
            [best[a], best[b]] = [best[b]!, best[a]!];
          }
        }
      }
    }
  }
}

function spreadOf(sums: Float64Array): number {
  let high = -Infinity;
  let low = Infinity;
  for (let t = 0; t < sums.length; t++) {
    if (sums[t]! > high) high = sums[t]!;
    if (sums[t]! < low) low = sums[t]!;
  }
  return high - low;
}

/** Highest minus lowest team sum, each ticket counted size × rating. */
export function imbalanceBy(sizes: readonly number[], ratings: readonly number[], teamOf: readonly number[], teams: number): number {
  const sums = new Array<number>(teams).fill(0);
  for (let i = 0; i < sizes.length; i++) sums[teamOf[i]!]! += sizes[i]! * ratings[i]!;
  return Math.max(...sums) - Math.min(...sums);
}
/**
 * The ticket make-ups a room can take: every multiset of sizes 1 … maxSize adding up to
 * teams × teamSize that can be seated in teams of exactly teamSize. Each plan is a count per
 * size (index 0 unused), fewest tickets first: large parties are the hard ones to place.
 */
export class SeatPlans {
  readonly plans: Int32Array[];
  /**
   * A count per size is read through its code, Σ min(count[s], cap[s]) · stride[s]: cap[s] is
   * the most tickets of size s any plan holds, so counts beyond it cover the same plans, and a
   * room former adding tickets one by one keeps the code with an addition each.
   */
  readonly cap: Int32Array;
  readonly stride: Int32Array;
  /** The first plan per (code, size used), -2 until asked, -1 for none; null when there are too many codes to keep. */
  private readonly firstByCode: Int32Array | null;

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
    this.cap = new Int32Array(maxSize + 1);
    for (const plan of plans) for (let s = 1; s <= maxSize; s++) this.cap[s] = Math.max(this.cap[s]!, plan[s]!);
    this.stride = new Int32Array(maxSize + 1);
    let codes = 1;
    for (let s = 1; s <= maxSize; s++) {
      this.stride[s] = codes;
      codes *= this.cap[s]! + 1;
    }
    this.firstByCode = codes * (maxSize + 1) <= MAX_CODES ? new Int32Array(codes * (maxSize + 1)).fill(-2) : null;
  }

  /** The first plan that `available` (count per size) covers and that has a ticket of size `uses`, or null. */
  first(available: Int32Array, uses: number): Int32Array | null {
    const at = this.firstAt(available, uses);
    return at < 0 ? null : this.plans[at]!;
  }

  /** first()'s index in plans, or -1; `code` is available's code (see cap), when the caller keeps it. */
  firstAt(available: Int32Array, uses: number, code = this.codeOf(available)): number {
    const table = this.firstByCode;
    if (!table) return this.scan(available, uses);
    const slot = code * (this.maxSize + 1) + uses;
    let at = table[slot]!;
    if (at === -2) table[slot] = at = this.scan(available, uses);
    return at;
  }

  codeOf(available: Int32Array): number {
    let code = 0;
    for (let s = 1; s <= this.maxSize; s++) code += Math.min(available[s]!, this.cap[s]!) * this.stride[s]!;
    return code;
  }

  private scan(available: Int32Array, uses: number): number {
    for (let at = 0; at < this.plans.length; at++) {
      const plan = this.plans[at]!;
      let fits = plan[uses]! > 0;
      for (let s = 1; s <= this.maxSize && fits; s++) fits = plan[s]! <= available[s]!;
      if (fits) return at;
    }
    return -1;
  }
}

/** The most (code, size) entries a SeatPlans keeps (1 MiB); modes with parties up to 5 a team need far fewer. */
const MAX_CODES = 1 << 18;

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
