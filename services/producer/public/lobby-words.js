// What the lobby tells a player, in plain words, for every protocol error, close code and ending.

/** What a player reads for each error code of the protocol. */
export const ERROR_TEXT = {
  bad_request: 'Something went wrong with that request. Please try again.',
  unknown_type: 'This page is out of date. Reload it and try again.',
  unknown_mode: "That game mode isn't available right now. Pick another one.",
  unknown_region: "That region isn't available right now. Pick another one.",
  already_queued: "You're already searching for a match.",
  not_queued: 'That search had already ended.',
  rate_limited: "You're going a bit fast. Wait a moment, then try again.",
  unavailable: "Matchmaking is having trouble right now. Please try again in a moment.",
};

/** What a player reads when the connection closes with a given code. */
export const CLOSE_TEXT = {
  1001: 'The server is restarting.',
  1006: 'The connection to the server was lost.',
  1009: 'The server refused a message that was too large.',
  1011: 'The server ran into a problem.',
  1012: 'The server is restarting.',
  1013: 'The server is busy.',
  4000: 'You opened matchq in another tab or window, so this one was disconnected.',
};

export const LEFT_TEXT = {
  cancelled: 'Search cancelled.',
  timeout: 'No match was found in time. Try again, or pick another region or mode.',
};
