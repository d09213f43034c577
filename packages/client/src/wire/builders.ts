import type { ClientFrame, RequestId } from './client-frames.js';
import type { QueuedFrame, ServerFrame } from './server-frames.js';

/**
 * Fast builders for the frames sent most: templates instead of a JSON.stringify of a fresh
 * object per player. Each returns exactly `JSON.stringify` of the typed frame, key order
 * included (a property test holds them to it), so a reader cannot tell them apart.
 */

const idTail = (id: RequestId | undefined) => (id === undefined ? '' : `,"id":${JSON.stringify(id)}`);

/**
 * How every `searching` frame starts: a client drowning in them (a load generator) may skip
 * them by this prefix without parsing.
 */
export const SEARCHING_PREFIX = '{"type":"searching",';

/** Sent to every waiting player about once a second. */
export function searchingFrame(ticketId: string, waitedMs: number, window: number): string {
  return `${SEARCHING_PREFIX}"ticketId":${JSON.stringify(ticketId)},"waitedMs":${JSON.stringify(waitedMs)},"window":${JSON.stringify(window)}}`;
}

/** `matched` around the room's JSON, serialised once for all of its players. */
export function matchedFrame(ticketId: string, roomJson: string, joinToken?: string): string {
  const token = joinToken === undefined ? '' : `,"joinToken":${JSON.stringify(joinToken)}`;
  return `{"type":"matched","ticketId":${JSON.stringify(ticketId)},"room":${roomJson}${token}}`;
}

export function queuedFrame({ ticketId, mode, region, rating, id }: QueuedFrame): string {
  return `{"type":"queued","ticketId":${JSON.stringify(ticketId)},"mode":${JSON.stringify(mode)},"region":${JSON.stringify(region)},"rating":${JSON.stringify(rating)}${idTail(id)}}`;
}

/** The client's hot frame: a load generator sends thousands a second. */
export function joinFrame(mode: string, region: string, id?: RequestId): string {
  return `{"type":"join","mode":${JSON.stringify(mode)},"region":${JSON.stringify(region)}${idTail(id)}}`;
}

/** Any server frame as text, through its fast builder where it has one. */
export function encodeServerFrame(frame: ServerFrame): string {
  return frame.type === 'queued' ? queuedFrame(frame) : JSON.stringify(frame);
}

export function encodeClientFrame(frame: ClientFrame): string {
  return frame.type === 'join' ? joinFrame(frame.mode, frame.region, frame.id) : JSON.stringify(frame);
}
