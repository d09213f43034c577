/**
 * What both room formers share: the policy knobs (core/form-rooms.ts explains them) and the
 * shape of a tick's outcome. Its own file so the solo former and the party former
 * (core/party-rooms.ts) import it without importing each other.
 */
import type { FormedRooms } from './formed-rooms.js';
import type { Ticket } from './types.js';

/** The knobs of the wait-versus-spread trade-off (see the top and docs/matching.md). */
export interface FormingPolicy {
  /** Tickets that have waited this share of maxWaitSeconds are served first, oldest first. */
  priorityAfter: number;
  /**
   * A priority ticket that has no room holds back the players of its most promising room when
   * their windows will cover that room within this time, so they are still there when it fits.
   */
  holdHorizonMs: number;
  /**
   * Only priority tickets that have waited this share of maxWaitSeconds hold players back. A held
   * player waits, which is most of what the priority pass costs the median and p95; the tail is
   * made of the tickets that wait longest, so holds are kept for them.
   */
  holdAfter: number;
  /**
   * Bulk: where overlapping runs are all allowed, one higher than the lowest is taken only if
   * the player it leaves out has a room this much sooner than the one the lowest would leave
   * out (Prospect). Infinity: always the lowest, as the baseline.
   */
  overlapGainMs: number;
  /**
   * Skip pass: a room may pass over a free player only if that player still has a room within
   * this much more wait once the room is gone. Negative: no skip pass.
   */
  skipSlackMs: number;
}

/** Tuned on the bench's traces over many seeds (docs/matching.md). */
export const DEFAULT_POLICY: FormingPolicy = { priorityAfter: 0.2, holdHorizonMs: 5_000, holdAfter: 0.3, overlapGainMs: 1_000, skipSlackMs: 2_000 };

/** What became of each ticket index at a tick. */
export const KEPT = 0;
export const MATCHED = 1;
export const EXPIRED = 2;

export interface TickOutcome {
  rooms: FormedRooms;
  /** Expired tickets, oldest first. */
  expired: Ticket[];
  /** KEPT, MATCHED or EXPIRED per input index (valid for [0, n) until the next run). */
  fate: Uint8Array;
}
