import type { RoomLifeEvent, Seat } from '../../core/room-lifecycle.js';

/**
 * The cases the pure room lifecycle and the Redis script are both run through: a room of a
 * party ticket (p1, p2 on t1) and a solo ticket (p3 on t2), brought to each phase by a
 * sequence of events, and every kind of event applied to it.
 */
export const SEATS: Seat[] = [
  { playerId: 'p1', ticketId: 't1' },
  { playerId: 'p2', ticketId: 't1' },
  { playerId: 'p3', ticketId: 't2' },
];
export const DEADLINE = 10_000;
const BEFORE = 5_000;
const AFTER = 10_001;

const accept = (playerId: string, now = BEFORE): RoomLifeEvent => ({ type: 'accept', playerId, now });

/** How to reach each phase from a fresh proposal. */
export const PHASES: Record<string, RoomLifeEvent[]> = {
  'proposed (p1 accepted)': [accept('p1')],
  'proposed (only p3 silent)': [accept('p1'), accept('p2')],
  final: [accept('p1'), accept('p2'), accept('p3')],
  allocating: [accept('p1'), accept('p2'), accept('p3'), { type: 'allocate' }],
  announced: [accept('p1'), accept('p2'), accept('p3'), { type: 'announce' }],
  dissolved: [accept('p1'), { type: 'decline', playerId: 'p3', now: BEFORE }],
};

/** Every kind of event, with the player who is silent in the first phase where it matters. */
export const EVENTS: Record<string, RoomLifeEvent> = {
  'accept by a silent player': accept('p3'),
  'accept again': accept('p1'),
  'accept by a stranger': accept('px'),
  'accept after the deadline': accept('p3', AFTER),
  'decline by a silent player': { type: 'decline', playerId: 'p3', now: BEFORE },
  'decline after accepting': { type: 'decline', playerId: 'p1', now: BEFORE },
  'leave after accepting': { type: 'leave', playerId: 'p1', now: BEFORE },
  'leave by a silent player': { type: 'leave', playerId: 'p3', now: BEFORE },
  'leave by a stranger': { type: 'leave', playerId: 'px', now: BEFORE },
  'expire before the deadline': { type: 'expire', now: DEADLINE },
  'expire after the deadline': { type: 'expire', now: AFTER },
  allocate: { type: 'allocate' },
  'allocation failed': { type: 'allocation_failed' },
  announce: { type: 'announce' },
};
