import type { FormedRoom } from '../../core/types.js';
import type { RoomEvent } from '../../common/messages.js';

/**
 * Turns a room the core formed into the contract's room event (pure): one player per seat. A
 * party ticket becomes its members, in the party's order, each with their own rating, the
 * party's id and the party's rating as `matchRating` (the rating the rule used); a solo ticket
 * has `partyId` null and its own rating as `matchRating`. `spread` is the core's, over ticket
 * ratings, so over matchRating.
 */
export function toRoomEvent(
  room: FormedRoom,
  pool: { mode: string; region: string },
  id: string,
  now: number,
  nameOf: (ticketId: string, playerId: string) => string,
): RoomEvent {
  return {
    v: 1,
    id,
    mode: pool.mode,
    region: pool.region,
    createdAt: new Date(now).toISOString(),
    spread: room.spread,
    players: room.tickets.flatMap((ticket, index) => {
      const seat = {
        ticketId: ticket.ticketId,
        team: room.teams[index]!,
        waitedMs: Math.max(0, Math.round(now - ticket.joinedAt)),
        partyId: ticket.partyId ?? null,
        matchRating: ticket.rating,
      };
      const members = ticket.members ?? [{ playerId: ticket.playerId, rating: ticket.rating }];
      return members.map((member) => ({
        playerId: member.playerId,
        ticketId: seat.ticketId,
        name: nameOf(ticket.ticketId, member.playerId),
        rating: member.rating,
        team: seat.team,
        waitedMs: seat.waitedMs,
        partyId: seat.partyId,
        matchRating: seat.matchRating,
      }));
    }),
  };
}

/** The room's tickets, each once, in the order of its players: what the Redis claim takes and its lost indexes refer to. */
export function ticketIdsOf(event: RoomEvent): string[] {
  return [...new Set(event.players.map((player) => player.ticketId))];
}
