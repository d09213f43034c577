import { setTimeout as sleep } from 'node:timers/promises';
import { AllocationAborted, type AllocateOptions, type AllocationResult, type Verdict } from './allocation.js';

export interface Budget {
  /** One attempt may take this long (ALLOCATOR_TIMEOUT_MS). */
  timeoutMs: number;
  /** All attempts and the waits between them may take this long (ALLOCATOR_BUDGET_MS). */
  budgetMs: number;
  /** First backoff; doubles per retry up to `backoffCapMs`. Defaults to 200 ms. */
  backoffBaseMs?: number;
  /** Longest backoff. Defaults to 5000 ms. */
  backoffCapMs?: number;
  /** Source of the jitter; Math.random unless a test pins it. */
  random?: () => number;
}

/**
 * Runs `attempt` until it allocates or fails for good, retrying what is retriable with a
 * jittered exponential backoff, and gives up with `budget_spent` once the next try could not
 * start inside the budget. Each attempt gets a signal that fires at its own timeout (cut to
 * what is left of the budget) or when the caller aborts; a timed-out attempt counts as retriable.
 */
export async function withinBudget(
  attempt: (signal: AbortSignal) => Promise<Verdict>,
  budget: Budget,
  options: AllocateOptions = {},
): Promise<AllocationResult> {
  const { signal: outer, onRetry } = options;
  const base = budget.backoffBaseMs ?? 200;
  const cap = budget.backoffCapMs ?? 5000;
  const random = budget.random ?? Math.random;
  const started = performance.now();
  const left = () => budget.budgetMs - (performance.now() - started);
  for (let attempts = 1; ; attempts += 1) {
    if (outer?.aborted) throw new AllocationAborted('allocation aborted');
    const timeout = AbortSignal.timeout(Math.max(1, Math.round(Math.min(budget.timeoutMs, left()))));
    const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
    const verdict = await attempt(signal);
    if (outer?.aborted) throw new AllocationAborted('allocation aborted');
    if (verdict.kind === 'allocated') return { ok: true, server: verdict.server, attempts };
    if (verdict.kind === 'failed') return { ok: false, reason: verdict.reason, detail: verdict.detail, attempts };
    const step = Math.min(cap, base * 2 ** (attempts - 1));
    // Half fixed, half random: retries of many rooms spread out, and none comes back at once.
    const waitMs = Math.round(step / 2 + random() * (step / 2));
    if (waitMs >= left()) return { ok: false, reason: 'budget_spent', detail: `${attempts} attempts, the last: ${verdict.detail}`, attempts };
    onRetry?.({ reason: verdict.reason, detail: verdict.detail, attempt: attempts, waitMs });
    try {
      await sleep(waitMs, undefined, { signal: outer });
    } catch {
      // sleep rejects only when `outer` aborts (the allocator stopping): that is the AllocationAborted the caller handles.
      throw new AllocationAborted('allocation aborted');
    }
  }
}
