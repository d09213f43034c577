// A namespace import, so that bundlers keep only what is used (`import { z }` drags in every locale: 450 kB).
import * as z from 'zod';
import {
  clientFrameSchemas,
  requestId,
  V1_CLIENT_TYPES,
  type ClientFrameOf,
  type ClientFrameType,
  type JoinFrame,
  type LeaveFrame,
  type RequestId,
} from './client-frames.js';
import { serverFrameSchemas, type ServerFrame, type ServerFrameType } from './server-frames.js';

/** A client frame as the server reads it: the frame, or the error reply it earns. */
export type ParsedFrame<F = ClientFrameOf<ClientFrameType>> =
  { ok: true; message: F } | { ok: false; id?: RequestId; code: 'bad_request' | 'unknown_type'; message: string };

// Any string is a type: one the gateway does not know, however long, is `unknown_type` (the frame's 4 KiB bounds it).
const envelope = z.object({ type: z.string(), id: requestId });

/** A type as an error message quotes it: a long one cut short. */
const quoted = (type: string) => JSON.stringify(type.length > 32 ? `${type.slice(0, 32)}…` : type);

const isRequestId = (id: unknown) => id === undefined || (typeof id === 'string' && id.length <= 64) || (typeof id === 'number' && Number.isFinite(id));
const isField = (value: unknown) => typeof value === 'string' && value.length <= 64;

/**
 * The frames players send all day (a well-formed join or leave) checked by hand: the same
 * rules as their schemas (a property test holds the two equal), at a fraction of the cost.
 * Anything else goes through zod, which also words the error.
 */
export function fastPath(json: unknown): JoinFrame | LeaveFrame | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const { type, id, mode, region } = json as Record<string, unknown>;
  if (!isRequestId(id)) return undefined;
  const withId = id === undefined ? {} : { id: id as RequestId };
  if (type === 'join' && isField(mode) && isField(region)) return { type, ...withId, mode: mode as string, region: region as string };
  if (type === 'leave') return { type, ...withId };
  return undefined;
}

/**
 * The `id` of a frame the gateway answers without reading it (over the rate limit), so that
 * the reply still names its request as the contract says every reply does; undefined when
 * the text is not a JSON object or its `id` is not a valid one.
 */
export function requestIdOf(text: string): RequestId | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: there is no id to echo, and the reply is the same without one.
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const { id } = json as Record<string, unknown>;
  return isRequestId(id) ? (id as RequestId | undefined) : undefined;
}

const orList = (words: readonly string[]) => (words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words.at(-1)}` : (words[0] ?? 'nothing'));

/**
 * A parser for the client frames a gateway answers. Types declared here but not in
 * `accepted` are refused as `unknown_type`, exactly like types nobody declared: declaring
 * a v1.1 frame does not turn its feature on.
 */
export function createFrameParser<K extends ClientFrameType>(accepted: readonly K[]): (text: string) => ParsedFrame<ClientFrameOf<K>> {
  const types = new Set<string>(accepted);
  const expected = orList(accepted);
  return (text) => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON is the player's fault; the reply says so and nothing else is needed.
      return { ok: false, code: 'bad_request', message: 'frames must be JSON objects' };
    }
    const fast = fastPath(json);
    if (fast && types.has(fast.type)) return { ok: true, message: fast as ClientFrameOf<K> };
    const head = envelope.safeParse(json);
    if (!head.success) return { ok: false, code: 'bad_request', message: 'a message needs a string "type" (and "id" may be a string or number)' };
    const { type, id } = head.data;
    if (!types.has(type)) return { ok: false, id, code: 'unknown_type', message: `unknown message type ${quoted(type)}; expected ${expected}` };
    const body = clientFrameSchemas[type as K].safeParse(json);
    if (!body.success)
      return {
        ok: false,
        id,
        code: 'bad_request',
        message: `${type}: ${body.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`,
      };
    return { ok: true, message: body.data as ClientFrameOf<K> };
  };
}

/** Parses one text frame as a v1 gateway does; every failure is an error reply, never an exception. */
export const parseFrame = createFrameParser(V1_CLIENT_TYPES);

/** A server frame as a client reads it. `unknown_type`: a frame of a newer protocol, to ignore. */
export type ParsedServerFrame =
  { ok: true; frame: ServerFrame } | { ok: false; reason: 'not_json' | 'unknown_type' | 'invalid'; type?: string; message: string };

const serverTypes = new Set<string>(Object.keys(serverFrameSchemas));

/** A frame's JSON and its known type, or why it has none: the part both server-frame readers share. */
function readEnvelope(text: string): { ok: true; json: object; type: ServerFrameType } | Extract<ParsedServerFrame, { ok: false }> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: 'not_json', message: `not JSON: ${(error as Error).message}` };
  }
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (typeof type !== 'string') return { ok: false, reason: 'invalid', message: 'a frame needs a string "type"' };
  if (!serverTypes.has(type)) return { ok: false, reason: 'unknown_type', type, message: `unknown frame type "${type}"` };
  return { ok: true, json: json as object, type: type as ServerFrameType };
}

/**
 * A server frame trusted as it is: JSON with a known `type`, typed without its schema check.
 * For a client that trusts its server and reads thousands of frames a second.
 */
export function readServerFrame(text: string): ParsedServerFrame {
  const read = readEnvelope(text);
  return read.ok ? { ok: true, frame: read.json as ServerFrame } : read;
}

/** A server frame checked against its schema: what a client should believe. */
export function parseServerFrame(text: string): ParsedServerFrame {
  const read = readEnvelope(text);
  if (!read.ok) return read;
  const { json, type } = read;
  const parsed = serverFrameSchemas[type].safeParse(json);
  if (!parsed.success)
    return {
      ok: false,
      reason: 'invalid',
      type,
      message: `${type}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`,
    };
  return { ok: true, frame: parsed.data };
}
