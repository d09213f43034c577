import type { RoomEvent } from './messages.js';

/**
 * What a matcher has formed since it started, as counts: rooms, and players per wait and per
 * spread bucket, plus the last few rooms. It rides in the matcher's heartbeat, so the
 * dashboard of any gateway sees every room without a queue of its own on `matchq.rooms`.
 */

/** Wait-time bucket edges in seconds; the last bucket is open-ended. */
export const WAIT_EDGES_S = [0, 1, 2, 5, 10, 20, 30, 60, 120, 300];
/** Spread bucket edges in rating points; the last bucket is open-ended. */
export const SPREAD_EDGES = [0, 10, 25, 50, 100, 200, 400, 800];
/** How many of its latest rooms a matcher reports. */
export const RECENT_ROOMS = 8;

export interface RecentRoom {
  at: number;
  pool: string;
  spread: number;
  players: number;
  meanWaitMs: number;
}

export interface RoomFigures {
  /** When the counting started (the matcher's start): a new value means the counts restarted. */
  since: number;
  rooms: number;
  /** Players per wait bucket (WAIT_EDGES_S). */
  waitCounts: number[];
  /** Rooms per spread bucket (SPREAD_EDGES). */
  spreadCounts: number[];
  /** Newest first. */
  recent: RecentRoom[];
}

/** The bucket of `value`: [edges[i], edges[i+1]), the last one open-ended, below the first edge the first. */
export function bucketOf(value: number, edges: readonly number[]): number {
  let bucket = 0;
  while (bucket + 1 < edges.length && value >= edges[bucket + 1]!) bucket++;
  return bucket;
}

export function emptyFigures(since: number): RoomFigures {
  return { since, rooms: 0, waitCounts: WAIT_EDGES_S.map(() => 0), spreadCounts: SPREAD_EDGES.map(() => 0), recent: [] };
}

/** Counts one confirmed room in. */
export function recordRoom(figures: RoomFigures, room: RoomEvent, at: number): void {
  figures.rooms += 1;
  figures.spreadCounts[bucketOf(room.spread, SPREAD_EDGES)]! += 1;
  let waited = 0;
  for (const player of room.players) {
    figures.waitCounts[bucketOf(player.waitedMs / 1000, WAIT_EDGES_S)]! += 1;
    waited += player.waitedMs;
  }
  figures.recent.unshift({
    at,
    pool: `${room.mode}.${room.region}`,
    spread: room.spread,
    players: room.players.length,
    meanWaitMs: Math.round(waited / room.players.length),
  });
  figures.recent.length = Math.min(figures.recent.length, RECENT_ROOMS);
}
