// A namespace import, so that bundlers keep only what is used (`import { z }` drags in every locale: 450 kB).
import * as z from 'zod';

/**
 * The room as a player sees it in `matched`: the room event of `matchq.rooms` without its
 * `v`. v1.1 adds `partyId` and `matchRating` per player and, with an allocator, `server`.
 */

export const roomPlayerSchema = z.object({
  playerId: z.string(),
  ticketId: z.string(),
  name: z.string(),
  /** The player's own rating. */
  rating: z.number(),
  team: z.number().int().nonnegative(),
  waitedMs: z.number().int().nonnegative(),
  /** v1.1: the party the player came with; null for a solo ticket. */
  partyId: z.string().nullable().optional(),
  /** v1.1: the rating the rule used (the party's for a party member). */
  matchRating: z.number().optional(),
});
export type RoomPlayer = z.infer<typeof roomPlayerSchema>;

/** v1.1, with an allocator: every field the allocator answered, `address` at least. */
export const gameServerSchema = z.looseObject({ address: z.string() });
export type GameServer = z.infer<typeof gameServerSchema>;

export const roomSchema = z.object({
  id: z.string(),
  mode: z.string(),
  region: z.string(),
  createdAt: z.string(),
  /** Highest minus lowest rating the rule used. */
  spread: z.number(),
  /** Largest gap between two teams' rating sums: sent by gateways before 2026-12-04 only (compute it from `players`). */
  imbalance: z.number().optional(),
  players: z.array(roomPlayerSchema).min(1),
  server: gameServerSchema.optional(),
});
export type Room = z.infer<typeof roomSchema>;
