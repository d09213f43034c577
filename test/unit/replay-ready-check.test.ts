/** Replay with the ready check and allocation failures (contract v1.1, README "Replay"). */
import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { replay, type ReplayOptions, type ReplayOutput } from '../../core/replay.js';
import { replayFigures } from '../../core/replay-figures.js';
import { DEFAULT_MATCH_CONFIG, windowAt } from '../../core/rule.js';
import { parseTrace, type TraceEvent } from '../../core/trace.js';
import type { MatchConfig, ModeRule } from '../../core/types.js';

const FIXTURES = joinPath(import.meta.dirname, 'fixtures');
const ffa3 = DEFAULT_MATCH_CONFIG.modes.ffa3!;
const withAccept = (seconds: number, cooldownSeconds = 0, base: ModeRule = { ...ffa3, maxWaitSeconds: 60 }): MatchConfig => ({
  regions: ['global'],
  modes: { ffa3: { ...base, accept: { seconds, cooldownSeconds } } },
});
const join = (at: number, ticketId: string, rating = 1500, playerId = `p-${ticketId}`): TraceEvent => ({
  at,
  type: 'join',
  ticketId,
  playerId,
  rating,
  mode: 'ffa3',
  region: 'global',
});
const mark = (at: number, type: 'decline' | 'silent', ticketId: string): TraceEvent => ({ at, type, ticketId });
const lines = (outputs: readonly ReplayOutput[]) => outputs.map((o) => JSON.stringify(o) + '\n').join('');

describe('replay with a ready check', () => {
  it('writes the same bytes as before for a trace and config without accept, decline and silent lines changing nothing', () => {
    const text = readFileSync(joinPath(FIXTURES, 'replay-golden-trace.ndjson'), 'utf8');
    const golden = readFileSync(joinPath(FIXTURES, 'replay-golden-output.ndjson'), 'utf8');
    const events = parseTrace(text, DEFAULT_MATCH_CONFIG);
    expect(lines(replay(events, { config: DEFAULT_MATCH_CONFIG, tickMs: 1000 }).outputs)).to.equal(golden);
    // Marks only act on proposals, which a mode without accept never makes; --accept-ms likewise.
    const marked = events.flatMap((e, i) => (e.type === 'join' && i % 4 === 0 ? [e, mark(e.at, i % 8 === 0 ? 'decline' : 'silent', e.ticketId)] : [e]));
    expect(lines(replay(marked, { config: DEFAULT_MATCH_CONFIG, tickMs: 1000, acceptMs: 7000 }).outputs)).to.equal(golden);
    expect(lines(replay(events, { config: DEFAULT_MATCH_CONFIG, tickMs: 1000, allocationFail: { share: 0, seed: 9 } }).outputs)).to.equal(golden);
  });

  it('makes a room final when everyone accepts, at the tick that sees the last accept', () => {
    const events = [join(0, 'a'), join(0, 'b'), join(0, 'c')];
    expect(replay(events, { config: withAccept(10), tickMs: 1000 }).outputs).to.deep.equal([
      { type: 'room', at: 2000, mode: 'ffa3', region: 'global', tickets: ['b', 'c', 'a'], spread: 0 },
    ]);
    // accept-ms 2500: proposed at 1000, accepted at 3500, seen by the tick at 4000; the wait counts to then.
    const result = replay(events, { config: withAccept(10), tickMs: 1000, acceptMs: 2500 });
    expect(result.outputs.map((o) => o.at)).to.deep.equal([4000]);
    expect(result.ends.map((e) => e.waitedMs)).to.deep.equal([4000, 4000, 4000]);
  });

  it('ends every ticket that declines the same proposal, not only the first one (their answers come in one instant); the rest go back', () => {
    const events = [join(0, 'a'), join(0, 'b'), join(0, 'c'), mark(0, 'decline', 'a'), mark(0, 'decline', 'b'), join(1500, 'd'), join(1500, 'e')];
    const result = replay(events, { config: withAccept(10), tickMs: 1000 });
    expect(result.outputs.slice(0, 3)).to.deep.equal([
      { type: 'dissolved', at: 2000, tickets: ['b', 'c', 'a'], reason: 'declined' },
      { type: 'left', at: 2000, ticketId: 'b', reason: 'declined' },
      { type: 'left', at: 2000, ticketId: 'a', reason: 'declined' },
    ]);
    // c alone goes back, and makes a room with the later two; a and b are in no room.
    const rooms = result.outputs.filter((o) => o.type === 'room');
    expect(rooms.map((room) => [...room.tickets].sort())).to.deep.equal([['c', 'd', 'e']]);
    // Three who all decline: all three end.
    const all = replay([join(0, 'a'), join(0, 'b'), join(0, 'c'), mark(0, 'decline', 'a'), mark(0, 'decline', 'b'), mark(0, 'decline', 'c')], {
      config: withAccept(10),
      tickMs: 1000,
    });
    expect(
      all.outputs
        .filter((o) => o.type === 'left')
        .map((o) => o.ticketId)
        .sort(),
    ).to.deep.equal(['a', 'b', 'c']);
  });

  it('dissolves on a decline: the decliner leaves, the others are matched again with their original join time', () => {
    const events = [join(0, 'a'), join(0, 'b'), join(0, 'c'), mark(0, 'decline', 'c'), join(1500, 'd')];
    const result = replay(events, { config: withAccept(10), tickMs: 1000 });
    expect(result.outputs).to.deep.equal([
      { type: 'dissolved', at: 2000, tickets: ['b', 'c', 'a'], reason: 'declined' },
      { type: 'left', at: 2000, ticketId: 'c', reason: 'declined' },
      { type: 'room', at: 4000, mode: 'ffa3', region: 'global', tickets: ['d', 'b', 'a'], spread: 0 },
    ]);
    const waits = Object.fromEntries(result.ends.map((e, i) => [i, e]));
    expect(Object.values(waits).map((e) => [e.outcome, e.waitedMs])).to.deep.equal([
      ['declined', 2000],
      ['matched', 2500],
      ['matched', 4000],
      ['matched', 4000],
    ]);
    expect(result.dissolutions).to.deep.equal({ declined: 1, accept_timeout: 0, allocation_failed: 0 });
  });

  it('dissolves a silent room after accept.seconds, and a mark counts only from its `at` and only once', () => {
    // b's silent line comes after the first proposal (at 1000): b accepts that one, which c declines.
    const events = [join(0, 'a'), join(0, 'b'), join(0, 'c'), mark(0, 'decline', 'c'), mark(1500, 'silent', 'b'), join(1500, 'd')];
    const result = replay(events, { config: withAccept(5), tickMs: 1000 });
    expect(result.outputs.slice(0, 4)).to.deep.equal([
      { type: 'dissolved', at: 2000, tickets: ['b', 'c', 'a'], reason: 'declined' },
      { type: 'left', at: 2000, ticketId: 'c', reason: 'declined' },
      // Proposed at 3000, deadline 8000, dissolved by the first tick past it.
      { type: 'dissolved', at: 9000, tickets: ['d', 'b', 'a'], reason: 'accept_timeout' },
      { type: 'left', at: 9000, ticketId: 'b', reason: 'accept_timeout' },
    ]);
    expect(result.ends.filter((e) => e.outcome === 'timeout')).to.have.length(2);
  });

  it('times out every player when --accept-ms is past accept.seconds', () => {
    const result = replay([join(0, 'a'), join(0, 'b'), join(0, 'c')], { config: withAccept(2), tickMs: 1000, acceptMs: 2001 });
    expect(result.outputs.filter((o) => o.type === 'left').map((o) => (o as { reason: string }).reason)).to.deep.equal([
      'accept_timeout',
      'accept_timeout',
      'accept_timeout',
    ]);
  });

  it('takes a leave while the room is pending as a decline', () => {
    const result = replay([join(0, 'a'), join(0, 'b'), join(0, 'c'), { at: 1200, type: 'leave', ticketId: 'a' }], { config: withAccept(10), tickMs: 1000 });
    expect(result.outputs.slice(0, 2)).to.deep.equal([
      { type: 'dissolved', at: 2000, tickets: ['b', 'c', 'a'], reason: 'declined' },
      { type: 'left', at: 2000, ticketId: 'a', reason: 'declined' },
    ]);
    expect(result.ends.map((e) => e.outcome).sort()).to.deep.equal(['declined', 'timeout', 'timeout']);
  });

  it("ends a whole party ticket on one member's decline, the room dissolving for the rest", () => {
    const duo: MatchConfig = {
      regions: ['eu'],
      modes: {
        duo: { teams: 2, teamSize: 2, window: { initial: 300, perSecond: 0, max: Infinity }, maxWaitSeconds: 10, accept: { seconds: 5, cooldownSeconds: 0 } },
      },
    };
    const party: TraceEvent = {
      at: 0,
      type: 'join',
      ticketId: 'pa',
      players: [
        { playerId: 'x', rating: 1500 },
        { playerId: 'y', rating: 1500 },
      ],
      mode: 'duo',
      region: 'eu',
    };
    const solo = (id: string): TraceEvent => ({ at: 0, type: 'join', ticketId: id, playerId: `p-${id}`, rating: 1500, mode: 'duo', region: 'eu' });
    const result = replay([party, solo('s1'), solo('s2'), mark(0, 'decline', 'pa')], { config: duo, tickMs: 1000 });
    // Ticket order within a room is the former's; the test reads the set.
    const sorted = (outputs: ReplayOutput[]) =>
      outputs.map((o) =>
        'tickets' in o ? { ...o, tickets: [...o.tickets].sort(), ...('teams' in o ? { teams: o.teams!.map((t) => [...t].sort()) } : {}) } : o,
      );
    expect(sorted(result.outputs.slice(0, 2))).to.deep.equal([
      { type: 'dissolved', at: 2000, tickets: ['pa', 's1', 's2'], reason: 'declined' },
      { type: 'left', at: 2000, ticketId: 'pa', reason: 'declined' },
    ]);
    expect(result.ends.find((e) => e.outcome === 'declined')).to.include({ size: 2 });
    // Without the decline the party's two members accept one by one and the room is final, with teams.
    expect(sorted(replay([party, solo('s1'), solo('s2')], { config: duo, tickMs: 1000 }).outputs)).to.deep.equal([
      { type: 'room', at: 2000, mode: 'duo', region: 'eu', tickets: ['pa', 's1', 's2'], spread: 0, teams: [['pa'], ['s1', 's2']] },
    ]);
  });

  it('refuses a rejoin of a decliner during accept.cooldownSeconds, and takes it after', () => {
    const events = [join(0, 'a'), join(0, 'b'), join(0, 'c'), mark(0, 'decline', 'c'), join(5000, 'c2', 1500, 'p-c'), join(20_000, 'c3', 1500, 'p-c')];
    const result = replay(events, { config: withAccept(10, 10), tickMs: 1000 });
    // c declined at 2000 (its answer, 1000 after the proposal): cooling down until 12000.
    expect(result.outputs.filter((o) => o.type === 'refused')).to.deep.equal([{ type: 'refused', at: 5000, ticketId: 'c2', reason: 'cooling_down' }]);
    expect(result.outputs.some((o) => o.type === 'room' && o.tickets.includes('c3'))).to.equal(true);
  });
});

describe('replay with allocation failures', () => {
  const three = [join(0, 'a'), join(0, 'b'), join(0, 'c')];

  it("requeues a failed room's tickets with their wait, and ends them on the third failure", () => {
    const result = replay(three, { config: DEFAULT_MATCH_CONFIG, tickMs: 1000, allocationFail: { share: 1, seed: 1 } });
    const dissolved = { type: 'dissolved', tickets: ['b', 'c', 'a'], reason: 'allocation_failed' };
    expect(result.outputs).to.deep.equal([
      { ...dissolved, at: 1000 },
      { ...dissolved, at: 2000 },
      { ...dissolved, at: 3000 },
      ...['b', 'c', 'a'].map((ticketId) => ({ type: 'left', at: 3000, ticketId, reason: 'allocation_failed' })),
    ]);
    expect(result.ends.map((e) => [e.outcome, e.waitedMs])).to.deep.equal([
      ['allocation_failed', 3000],
      ['allocation_failed', 3000],
      ['allocation_failed', 3000],
    ]);
  });

  it('fails allocation after the ready check, the same rooms for the same seed', () => {
    const events = Array.from({ length: 300 }, (_, i) => join(i * 100, `t${i}`, 1500 + (i % 7) * 10));
    const options: ReplayOptions = { config: withAccept(5), tickMs: 500, allocationFail: { share: 0.3, seed: 42 } };
    const result = replay(events, options);
    expect(lines(replay(events, options).outputs)).to.equal(lines(result.outputs));
    expect(result.dissolutions.allocation_failed).to.be.greaterThan(10);
    expect(lines(replay(events, { ...options, allocationFail: { share: 0.3, seed: 43 } }).outputs)).to.not.equal(lines(result.outputs));
  });
});

describe('replay properties with the ready check and allocation failures', () => {
  const rule: ModeRule = {
    teams: 1,
    teamSize: 3,
    window: { initial: 0, perSecond: 50, max: Infinity },
    maxWaitSeconds: 20,
    accept: { seconds: 3, cooldownSeconds: 2 },
  };
  const teamsRule: ModeRule = { teams: 2, teamSize: 2, window: { initial: 100, perSecond: 40, max: 600 }, maxWaitSeconds: 15 };
  const config: MatchConfig = {
    regions: ['global'],
    modes: { ffa3: rule, duo: { ...teamsRule, accept: { seconds: 2, cooldownSeconds: 0 } }, plain: teamsRule },
  };
  const traceArb = fc
    .array(
      fc.record({
        at: fc.integer({ min: 0, max: 15_000 }),
        rating: fc.integer({ min: 1300, max: 1700 }),
        mode: fc.constantFrom('ffa3', 'duo', 'plain'),
        party: fc.boolean(),
        player: fc.integer({ min: 0, max: 30 }),
        leaveAfter: fc.option(fc.integer({ min: 0, max: 6000 }), { freq: 4 }),
        answer: fc.option(fc.record({ type: fc.constantFrom('decline' as const, 'silent' as const), after: fc.integer({ min: 0, max: 8000 }) }), { freq: 2 }),
      }),
      { maxLength: 40 },
    )
    .map((rows) => {
      const events: { event: TraceEvent; seq: number }[] = [];
      const push = (event: TraceEvent) => events.push({ event, seq: events.length });
      rows.forEach((r, i) => {
        const ticketId = `t${i}`;
        // Players repeat across tickets so cooldowns refuse some joins.
        if (r.party && r.mode !== 'ffa3')
          push({
            at: r.at,
            type: 'join',
            ticketId,
            players: [
              { playerId: `p${r.player}`, rating: r.rating },
              { playerId: `q${i}`, rating: r.rating + 20 },
            ],
            mode: r.mode,
            region: 'global',
          });
        else push({ at: r.at, type: 'join', ticketId, playerId: `p${r.player}`, rating: r.rating, mode: r.mode, region: 'global' });
        if (r.leaveAfter !== null) push({ at: r.at + r.leaveAfter, type: 'leave', ticketId });
        if (r.answer) push({ at: r.at + r.answer.after, type: r.answer.type, ticketId });
      });
      return events.sort((a, b) => a.event.at - b.event.at || a.seq - b.seq).map((e) => e.event);
    });

  it('same input, same output; every ticket ends once or is in one final room; no final room breaks the rule', () => {
    fc.assert(
      fc.property(traceArb, fc.constantFrom(250, 1000), fc.constantFrom(0, 1000, 2500), fc.constantFrom(0, 0.2, 0.5), (events, tickMs, acceptMs, share) => {
        const options: ReplayOptions = { config, tickMs, acceptMs, allocationFail: { share, seed: 7 } };
        const result = replay(events, options);
        expect(lines(replay(events, options).outputs)).to.equal(lines(result.outputs));
        const joins = new Map(events.flatMap((e) => (e.type === 'join' ? [[e.ticketId, e] as const] : [])));
        const finished = new Set<string>();
        const refused = new Set<string>();
        const finish = (id: string) => {
          expect(finished.has(id), id).to.equal(false);
          finished.add(id);
        };
        for (const out of result.outputs) {
          expect(out.at % tickMs).to.equal(0);
          if (out.type === 'room') {
            const modeRule = config.modes[out.mode]!;
            const players = out.tickets.reduce((n, id) => n + (joins.get(id)!.players?.length ?? 1), 0);
            expect(players).to.equal(modeRule.teams * modeRule.teamSize);
            // Windows only grow with the wait, so valid where it formed means valid at the tick it turned final.
            for (const id of out.tickets) expect(out.spread).to.be.at.most(windowAt(modeRule, out.at - joins.get(id)!.at));
            out.tickets.forEach(finish);
          } else if (out.type === 'timeout' || out.type === 'left') finish(out.ticketId);
          else if (out.type === 'refused') refused.add(out.ticketId);
          else for (const id of out.tickets) expect(finished.has(id), id).to.equal(false);
        }
        const cancelled = result.ends.filter((e) => e.outcome === 'cancelled').length;
        expect(finished.size + cancelled + refused.size).to.equal(joins.size);
        expect(result.ends).to.have.length(joins.size - refused.size);
        const figures = replayFigures(result);
        expect(figures.matched + figures.cancelled + figures.timeouts + figures.declined + figures.acceptTimeouts + figures.allocationFailed).to.equal(
          figures.tickets,
        );
      }),
      { numRuns: 150 },
    );
  });
});
