// A namespace import, so that bundlers keep only what is used (`import { z }` drags in every locale: 450 kB).
import * as z from 'zod';

/**
 * Client to server: every frame a player may send. Each has `type` and may carry `id`
 * (a string or a number), which the server echoes in its reply.
 */

export const requestId = z.union([z.string().max(64), z.number().finite()]).optional();
export type RequestId = string | number;

/** Names and ids a player sends: bounded, so a frame's fields never cost more than the frame. */
const field = z.string().max(64);

export const clientFrameSchemas = {
  join: z.object({ type: z.literal('join'), id: requestId, mode: field, region: field }),
  leave: z.object({ type: z.literal('leave'), id: requestId }),
  'party.create': z.object({ type: z.literal('party.create'), id: requestId }),
  'party.join': z.object({ type: z.literal('party.join'), id: requestId, code: field }),
  'party.leave': z.object({ type: z.literal('party.leave'), id: requestId }),
  'party.kick': z.object({ type: z.literal('party.kick'), id: requestId, playerId: field }),
  accept: z.object({ type: z.literal('accept'), id: requestId, roomId: field }),
  decline: z.object({ type: z.literal('decline'), id: requestId, roomId: field }),
};

export type ClientFrameType = keyof typeof clientFrameSchemas;
export type ClientFrameOf<T extends ClientFrameType> = z.infer<(typeof clientFrameSchemas)[T]>;
export type ClientFrame = { [T in ClientFrameType]: ClientFrameOf<T> }[ClientFrameType];

export type JoinFrame = ClientFrameOf<'join'>;
export type LeaveFrame = ClientFrameOf<'leave'>;

export const CLIENT_FRAME_TYPES = Object.keys(clientFrameSchemas) as ClientFrameType[];
/** What a v1 gateway answers; anything else is `unknown_type` until its feature is turned on. */
export const V1_CLIENT_TYPES = ['join', 'leave'] as const satisfies readonly ClientFrameType[];
export const PARTY_CLIENT_TYPES = ['party.create', 'party.join', 'party.leave', 'party.kick'] as const satisfies readonly ClientFrameType[];
export const READY_CHECK_CLIENT_TYPES = ['accept', 'decline'] as const satisfies readonly ClientFrameType[];
