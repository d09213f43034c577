/**
 * Splits a room into teams whose rating sums are as even as possible (contract: "With teams,
 * the room is split into T teams whose rating sums are as even as possible").
 *
 * Exact where it is affordable: a depth-first search over the distinct partitions, players
 * placed strongest first, with two prunings that keep real rooms to a few hundred nodes:
 *  - symmetry: teams are interchangeable, so a player may open only the first empty team
 *    (5v5 visits C(10,5)/2 = 126 splits, not 252);
 *  - bound: the fullest team only grows and the weakest can at most take the strongest players
 *    left, so a branch whose best case is no better than the best split found is cut.
 * Rooms with more distinct partitions than EXACT_LIMIT (e.g. 4 teams × 4) use largest-first
 * greedy followed by pairwise swaps until no swap lowers the imbalance: not proven optimal,
 * but within one swap of every neighbour and fast.
 */

export interface TeamSplit {
  /** Team index per input rating, parallel to the input. */
  teamOf: number[];
  /** Highest minus lowest team rating sum. */
  imbalance: number;
}

/** Rooms with at most this many distinct splits are split exactly (core/party-teams.ts uses the same line). */
export const EXACT_LIMIT = 200_000;

export function balanceTeams(ratings: readonly number[], teams: number, teamSize: number): TeamSplit {
  const n = ratings.length;
  if (n !== teams * teamSize) throw new Error(`balanceTeams: ${n} ratings for ${teams} × ${teamSize}`);
  if (teams === 1) return { teamOf: new Array<number>(n).fill(0), imbalance: 0 };
  // Strongest first, ties by input position, so equal inputs give equal splits.
  const order = ratings.map((_, i) => i).sort((a, b) => ratings[b]! - ratings[a]! || a - b);
  const sorted = order.map((i) => ratings[i]!);
  const byTeam = partitionCount(teams, teamSize) <= EXACT_LIMIT ? exactSplit(sorted, teams, teamSize) : greedySwapSplit(sorted, teams, teamSize);
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

/** `sorted` is descending; returns the team of each sorted position. */
function exactSplit(sorted: readonly number[], teams: number, teamSize: number): number[] {
  const n = sorted.length;
  // suffixTop[j][c]: sum of the c strongest players from position j on (they are sorted[j..j+c)).
  const prefix = [0];
  for (const r of sorted) prefix.push(prefix[prefix.length - 1]! + r);
  const topFrom = (j: number, c: number) => prefix[Math.min(n, j + c)]! - prefix[j]!;

  const sums = new Array<number>(teams).fill(0);
  const sizes = new Array<number>(teams).fill(0);
  const current = new Array<number>(n).fill(0);
  let best: number[] = [];
  let bestImbalance = Infinity;

  const place = (j: number): void => {
    if (j === n) {
      const imbalance = Math.max(...sums) - Math.min(...sums);
      if (imbalance < bestImbalance) {
        bestImbalance = imbalance;
        best = current.slice();
      }
      return;
    }
    // Lower bound of the final imbalance from here.
    let high = -Infinity;
    let lowCeiling = Infinity;
    for (let t = 0; t < teams; t++) {
      high = Math.max(high, sums[t]!);
      lowCeiling = Math.min(lowCeiling, sums[t]! + topFrom(j, teamSize - sizes[t]!));
    }
    if (high - lowCeiling >= bestImbalance) return;
    for (let t = 0; t < teams; t++) {
      if (sizes[t] === teamSize) continue;
      current[j] = t;
      sums[t]! += sorted[j]!;
      sizes[t]!++;
      place(j + 1);
      sums[t]! -= sorted[j]!;
      sizes[t]!--;
      if (bestImbalance === 0) return;
      if (sizes[t] === 0) break; // the other empty teams would give the same splits
    }
  };
  place(0);
  return best;
}

/** `sorted` is descending; returns the team of each sorted position. */
function greedySwapSplit(sorted: readonly number[], teams: number, teamSize: number): number[] {
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
