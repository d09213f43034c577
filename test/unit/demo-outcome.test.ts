import { expect } from 'chai';
import { drawPlacements } from '../../core/game-outcome.js';
import { seededRandom } from '../../core/seeded-random.js';
import { groupPlacements } from '../../core/placements.js';

describe('demo game server: plausible results', () => {
  const ffa = [
    { playerId: 'a', rating: 1500, team: 0 },
    { playerId: 'b', rating: 1700, team: 0 },
    { playerId: 'c', rating: 1300, team: 0 },
  ];
  const duo = [
    { playerId: 'a', rating: 1600, team: 0 },
    { playerId: 'b', rating: 1400, team: 1 },
    { playerId: 'c', rating: 1600, team: 0 },
    { playerId: 'd', rating: 1400, team: 1 },
  ];

  it('gives every player one rank, a team one shared rank: results the API accepts', () => {
    const random = seededRandom(7);
    for (let game = 0; game < 200; game++) {
      const free = drawPlacements(ffa, false, random);
      expect(groupPlacements(ffa, false, free).ok).to.equal(true);
      expect(free.map((p) => p.rank).sort()).to.deep.equal([1, 2, 3]);
      const teams = drawPlacements(duo, true, random);
      expect(groupPlacements(duo, true, teams).ok).to.equal(true);
    }
  });

  it('lets the higher-rated side win more often, not always', () => {
    const random = seededRandom(42);
    const wins = { a: 0, b: 0, c: 0 } as Record<string, number>;
    let teamWins = 0;
    const games = 2000;
    for (let game = 0; game < games; game++) {
      wins[drawPlacements(ffa, false, random).find((p) => p.rank === 1)!.playerId]! += 1;
      if (drawPlacements(duo, true, random).find((p) => p.playerId === 'a')!.rank === 1) teamWins += 1;
    }
    expect(wins.b).to.be.above(wins.a!);
    expect(wins.a).to.be.above(wins.c!);
    expect(wins.c).to.be.above(0);
    // 200 points up: 10^0.5 ≈ 3.16 to 1, a 76% win rate.
    expect(teamWins / games).to.be.within(0.72, 0.8);
  });
});
