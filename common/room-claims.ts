import type { RoomEvent } from './messages.js';
import type { TicketState } from './ticket-store.js';

/** The one read a room's check needs: per ticket of a pool, its state and room (TicketStore.states). */
export interface ClaimReader {
  states(mode: string, region: string, ticketIds: string[]): Promise<{ state: TicketState | null; roomId: string | null }[]>;
}

/**
 * Why a room event was not claimed by a matcher, or null when it was: every one of its tickets
 * must be held by Redis as matched to this very room id (claim-room.lua writes that before the
 * matcher publishes). Anyone who may publish on the rooms exchange can forge an event; no one
 * but a matcher's claim makes Redis agree with it.
 */
export async function unclaimedReason(reader: ClaimReader, room: RoomEvent): Promise<string | null> {
  const ticketIds = room.players.map((player) => player.ticketId);
  const states = await reader.states(room.mode, room.region, ticketIds);
  const index = states.findIndex(({ state, roomId }) => state !== 'matched' || roomId !== room.id);
  if (index < 0) return null;
  const { state, roomId } = states[index]!;
  const what = state === null ? 'unknown to Redis' : state === 'matched' ? `matched to room ${roomId}` : state;
  return `room not claimed by a matcher: ticket ${ticketIds[index]} is ${what}`;
}
