/**
 * Runs `poll` now (awaited: the first figures are there once `start` resolves), then every
 * `everyMs`; `stop` clears the timer and waits for a poll in flight, so nothing reads a
 * database or Redis already closed. `poll` handles its own errors (it keeps what it read last).
 */
export function createPoller(poll: () => Promise<void>, everyMs: number) {
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> = Promise.resolve();
  return {
    async start(): Promise<void> {
      await poll();
      timer = setInterval(() => {
        polling = poll();
      }, everyMs);
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await polling;
    },
  };
}
