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
  /** v1.1: rooms per party make-up (`makeupOf`). */
  makeups?: Record<string, number>;
  /** v1.1 ready check: rooms proposed, and their outcomes so far (beside the matcher's Prometheus counters). */
  proposals?: ProposalCounts;
}

export interface ProposalCounts {
  proposed: number;
  accepted: number;
  declined: number;
  timedOut: number;
  /** Dissolved for another reason (a room of a party whose member left meanwhile, say). */
  other: number;
}

export const emptyProposals = (): ProposalCounts => ({ proposed: 0, accepted: 0, declined: 0, timedOut: 0, other: 0 });

/**
 * A room's party make-up: its tickets' sizes, largest first, joined by "+" ("2+1+1": a pair and
 * two solos; "1+1+1": three solos). A party's members share a `partyId`; a solo player has none.
 */
export function makeupOf(room: Pick<RoomEvent, 'players'>): string {
  const parties = new Map<string, number>();
  let solos = 0;
  for (const player of room.players) {
    if (player.partyId) parties.set(player.partyId, (parties.get(player.partyId) ?? 0) + 1);
    else solos++;
  }
  const sizes = [...parties.values(), ...Array.from({ length: solos }, () => 1)].sort((a, b) => b - a);
  return sizes.join('+');
}

/** Counts one ready-check step in. */
export function recordProposal(figures: RoomFigures, outcome: 'proposed' | 'accepted' | 'declined' | 'accept_timeout' | 'allocation_failed'): void {
  const counts = (figures.proposals ??= emptyProposals());
  if (outcome === 'proposed') counts.proposed++;
  else if (outcome === 'accepted') counts.accepted++;
  else if (outcome === 'declined') counts.declined++;
  else if (outcome === 'accept_timeout') counts.timedOut++;
  else counts.other++;
}

/** The bucket of `value`: [edges[i], edges[i+1]), the last one open-ended, below the first edge the first. */
export function bucketOf(value: number, edges: readonly number[]): number {
  let bucket = 0;
  while (bucket + 1 < edges.length && value >= edges[bucket + 1]!) bucket++;
  return bucket;
}

export function emptyFigures(since: number): RoomFigures {
  return {
    since,
    rooms: 0,
    waitCounts: WAIT_EDGES_S.map(() => 0),
    spreadCounts: SPREAD_EDGES.map(() => 0),
    recent: [],
    makeups: {},
    proposals: emptyProposals(),
  };
}

/** Counts one confirmed room in. */
export function recordRoom(figures: RoomFigures, room: RoomEvent, at: number): void {
  figures.rooms += 1;
  const makeup = makeupOf(room);
  const makeups = (figures.makeups ??= {});
  makeups[makeup] = (makeups[makeup] ?? 0) + 1;
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
