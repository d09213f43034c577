import { expect } from 'chai';
import { rate } from 'openskill';
import { groupPlacements, placementsKey } from '../../core/placements.js';
import { initialSkill, rateGame, ratingOf, type Skill } from '../../core/ratings.js';

const seat = (teams: Skill[][], team: number, index = 0): Skill => teams[team]![index]!;

describe("ratings: OpenSkill Plackett–Luce on matchq's scale", () => {
  it('is openskill with μ₀ = base, σ₀ = 500, β = 250, τ = 5', () => {
    const teams = [[initialSkill(1500)], [initialSkill(1520)], [initialSkill(1480)]];
    const expected = rate([[{ mu: 1500, sigma: 500 }], [{ mu: 1520, sigma: 500 }], [{ mu: 1480, sigma: 500 }]], { rank: [2, 1, 3], beta: 250, tau: 5 });
    expect(rateGame(teams, [2, 1, 3])).to.deep.equal(expected);
  });

  it('moves the winner up and the loser down, less as σ shrinks', () => {
    const first = rateGame([[initialSkill(1500)], [initialSkill(1500)]], [1, 2]);
    const winner = seat(first, 0),
      loser = seat(first, 1);
    expect(ratingOf(winner)).to.be.above(1500);
    expect(ratingOf(loser)).to.be.below(1500);
    expect(winner.sigma).to.be.below(500);
    const again = seat(rateGame([[winner], [loser]], [1, 2]), 0);
    expect(again.mu - winner.mu).to.be.below(winner.mu - 1500);
  });

  it('leaves tied equals where they were, and rates a team as one unit', () => {
    const tied = rateGame([[initialSkill(1600)], [initialSkill(1600)]], [1, 1]);
    const a = seat(tied, 0),
      b = seat(tied, 1);
    expect(ratingOf(a)).to.equal(1600);
    expect(ratingOf(b)).to.equal(1600);
    const game = rateGame(
      [
        [initialSkill(1500), initialSkill(1500)],
        [initialSkill(1500), initialSkill(1500)],
      ],
      [1, 2],
    );
    const w1 = seat(game, 0, 0),
      w2 = seat(game, 0, 1),
      l1 = seat(game, 1, 0),
      l2 = seat(game, 1, 1);
    expect(w1.mu).to.equal(w2.mu);
    expect(l1.mu).to.equal(l2.mu);
    expect(w1.mu - 1500).to.be.closeTo(1500 - l1.mu, 1e-9);
  });

  it('rounds μ for the rating matchq uses', () => {
    expect(ratingOf({ mu: 1512.5, sigma: 1 })).to.equal(1513);
    expect(ratingOf({ mu: 1512.49, sigma: 1 })).to.equal(1512);
  });
});

describe('placements checked against the room', () => {
  const ffa = [
    { playerId: 'a', team: 0 },
    { playerId: 'b', team: 0 },
    { playerId: 'c', team: 0 },
  ];
  const duo = [
    { playerId: 'a', team: 0 },
    { playerId: 'b', team: 1 },
    { playerId: 'c', team: 0 },
    { playerId: 'd', team: 1 },
  ];

  it('teams = 1: each player is their own unit, ties share a rank', () => {
    expect(
      groupPlacements(ffa, false, [
        { playerId: 'c', rank: 1 },
        { playerId: 'a', rank: 2 },
        { playerId: 'b', rank: 2 },
      ]),
    ).to.deep.equal({
      ok: true,
      teams: [
        { playerIds: ['a'], rank: 2 },
        { playerIds: ['b'], rank: 2 },
        { playerIds: ['c'], rank: 1 },
      ],
    });
  });

  it("team modes: the room's teams, their players sharing one rank", () => {
    expect(
      groupPlacements(duo, true, [
        { playerId: 'a', rank: 2 },
        { playerId: 'b', rank: 1 },
        { playerId: 'c', rank: 2 },
        { playerId: 'd', rank: 1 },
      ]),
    ).to.deep.equal({
      ok: true,
      teams: [
        { playerIds: ['a', 'c'], rank: 2 },
        { playerIds: ['b', 'd'], rank: 1 },
      ],
    });
    const split = groupPlacements(duo, true, [
      { playerId: 'a', rank: 1 },
      { playerId: 'b', rank: 2 },
      { playerId: 'c', rank: 2 },
      { playerId: 'd', rank: 2 },
    ]);
    expect(split).to.deep.equal({ ok: false, error: 'placements: the players of team 0 must share one rank (got 1 and 2)' });
  });

  it('names what is wrong: a stranger, a player twice, a player missing', () => {
    expect(
      groupPlacements(ffa, false, [
        { playerId: 'a', rank: 1 },
        { playerId: 'x', rank: 2 },
        { playerId: 'c', rank: 3 },
      ]),
    ).to.deep.equal({ ok: false, error: 'placements.1.playerId: x is not a player of this room' });
    expect(
      groupPlacements(ffa, false, [
        { playerId: 'a', rank: 1 },
        { playerId: 'a', rank: 2 },
        { playerId: 'c', rank: 3 },
      ]),
    ).to.deep.equal({ ok: false, error: 'placements.1.playerId: a is placed twice' });
    expect(groupPlacements(ffa, false, [{ playerId: 'a', rank: 1 }])).to.deep.equal({ ok: false, error: 'placements: missing players of the room: b, c' });
  });

  it('keys a result by its content, not the order of its placements', () => {
    expect(
      placementsKey([
        { playerId: 'b', rank: 2 },
        { playerId: 'a', rank: 1 },
      ]),
    ).to.equal(
      placementsKey([
        { playerId: 'a', rank: 1 },
        { playerId: 'b', rank: 2 },
      ]),
    );
    expect(
      placementsKey([
        { playerId: 'b', rank: 1 },
        { playerId: 'a', rank: 2 },
      ]),
    ).to.not.equal(
      placementsKey([
        { playerId: 'a', rank: 1 },
        { playerId: 'b', rank: 2 },
      ]),
    );
  });
});
