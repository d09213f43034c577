import { expect } from 'chai';
import fc from 'fast-check';
import { balanceTeams, greedySwapSplit, imbalanceOf } from '../../core/teams.js';

/** Every assignment of players to labelled teams of equal size, best imbalance. */
function bruteForce(ratings: number[], teams: number, teamSize: number): number {
  let best = Infinity;
  const teamOf: number[] = [];
  const sizes = new Array<number>(teams).fill(0);
  const go = (i: number): void => {
    if (i === ratings.length) {
      best = Math.min(best, imbalanceOf(ratings, teamOf, teams));
      return;
    }
    for (let t = 0; t < teams; t++) {
      if (sizes[t] === teamSize) continue;
      sizes[t]!++;
      teamOf[i] = t;
      go(i + 1);
      sizes[t]!--;
    }
  };
  go(0);
  return best;
}

const shapes = fc.constantFrom([2, 1], [2, 2], [2, 3], [3, 2], [2, 4], [4, 2], [3, 3], [2, 5]);

/** A room of one of these shapes: [teams, teamSize, ratings of teams × teamSize players]. */
const roomsOf = (shape: fc.Arbitrary<readonly [number, number]>) =>
  shape.chain(([teams, size]) =>
    fc.tuple(fc.constant(teams), fc.constant(size), fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: teams * size, maxLength: teams * size })),
  );

describe('balanceTeams', () => {
  it('is no worse than any other split (brute force on small rooms)', () => {
    fc.assert(
      fc.property(roomsOf(shapes), ([teams, size, ratings]) => {
        const split = balanceTeams(ratings, teams, size);
        expect(split.imbalance).to.equal(bruteForce(ratings, teams, size));
        expect(split.imbalance).to.equal(imbalanceOf(ratings, split.teamOf, teams));
        for (let t = 0; t < teams; t++) expect(split.teamOf.filter((x) => x === t)).to.have.length(size);
      }),
      { numRuns: 60 },
    );
  });

  it('splits 5v5 exactly where a snake draft does not', () => {
    const ratings = [2000, 1900, 1800, 1500, 1400, 1300, 1200, 1100, 1000, 100];
    // Snake (ABBAABBAAB): 7000 against 6300.
    expect(balanceTeams(ratings, 2, 5).imbalance).to.equal(100);
  });

  it('splits rooms too big to enumerate with legal teams, closely and deterministically', () => {
    const ratings = Array.from({ length: 16 }, (_, i) => 1000 + ((i * 7919) % 613));
    const split = balanceTeams(ratings, 4, 4);
    for (let t = 0; t < 4; t++) expect(split.teamOf.filter((x) => x === t)).to.have.length(4);
    expect(split.imbalance).to.be.at.most(20);
    expect(balanceTeams(ratings, 4, 4)).to.deep.equal(split);
  });

  it('beyond the exact line, is never worse than the greedy split with swaps, and seats every team', () => {
    const big = fc.constantFrom([4, 4], [3, 6], [4, 5], [2, 11], [8, 4]);
    fc.assert(
      fc.property(roomsOf(big), ([teams, size, ratings]) => {
        const split = balanceTeams(ratings, teams, size);
        for (let t = 0; t < teams; t++) expect(split.teamOf.filter((x) => x === t)).to.have.length(size);
        expect(split.imbalance).to.equal(imbalanceOf(ratings, split.teamOf, teams));
        const sorted = [...ratings].sort((a, b) => b - a);
        expect(split.imbalance).to.be.at.most(imbalanceOf(sorted, greedySwapSplit(sorted, teams, size), teams));
        expect(balanceTeams(ratings, teams, size)).to.deep.equal(split);
      }),
      { numRuns: 40 },
    );
  });

  it('splits two teams of 11 to 14 exactly, past the branch-and-bound line (every team sum, by dynamic programming, as the check)', () => {
    /** The least imbalance of two teams of `size`: every sum a team of `size` players can reach. */
    const best = (ratings: number[], size: number) => {
      const total = ratings.reduce((a, b) => a + b, 0);
      let reach: Set<number>[] = Array.from({ length: size + 1 }, (_, k) => new Set<number>(k === 0 ? [0] : []));
      for (const rating of ratings) {
        const next = reach.map((sums) => new Set(sums));
        for (let k = 0; k < size; k++) for (const sum of reach[k]!) next[k + 1]!.add(sum + rating);
        reach = next;
      }
      return Math.min(...[...reach[size]!].map((sum) => Math.abs(total - 2 * sum)));
    };
    // Wide ratings (even splits rare: the halves decide) and close ones (the search finds one first).
    const room = fc.oneof(
      fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 22, maxLength: 22 }),
      fc.integer({ min: 12, max: 14 }).chain((size) => fc.array(fc.integer({ min: 1400, max: 1600 }), { minLength: 2 * size, maxLength: 2 * size })),
    );
    fc.assert(
      fc.property(room, (ratings) => {
        const size = ratings.length / 2;
        const split = balanceTeams(ratings, 2, size);
        expect(split.imbalance).to.equal(best(ratings, size));
        expect(split.teamOf.filter((team) => team === 0)).to.have.length(size);
      }),
      { numRuns: 20 },
    );
  });

  it('puts everyone in team 0 when there is one team, and rejects a wrong count', () => {
    expect(balanceTeams([1, 2, 3], 1, 3)).to.deep.equal({ teamOf: [0, 0, 0], imbalance: 0 });
    expect(() => balanceTeams([1, 2, 3], 2, 2)).to.throw(/3 ratings for 2 × 2/);
  });
});
