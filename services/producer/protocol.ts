import { z } from 'zod';
import type { RoomEvent } from '../../common/messages.js';

/** WebSocket protocol v1 (docs/protocol.md): what players send and what they are told. */

export const MAX_FRAME_BYTES = 4096;
/** Close codes: 1001 going away (shutdown), 1009 frame too big (ws), 4000 replaced by a newer socket. */
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_REPLACED = 4000;

export const ERROR_CODES = ['bad_request', 'unknown_type', 'unknown_mode', 'unknown_region', 'already_queued', 'not_queued', 'rate_limited', 'unavailable'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const requestId = z.union([z.string().max(64), z.number().finite()]).optional();
const envelope = z.object({ type: z.string().min(1).max(32), id: requestId });
const join = z.object({ type: z.literal('join'), id: requestId, mode: z.string().max(64), region: z.string().max(64) });
const leave = z.object({ type: z.literal('leave'), id: requestId });

export type ClientMessage = z.infer<typeof join> | z.infer<typeof leave>;

export type ParsedFrame =
  | { ok: true; message: ClientMessage }
  | { ok: false; id?: string | number; code: ErrorCode; message: string };

const isRequestId = (id: unknown) => id === undefined || (typeof id === 'string' && id.length <= 64) || (typeof id === 'number' && Number.isFinite(id));
const isField = (value: unknown) => typeof value === 'string' && value.length <= 64;

/**
 * The frames players send all day (a well-formed join or leave) checked by hand: the same
 * rules as the schemas, at a fraction of their cost. Anything else goes through zod,
 * which also words the error.
 */
function fastPath(json: unknown): ClientMessage | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const { type, id, mode, region } = json as Record<string, unknown>;
  if (!isRequestId(id)) return undefined;
  const withId = id === undefined ? {} : { id: id as string | number };
  if (type === 'join' && isField(mode) && isField(region)) return { type, ...withId, mode: mode as string, region: region as string };
  if (type === 'leave') return { type, ...withId };
  return undefined;
}

/** Parses one text frame; every failure is an error reply, never an exception. */
export function parseFrame(text: string): ParsedFrame {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, code: 'bad_request', message: 'frames must be JSON objects' };
  }
  const fast = fastPath(json);
  if (fast) return { ok: true, message: fast };
  const head = envelope.safeParse(json);
  if (!head.success) return { ok: false, code: 'bad_request', message: 'a message needs a string "type" (and "id" may be a string or number)' };
  const { type, id } = head.data;
  const schema = type === 'join' ? join : type === 'leave' ? leave : undefined;
  if (!schema) return { ok: false, id, code: 'unknown_type', message: `unknown message type "${type}"; expected join or leave` };
  const body = schema.safeParse(json);
  if (!body.success) return { ok: false, id, code: 'bad_request', message: `${type}: ${body.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}` };
  return { ok: true, message: body.data };
}

export type ServerMessage =
  | { type: 'hello'; player: { id: string; name: string; rating: number }; modes: string[]; regions: string[] }
  | { type: 'queued'; ticketId: string; mode: string; region: string; rating: number; id?: string | number }
  | { type: 'searching'; ticketId: string; waitedMs: number; window: number }
  | { type: 'matched'; ticketId: string; room: Omit<RoomEvent, 'v'> }
  | { type: 'left'; ticketId: string; reason: 'cancelled' | 'timeout'; id?: string | number }
  | { type: 'error'; code: ErrorCode; message: string; id?: string | number };

/** The room as a player sees it: the room event without its version field. */
export function roomForPlayer({ v: _version, ...room }: RoomEvent): Omit<RoomEvent, 'v'> {
  return room;
}
