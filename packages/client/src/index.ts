/**
 * `@matchq/client`: a game client's connection to matchq. `connect(url, token)`, typed events
 * for every server frame, `join` / `leave` as promises, reconnect with jittered backoff.
 * `@matchq/client/wire` (also re-exported here) is the protocol itself. For game servers:
 * `verifyJoinToken(token, secret)`.
 */
export { connect, socketUrl, MatchqClient, type ClientEvents, type ConnectOptions, type Ticket } from './client.js';
export { MatchqError, MatchqConnectionError, isMatchqError, type ConnectionErrorReason } from './errors.js';
export { verifyJoinToken, InvalidJoinToken, type InvalidJoinTokenReason, type JoinClaims, type VerifyJoinTokenOptions } from './join-token.js';
export { reconnectDelay, type ReconnectOptions } from './backoff.js';
export type { WebSocketConstructor, WebSocketLike } from './socket.js';
export * from './wire/index.js';
