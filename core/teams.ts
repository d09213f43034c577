/**
 * Splits a room into teams whose rating sums are as even as possible (contract: "With teams,
 * the room is split into T teams whose rating sums are as even as possible").
 *
 * One branch-and-bound (TeamSearch) for solo rooms and for rooms of parties (core/party-teams.ts):
 * items of 1 … teamSize seats (a solo player is an item of one seat), placed in a fixed order,
 * each into every team with the seats, depth first, with two prunings:
 *  - symmetry: a team with the same free seats and sum as an earlier one gives the same splits,
 *    so only the first of them is tried (the empty teams above all: 5v5 visits at most
 *    C(10,5)/2 = 126 solo splits, not 252);
 *  - bound: every team's final sum is at least its sum plus its free seats at the lowest player
 *    rating left, and at most its sum plus the highest ratings left that fit its seats; a
 *    branch whose fullest team's least sum minus the emptiest's greatest cannot beat the best
 *    split found is cut.
 * Neither pruning can cut the first best split in the search's order, so the result is that split
 * however tight the bound is; the search stops once it reaches a split no split can beat (0, or
 * 1 when integer sums cannot all be equal).
 * Exact where it is affordable: rooms with at most EXACT_LIMIT distinct solo splits, and two teams
 * of up to 14 (twoTeamSplit). Larger solo rooms (e.g. 4 teams × 4) start from largest-first
 * greedy with pairwise swaps, then the same search, seeded with that split, looks for a better
 * one within LARGE_ROOM_NODES nodes (at most about a millisecond a room): never worse than the
 * greedy split, usually far better (docs/matching.md, "Large rooms"), and exact whenever it
 * reaches a split no split can beat.
 */

export interface TeamSplit {
  /** Team index per input rating, parallel to the input. */
  teamOf: number[];
  /** Highest minus lowest team rating sum. */
  imbalance: number;
}

/** Rooms with at most this many distinct splits are split exactly (core/party-teams.ts uses the same line). */
export const EXACT_LIMIT = 200_000;

/** The seeded search's budget for a solo room beyond EXACT_LIMIT: ~1 ms for 8 teams × 4 on this machine. */
export const LARGE_ROOM_NODES = 20_000;

/** Two teams of up to 14 (2^14 half-room subsets a side) are split exactly by twoTeamSplit. */
export const HALVES_UP_TO = 28;

/** The search's budget before the halves, for two teams: enough to find an even split where one is easy. */
const TWO_TEAM_NODES = 2_000;

export function balanceTeams(ratings: readonly number[], teams: number, teamSize: number): TeamSplit {
  const n = ratings.length;
  if (n !== teams * teamSize) throw new Error(`balanceTeams: ${n} ratings for ${teams} × ${teamSize}`);
  if (teams === 1) return { teamOf: new Array<number>(n).fill(0), imbalance: 0 };
  // Strongest first, ties by input position, so equal inputs give equal splits.
  const order = ratings.map((_, i) => i).sort((a, b) => ratings[b]! - ratings[a]! || a - b);
  const sorted = order.map((i) => ratings[i]!);
  const search = teamSearch(teams, teamSize);
  for (let j = 0; j < n; j++) {
    search.size[j] = 1;
    search.rating[j] = sorted[j]!;
  }
  let byTeam: ArrayLike<number> = search.best;
  if (search.exact) search.run(n);
  else byTeam = largeSoloSplit(search, sorted, teams, teamSize);
  const teamOf = new Array<number>(n);
  for (let j = 0; j < n; j++) teamOf[order[j]!] = byTeam[j]!;
  return { teamOf, imbalance: imbalanceOf(ratings, teamOf, teams) };
}

export function imbalanceOf(ratings: readonly number[], teamOf: readonly number[], teams: number): number {
  const sums = new Array<number>(teams).fill(0);
  for (let i = 0; i < ratings.length; i++) sums[teamOf[i]!]! += ratings[i]!;
  return Math.max(...sums) - Math.min(...sums);
}

/** (T·S)! / (S!^T · T!): the splits of a room into unlabelled teams. */
export function partitionCount(teams: number, teamSize: number): number {
  let count = 1;
  let left = teams * teamSize;
  // Choose the first remaining player's teammates, team after team.
  for (let t = 0; t < teams; t++) {
    count *= binomial(left - 1, teamSize - 1);
    left -= teamSize;
    if (count > EXACT_LIMIT) return Infinity;
  }
  return count;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/**
 * The branch-and-bound above, with its buffers, for rooms of `teams` × `teamSize`: the caller
 * writes items 0 … n into `size` and `rating` (a ticket's seats and its rating per player), in
 * the order to place them (largest first, then strongest: ties by the caller's order), and reads
 * the best split's team per item from `best`. Nothing is allocated per room.
 */
export class TeamSearch {
  /** Whether rooms of this shape are split exactly (at most EXACT_LIMIT distinct solo splits). */
  readonly exact: boolean;
  readonly size: Int32Array;
  readonly rating: Float64Array;
  /** The best split found: team per item. */
  readonly best: Int32Array;
  private readonly current: Int32Array;
  private readonly sums: Float64Array;
  private readonly seats: Int32Array;
  /** The lowest player rating of items j … n. */
  private readonly minFrom: Float64Array;
  /** top[j·(teamSize+1) + c]: the sum of the c highest player ratings of items j … n (all of them when fewer). */
  private readonly top: Float64Array;
  private readonly highest: Float64Array;
  private n = 0;
  private budget = Infinity;
  private nodes = 0;
  private bestImbalance = Infinity;
  /** No split has a lower imbalance than this (for the items of the last run): the search stops when it finds one. */
  private least = 0;

  constructor(
    readonly teams: number,
    readonly teamSize: number,
  ) {
    const items = teams * teamSize;
    this.exact = partitionCount(teams, teamSize) <= EXACT_LIMIT;
    this.size = new Int32Array(items);
    this.rating = new Float64Array(items);
    this.best = new Int32Array(items);
    this.current = new Int32Array(items);
    this.sums = new Float64Array(teams);
    this.seats = new Int32Array(teams);
    this.minFrom = new Float64Array(items + 1);
    this.top = new Float64Array((items + 1) * (teamSize + 1));
    this.highest = new Float64Array(teamSize);
  }

  /** The lowest imbalance the last run's items allow (0, or 1 when integer sums cannot all be equal): a split at it is the best. */
  get floor(): number {
    return this.least;
  }

  /**
   * Searches the splits of items 0 … n (all of them, or `budget` nodes) for one better than
   * `seed`, the imbalance of a split already in `best` (Infinity: none). Returns the best
   * imbalance, Infinity when the items cannot be seated.
   */
  run(n: number, budget = Infinity, seed = Infinity): number {
    const { teams, teamSize, size, rating, minFrom, top, highest, sums, seats } = this;
    let total = 0;
    let integers = true;
    for (let j = 0; j < n; j++) {
      total += size[j]! * rating[j]!;
      integers &&= Number.isInteger(rating[j]!);
    }
    // Equal sums need a total that divides evenly; integer sums that cannot be equal differ by 1 at least.
    // (total - teams·⌊total / teams⌋ is total % teams for integers, without a floating-point modulo call per room.)
    this.least = integers && total - teams * Math.floor(total / teams) !== 0 ? 1 : 0;
    if (seed <= this.least) return seed; // the seed is a best split already: no search, so no bounds to build
    const width = teamSize + 1;
    minFrom[n] = Infinity;
    for (let c = 0; c < width; c++) top[n * width + c] = 0;
    let kept = 0; // highest[0 … kept): the highest player ratings of the items from j on, descending
    for (let j = n - 1; j >= 0; j--) {
      const r = rating[j]!;
      minFrom[j] = Math.min(minFrom[j + 1]!, r);
      for (let copy = 0; copy < size[j]!; copy++) {
        if (kept === teamSize && highest[kept - 1]! >= r) break; // the other copies would not enter either
        let at = kept < teamSize ? kept++ : kept - 1; // the lowest drops out when full
        for (; at > 0 && highest[at - 1]! < r; at--) highest[at] = highest[at - 1]!;
        highest[at] = r;
      }
      const row = j * width;
      top[row] = 0;
      for (let c = 1; c <= teamSize; c++) top[row + c] = top[row + c - 1]! + (c <= kept ? highest[c - 1]! : 0);
    }
    for (let t = 0; t < teams; t++) {
      sums[t] = 0;
      seats[t] = teamSize;
    }
    this.n = n;
    this.budget = budget;
    this.nodes = 0;
    this.bestImbalance = seed;
    this.place(0);
    return this.bestImbalance;
  }

  private place(j: number): void {
    const { teams, sums, seats } = this;
    if (j === this.n) {
      let high = -Infinity;
      let low = Infinity;
      for (let t = 0; t < teams; t++) {
        if (sums[t]! > high) high = sums[t]!;
        if (sums[t]! < low) low = sums[t]!;
      }
      if (high - low < this.bestImbalance) {
        this.bestImbalance = high - low;
        this.best.set(this.current.subarray(0, this.n));
      }
      return;
    }
    const least = this.minFrom[j]!;
    const row = j * (this.teamSize + 1);
    let high = -Infinity;
    let low = Infinity;
    for (let t = 0; t < teams; t++) {
      high = Math.max(high, sums[t]! + seats[t]! * least);
      low = Math.min(low, sums[t]! + this.top[row + seats[t]!]!);
    }
    if (high - low >= this.bestImbalance) return;
    const s = this.size[j]!;
    const w = s * this.rating[j]!;
    for (let t = 0; t < teams; t++) {
      if (seats[t]! < s || this.sameAsEarlier(t)) continue;
      if (++this.nodes > this.budget) return;
      this.current[j] = t;
      sums[t]! += w;
      seats[t]! -= s;
      this.place(j + 1);
      sums[t]! -= w;
      seats[t]! += s;
      if (this.bestImbalance <= this.least) return;
    }
  }

  /** Teams with the same free seats and sum give the same splits: only the first of them is tried. */
  private sameAsEarlier(t: number): boolean {
    const { sums, seats } = this;
    for (let u = 0; u < t; u++) if (seats[u] === seats[t] && sums[u] === sums[t]) return true;
    return false;
  }
}

const searches = new Map<number, TeamSearch>();

/** One TeamSearch per room shape, reused (the core runs on one thread and a search does not nest). */
export function teamSearch(teams: number, teamSize: number): TeamSearch {
  const key = teams * 1024 + teamSize;
  let search = searches.get(key);
  if (!search) searches.set(key, (search = new TeamSearch(teams, teamSize)));
  return search;
}

/**
 * Two teams, exactly, by meeting in the middle: every subset of each half of the room, by size
 * and sum; for each subset of the first half, the subset of the second that completes a team of
 * `teamSize` with the sum nearest half the total (a binary search). 2 × 2^(n/2) subsets where
 * the branch-and-bound's splits grow as C(n, n/2). `sorted` is descending; returns the team of
 * each sorted position (the first best found, so equal inputs give equal splits).
 */
export function twoTeamSplit(sorted: readonly number[], teamSize: number): number[] {
  const n = sorted.length;
  const half = n >> 1;
  const width = n - half;
  const total = sorted.reduce((sum, rating) => sum + rating, 0);
  const leftSums = subsetSums(sorted, 0, half);
  const rightSums = subsetSums(sorted, half, n);
  const count = popCounts(width);
  // The right half's subsets in one typed sort, by size, then sum, then mask: a key packs all three
  // (integer sums below 2^22 a side; other ratings sort the slower way, by comparison).
  const rightCount = 1 << width;
  const packed = sorted.every((rating) => Number.isInteger(rating) && rating >= 0) && total < 2 ** 22;
  let order: ArrayLike<number>;
  if (packed) {
    const keys = new Float64Array(rightCount);
    for (let mask = 0; mask < rightCount; mask++) keys[mask] = (count[mask]! * 2 ** 22 + rightSums[mask]!) * 2 ** 15 + mask;
    keys.sort();
    order = Int32Array.from(keys, (key) => key % 2 ** 15);
  } else {
    order = Array.from({ length: rightCount }, (_, mask) => mask).sort((a, b) => count[a]! - count[b]! || rightSums[a]! - rightSums[b]! || a - b);
  }
  // Where each size's run of subsets starts in that order.
  const start = new Int32Array(width + 2);
  for (let mask = 0; mask < rightCount; mask++) start[count[mask]! + 1]!++;
  for (let k = 1; k <= width + 1; k++) start[k]! += start[k - 1]!;
  let best = Infinity;
  let bestLeft = 0;
  let bestRight = 0;
  const leftBits = popCounts(half);
  for (let maskLeft = 0; maskLeft < 1 << half && best > 0; maskLeft++) {
    const need = teamSize - leftBits[maskLeft]!;
    if (need < 0 || need > width) continue;
    // The first subset of that size whose sum reaches what is left of half the total, and the one before it.
    const want = total / 2 - leftSums[maskLeft]!;
    let low = start[need]!;
    let high = start[need + 1]!;
    const first = low;
    const end = high;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (rightSums[order[mid]!]! < want) low = mid + 1;
      else high = mid;
    }
    for (let at = Math.max(first, low - 1); at <= low && at < end; at++) {
      const maskRight = order[at]!;
      const imbalance = Math.abs(total - 2 * (leftSums[maskLeft]! + rightSums[maskRight]!));
      if (imbalance < best) {
        best = imbalance;
        bestLeft = maskLeft;
        bestRight = maskRight;
      }
    }
  }
  return sorted.map((_, j) => ((j < half ? bestLeft & (1 << j) : bestRight & (1 << (j - half))) ? 0 : 1));
}

/** The sum of every subset of items from … to, by mask (bit i: item from + i), each from a smaller one. */
function subsetSums(ratings: readonly number[], from: number, to: number): Float64Array {
  const sums = new Float64Array(1 << (to - from));
  for (let mask = 1; mask < sums.length; mask++) {
    const low = mask & -mask;
    sums[mask] = sums[mask ^ low]! + ratings[from + 31 - Math.clz32(low)]!;
  }
  return sums;
}

/** The number of bits set in every mask of `width` bits. */
function popCounts(width: number): Uint8Array {
  const counts = new Uint8Array(1 << width);
  for (let mask = 1; mask < counts.length; mask++) counts[mask] = counts[mask >> 1]! + (mask & 1);
  return counts;
}

/**
 * A solo room beyond the exact line (items 0 … n already in `search`, strongest first, as
 * `sorted`): two teams exactly (twoTeamSplit); more, the greedy split with swaps bettered by the
 * search within LARGE_ROOM_NODES. Returns the team of each sorted position.
 */
export function largeSoloSplit(search: TeamSearch, sorted: readonly number[], teams: number, teamSize: number): ArrayLike<number> {
  const greedy = greedySwapSplit(sorted, teams, teamSize);
  const greedyImbalance = imbalanceOf(sorted, greedy, teams);
  search.best.set(greedy);
  // Two teams: exact either way. A short search often reaches an even split (0, or 1 for an odd
  // integer total), which none can beat; else the halves settle it (0.3–3 ms).
  const halves = teams === 2 && sorted.length <= HALVES_UP_TO;
  const found = search.run(sorted.length, halves ? TWO_TEAM_NODES : LARGE_ROOM_NODES, greedyImbalance);
  if (halves && found > search.floor) return twoTeamSplit(sorted, teamSize);
  return found < greedyImbalance ? search.best : greedy;
}

/** `sorted` is descending; returns the team of each sorted position. */
export function greedySwapSplit(sorted: readonly number[], teams: number, teamSize: number): number[] {
  const n = sorted.length;
  const teamOf = new Array<number>(n).fill(0);
  const sums = new Array<number>(teams).fill(0);
  const sizes = new Array<number>(teams).fill(0);
  for (let j = 0; j < n; j++) {
    let pick = -1;
    for (let t = 0; t < teams; t++) {
      if (sizes[t]! < teamSize && (pick < 0 || sums[t]! < sums[pick]!)) pick = t;
    }
    teamOf[j] = pick;
    sums[pick]! += sorted[j]!;
    sizes[pick]!++;
  }
  const spread = () => Math.max(...sums) - Math.min(...sums);
  let current = spread();
  for (let improved = true; improved && current > 0;) {
    improved = false;
    for (let a = 0; a < n && !improved; a++) {
      for (let b = a + 1; b < n && !improved; b++) {
        const ta = teamOf[a]!;
        const tb = teamOf[b]!;
        const delta = sorted[a]! - sorted[b]!;
        if (ta === tb || delta === 0) continue;
        sums[ta]! -= delta;
        sums[tb]! += delta;
        const next = spread();
        if (next < current) {
          teamOf[a] = tb;
          teamOf[b] = ta;
          current = next;
          improved = true;
        } else {
          sums[ta]! += delta;
          sums[tb]! -= delta;
        }
      }
    }
  }
  return teamOf;
}
