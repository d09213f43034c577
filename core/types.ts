import type { FormedRooms } from './formed-rooms.js';

/**
 * The matching core's vocabulary. Everything under core/ is pure: no I/O, no timers,
 * no randomness, so the live matcher and the replay simulator run the same code.
 */

/** How a pool's acceptable rating gap grows while a ticket waits. */
export interface WindowRule {
  /** Window at zero wait, in rating points. */
  initial: number;
  /** Growth per second waited. */
  perSecond: number;
  /** Upper bound; Infinity when the rule has none. */
  max: number;
}

/** How a mode takes parties (contract v1.1, "Mode options"); absent: parties up to teamSize, rated by their average. */
export interface PartyRule {
  /** Largest party this mode takes, 1 … teamSize. */
  maxSize: number;
  /** A party's rating: the average or the highest of its members' ratings, rounded. */
  aggregate: 'avg' | 'max';
}

/** The rule of one game mode (contract: "Matchmaking rule"). */
export interface ModeRule {
  teams: number;
  teamSize: number;
  window: WindowRule;
  maxWaitSeconds: number;
  /** Only when MATCH_CONFIG sets `party`; core/party.ts gives the defaults otherwise. */
  party?: PartyRule;
  /** Ready check (contract v1.1): absent, rooms are final at once, exactly as in v1. */
  accept?: AcceptRule;
}

/** A mode's ready check: every player accepts a proposed room within `seconds`, or it dissolves. */
export interface AcceptRule {
  seconds: number;
  /** A player who declined or stayed silent may not join again this long (0: no cooldown). */
  cooldownSeconds: number;
}

export interface MatchConfig {
  regions: string[];
  modes: Record<string, ModeRule>;
}

/** One player of a party ticket, at their own rating in the ticket's mode. */
export interface PartyMember {
  playerId: string;
  rating: number;
}

/**
 * A waiting request as the core sees it. A solo ticket is one player; a party ticket is its
 * members, indivisible: `rating` is then the party's (core/party.ts) and is the only rating the
 * rule and the team split use, each member counted at it.
 */
export interface Ticket {
  ticketId: string;
  /** The player (solo), or the party member who queued it. */
  playerId: string;
  rating: number;
  /** Milliseconds on the caller's clock (epoch ms live, virtual ms in replay). */
  joinedAt: number;
  /** A party ticket's members, in the party's order (absent: a solo ticket, one player). */
  members?: readonly PartyMember[];
  partyId?: string;
}

/**
 * A room the core formed: tickets with their team, valid at the tick that formed it. With
 * party tickets a room holds fewer tickets than players (their sizes add up to T × S).
 */
export interface FormedRoom {
  /** Ordered by team, then rating descending. */
  tickets: Ticket[];
  /** Team index per ticket, parallel to `tickets`. */
  teams: number[];
  /** Highest minus lowest ticket rating. */
  spread: number;
  /** Highest minus lowest team rating sum, each player at its ticket's rating (0 with one team). */
  imbalance: number;
}

export interface TickResult {
  /** Flat (core/formed-rooms.ts): `room(r)` or iterating builds FormedRoom objects on demand. */
  rooms: FormedRooms;
  /** Tickets that reached maxWaitSeconds unmatched, now ended with `timeout`. */
  expired: Ticket[];
}
