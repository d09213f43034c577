import { expect } from 'chai';
import fc from 'fast-check';
import { replay, type ReplayOutput } from '../../core/replay.js';
import { replayFigures } from '../../core/replay-figures.js';
import { DEFAULT_MATCH_CONFIG, windowAt } from '../../core/rule.js';
import { parseTrace, TraceError, type TraceEvent } from '../../core/trace.js';
import { createBaselinePool } from '../../bench/matcher/baseline-matcher.js';
import { generateTrace } from '../../bench/matcher/traces.js';

const config = DEFAULT_MATCH_CONFIG;
/** A shorter maxWait keeps the ticking after the last event short. */
const quick = { regions: ['global'], modes: { ffa3: { ...DEFAULT_MATCH_CONFIG.modes.ffa3!, maxWaitSeconds: 20 } } };
const rule = quick.modes.ffa3;
/** Without a ready check or allocation failures a replay writes v1's lines only: rooms and timeouts. */
function timeoutLine(out: ReplayOutput): Extract<ReplayOutput, { type: 'timeout' }> {
  expect(out.type).to.equal('timeout');
  return out as Extract<ReplayOutput, { type: 'timeout' }>;
}
const join = (at: number, ticketId: string, rating: number): TraceEvent => ({
  at,
  type: 'join',
  ticketId,
  playerId: `p-${ticketId}`,
  rating,
  mode: 'ffa3',
  region: 'global',
});

const traceArb = fc
  .array(
    fc.record({
      at: fc.integer({ min: 0, max: 20_000 }),
      rating: fc.integer({ min: 1200, max: 1800 }),
      leaveAfter: fc.option(fc.integer({ min: 0, max: 5000 })),
    }),
    { maxLength: 40 },
  )
  .map((rows) => {
    const events: TraceEvent[] = [];
    rows.forEach((r, i) => {
      events.push(join(r.at, `t${i}`, r.rating));
      if (r.leaveAfter !== null) events.push({ at: r.at + r.leaveAfter, type: 'leave', ticketId: `t${i}` });
    });
    return events.sort((a, b) => a.at - b.at);
  });

describe('replay', () => {
  it('ends every ticket exactly once, each room valid at its tick, the same each run', () => {
    fc.assert(
      fc.property(traceArb, fc.constantFrom(100, 250, 1000, 3000), (events, tickMs) => {
        const result = replay(events, { config: quick, tickMs });
        expect(replay(events, { config: quick, tickMs })).to.deep.equal(result);
        const joined = new Map(events.flatMap((e) => (e.type === 'join' ? [[e.ticketId, e] as const] : [])));
        const ended = new Set<string>();
        for (const out of result.outputs) {
          expect(out.at % tickMs).to.equal(0);
          const ids = out.type === 'room' ? out.tickets : [timeoutLine(out).ticketId];
          for (const id of ids) {
            expect(ended.has(id), id).to.equal(false);
            ended.add(id);
            expect(joined.get(id)!.at).to.be.at.most(out.at);
          }
          if (out.type === 'room') {
            for (const id of out.tickets) expect(out.spread).to.be.at.most(windowAt(rule, out.at - joined.get(id)!.at));
          } else {
            expect(out.at - joined.get(timeoutLine(out).ticketId)!.at).to.be.at.least(rule.maxWaitSeconds * 1000);
          }
        }
        const cancelled = result.ends.filter((e) => e.outcome === 'cancelled').length;
        expect(ended.size + cancelled).to.equal(joined.size);
      }),
      { numRuns: 50 },
    );
  });

  it('lets a tick see the events at its own time, the first tick at tickMs', () => {
    const events = [join(0, 'a', 1500), join(1000, 'b', 1500), join(1000, 'c', 1500), join(1001, 'd', 1500)];
    const [first] = replay(events, { config, tickMs: 1000 }).outputs;
    expect(first).to.deep.include({ type: 'room', at: 1000, mode: 'ffa3', region: 'global', spread: 0 });
    expect(first?.type === 'room' && [...first.tickets].sort()).to.deep.equal(['a', 'b', 'c']);
  });

  it('drops a ticket that leaves before a tick, and ignores a repeated join', () => {
    const events: TraceEvent[] = [
      join(0, 'a', 1500),
      join(0, 'a', 1500),
      join(0, 'b', 1500),
      { at: 500, type: 'leave', ticketId: 'b' },
      join(900, 'c', 1500),
      join(900, 'd', 1500),
    ];
    const result = replay(events, { config, tickMs: 1000 });
    expect(result.outputs.map((o) => (o.type === 'room' ? [...o.tickets].sort() : timeoutLine(o).ticketId))).to.deep.equal([['a', 'c', 'd']]);
    expect(replayFigures(result)).to.include({ tickets: 4, matched: 3, cancelled: 1, rooms: 1 });
  });

  // Quality against the baseline is the bench's (long traces, many seeds): on a trace this
  // short one unlucky player moves the max either way.
  it('runs the baseline through the same harness: the same tickets, every one ended, ours matching no fewer', () => {
    const events = generateTrace({ name: 't', seconds: 300, rate: 2, bursty: true, leaveShare: 0.05, seed: 11 });
    const joins = events.filter((e) => e.type === 'join').length;
    const ours = replayFigures(replay(events, { config, tickMs: 1000 }));
    const base = replayFigures(replay(events, { config, tickMs: 1000, createPool: createBaselinePool }));
    expect(ours.tickets).to.equal(joins);
    expect(base.tickets).to.equal(joins);
    expect(ours.matched + ours.cancelled + ours.timeouts).to.equal(joins);
    expect(base.matched + base.cancelled + base.timeouts).to.equal(joins);
    expect(ours.matchedShare).to.be.at.least(base.matchedShare);
  });
});

describe('replay with parties', () => {
  const duo = {
    regions: ['eu'],
    modes: {
      duo: {
        teams: 2,
        teamSize: 2,
        window: { initial: 300, perSecond: 0, max: Infinity },
        maxWaitSeconds: 10,
        party: { maxSize: 2, aggregate: 'avg' as const },
      },
    },
  };
  const party = (at: number, ticketId: string, ratings: number[]): TraceEvent => ({
    at,
    type: 'join',
    ticketId,
    players: ratings.map((rating, m) => ({ playerId: `${ticketId}-${m}`, rating })),
    mode: 'duo',
    region: 'eu',
  });
  const solo = (at: number, ticketId: string, rating: number): TraceEvent => ({
    at,
    type: 'join',
    ticketId,
    playerId: `p-${ticketId}`,
    rating,
    mode: 'duo',
    region: 'eu',
  });

  it("parses a party's join line and rates the party by the mode's aggregate", () => {
    const line = JSON.stringify({
      at: 0,
      type: 'join',
      ticketId: 'pa',
      players: [
        { playerId: 'a', rating: 1400 },
        { playerId: 'b', rating: 1601 },
      ],
      mode: 'duo',
      region: 'eu',
    });
    const events = parseTrace(line, duo);
    expect(events).to.deep.equal([
      {
        at: 0,
        type: 'join',
        ticketId: 'pa',
        players: [
          { playerId: 'a', rating: 1400 },
          { playerId: 'b', rating: 1601 },
        ],
        mode: 'duo',
        region: 'eu',
      },
    ]);
    const [room] = replay([...events, solo(0, 's1', 1500), solo(0, 's2', 1500)], { config: duo, tickMs: 1000 }).outputs;
    // avg(1400, 1601) = 1500.5, rounded to 1501: the spread against the solos at 1500 is 1.
    expect(room).to.deep.equal({ type: 'room', at: 1000, mode: 'duo', region: 'eu', tickets: ['pa', 's1', 's2'], spread: 1, teams: [['pa'], ['s1', 's2']] });
  });

  it('keeps parties whole on one team and ends every ticket once, the same each run', () => {
    const events: TraceEvent[] = [];
    for (let i = 0; i < 40; i++) {
      const at = i * 250;
      const rating = 1300 + ((i * 137) % 400);
      events.push(i % 3 === 0 ? party(at, `t${i}`, [rating, rating + 40]) : solo(at, `t${i}`, rating));
    }
    const result = replay(events, { config: duo, tickMs: 500 });
    expect(replay(events, { config: duo, tickMs: 500 })).to.deep.equal(result);
    const sizeOf = new Map(events.map((e) => [e.type === 'join' ? e.ticketId : '', e.type === 'join' && e.players ? e.players.length : 1]));
    const ended = new Set<string>();
    for (const out of result.outputs) {
      const ids = out.type === 'room' ? out.tickets : [timeoutLine(out).ticketId];
      for (const id of ids) {
        expect(ended.has(id)).to.equal(false);
        ended.add(id);
      }
      if (out.type !== 'room') continue;
      expect(out.teams).to.have.length(2);
      for (const team of out.teams!) expect(team.reduce((sum, id) => sum + sizeOf.get(id)!, 0)).to.equal(2);
      expect(out.teams!.flat().sort()).to.deep.equal([...out.tickets].sort());
    }
    expect(ended.size).to.equal(40);
    expect(result.outputs.some((out) => out.type === 'room' && out.tickets.some((id) => sizeOf.get(id) === 2))).to.equal(true);
    expect(result.ends.filter((e) => e.size === 2)).to.have.length(14);
  });

  it('adds no teams to the room lines of a one-team mode', () => {
    const [room] = replay([join(0, 'a', 1500), join(0, 'b', 1500), join(0, 'c', 1500)], { config, tickMs: 1000 }).outputs;
    expect(room).to.not.have.property('teams');
  });
});

describe('parseTrace', () => {
  const lines = (...rows: unknown[]) => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n');
  const ok = join(5, 'a', 1500);

  it('parses joins and leaves and skips blank lines', () => {
    expect(parseTrace(lines(ok, '', { at: 6, type: 'leave', ticketId: 'a' }, ''), config)).to.deep.equal([ok, { at: 6, type: 'leave', ticketId: 'a' }]);
  });

  const bad: [string, string, RegExp][] = [
    ['broken JSON', lines(ok, '{nope'), /line 2: not valid JSON/],
    ['an unknown type', lines({ ...ok, type: 'jump' }), /line 1: `type` must be "join" or "leave"/],
    ['a missing rating', lines({ ...ok, rating: undefined }), /line 1: `rating` must be a number/],
    ['time going backwards', lines(ok, { ...ok, at: 4, ticketId: 'b' }), /line 2: at 4 is before the previous event's 5/],
    ['an unknown mode', lines({ ...ok, mode: '5v5' }), /line 1: unknown mode "5v5"/],
    ['an unknown region', lines({ ...ok, region: 'mars' }), /line 1: unknown region "mars"/],
    [
      'a party with a playerId too',
      lines({ ...ok, players: [{ playerId: 'x', rating: 1 }] }),
      /line 1: a join has `playerId` and `rating`, or `players` \(a party\), not both/,
    ],
    ['an empty party', lines({ at: 5, type: 'join', ticketId: 'a', players: [], mode: 'ffa3', region: 'global' }), /line 1: `players` must not be empty/],
    [
      'a party member without a rating',
      lines({ at: 5, type: 'join', ticketId: 'a', players: [{ playerId: 'x' }], mode: 'ffa3', region: 'global' }),
      /line 1: `rating` must be a number/,
    ],
    [
      'a player twice in a party',
      lines({
        at: 5,
        type: 'join',
        ticketId: 'a',
        players: [
          { playerId: 'x', rating: 1 },
          { playerId: 'x', rating: 2 },
        ],
        mode: 'ffa3',
        region: 'global',
      }),
      /line 1: `players` must not repeat a player/,
    ],
    [
      'a party larger than the mode takes',
      lines({ at: 5, type: 'join', ticketId: 'a', players: [1, 2, 3, 4].map((n) => ({ playerId: `x${n}`, rating: 1500 })), mode: 'ffa3', region: 'global' }),
      /line 1: a party of 4, mode "ffa3" takes parties of up to 3/,
    ],
  ];
  for (const [what, text, message] of bad) {
    it(`rejects ${what}, naming the line`, () => {
      expect(() => parseTrace(text, config)).to.throw(TraceError, message);
    });
  }
});
