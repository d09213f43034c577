/**
 * What replay needs beside the pools for the ready check and allocation failures (contract
 * v1.1): who answers a proposal how and when, and a seeded draw for failing allocations.
 * Pure and seeded, so the same trace and options replay to the same output.
 */
import type { Seat } from './room-lifecycle.js';
import type { Ticket } from './types.js';

/** How a ticket answers its next proposal: a trace's `decline` / `silent` line, or accept (no line). */
export type Behaviour = 'accept' | 'decline' | 'silent';

/** One player's answer to a proposal, at virtual ms `at`. */
export interface Answer {
  at: number;
  type: 'accept' | 'decline' | 'leave';
  playerId: string;
}

/** A room's seats: one per player, a party's members each answering for themselves. */
export function seatsOf(tickets: readonly Ticket[]): Seat[] {
  return tickets.flatMap((ticket) =>
    ticket.members
      ? ticket.members.map((member) => ({ playerId: member.playerId, ticketId: ticket.ticketId }))
      : [{ playerId: ticket.playerId, ticketId: ticket.ticketId }],
  );
}

/**
 * A proposal's seats as its lifecycle sees them: keyed `ticketId#n` rather than by player id, so
 * that a trace holding one player in two live tickets (replay allows it; the live gateway
 * refuses it) still gives every seat its own answer. `players` maps each key to the player.
 */
export function proposalSeats(tickets: readonly Ticket[]): { seats: Seat[]; players: Map<string, string> } {
  const players = new Map<string, string>();
  const seats: Seat[] = [];
  for (const ticket of tickets) {
    (ticket.members ?? [ticket]).forEach((member, n) => {
      const key = `${ticket.ticketId}#${n}`;
      players.set(key, member.playerId);
      seats.push({ playerId: key, ticketId: ticket.ticketId });
    });
  }
  return { seats, players };
}

/**
 * The answers of a proposal made at `now`: a declining ticket's first player declines and a
 * silent ticket's players never answer; every other player accepts, all `acceptMs` after the
 * proposal (a decline comes when an accept would have: a player looks, then says no).
 */
export function answersOf(seats: readonly Seat[], behaviourOf: (ticketId: string) => Behaviour, now: number, acceptMs: number): Answer[] {
  const behaviours = new Map<string, Behaviour>();
  const answers: Answer[] = [];
  for (const seat of seats) {
    let behaviour = behaviours.get(seat.ticketId);
    const first = behaviour === undefined;
    if (first) behaviours.set(seat.ticketId, (behaviour = behaviourOf(seat.ticketId)));
    if (behaviour === 'silent') continue;
    answers.push({ at: now + acceptMs, type: behaviour === 'decline' && first ? 'decline' : 'accept', playerId: seat.playerId });
  }
  // The decline first: a party's other members accepting in the same instant must not make the room final.
  return answers.sort((a, b) => a.at - b.at || Number(b.type === 'decline') - Number(a.type === 'decline'));
}
