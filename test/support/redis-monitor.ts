import { Redis } from 'ioredis';
import { REDIS_URL } from './namespace.js';

/** What Redis's MONITOR sees, command by command, as a plain client (never the code under test). */
export interface RedisMonitor {
  /** Stops watching; safe while commands are still streaming in. */
  stop(): void;
}

/**
 * Watches every command Redis runs (MONITOR) and hands each to `seen`. Stopping ignores ioredis's
 * "Command queue state error": a line that arrives between disconnect() and the socket's close is
 * no longer taken as monitor output, and ioredis emits it as an error (redis/ioredis#1981), which
 * killed a test after its assertions had passed.
 */
export async function watchRedis(seen: (args: string[], source: string) => void): Promise<RedisMonitor> {
  const base = new Redis(REDIS_URL);
  const monitor = await base.monitor();
  base.disconnect();
  monitor.on('monitor', (_time: string, args: string[], source: string) => seen(args, source));
  return {
    stop() {
      monitor.removeAllListeners('monitor');
      monitor.on('error', () => undefined);
      monitor.disconnect();
    },
  };
}
