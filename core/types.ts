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

/** The rule of one game mode (contract: "Matchmaking rule"). */
export interface ModeRule {
  teams: number;
  teamSize: number;
  window: WindowRule;
  maxWaitSeconds: number;
}

export interface MatchConfig {
  regions: string[];
  modes: Record<string, ModeRule>;
}

/** A waiting request as the core sees it. */
export interface Ticket {
  ticketId: string;
  playerId: string;
  rating: number;
  /** Milliseconds on the caller's clock (epoch ms live, virtual ms in replay). */
  joinedAt: number;
}

/** A room the core formed: tickets with their team, valid at the tick that formed it. */
export interface FormedRoom {
  /** Ordered by team, then rating descending. */
  tickets: Ticket[];
  /** Team index per ticket, parallel to `tickets`. */
  teams: number[];
  /** Highest minus lowest rating. */
  spread: number;
  /** Highest minus lowest team rating sum (0 with one team). */
  imbalance: number;
}

export interface TickResult {
  /** Flat (core/formed-rooms.ts): `room(r)` or iterating builds FormedRoom objects on demand. */
  rooms: FormedRooms;
  /** Tickets that reached maxWaitSeconds unmatched, now ended with `timeout`. */
  expired: Ticket[];
}
