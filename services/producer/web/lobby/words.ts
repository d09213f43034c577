// What the lobby tells a player, in plain words, for every protocol error, close code and ending.
import type { ErrorCode, LeftReason, RequeueReason } from '../../../../packages/client/src/wire/index.js';

/** What a player reads for each error code of the protocol (v1, and v1.1 for parties and the ready check). */
export const ERROR_TEXT: Record<ErrorCode, string> = {
  bad_request: 'Something went wrong with that request. Please try again.',
  unknown_type: 'This page is out of date. Reload it and try again.',
  unknown_mode: "That game mode isn't available right now. Pick another one.",
  unknown_region: "That region isn't available right now. Pick another one.",
  already_queued: "You're already searching for a match.",
  not_queued: 'That search had already ended.',
  rate_limited: "You're going a bit fast. Wait a moment, then try again.",
  unavailable: 'Matchmaking is having trouble right now. Please try again in a moment.',
  already_in_party: "You're already in a party. Leave it first.",
  party_not_found: 'No party has that code. Check it and try again.',
  party_full: 'That party is full.',
  not_in_party: "You're not in a party.",
  not_leader: 'Only the party leader can do that.',
  party_queued: 'Your party is searching right now. Cancel the search first.',
  party_too_large: 'Your party is too large for that game mode.',
  cooling_down: 'You declined a match a moment ago. You can search again shortly.',
  not_pending: 'That match is no longer waiting for an answer.',
};

/** What a player reads when the connection closes with a given code. */
export const CLOSE_TEXT: Record<number, string> = {
  1001: 'The server is restarting.',
  1006: 'The connection to the server was lost.',
  1009: 'The server refused a message that was too large.',
  1011: 'The server ran into a problem.',
  1012: 'The server is restarting.',
  1013: 'The server is busy.',
  4000: 'You opened matchq in another tab or window, so this one was disconnected.',
};

/** How a search ended without a room (`left.reason`). */
export const LEFT_TEXT: Record<LeftReason, string> = {
  cancelled: 'Search cancelled.',
  timeout: 'No match was found in time. Try again, or pick another region or mode.',
  party_changed: 'Your party changed, so its search was cancelled.',
  declined: 'You declined the match, so your search ended.',
  accept_timeout: "You didn't accept the match in time, so your search ended.",
  allocation_failed: 'No game server could be found for your match. Please try again.',
};

/** Why a proposed match fell through while the player stays in line (`requeued.reason`). */
export const REQUEUED_TEXT: Record<RequeueReason, string> = {
  declined: 'Someone declined the match. You are back in the queue, with your place kept.',
  accept_timeout: "Someone didn't accept in time. You are back in the queue, with your place kept.",
  allocation_failed: 'No game server could be found. You are back in the queue, with your place kept.',
};
