/**
 * One room's allocation as a pure state machine, the reference the Redis scripts
 * (common/lua/*-allocation.lua) mirror. It is the `allocating → announced | dissolved` stretch
 * of the room lifecycle (core/room-lifecycle.ts), with what that leaves out made explicit:
 *
 *   (none) ──begin──▶ allocating ──finish──▶ announced
 *                      │  ▲   └─────fail────▶ dissolved (allocation_failed)
 *                      └──┘ begin after the lease lapsed: a new start, same Idempotency-Key
 *
 * - At most one allocation per room: `finish` and `fail` decide once; whatever comes later
 *   (a duplicate of the room, a redelivery after a crash) learns the decision and repeats only
 *   its announcement.
 * - A holder that died mid-request is replaced once its lease lapses; the new start counts
 *   (`starts`), and a `fail` from an older start is refused as stale, so a slow former
 *   holder cannot release a room its successor may still allocate. A success from any start
 *   is taken: the server exists, and the fleet saw the same room id.
 * - Each ticket counts the failed allocations of its rooms; the MAX_ALLOCATION_FAILURES-th
 *   ends it (`left allocation_failed`), before that it goes back to its pool, its wait kept.
 */

export const MAX_ALLOCATION_FAILURES = 3;

export type AllocationPhase = 'allocating' | 'announced' | 'dissolved';

export interface AllocationRecord {
  phase: AllocationPhase;
  /** How many times an allocator began this room (the fencing token of `fail`). */
  starts: number;
  /** Epoch ms until which the current start holds the room. */
  leaseUntil: number;
  /** The server JSON, once announced. */
  server: string;
  /** Once dissolved: why, and the tickets that went back or ended. */
  reason: string;
  requeued: string[];
  ended: string[];
}

export type BeginAction =
  /** Ask the fleet (again, with the same Idempotency-Key, when `starts` > 1). */
  | 'allocate'
  /** Another start holds the room until `leaseUntil`: come back then. */
  | 'busy'
  /** Decided already: repeat the announcement of the decision, allocate nothing. */
  | 'announced'
  | 'dissolved';

export type FinishAction = 'announced' | 'dissolved';
export type FailAction = 'dissolved' | 'announced' | 'stale';

const fresh = (): AllocationRecord => ({ phase: 'allocating', starts: 0, leaseUntil: 0, server: '', reason: '', requeued: [], ended: [] });

export function begin(record: AllocationRecord | null, now: number, leaseMs: number): { action: BeginAction; record: AllocationRecord } {
  if (record && record.phase !== 'allocating') return { action: record.phase, record };
  if (record && record.leaseUntil > now) return { action: 'busy', record };
  const base = record ?? fresh();
  return { action: 'allocate', record: { ...base, starts: base.starts + 1, leaseUntil: now + leaseMs } };
}

/** A server came back. A record Redis lost (restarted empty) is announced too: the server exists. */
export function finish(record: AllocationRecord | null, server: string): { action: FinishAction; record: AllocationRecord } {
  if (record && record.phase !== 'allocating') return { action: record.phase, record };
  return { action: 'announced', record: { ...(record ?? fresh()), phase: 'announced', server } };
}

/**
 * The allocation failed for good. `failures` holds, per ticket of the room still held by it,
 * its failed allocations before this one; a ticket Redis lost counts 0 and goes back.
 */
export function fail(
  record: AllocationRecord | null,
  starts: number,
  reason: string,
  tickets: readonly { ticketId: string; failures: number }[],
): { action: FailAction; record: AllocationRecord | null } {
  if (record && record.phase !== 'allocating') return { action: record.phase, record };
  if (record && record.starts !== starts) return { action: 'stale', record };
  const ended = tickets.filter((ticket) => ticket.failures + 1 >= MAX_ALLOCATION_FAILURES).map((ticket) => ticket.ticketId);
  const requeued = tickets.filter((ticket) => ticket.failures + 1 < MAX_ALLOCATION_FAILURES).map((ticket) => ticket.ticketId);
  return { action: 'dissolved', record: { ...(record ?? fresh()), phase: 'dissolved', reason, requeued, ended } };
}

/** The holding start gives the room back unallocated (it is stopping): the next begin need not wait for the lease. */
export function yieldLease(record: AllocationRecord | null, starts: number): AllocationRecord | null {
  if (!record || record.phase !== 'allocating' || record.starts !== starts) return record;
  return { ...record, leaseUntil: 0 };
}
