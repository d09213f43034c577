import type { RoomEvent } from '../../common/messages.js';

/** What a room's `server` holds: the fleet's own fields (http) or `{address, name}` (agones). */
export type Server = Record<string, unknown> & { address: string };

/** Why an allocation failed; the metrics' `reason` label takes these values. */
export type FailReason =
  /** The fleet said no for good: a 3xx, or a 4xx that is not retried. */
  | 'rejected'
  /** A 2xx that does not name a server (no `address`, not JSON, too large). */
  | 'bad_answer'
  /** The TLS handshake failed: a certificate problem no retry will cure. */
  | 'tls'
  /** Every attempt was retriable, and the budget ran out. */
  | 'budget_spent';

/** Why one attempt is tried again. */
export type RetryReason = 'server_error' | 'no_capacity' | 'timeout' | 'unreachable';

/** What one request to the fleet came to. */
export type Verdict =
  | { kind: 'allocated'; server: Server }
  | { kind: 'failed'; reason: Exclude<FailReason, 'budget_spent'>; detail: string }
  | { kind: 'retry'; reason: RetryReason; detail: string };

export type AllocationResult = { ok: true; server: Server; attempts: number } | { ok: false; reason: FailReason; detail: string; attempts: number };

export interface AllocateOptions {
  /** Aborts the allocation (the service is stopping): `allocate` then throws AllocationAborted. */
  signal?: AbortSignal;
  /** Called before each retry's backoff, for logs and metrics. */
  onRetry?: (retry: { reason: RetryReason; detail: string; attempt: number; waitMs: number }) => void;
}

/** A game server fleet: one call per final room, retried within its budget, never throwing for the fleet's answers. */
export interface AllocatorBackend {
  readonly kind: 'http' | 'agones';
  allocate(room: RoomEvent, options?: AllocateOptions): Promise<AllocationResult>;
  close(): Promise<void>;
}

/** The allocation was stopped from outside before it came to a result; the room is neither allocated nor failed. */
export class AllocationAborted extends Error {
  override name = 'AllocationAborted';
}
