// A namespace import, so that bundlers keep only what is used (`import { z }` drags in every locale: 450 kB).
import * as z from 'zod';
import { requestId } from './client-frames.js';
import { ERROR_CODES, LEFT_REASONS, REQUEUE_REASONS } from './errors.js';
import { roomSchema } from './room.js';

/**
 * Server to client: every frame a gateway sends. Replies echo the request's `id`. Clients
 * ignore frame types they do not know; the v1.1 ones reach a client only from features an
 * operator turned on.
 */

const playerSchema = z.object({
  id: z.string(),
  name: z.string(),
  rating: z.number(),
  /** v1.1: the player's current rating in every mode. */
  ratings: z.record(z.string(), z.number()).optional(),
});

export const partySchema = z.object({
  id: z.string(),
  /** 6 characters from ABCDEFGHJKLMNPQRSTUVWXYZ23456789; what friends type to join. */
  code: z.string(),
  /** A player id. */
  leader: z.string(),
  /** In the order they joined; `rating` is each member's base rating. */
  members: z.array(z.object({ id: z.string(), name: z.string(), rating: z.number() })),
});
export type Party = z.infer<typeof partySchema>;

const errorBase = { type: z.literal('error'), message: z.string(), id: requestId };
/** `cooling_down` says when a join may come again; every other code carries code and message only. */
export const errorFrameSchema = z.union([
  z.object({ ...errorBase, code: z.literal('cooling_down'), retryInMs: z.number().int().nonnegative() }),
  z.object({ ...errorBase, code: z.enum(ERROR_CODES).exclude(['cooling_down']) }),
]);

export const serverFrameSchemas = {
  hello: z.object({ type: z.literal('hello'), player: playerSchema, modes: z.array(z.string()), regions: z.array(z.string()) }),
  /** Join accepted: the request is durably in the broker. A party's members share the ticket. */
  queued: z.object({ type: z.literal('queued'), ticketId: z.string(), mode: z.string(), region: z.string(), rating: z.number(), id: requestId }),
  /** About once a second while waiting; `window` is the rating gap acceptable now. */
  searching: z.object({ type: z.literal('searching'), ticketId: z.string(), waitedMs: z.number().int().nonnegative(), window: z.number() }),
  /** Once per ticket; `joinToken` (v1.1) is a JWT for the room's game server, with an allocator. */
  matched: z.object({ type: z.literal('matched'), ticketId: z.string(), room: roomSchema, joinToken: z.string().optional() }),
  left: z.object({ type: z.literal('left'), ticketId: z.string(), reason: z.enum(LEFT_REASONS), id: requestId }),
  error: errorFrameSchema,
  /** v1.1: your party after every change, and after `hello` when you are in one; null: you are in none. */
  party: z.object({ type: z.literal('party'), party: partySchema.nullable(), id: requestId }),
  /** v1.1 ready check: a room is proposed; answer `accept` or `decline` within `expiresInMs`. */
  found: z.object({
    type: z.literal('found'),
    ticketId: z.string(),
    roomId: z.string(),
    expiresInMs: z.number().int().nonnegative(),
    players: z.array(z.object({ id: z.string(), name: z.string() })),
  }),
  /** v1.1 ready check: counts, after each accept. */
  ready: z.object({
    type: z.literal('ready'),
    roomId: z.string(),
    accepted: z.number().int().nonnegative(),
    total: z.number().int().positive(),
    id: requestId,
  }),
  /** v1.1: the proposed room fell through, not because of you; your ticket is back in its pool. */
  requeued: z.object({ type: z.literal('requeued'), ticketId: z.string(), reason: z.enum(REQUEUE_REASONS) }),
};

export type ServerFrameType = keyof typeof serverFrameSchemas;
export type ServerFrameOf<T extends ServerFrameType> = z.infer<(typeof serverFrameSchemas)[T]>;
export type ServerFrame = { [T in ServerFrameType]: ServerFrameOf<T> }[ServerFrameType];

export type HelloFrame = ServerFrameOf<'hello'>;
export type QueuedFrame = ServerFrameOf<'queued'>;
export type SearchingFrame = ServerFrameOf<'searching'>;
export type MatchedFrame = ServerFrameOf<'matched'>;
export type LeftFrame = ServerFrameOf<'left'>;
export type ErrorFrame = ServerFrameOf<'error'>;
export type PartyFrame = ServerFrameOf<'party'>;
export type FoundFrame = ServerFrameOf<'found'>;
export type ReadyFrame = ServerFrameOf<'ready'>;
export type RequeuedFrame = ServerFrameOf<'requeued'>;

export const SERVER_FRAME_TYPES = Object.keys(serverFrameSchemas) as ServerFrameType[];
