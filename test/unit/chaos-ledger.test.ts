import { expect } from 'chai';
import { Ledger, reconcileResults, type AuditedRoom, type FleetRecord, type ModeLike, type ResultsEvidence } from '../../chaos/ledger.js';

const WINDOW = { initial: 0, perSecond: 50, max: Infinity };
const MODES: Record<string, ModeLike> = {
  ffa3: { window: WINDOW, readyCheck: false },
  duo: { window: WINDOW, readyCheck: false },
  rc3: { window: WINDOW, readyCheck: true },
};
const T0 = Date.parse('2026-12-02T00:00:00.000Z');

/** A room formed at T0 + 2 s: each seat is [ticketId, playerId] (a party's ticket has several), waited 1 s unless said. */
function room(
  id: string,
  seats: [ticket: string, player: string, team?: number][],
  options: { mode?: string; spread?: number; waitedMs?: number; server?: string } = {},
): AuditedRoom {
  return {
    id,
    mode: options.mode ?? 'ffa3',
    createdAt: new Date(T0 + 2000).toISOString(),
    spread: options.spread ?? 10,
    players: seats.map(([ticketId, playerId, team = 0]) => ({ ticketId, playerId, team, waitedMs: options.waitedMs ?? 1000 })),
    ...(options.server ? { server: { address: options.server } } : {}),
  };
}
/** Queued at T0 + 1 s, so a room at T0 + 2 s that waited 1 s kept the whole wait. */
const queue = (ledger: Ledger, ticket: string, player: string, mode = 'ffa3') => ledger.queue(ticket, player, mode, T0 + 1000);
const fleetOf = (...records: Partial<FleetRecord>[]) =>
  new Map(
    records.map((record) => [record.roomId!, { requests: 1, statuses: [201], server: null, replays: 0, tickets: [], late: false, ...record } as FleetRecord]),
  );

describe('chaos ledger', () => {
  it('balances when every queued ticket ended once and every room reached its players', () => {
    const ledger = new Ledger();
    ['a', 'b', 'c', 'd', 'e'].forEach((ticket) => queue(ledger, ticket, `p${ticket}`));
    ledger.room(
      room('r1', [
        ['a', 'pa'],
        ['b', 'pb'],
        ['c', 'pc'],
      ]),
    );
    ledger.room(
      room('r1', [
        ['a', 'pa'],
        ['b', 'pb'],
        ['c', 'pc'],
      ]),
    ); // a redelivered copy, same id
    ['a', 'b', 'c'].forEach((ticket) => ledger.end(ticket, `p${ticket}`, { type: 'matched', roomId: 'r1' }));
    ledger.end('d', 'pd', { type: 'left', reason: 'cancelled' });
    ledger.end('e', 'pe', { type: 'left', reason: 'timeout' });
    const report = ledger.reconcile(MODES);
    expect(report).to.deep.include({
      tickets: 5,
      matched: 3,
      cancelled: 1,
      timedOut: 1,
      rooms: 1,
      lost: [],
      lostDetail: [],
      doubled: [],
      doubledDetail: [],
      invalidRooms: [],
    });
    expect(report.ends).to.deep.equal({ matched: 3, cancelled: 1, timeout: 1 });
    expect(report.splitParties).to.deep.equal([]);
    expect(report.waitReset).to.deep.equal([]);
    expect(ledger.open()).to.equal(0);
  });

  it('counts a ticket that never ended, and a room seat never told, as lost, naming ticket, player and mode', () => {
    const ledger = new Ledger();
    queue(ledger, 'a', 'pa');
    queue(ledger, 'b', 'pb');
    ledger.room(
      room('r1', [
        ['b', 'pb'],
        ['x', 'px'],
        ['y', 'py'],
      ]),
    );
    ledger.end('b', 'pb', { type: 'matched', roomId: 'r1' });
    expect(ledger.open()).to.equal(1);
    const { lost, lostDetail } = ledger.reconcile(MODES);
    expect(lost.sort()).to.deep.equal(['a', 'x', 'y']);
    expect(lostDetail.find((entry) => entry.ticketId === 'a')).to.deep.include({ playerId: 'pa', mode: 'ffa3', why: 'never-ended' });
    expect(lostDetail.find((entry) => entry.ticketId === 'x')).to.deep.include({ playerId: 'px', mode: 'ffa3', why: 'room-not-told' });
  });

  it('counts two ends, or two rooms, of one ticket as doubled', () => {
    const ledger = new Ledger();
    queue(ledger, 'a', 'pa');
    ledger.room(room('r1', [['a', 'pa']]));
    ledger.room(room('r2', [['a', 'pa']]));
    ledger.end('a', 'pa', { type: 'matched', roomId: 'r1' }, T0 + 5000);
    ledger.end('a', 'pa', { type: 'left', reason: 'cancelled' }, T0 + 6000);
    const report = ledger.reconcile(MODES);
    expect(report.doubled).to.deep.equal(['a']);
    expect(report.doubledDetail).to.have.deep.members([
      { ticketId: 'a', why: 'two-rooms', what: ['r1', 'r2'], at: T0 + 2000 },
      { ticketId: 'a', playerId: 'pa', why: 'two-ends', what: ['matched r1', 'left cancelled'], at: T0 + 5000 },
    ]);
  });

  it('counts the same end told again (a reconnect after a gateway died before its told mark) as retold, not doubled', () => {
    const ledger = new Ledger();
    queue(ledger, 'a', 'pa');
    ledger.room(room('r1', [['a', 'pa']]));
    ledger.end('a', 'pa', { type: 'matched', roomId: 'r1' }, T0 + 5000);
    ledger.end('a', 'pa', { type: 'matched', roomId: 'r1' }, T0 + 5600);
    queue(ledger, 'b', 'pb');
    ledger.end('b', 'pb', { type: 'left', reason: 'cancelled' }, T0 + 7000);
    ledger.end('b', 'pb', { type: 'left', reason: 'cancelled' }, T0 + 7100);
    ledger.end('b', 'pb', { type: 'left', reason: 'timeout' }, T0 + 7200);
    const report = ledger.reconcile(MODES);
    expect(report.retold).to.deep.equal([
      { ticketId: 'a', playerId: 'pa', end: 'matched r1', at: T0 + 5600 },
      { ticketId: 'b', playerId: 'pb', end: 'left cancelled', at: T0 + 7100 },
    ]);
    // A different second end is still a double.
    expect(report.doubled).to.deep.equal(['b']);
    expect(report.lost).to.deep.equal([]);
  });

  it('flags a room whose spread exceeds a player window at its tick', () => {
    const ledger = new Ledger();
    ledger.room(
      room(
        'wide',
        [
          ['a', 'pa'],
          ['b', 'pb'],
          ['c', 'pc'],
        ],
        { spread: 120, waitedMs: 2000 },
      ),
    );
    expect(ledger.reconcile(MODES).invalidRooms).to.deep.equal(['wide']);
  });

  describe('parties', () => {
    it('balances a party whose members all heard the same room, sat on one team', () => {
      const ledger = new Ledger();
      for (const player of ['p1', 'p2']) queue(ledger, 'party', player, 'duo');
      queue(ledger, 's1', 'p3', 'duo');
      queue(ledger, 's2', 'p4', 'duo');
      ledger.room(
        room(
          'r',
          [
            ['party', 'p1', 0],
            ['party', 'p2', 0],
            ['s1', 'p3', 1],
            ['s2', 'p4', 1],
          ],
          { mode: 'duo' },
        ),
      );
      for (const [ticket, player] of [
        ['party', 'p1'],
        ['party', 'p2'],
        ['s1', 'p3'],
        ['s2', 'p4'],
      ] as const)
        ledger.end(ticket, player, { type: 'matched', roomId: 'r' });
      const report = ledger.reconcile(MODES);
      expect(report.partyTickets).to.equal(1);
      expect(report.splitParties).to.deep.equal([]);
      expect(report.lost).to.deep.equal([]);
    });

    it('flags a party split across teams, a member left out of the room, and members told different ends', () => {
      const ledger = new Ledger();
      for (const player of ['p1', 'p2']) queue(ledger, 'teams', player, 'duo');
      ledger.room(
        room(
          'r',
          [
            ['teams', 'p1', 0],
            ['teams', 'p2', 1],
          ],
          { mode: 'duo' },
        ),
      );
      for (const player of ['p1', 'p2']) ledger.end('teams', player, { type: 'matched', roomId: 'r' });
      for (const player of ['q1', 'q2', 'q3']) queue(ledger, 'rooms', player);
      ledger.room(
        room('r2', [
          ['rooms', 'q1'],
          ['rooms', 'q2'],
        ]),
      );
      for (const player of ['q1', 'q2', 'q3']) ledger.end('rooms', player, { type: 'matched', roomId: 'r2' });
      for (const player of ['o1', 'o2']) queue(ledger, 'outcome', player, 'rc3');
      ledger.end('outcome', 'o1', { type: 'left', reason: 'declined' });
      ledger.end('outcome', 'o2', { type: 'left', reason: 'cancelled' });
      ledger.leave('outcome', 'o2');
      expect(ledger.reconcile(MODES).splitParties).to.have.deep.members([
        { ticketId: 'teams', why: 'teams' },
        { ticketId: 'rooms', why: 'rooms' },
        { ticketId: 'outcome', why: 'outcome' },
      ]);
    });

    it('counts a party member who never heard the end as lost, by player', () => {
      const ledger = new Ledger();
      for (const player of ['p1', 'p2']) queue(ledger, 'party', player, 'rc3');
      ledger.found('party', 'p1', 'r', 3000);
      ledger.answer('party', 'p1', 'r', 'decline');
      ledger.end('party', 'p1', { type: 'left', reason: 'declined' });
      expect(ledger.reconcile(MODES).lostDetail).to.deep.equal([{ ticketId: 'party', playerId: 'p2', mode: 'rc3', why: 'never-ended', queuedAt: T0 + 1000 }]);
    });
  });

  describe('ready check', () => {
    it('balances declines, silences and requeues that someone caused, and counts a timeout whose proposal came too late apart', () => {
      const ledger = new Ledger();
      for (const [ticket, player] of [
        ['a', 'pa'],
        ['b', 'pb'],
        ['c', 'pc'],
      ] as const) {
        queue(ledger, ticket, player, 'rc3');
        ledger.found(ticket, player, 'r1', 3000);
      }
      ledger.answer('a', 'pa', 'r1', 'accept');
      ledger.answer('b', 'pb', 'r1', 'decline');
      ledger.answer('c', 'pc', 'r1', 'silent');
      ledger.end('b', 'pb', { type: 'left', reason: 'declined' });
      ledger.end('c', 'pc', { type: 'left', reason: 'accept_timeout' });
      ledger.requeued('a', 'pa', 'declined', 'r1');
      ledger.found('a', 'pa', 'r2', 3000);
      ledger.answer('a', 'pa', 'r2', 'accept');
      for (const [ticket, player] of [
        ['d', 'pd'],
        ['e', 'pe'],
      ] as const) {
        queue(ledger, ticket, player, 'rc3');
        ledger.found(ticket, player, 'r2', 3000);
        ledger.answer(ticket, player, 'r2', 'accept');
      }
      ledger.room(
        room(
          'r2',
          [
            ['a', 'pa'],
            ['d', 'pd'],
            ['e', 'pe'],
          ],
          { mode: 'rc3' },
        ),
      );
      for (const [ticket, player] of [
        ['a', 'pa'],
        ['d', 'pd'],
        ['e', 'pe'],
      ] as const)
        ledger.end(ticket, player, { type: 'matched', roomId: 'r2' });
      // A fault held this one's proposal up: it came with 200 ms left, and its accept never got a ready.
      queue(ledger, 'late', 'pl', 'rc3');
      ledger.found('late', 'pl', 'r3', 200);
      ledger.answer('late', 'pl', 'r3', 'accept');
      ledger.end('late', 'pl', { type: 'left', reason: 'accept_timeout' });
      const report = ledger.reconcile(MODES);
      expect(report.readyCheck.violations).to.deep.equal([]);
      expect(report.readyCheck).to.deep.include({ proposals: 7, final: 3, timedOutUnconfirmed: 1 });
      expect(report.ends).to.deep.equal({ matched: 3, declined: 1, accept_timeout: 2 });
      expect(report.requeued).to.deep.equal({ declined: 1 });
    });

    it('flags a final room with a player who did not accept, an end by decline nobody caused, a timeout of an accept Redis took, and a ticket proposed again after its final room', () => {
      const ledger = new Ledger();
      queue(ledger, 'a', 'pa', 'rc3');
      ledger.found('a', 'pa', 'r1', 3000);
      ledger.answer('a', 'pa', 'r1', 'silent');
      ledger.found('a', 'pa', 'r9', 3000);
      ledger.room(room('r1', [['a', 'pa']], { mode: 'rc3' }));
      ledger.end('a', 'pa', { type: 'matched', roomId: 'r1' });
      queue(ledger, 'b', 'pb', 'rc3');
      ledger.found('b', 'pb', 'r2', 3000);
      ledger.answer('b', 'pb', 'r2', 'accept');
      ledger.end('b', 'pb', { type: 'left', reason: 'declined' }, T0 + 3000);
      queue(ledger, 'c', 'pc', 'rc3');
      ledger.found('c', 'pc', 'r3', 3000);
      ledger.answer('c', 'pc', 'r3', 'accept');
      ledger.ready('c', 'pc', 'r3');
      ledger.end('c', 'pc', { type: 'left', reason: 'accept_timeout' }, T0 + 3000);
      expect(ledger.reconcile(MODES).readyCheck.violations).to.have.deep.members([
        { roomId: 'r1', ticketId: 'a', why: 'final-without-accept' },
        { roomId: 'r1', ticketId: 'a', why: 'two-rooms-at-once' },
        { roomId: null, ticketId: 'b', why: 'unexplained-decline', at: T0 + 3000 },
        { roomId: null, ticketId: 'c', why: 'unexplained-timeout', at: T0 + 3000 },
      ]);
    });

    it('flags a room whose ticket wait restarted after a requeue', () => {
      const ledger = new Ledger();
      queue(ledger, 'a', 'pa', 'rc3');
      ledger.requeued('a', 'pa', 'declined', 'r1');
      ledger.found('a', 'pa', 'r2', 3000);
      ledger.answer('a', 'pa', 'r2', 'accept');
      // Formed at T0 + 2 s having waited 400 ms: joined at T0 + 1.6 s, after the queued at T0 + 1 s.
      ledger.room(room('r2', [['a', 'pa']], { mode: 'rc3', waitedMs: 400 }));
      ledger.end('a', 'pa', { type: 'matched', roomId: 'r2' });
      expect(ledger.reconcile(MODES).waitReset).to.deep.equal([{ roomId: 'r2', ticketId: 'a', lostMs: 600 }]);
    });
  });

  describe('allocation', () => {
    it('balances rooms given the fleet server of their key, and released rooms whose tickets went back', () => {
      const ledger = new Ledger();
      for (const ticket of ['a', 'b', 'c']) queue(ledger, ticket, `p${ticket}`);
      ledger.room(
        room(
          'r2',
          [
            ['a', 'pa'],
            ['b', 'pb'],
            ['c', 'pc'],
          ],
          { server: '198.51.100.1:7000' },
        ),
      );
      for (const ticket of ['a', 'b', 'c']) ledger.end(ticket, `p${ticket}`, { type: 'matched', roomId: 'r2', server: '198.51.100.1:7000' });
      const fleet = fleetOf(
        { roomId: 'r1', requests: 1, statuses: [400], tickets: ['a', 'b', 'c'] },
        { roomId: 'r2', requests: 3, statuses: [500, 201, 200], replays: 1, server: { address: '198.51.100.1:7000' }, tickets: ['a', 'b', 'c'] },
      );
      const { allocation } = ledger.reconcile(MODES, fleet);
      expect(allocation).to.deep.equal({
        rooms: 2,
        allocated: 1,
        released: 1,
        requests: 4,
        replays: 1,
        maxRequestsPerRoom: 3,
        statuses: { 400: 1, 500: 1, 201: 1, 200: 1 },
        lateServers: 0,
        violations: [],
      });
    });

    it('flags a room without a server, with a server the fleet never gave, with two servers, a server never announced, and an allocation_failed end before the third release', () => {
      const ledger = new Ledger();
      ledger.room(room('bare', [['a', 'pa']]));
      ledger.room(room('forged', [['b', 'pb']], { server: '203.0.113.9:1' }));
      ledger.room(room('twice', [['c', 'pc']], { server: '198.51.100.3:7000' }));
      ledger.room(room('twice', [['c', 'pc']], { server: '198.51.100.4:7000' }));
      queue(ledger, 'd', 'pd');
      ledger.end('d', 'pd', { type: 'left', reason: 'allocation_failed' });
      const fleet = fleetOf(
        { roomId: 'bare', server: { address: '198.51.100.1:7000' } },
        { roomId: 'forged', server: { address: '198.51.100.2:7000' } },
        { roomId: 'twice', server: { address: '198.51.100.3:7000' } },
        { roomId: 'unannounced', server: { address: '198.51.100.5:7000' } },
        { roomId: 'released-1', statuses: [400], tickets: ['d'] },
        { roomId: 'released-2', statuses: [400], tickets: ['d'] },
      );
      expect(ledger.reconcile(MODES, fleet).allocation.violations).to.have.deep.members([
        { roomId: 'bare', why: 'no-server' },
        { roomId: 'forged', why: 'server-not-from-fleet' },
        { roomId: 'twice', why: 'two-servers' },
        { roomId: 'unannounced', why: 'allocated-not-announced' },
        { roomId: '', ticketId: 'd', why: 'early-allocation-failed' },
      ]);
    });
  });

  describe('allocation, a late answer', () => {
    it('counts a room whose server came after the allocator gave up as released, not as allocated and never announced', () => {
      const ledger = new Ledger();
      queue(ledger, 'd', 'pd');
      ledger.end('d', 'pd', { type: 'left', reason: 'allocation_failed' });
      const fleet = fleetOf(
        { roomId: 'released-1', statuses: [400], tickets: ['d'] },
        { roomId: 'released-2', statuses: [500, 500], tickets: ['d'] },
        { roomId: 'late', statuses: [201], server: { address: '198.51.100.6:7000' }, late: true, tickets: ['d'] },
        { roomId: 'on-time', statuses: [201], server: { address: '198.51.100.7:7000' }, tickets: ['e'] },
      );
      const { allocation } = ledger.reconcile(MODES, fleet);
      expect(allocation.violations, 'the third release was the late one; an answer in time still counts').to.deep.equal([
        { roomId: 'on-time', why: 'allocated-not-announced' },
      ]);
      expect(allocation).to.include({ released: 3, lateServers: 1, allocated: 2 });
    });
  });

  describe('results', () => {
    const evidence = (overrides: Partial<ResultsEvidence> = {}): ResultsEvidence => ({
      posted: new Map([['r1', ['p1', 'p2']]]),
      answers: new Map([['r1', { answers: 2, distinct: 1 }]]),
      results: [{ roomId: 'r1' }],
      history: [
        { roomId: 'r1', playerId: 'p1', mode: 'ffa3' },
        { roomId: 'r1', playerId: 'p2', mode: 'ffa3' },
      ],
      ratings: [
        { playerId: 'p1', mode: 'ffa3', games: 1 },
        { playerId: 'p2', mode: 'ffa3', games: 1 },
      ],
      ...overrides,
    });

    it('balances a result applied once, posted twice with the same answer', () => {
      expect(reconcileResults(evidence())).to.deep.equal({ posted: 1, repeats: 1, historyRows: 2, violations: [] });
    });

    it('flags a result not applied once, two answers to one result, a rating moved without a result, and games off their history', () => {
      const report = reconcileResults(
        evidence({
          posted: new Map([
            ['r1', ['p1', 'p2']],
            ['r2', ['p1', 'p3']],
          ]),
          answers: new Map([['r1', { answers: 2, distinct: 2 }]]),
          history: [
            { roomId: 'r1', playerId: 'p1', mode: 'ffa3' },
            { roomId: 'r1', playerId: 'p2', mode: 'ffa3' },
            { roomId: 'r9', playerId: 'p4', mode: 'ffa3' },
          ],
          ratings: [
            { playerId: 'p1', mode: 'ffa3', games: 2 },
            { playerId: 'p2', mode: 'ffa3', games: 1 },
            { playerId: 'p4', mode: 'ffa3', games: 1 },
          ],
        }),
      );
      expect(report.violations).to.have.deep.members([
        { roomId: 'r2', why: 'not-applied-once' },
        { roomId: 'r1', why: 'different-answers' },
        { roomId: 'r9', why: 'rating-without-result' },
        { playerId: 'p1', why: 'games-off' },
      ]);
    });
  });
});
