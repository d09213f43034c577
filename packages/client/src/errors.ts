import type { ErrorCode, ErrorFrame, RequestId } from './wire/index.js';

/**
 * A request the server refused: `code` is the contract's error code (`already_queued`,
 * `not_queued`, `rate_limited`, ...), `message` its words. Match on `code`, never on the text.
 */
export class MatchqError extends Error {
  override name = 'MatchqError';
  readonly code: ErrorCode;
  /** With `cooling_down`: how long until a join may come again. */
  readonly retryInMs?: number;
  readonly requestId?: RequestId;
  readonly frame: ErrorFrame;

  constructor(frame: ErrorFrame) {
    super(`${frame.code}: ${frame.message}`);
    this.code = frame.code;
    this.frame = frame;
    if (frame.id !== undefined) this.requestId = frame.id;
    if (frame.code === 'cooling_down') this.retryInMs = frame.retryInMs;
  }
}

/** True when `error` is a refusal from the server, of `code` if given. */
export function isMatchqError(error: unknown, code?: ErrorCode): error is MatchqError {
  return error instanceof MatchqError && (code === undefined || error.code === code);
}

/**
 * Why a request got no answer from the server:
 * - `disconnected`: the socket dropped first (a join may still have been taken: after the
 *   reconnect a `queued` event, and `client.ticket`, tell);
 * - `timeout`: no answer within `requestTimeoutMs`;
 * - `replaced`: a newer socket of this player signed in (close 4000); this client stops;
 * - `unauthorized`: the gateway refused the token (HTTP 401; seen in Node only, a browser
 *   cannot tell it from a gateway that is down);
 * - `closed`: `client.close()` was called.
 */
export type ConnectionErrorReason = 'disconnected' | 'timeout' | 'replaced' | 'unauthorized' | 'closed';

export class MatchqConnectionError extends Error {
  override name = 'MatchqConnectionError';
  constructor(
    readonly reason: ConnectionErrorReason,
    message: string,
  ) {
    super(message);
  }
}
