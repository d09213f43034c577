import { expect } from 'chai';
import fc from 'fast-check';
import { balanceTeams, imbalanceOf } from '../../core/teams.js';

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

describe('balanceTeams', () => {
  it('is no worse than any other split (brute force on small rooms)', () => {
    fc.assert(
      fc.property(
        shapes.chain(([teams, size]) =>
          fc.tuple(
            fc.constant(teams!),
            fc.constant(size!),
            fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: teams! * size!, maxLength: teams! * size! }),
          ),
        ),
        ([teams, size, ratings]) => {
          const split = balanceTeams(ratings, teams, size);
          expect(split.imbalance).to.equal(bruteForce(ratings, teams, size));
          expect(split.imbalance).to.equal(imbalanceOf(ratings, split.teamOf, teams));
          for (let t = 0; t < teams; t++) expect(split.teamOf.filter((x) => x === t)).to.have.length(size);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('splits 5v5 exactly where a snake draft does not', () => {
    const ratings = [2000, 1900, 1800, 1500, 1400, 1300, 1200, 1100, 1000, 100];
    // Snake (ABBAABBAAB): 7000 against 6300.
    expect(balanceTeams(ratings, 2, 5).imbalance).to.equal(100);
  });

  it('uses the swap heuristic on rooms too big to enumerate, with legal teams', () => {
    const ratings = Array.from({ length: 16 }, (_, i) => 1000 + ((i * 7919) % 613));
    const split = balanceTeams(ratings, 4, 4);
    for (let t = 0; t < 4; t++) expect(split.teamOf.filter((x) => x === t)).to.have.length(4);
    expect(split.imbalance).to.be.at.most(20);
    expect(balanceTeams(ratings, 4, 4)).to.deep.equal(split);
  });

  it('puts everyone in team 0 when there is one team, and rejects a wrong count', () => {
    expect(balanceTeams([1, 2, 3], 1, 3)).to.deep.equal({ teamOf: [0, 0, 0], imbalance: 0 });
    expect(() => balanceTeams([1, 2, 3], 2, 2)).to.throw(/3 ratings for 2 × 2/);
  });
});
