import { randomUUID } from 'node:crypto';
import type { RoomEvent } from '../../common/messages.js';

/** A final room event as the matcher makes it, with fresh ids. */
export function sampleRoom(players = 3): RoomEvent {
  return {
    v: 1,
    id: randomUUID(),
    mode: 'ffa3',
    region: 'eu',
    createdAt: new Date().toISOString(),
    spread: 24,
    imbalance: 0,
    players: Array.from({ length: players }, (_, index) => ({
      playerId: randomUUID(),
      ticketId: randomUUID(),
      name: `p${index}`,
      rating: 1500 + index * 12,
      team: 0,
      waitedMs: 900 + index,
    })),
  };
}

/** A room event of these seats in ffa3/global, fresh id, now, no spread: `fields` overrides any of it. */
export function roomWith<Seat>(players: Seat[], fields: { mode?: string; region?: string; spread?: number } = {}) {
  return { v: 1 as const, id: randomUUID(), mode: 'ffa3', region: 'global', createdAt: new Date().toISOString(), spread: 0, imbalance: 0, ...fields, players };
}
