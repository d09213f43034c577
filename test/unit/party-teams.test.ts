import { expect } from 'chai';
import fc from 'fast-check';
import { balancePartyTeams, canSeat, imbalanceBy, SeatPlans } from '../../core/party-teams.js';
import { balanceTeams } from '../../core/teams.js';

/** Sizes 1 … maxSize adding up to teams × teamSize (not always seatable). */
function sizesArb(teams: number, teamSize: number, maxSize: number): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxSize }), { minLength: 1, maxLength: teams * teamSize }).map((sizes) => {
    const out: number[] = [];
    let left = teams * teamSize;
    for (const s of sizes) {
      if (left === 0) break;
      const take = Math.min(s, left);
      out.push(take);
      left -= take;
    }
    for (; left > 0; left--) out.push(1);
    return out;
  });
}

/** Every seating of the tickets, parties whole: the best imbalance, Infinity when none seats. */
function bruteForce(sizes: number[], ratings: number[], teams: number, teamSize: number): number {
  let best = Infinity;
  const teamOf: number[] = [];
  const seats = new Array<number>(teams).fill(teamSize);
  const go = (i: number): void => {
    if (i === sizes.length) {
      if (seats.every((s) => s === 0)) best = Math.min(best, imbalanceBy(sizes, ratings, teamOf, teams));
      return;
    }
    for (let t = 0; t < teams; t++) {
      if (seats[t]! < sizes[i]!) continue;
      seats[t]! -= sizes[i]!;
      teamOf[i] = t;
      go(i + 1);
      seats[t]! += sizes[i]!;
    }
  };
  go(0);
  return best;
}

const counts = (sizes: number[], maxSize: number) => {
  const c = new Int32Array(maxSize + 1);
  for (const s of sizes) c[s]!++;
  return c;
};

const shapes = fc.constantFrom([2, 2], [2, 3], [3, 2], [2, 4], [3, 3], [2, 5], [3, 4], [2, 6]);
/** A room's shape, its ticket sizes and their ratings in [low, high]. */
const roomArb = (low: number, high: number) =>
  shapes.chain(([teams, teamSize]) =>
    sizesArb(teams!, teamSize!, teamSize!).chain((sizes) =>
      fc.tuple(
        fc.constant(teams!),
        fc.constant(teamSize!),
        fc.constant(sizes),
        fc.array(fc.integer({ min: low, max: high }), { minLength: sizes.length, maxLength: sizes.length }),
      ),
    ),
  );
const room = roomArb(0, 3000);

describe('balancePartyTeams', () => {
  it('is no worse than any seating with parties whole (brute force, up to 5v5 and 3×4)', () => {
    fc.assert(
      fc.property(room, ([teams, teamSize, sizes, ratings]) => {
        const best = bruteForce(sizes, ratings, teams, teamSize);
        expect(canSeat(counts(sizes, teamSize), teams, teamSize)).to.equal(best < Infinity);
        if (best === Infinity) {
          expect(() => balancePartyTeams(sizes, ratings, teams, teamSize)).to.throw(/cannot be seated/);
          return;
        }
        const split = balancePartyTeams(sizes, ratings, teams, teamSize);
        const seated = new Array<number>(teams).fill(0);
        split.teamOf.forEach((t, i) => (seated[t]! += sizes[i]!));
        expect(seated).to.deep.equal(new Array<number>(teams).fill(teamSize));
        expect(split.imbalance).to.equal(best);
      }),
      { numRuns: 400 },
    );
  });

  it('splits solo rooms exactly as balanceTeams does', () => {
    const ratings = [1500, 1510, 1620, 1480, 1390, 1700, 1555, 1444, 1600, 1499];
    expect(
      balancePartyTeams(
        ratings.map(() => 1),
        ratings,
        2,
        5,
      ),
    ).to.deep.equal(balanceTeams(ratings, 2, 5));
  });

  // Close ratings make even splits common: the greedy start is then the answer and the search is skipped.
  it('is no worse than any seating where ratings are close and even splits common (brute force)', () => {
    const close = roomArb(1497, 1503);
    let even = 0;
    fc.assert(
      fc.property(close, ([teams, teamSize, sizes, ratings]) => {
        const best = bruteForce(sizes, ratings, teams, teamSize);
        fc.pre(best < Infinity);
        const split = balancePartyTeams(sizes, ratings, teams, teamSize);
        expect(split.imbalance).to.equal(best);
        expect(imbalanceBy(sizes, ratings, split.teamOf, teams)).to.equal(best);
        if (best === 0) even++;
      }),
      { numRuns: 400 },
    );
    expect(even, 'even splits among the cases').to.be.greaterThan(0);
  });

  it('beyond the exact line (4 × 4), still seats every party whole, deterministically', () => {
    fc.assert(
      fc.property(sizesArb(4, 4, 4), fc.array(fc.integer({ min: 1000, max: 2000 }), { minLength: 16, maxLength: 16 }), (sizes, all) => {
        fc.pre(canSeat(counts(sizes, 4), 4, 4));
        const ratings = all.slice(0, sizes.length);
        const split = balancePartyTeams(sizes, ratings, 4, 4);
        const seated = [0, 0, 0, 0];
        split.teamOf.forEach((t, i) => (seated[t]! += sizes[i]!));
        expect(seated).to.deep.equal([4, 4, 4, 4]);
        expect(split.imbalance).to.equal(imbalanceBy(sizes, ratings, split.teamOf, 4));
        expect(balancePartyTeams(sizes, ratings, 4, 4)).to.deep.equal(split);
      }),
      { numRuns: 50 },
    );
  });
});

describe('SeatPlans', () => {
  it('finds through its code look-up the first plan a scan of every plan finds', () => {
    const scene = fc.constantFrom([2, 5, 5], [2, 5, 3], [1, 3, 3], [3, 3, 2], [2, 4, 4], [3, 4, 4]).chain(([teams, teamSize, maxSize]) =>
      fc.tuple(
        fc.constant(new SeatPlans(teams!, teamSize!, maxSize!)),
        fc.array(fc.array(fc.integer({ min: 0, max: teams! * teamSize! + 2 }), { minLength: maxSize!, maxLength: maxSize! }), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.integer({ min: 1, max: maxSize! }),
      ),
    );
    fc.assert(
      fc.property(scene, ([seats, countsList, uses]) => {
        for (const counts of countsList) {
          const available = Int32Array.from([0, ...counts]);
          const expected = seats.plans.findIndex((plan) => plan[uses]! > 0 && plan.every((c, s) => s === 0 || c <= available[s]!));
          expect(seats.firstAt(available, uses)).to.equal(expected);
          expect(seats.firstAt(available, uses, seats.codeOf(available))).to.equal(expected); // now from the table
          expect(seats.first(available, uses)).to.equal(expected < 0 ? null : seats.plans[expected]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('lists every seatable make-up of a room, fewest tickets first', () => {
    const { plans } = new SeatPlans(2, 5, 5);
    const asText = plans.map((p) => [5, 4, 3, 2, 1].map((s) => `${s}`.repeat(p[s]!)).join(''));
    expect(asText[0]).to.equal('55');
    expect(asText).to.include('4411');
    expect(asText).to.include('32221');
    expect(asText).to.not.include('4222'); // 4+2 > 5: the 4 needs a solo beside it
    expect(asText).to.not.include('442');
    expect(asText.at(-1)).to.equal('1111111111');
    for (let i = 1; i < plans.length; i++) expect(asText[i]!.length).to.be.at.least(asText[i - 1]!.length);
  });
});
