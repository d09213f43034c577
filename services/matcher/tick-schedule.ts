/**
 * How long to wait before the next tick, start to start: TICK_MS after the last tick began, or
 * at once when that tick ran past it. Each next tick used to wait TICK_MS from the end of the
 * last, so a tick's claims, publishes and confirms (about 90 ms at 1,000 joins/s) stretched the
 * period to 1,090 ms, and every player's wait with it. Times are the monotonic clock's
 * (performance.now()): a wall clock set back would stall the ticks.
 */
export function nextTickDelay(lastStart: number, tickMs: number, now: number): number {
  return Math.max(0, lastStart + tickMs - now);
}
