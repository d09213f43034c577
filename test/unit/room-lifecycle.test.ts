import { expect } from 'chai';
import fc from 'fast-check';
import {
  finalRoom,
  propose,
  ROOM_EVENT_TYPES,
  ROOM_PHASES,
  step,
  ticketStates,
  ticketsOf,
  type RoomLife,
  type RoomLifeEvent,
} from '../../core/room-lifecycle.js';
import { DEADLINE, EVENTS, PHASES, SEATS } from '../support/room-lifecycle-cases.js';

const reach = (events: RoomLifeEvent[]) =>
  events.reduce(
    (room, event) => {
      const result = step(room, event);
      if (!result.ok) throw new Error(`cannot reach: ${event.type} refused (${result.reason})`);
      return result.room;
    },
    propose(SEATS, DEADLINE),
  );

/** What each phase × event gives: `phase` moved to, or `!refusal`; dissolutions as `dissolved:reason:ended/requeued`. */
const EXPECTED: Record<string, string[]> = {
  //                            accept-silent     accept-again   stranger       late           decline-silent                 decline-accepted leave-accepted                 leave-silent                   leave-stranger expire-early  expire-late                              allocate        alloc-failed                                announce
  'proposed (p1 accepted)': [
    'proposed',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    'dissolved:declined:t2/t1',
    '!not_pending',
    'dissolved:declined:t1/t2',
    'dissolved:declined:t2/t1',
    '!not_pending',
    '!not_due',
    'dissolved:accept_timeout:t1,t2/',
    '!wrong_phase',
    '!wrong_phase',
    '!wrong_phase',
  ],
  'proposed (only p3 silent)': [
    'final',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    'dissolved:declined:t2/t1',
    '!not_pending',
    'dissolved:declined:t1/t2',
    'dissolved:declined:t2/t1',
    '!not_pending',
    '!not_due',
    'dissolved:accept_timeout:t2/t1',
    '!wrong_phase',
    '!wrong_phase',
    '!wrong_phase',
  ],
  final: [
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!wrong_phase',
    '!wrong_phase',
    'allocating',
    '!wrong_phase',
    'announced',
  ],
  allocating: [
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!wrong_phase',
    '!wrong_phase',
    '!wrong_phase',
    'dissolved:allocation_failed:/t1,t2',
    'announced',
  ],
  announced: [
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!wrong_phase',
    '!wrong_phase',
    '!wrong_phase',
    '!wrong_phase',
    '!wrong_phase',
  ],
  dissolved: [
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!not_pending',
    '!wrong_phase',
    '!wrong_phase',
    '!wrong_phase',
    '!wrong_phase',
    '!wrong_phase',
  ],
};

function describeStep(room: RoomLife, event: RoomLifeEvent): string {
  const result = step(room, event);
  if (!result.ok) return `!${result.reason}`;
  const { phase, dissolved } = result.room;
  return dissolved && room.phase !== 'dissolved' ? `${phase}:${dissolved.reason}:${dissolved.ended.join(',')}/${dissolved.requeued.join(',')}` : phase;
}

describe('room lifecycle (pure state machine)', () => {
  it('covers every phase and every kind of event', () => {
    const phases = new Set(Object.values(PHASES).map((events) => reach(events).phase));
    expect([...phases].sort()).to.deep.equal([...ROOM_PHASES].sort());
    expect([...new Set(Object.values(EVENTS).map((event) => event.type))].sort()).to.deep.equal([...ROOM_EVENT_TYPES].sort());
  });

  for (const [phaseName, events] of Object.entries(PHASES)) {
    it(`${phaseName}: every event gives what the table says`, () => {
      const room = reach(events);
      const got = Object.values(EVENTS).map((event) => describeStep(room, event));
      expect(Object.fromEntries(Object.keys(EVENTS).map((name, index) => [name, got[index]]))).to.deep.equal(
        Object.fromEntries(Object.keys(EVENTS).map((name, index) => [name, EXPECTED[phaseName]![index]])),
      );
    });
  }

  it('leaves a refused room exactly as it was', () => {
    for (const events of Object.values(PHASES)) {
      const room = reach(events);
      for (const event of Object.values(EVENTS)) {
        const result = step(room, event);
        if (!result.ok) expect(result.room).to.equal(room);
      }
    }
  });

  it('says what each ticket becomes: proposed, matched once final, queued or ended once dissolved', () => {
    expect([...ticketStates(propose(SEATS, DEADLINE))]).to.deep.equal([
      ['t1', 'proposed'],
      ['t2', 'proposed'],
    ]);
    expect([...ticketStates(reach(PHASES.final!))]).to.deep.equal([
      ['t1', 'matched'],
      ['t2', 'matched'],
    ]);
    expect([...ticketStates(reach(PHASES.dissolved!))]).to.deep.equal([
      ['t1', 'queued'],
      ['t2', 'declined'],
    ]);
    const timedOut = step(reach(PHASES['proposed (p1 accepted)']!), { type: 'expire', now: DEADLINE + 1 });
    expect([...ticketStates(timedOut.room)]).to.deep.equal([
      ['t1', 'accept_timeout'],
      ['t2', 'accept_timeout'],
    ]);
  });

  it('starts a room without a ready check final, ready to announce', () => {
    const room = finalRoom(SEATS);
    expect(room.phase).to.equal('final');
    expect(step(room, { type: 'announce' }).room.phase).to.equal('announced');
    expect(step(room, { type: 'accept', playerId: 'p1', now: 0 }).ok).to.equal(false);
  });

  it('over any run of events: terminal phases never change, each ticket ends or goes back exactly once, finals had every accept', () => {
    const player = fc.constantFrom('p1', 'p2', 'p3', 'px');
    const event: fc.Arbitrary<RoomLifeEvent> = fc.oneof(
      fc.record({
        type: fc.constantFrom('accept' as const, 'decline' as const, 'leave' as const),
        playerId: player,
        now: fc.integer({ min: 0, max: 2 * DEADLINE }),
      }),
      fc.record({ type: fc.constant('expire' as const), now: fc.integer({ min: 0, max: 2 * DEADLINE }) }),
      fc.record({ type: fc.constantFrom('allocate' as const, 'allocation_failed' as const, 'announce' as const) }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 12 }), (events) => {
        let room = propose(SEATS, DEADLINE);
        for (const next of events) {
          const before = room;
          room = step(room, next).room;
          if (before.phase === 'announced' || before.phase === 'dissolved') expect(room).to.equal(before);
          if (room.phase === 'dissolved') {
            const { ended, requeued } = room.dissolved!;
            expect([...ended, ...requeued].sort()).to.deep.equal(ticketsOf(room).sort());
          }
          if (room.phase === 'final') expect([...room.accepted].sort()).to.deep.equal(['p1', 'p2', 'p3']);
          expect(new Set(room.accepted).size).to.equal(room.accepted.length);
        }
      }),
      { numRuns: 500 },
    );
  });
});
