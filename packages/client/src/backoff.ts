/** How the client retries a dropped connection. */
export interface ReconnectOptions {
  /** First ceiling of the delay, in ms. Defaults to 250. */
  baseMs?: number;
  /** Largest ceiling of the delay, in ms. Defaults to 10 000. */
  maxMs?: number;
  /** Attempts in a row before giving up; defaults to Infinity. */
  maxAttempts?: number;
}

/**
 * "Full jitter": a delay drawn evenly from [0, min(maxMs, baseMs · 2^attempt)). After a
 * gateway restart every client of it reconnects at once; the spread keeps them from
 * arriving together, and the ceiling from waiting long once the gateway is back.
 */
export function reconnectDelay(attempt: number, { baseMs = 250, maxMs = 10_000 }: ReconnectOptions = {}, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
