/**
 * Limits and close codes of the matchq WebSocket protocol (v1, with the v1.1 additions):
 * the numbers a server enforces and a client reacts to.
 */

/** The protocol this module declares: v1 and everything Version 1.1 adds to it. */
export const PROTOCOL_VERSION = '1.1';

/** Largest frame either side may send; a larger one closes the socket with 1009. */
export const MAX_FRAME_BYTES = 4096;

/** Path of the players' WebSocket on a gateway; the token rides as `?token=`. */
export const WS_PATH = '/ws';

/** The server is shutting down: reconnect (to any gateway). */
export const CLOSE_GOING_AWAY = 1001;
/** A frame over MAX_FRAME_BYTES (sent by ws itself). */
export const CLOSE_FRAME_TOO_BIG = 1009;
/** A newer socket of the same player opened, on this or another gateway: do not reconnect. */
export const CLOSE_REPLACED = 4000;

export const CLOSE_CODES = { goingAway: CLOSE_GOING_AWAY, frameTooBig: CLOSE_FRAME_TOO_BIG, replaced: CLOSE_REPLACED } as const;
