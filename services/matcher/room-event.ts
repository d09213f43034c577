import type { FormedRoom } from '../../core/types.js';
import type { RoomEvent } from '../../common/messages.js';

/** Turns a room the core formed into the contract's room event v1 (pure). */
export function toRoomEvent(room: FormedRoom, pool: { mode: string; region: string }, id: string, now: number, nameOf: (ticketId: string) => string): RoomEvent {
  return {
    v: 1,
    id,
    mode: pool.mode,
    region: pool.region,
    createdAt: new Date(now).toISOString(),
    spread: room.spread,
    imbalance: room.imbalance,
    players: room.tickets.map((ticket, index) => ({
      playerId: ticket.playerId,
      ticketId: ticket.ticketId,
      name: nameOf(ticket.ticketId),
      rating: ticket.rating,
      team: room.teams[index]!,
      waitedMs: Math.max(0, Math.round(now - ticket.joinedAt)),
    })),
  };
}
