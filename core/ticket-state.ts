/**
 * A ticket's life as a pure transition function. It is the single reference the services'
 * Redis scripts mirror: one `queued` state, three terminal ones, and every other move refused.
 */

/**
 * Every state a ticket can be in, the one declaration (common/ticket-store.ts re-exports it).
 * `proposed`, `declined` and `accept_timeout` come only from a ready check (common/proposal-store.ts),
 * `allocation_failed` only from an allocator (common/allocation-store.ts); for the three events
 * below, as for the Lua scripts, every state but `queued` has ended.
 */
export type TicketState = 'queued' | 'proposed' | 'matched' | 'cancelled' | 'timeout' | 'declined' | 'accept_timeout' | 'allocation_failed';
export type TicketEvent = 'match' | 'leave' | 'expire';

export type Transition =
  | { ok: true; state: TicketState }
  /** The ticket already ended; the event lost a race (e.g. a `leave` after the room formed). */
  | { ok: false; reason: 'ended'; state: TicketState; event: TicketEvent };

const ENDS: Record<TicketEvent, TicketState> = { match: 'matched', leave: 'cancelled', expire: 'timeout' };

export function isTerminal(state: TicketState): boolean {
  return state !== 'queued';
}

export function transition(state: TicketState, event: TicketEvent): Transition {
  if (state === 'queued') return { ok: true, state: ENDS[event] };
  return { ok: false, reason: 'ended', state, event };
}
