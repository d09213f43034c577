import type { RoomEvent } from '../../common/messages.js';

/** The rows one room event becomes in the history tables (pure). */
export function roomRows(room: RoomEvent) {
  return {
    room: {
      id: room.id,
      mode: room.mode,
      region: room.region,
      created_at: room.createdAt,
      spread: Math.round(room.spread),
      imbalance: Math.round(room.imbalance),
      size: room.players.length,
      event: JSON.stringify(room),
    },
    players: room.players.map((player) => ({
      room_id: room.id,
      player_id: player.playerId,
      ticket_id: player.ticketId,
      name: player.name,
      rating: Math.round(player.rating),
      team: player.team,
      waited_ms: player.waitedMs,
      party_id: player.partyId ?? null,
      match_rating: Math.round(player.matchRating ?? player.rating),
    })),
  };
}
