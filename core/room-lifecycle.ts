/**
 * A room's life as a pure transition function, the reference the Redis script
 * (common/lua/step-room.lua) mirrors:
 *
 *   proposed ──every player accepts──▶ final ──allocate──▶ allocating ──announce──▶ announced
 *      │                                 └──────────────announce──────────────────────┘
 *      └──decline / leave / expire──▶ dissolved ◀──allocation_failed── allocating
 *
 * A room of a mode without a ready check starts final. Players answer one by one (a party's
 * ticket has several players, each answering for themselves); a ticket ends if any of its
 * players declined or stayed silent, every other ticket of a dissolved room goes back to its
 * pool. Time comes in with the events, so the machine stays pure and replayable.
 */

export type RoomPhase = 'proposed' | 'final' | 'allocating' | 'announced' | 'dissolved';
export const ROOM_PHASES: readonly RoomPhase[] = ['proposed', 'final', 'allocating', 'announced', 'dissolved'];

export type DissolveReason = 'declined' | 'accept_timeout' | 'allocation_failed';

/** One player's place in a room; several seats share a ticket when it is a party's. */
export interface Seat {
  playerId: string;
  ticketId: string;
}

export type RoomEventType = 'accept' | 'decline' | 'leave' | 'expire' | 'allocate' | 'allocation_failed' | 'announce';
export const ROOM_EVENT_TYPES: readonly RoomEventType[] = ['accept', 'decline', 'leave', 'expire', 'allocate', 'allocation_failed', 'announce'];

export type RoomLifeEvent =
  /** A player's answer; `leave` is a decline that also counts after the player accepted. */
  | { type: 'accept' | 'decline' | 'leave'; playerId: string; now: number }
  /** The deadline check: dissolves a proposal whose deadline has passed with someone silent. */
  | { type: 'expire'; now: number }
  | { type: 'allocate' | 'allocation_failed' | 'announce' };

export interface RoomLife {
  phase: RoomPhase;
  seats: readonly Seat[];
  /** Epoch ms after which no answer counts; only meaningful while proposed. */
  deadline: number;
  /** Players who accepted, in the order they did. */
  accepted: readonly string[];
  /** Once dissolved: why, the tickets that ended, and those that went back to their pool. */
  dissolved?: { reason: DissolveReason; ended: string[]; requeued: string[] };
}

export type Refusal =
  /** An answer for a room that is not pending for that player, or a second answer. */
  | 'not_pending'
  /** An event that does not apply to the room's phase. */
  | 'wrong_phase'
  /** An expiry check before the deadline. */
  | 'not_due';

export type RoomStep = { ok: true; room: RoomLife } | { ok: false; reason: Refusal; room: RoomLife };

export function propose(seats: readonly Seat[], deadline: number): RoomLife {
  return { phase: 'proposed', seats, deadline, accepted: [] };
}

/** A room of a mode without a ready check: final from the start. */
export function finalRoom(seats: readonly Seat[]): RoomLife {
  return { phase: 'final', seats, deadline: 0, accepted: [] };
}

/** The room's tickets, each once, in seat order. */
export function ticketsOf(room: Pick<RoomLife, 'seats'>): string[] {
  return [...new Set(room.seats.map((seat) => seat.ticketId))];
}

/** The room dissolved for `reason`: the tickets of `endedPlayers` end, every other goes back to its pool. */
export function dissolve(room: RoomLife, reason: DissolveReason, endedPlayers: readonly string[]): RoomLife {
  const ended = new Set(room.seats.filter((seat) => endedPlayers.includes(seat.playerId)).map((seat) => seat.ticketId));
  const tickets = ticketsOf(room);
  return { ...room, phase: 'dissolved', dissolved: { reason, ended: tickets.filter((t) => ended.has(t)), requeued: tickets.filter((t) => !ended.has(t)) } };
}

export function step(room: RoomLife, event: RoomLifeEvent): RoomStep {
  const refuse = (reason: Refusal): RoomStep => ({ ok: false, reason, room });
  const next = (changed: RoomLife): RoomStep => ({ ok: true, room: changed });
  switch (event.type) {
    case 'accept':
    case 'decline':
    case 'leave': {
      const member = room.seats.some((seat) => seat.playerId === event.playerId);
      if (room.phase !== 'proposed' || !member || event.now > room.deadline) return refuse('not_pending');
      const answered = room.accepted.includes(event.playerId);
      if (event.type === 'leave') return next(dissolve(room, 'declined', [event.playerId]));
      if (answered) return refuse('not_pending');
      if (event.type === 'decline') return next(dissolve(room, 'declined', [event.playerId]));
      const accepted = [...room.accepted, event.playerId];
      return next({ ...room, accepted, phase: accepted.length === room.seats.length ? 'final' : 'proposed' });
    }
    case 'expire': {
      if (room.phase !== 'proposed') return refuse('wrong_phase');
      if (event.now <= room.deadline) return refuse('not_due');
      return next(
        dissolve(
          room,
          'accept_timeout',
          room.seats.map((seat) => seat.playerId).filter((player) => !room.accepted.includes(player)),
        ),
      );
    }
    case 'allocate':
      return room.phase === 'final' ? next({ ...room, phase: 'allocating' }) : refuse('wrong_phase');
    case 'allocation_failed':
      return room.phase === 'allocating' ? next(dissolve(room, 'allocation_failed', [])) : refuse('wrong_phase');
    case 'announce':
      return room.phase === 'final' || room.phase === 'allocating' ? next({ ...room, phase: 'announced' }) : refuse('wrong_phase');
  }
}

/** Each ticket's state as the room leaves it (what the ticket hashes in Redis must say). */
export function ticketStates(room: RoomLife): Map<string, 'proposed' | 'matched' | 'queued' | 'declined' | 'accept_timeout'> {
  const states = new Map<string, 'proposed' | 'matched' | 'queued' | 'declined' | 'accept_timeout'>();
  for (const ticketId of ticketsOf(room)) {
    if (room.phase === 'proposed') states.set(ticketId, 'proposed');
    else if (room.phase !== 'dissolved') states.set(ticketId, 'matched');
    else {
      const { reason, ended } = room.dissolved!;
      states.set(ticketId, !ended.includes(ticketId) ? 'queued' : reason === 'accept_timeout' ? 'accept_timeout' : 'declined');
    }
  }
  return states;
}
