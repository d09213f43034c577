import type { RoomEvent } from '../../common/messages.js';
import { imbalanceOf } from '../../core/teams.js';

/** The rows one room event becomes in the history tables (pure). */
export function roomRows(room: RoomEvent) {
  return {
    room: {
      id: room.id,
      mode: room.mode,
      region: room.region,
      created_at: room.createdAt,
      spread: Math.round(room.spread),
      imbalance: Math.round(teamImbalance(room)),
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

/**
 * Highest minus lowest team rating sum, as the rule counts them (each member at the rating the
 * rule used, matchRating; 0 with one team): for the history's column, since the event has only
 * the contract's fields.
 */
export function teamImbalance(room: RoomEvent): number {
  const teams = Math.max(...room.players.map((player) => player.team)) + 1;
  return imbalanceOf(
    room.players.map((player) => player.matchRating ?? player.rating),
    room.players.map((player) => player.team),
    teams,
  );
}
