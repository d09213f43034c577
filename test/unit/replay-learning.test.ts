/** Replay with learning (`--true-skill`): games from true skills, ratings through the production rating path. */
import { expect } from 'chai';
import fc from 'fast-check';
import { generateLearningTrace } from '../../bench/ratings/traces.js';
import { learningFigures, spearman } from '../../core/learning-figures.js';
import { groupPlacements } from '../../core/placements.js';
import { initialSkill, rateTeams, ratingOf } from '../../core/ratings.js';
import { replay, type ReplayOutput } from '../../core/replay.js';
import { createLearning } from '../../core/replay-learning.js';
import { DEFAULT_MATCH_CONFIG } from '../../core/rule.js';
import { parseTrace, TraceError, trueSkillsOf, type TraceEvent, type TraceJoin } from '../../core/trace.js';
import type { MatchConfig } from '../../core/types.js';

const config: MatchConfig = {
  regions: ['global'],
  modes: {
    ffa3: { ...DEFAULT_MATCH_CONFIG.modes.ffa3!, maxWaitSeconds: 60 },
    duo: { teams: 2, teamSize: 2, window: { initial: 0, perSecond: 50, max: Infinity }, maxWaitSeconds: 60 },
  },
};

type Result = Extract<ReplayOutput, { type: 'result' }>;
type Room = Extract<ReplayOutput, { type: 'room' }>;

/** A trace of players who come back: joins of `players` players, each with its true skill, in one mode. */
const traceArb = (mode: 'ffa3' | 'duo') =>
  fc
    .record({
      skills: fc.array(fc.integer({ min: 800, max: 2200 }), { minLength: 4, maxLength: 12 }),
      bases: fc.array(fc.integer({ min: 1200, max: 1800 }), { minLength: 12, maxLength: 12 }),
      joins: fc.array(fc.record({ player: fc.nat(11), gap: fc.integer({ min: 0, max: 20_000 }) }), { minLength: 3, maxLength: 60 }),
    })
    .map(({ skills, bases, joins }): TraceJoin[] => {
      let at = 0;
      return joins.map(({ player, gap }, index) => {
        const p = player % skills.length;
        at += gap;
        return { at, type: 'join', ticketId: `t${index}`, playerId: `p${p}`, rating: bases[p]!, trueSkill: skills[p]!, mode, region: 'global' };
      });
    });

const played = (events: readonly TraceEvent[], seed: number, frozen = false) => {
  const learning = createLearning({ trueSkills: trueSkillsOf(events), seed, frozen });
  return { learning, result: replay(events, { config, tickMs: 1000, learning }) };
};

describe('replay with learning (--true-skill)', function () {
  this.timeout(60_000);
  it('follows every room with its result: the same players, ranks from 1, a team sharing its rank; the same seed, the same run', () => {
    for (const mode of ['ffa3', 'duo'] as const) {
      fc.assert(
        fc.property(traceArb(mode), fc.nat(1000), (events, seed) => {
          const { outputs } = played(events, seed).result;
          const ticketPlayer = new Map(events.map((e) => [e.ticketId, (e as TraceJoin).playerId!]));
          outputs.forEach((line, i) => {
            if (line.type !== 'room') return;
            const result = outputs[i + 1] as Result;
            expect(result.type).to.equal('result');
            expect(result.tickets).to.deep.equal(line.tickets);
            expect(result.at).to.equal(line.at);
            const ranks = result.placements.map((p) => p.rank);
            expect(Math.min(...ranks)).to.equal(1);
            if (mode === 'duo') {
              const teamOf = new Map(line.teams!.flatMap((team, t) => team.map((ticketId) => [ticketId, t] as const)));
              const rankByTeam = new Map<number, number>();
              for (const p of result.placements) {
                const team = teamOf.get(line.tickets.find((ticketId) => ticketPlayer.get(ticketId) === p.playerId)!)!;
                if (rankByTeam.has(team)) expect(rankByTeam.get(team)).to.equal(p.rank);
                rankByTeam.set(team, p.rank);
              }
              expect(rankByTeam.size).to.equal(2);
            }
          });
          expect(outputs.filter((o) => o.type === 'result')).to.have.length(outputs.filter((o) => o.type === 'room').length);
          expect(played(events, seed).result.outputs).to.deep.equal(outputs);
        }),
        { numRuns: 60 },
      );
    }
  });

  it('carries each rating from game to game: a game starts where the last one left it, the first from the trace rating', () => {
    fc.assert(
      fc.property(traceArb('ffa3'), fc.nat(1000), (events, seed) => {
        const base = new Map(events.map((e) => [(e as TraceJoin).playerId!, (e as TraceJoin).rating!]));
        const last = new Map<string, number>();
        for (const line of played(events, seed).result.outputs) {
          if (line.type !== 'result') continue;
          for (const { playerId, before, after } of line.placements) {
            expect(before).to.equal(last.get(playerId) ?? base.get(playerId));
            last.set(playerId, after);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('rates each game exactly as the server API rates a posted result (groupPlacements, then rateTeams)', () => {
    fc.assert(
      fc.property(traceArb('duo'), fc.nat(1000), (events, seed) => {
        const { learning, result } = played(events, seed);
        const skills = new Map<string, ReturnType<typeof initialSkill>>();
        const base = new Map(events.map((e) => [(e as TraceJoin).playerId!, (e as TraceJoin).rating!]));
        const ticketPlayer = new Map(events.map((e) => [e.ticketId, (e as TraceJoin).playerId!]));
        const rooms = result.outputs.filter((o): o is Room => o.type === 'room');
        const results = result.outputs.filter((o): o is Result => o.type === 'result');
        rooms.forEach((room, r) => {
          const seats = room.teams!.flatMap((team, t) => team.map((ticketId) => ({ playerId: ticketPlayer.get(ticketId)!, team: t })));
          const grouped = groupPlacements(seats, true, results[r]!.placements);
          expect(grouped.ok).to.equal(true);
          if (!grouped.ok) return;
          const after = rateTeams(grouped.teams, (id) => skills.get(id) ?? initialSkill(base.get(id)!));
          for (const p of results[r]!.placements) expect(ratingOf(after.get(p.playerId)!)).to.equal(p.after);
          for (const [id, skill] of after) skills.set(id, skill);
        });
        expect(learning.games).to.have.length(rooms.length);
      }),
      { numRuns: 60 },
    );
  });

  it('frozen (the baseline) plays the same games and moves no rating', () => {
    fc.assert(
      fc.property(traceArb('ffa3'), fc.nat(1000), (events, seed) => {
        const { outputs } = played(events, seed, true).result;
        for (const line of outputs) if (line.type === 'result') for (const p of line.placements) expect(p.after).to.equal(p.before);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses the join of a player who still holds a live ticket (already_queued), and only with learning', () => {
    const events: TraceEvent[] = [
      { at: 0, type: 'join', ticketId: 'a', playerId: 'p', rating: 1500, trueSkill: 1500, mode: 'ffa3', region: 'global' },
      { at: 10, type: 'join', ticketId: 'b', playerId: 'p', rating: 1500, trueSkill: 1500, mode: 'ffa3', region: 'global' },
    ];
    expect(played(events, 1).result.outputs).to.deep.include({ type: 'refused', at: 1000, ticketId: 'b', reason: 'already_queued' });
    expect(replay(events, { config, tickMs: 1000 }).outputs.filter((o) => o.type === 'refused')).to.deep.equal([]);
  });

  it('learns: on a population that plays for hours, ratings end far closer in rank to the true skills than frozen ones', () => {
    const events = generateLearningTrace({
      name: 't',
      mode: 'ffa3',
      players: 90,
      seconds: 4 * 3600,
      gapSeconds: 400,
      start: { kind: 'guess', sd: 300 },
      seed: 5,
    });
    const learned = learningFigures(played(events, 1).learning, 'ffa3');
    const frozen = learningFigures(played(events, 1, true).learning, 'ffa3');
    expect(learned.convergence[0]!.spearman).to.equal(frozen.convergence[0]!.spearman);
    expect(learned.finalSpearman).to.be.greaterThan(frozen.finalSpearman);
    expect(learned.spreadBySlice.at(-1)!).to.be.lessThan(frozen.spreadBySlice.at(-1)!);
  });
});

describe('trace trueSkill', () => {
  it('parses trueSkill on a join and on party members; trueSkillsOf names a ticket without one, or a player whose skill changes', () => {
    const text = [
      '{"at":0,"type":"join","ticketId":"a","playerId":"p1","rating":1500,"trueSkill":1700,"mode":"ffa3","region":"global"}',
      '{"at":1,"type":"join","ticketId":"b","players":[{"playerId":"p2","rating":1500,"trueSkill":1300}],"mode":"ffa3","region":"global"}',
    ].join('\n');
    expect([...trueSkillsOf(parseTrace(text, config))]).to.deep.equal([
      ['p1', 1700],
      ['p2', 1300],
    ]);
    expect(() =>
      parseTrace('{"at":0,"type":"join","ticketId":"a","playerId":"p","rating":1,"trueSkill":"x","mode":"ffa3","region":"global"}', config),
    ).to.throw(TraceError, /trace line 1: `trueSkill` must be a number/);
    const missing = parseTrace('{"at":0,"type":"join","ticketId":"a","playerId":"p","rating":1,"mode":"ffa3","region":"global"}', config);
    expect(() => trueSkillsOf(missing)).to.throw(TraceError, /ticket a: --true-skill needs `trueSkill`/);
    const changed = parseTrace(
      text + '\n{"at":2,"type":"join","ticketId":"c","playerId":"p1","rating":1500,"trueSkill":1701,"mode":"ffa3","region":"global"}',
      config,
    );
    expect(() => trueSkillsOf(changed)).to.throw(TraceError, /ticket c: player p1 has trueSkill 1701, earlier 1700/);
  });
});

describe('spearman', () => {
  const series = fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 2, maxLength: 40 });
  it('is in [-1, 1], symmetric, 1 against itself and -1 against its mirror when it has an order, 0 when it has none', () => {
    fc.assert(
      fc.property(series, series, (xs, raw) => {
        const ys = xs.map((_, i) => raw[i % raw.length]!);
        const rho = spearman(xs, ys);
        expect(rho).to.be.within(-1, 1);
        expect(spearman(ys, xs)).to.be.closeTo(rho, 1e-12);
        if (new Set(xs).size > 1) {
          expect(spearman(xs, xs)).to.be.closeTo(1, 1e-12);
          expect(
            spearman(
              xs,
              xs.map((x) => -x),
            ),
          ).to.be.closeTo(-1, 1e-12);
        } else expect(rho).to.equal(0);
      }),
    );
  });
  it('depends only on order: a strictly increasing transform of one side changes nothing', () => {
    fc.assert(
      fc.property(series, series, (xs, raw) => {
        const ys = xs.map((_, i) => raw[i % raw.length]!);
        expect(
          spearman(
            xs.map((x) => x ** 3 + 7 * x),
            ys,
          ),
        ).to.be.closeTo(spearman(xs, ys), 1e-12);
      }),
    );
  });
});
