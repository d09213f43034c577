/** Every `code` an `error` frame may carry, grouped by the part of the contract that adds it. */

export const V1_ERROR_CODES = [
  'bad_request',
  'unknown_type',
  'unknown_mode',
  'unknown_region',
  'already_queued',
  'not_queued',
  'rate_limited',
  'unavailable',
] as const;

/** v1.1 parties; `cooling_down` (with `retryInMs`) comes from a ready check's cooldown but answers a join. */
export const PARTY_ERROR_CODES = [
  'already_in_party',
  'party_not_found',
  'party_full',
  'not_in_party',
  'not_leader',
  'party_queued',
  'party_too_large',
  'cooling_down',
] as const;

/** v1.1 ready check: an `accept` / `decline` for no pending room of yours, or a second answer. */
export const READY_CHECK_ERROR_CODES = ['not_pending'] as const;

export const ERROR_CODES = [...V1_ERROR_CODES, ...PARTY_ERROR_CODES, ...READY_CHECK_ERROR_CODES] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Ticket endings without a room (`left.reason`). */
export const LEFT_REASONS = ['cancelled', 'timeout', 'party_changed', 'declined', 'accept_timeout', 'allocation_failed'] as const;
export type LeftReason = (typeof LEFT_REASONS)[number];

/** Why a proposed room fell through and the ticket went back to its pool (`requeued.reason`). */
export const REQUEUE_REASONS = ['declined', 'accept_timeout', 'allocation_failed'] as const;
export type RequeueReason = (typeof REQUEUE_REASONS)[number];
