import { startPrivateRedis, type PrivateRedis } from '../../chaos/private-nodes.js';
import type { MatchConfig } from '../../core/types.js';
import { startStack, type Stack } from './stack.js';
import { startTcpTrap } from './tcp-trap.js';

/** Rooms of four, parties of two: a party of two waits in its pool, nobody else joins. */
export const PARTY_WAITS: MatchConfig = {
  regions: ['eu'],
  modes: { squad: { teams: 1, teamSize: 4, window: { initial: 1000, perSecond: 0, max: 1000 }, maxWaitSeconds: 120, party: { maxSize: 2, aggregate: 'avg' } } },
};

export interface TrappedStack {
  /** The private redis-server, to kill and start again. */
  redis: PrivateRedis;
  /** The proxy in front of it (test/support/tcp-trap.ts), to drop an answer or cut the connections. */
  trap: Awaited<ReturnType<typeof startTcpTrap>>;
  /** Two gateways and the notifier, reaching Redis through the trap only. */
  stack: Stack;
  stop(): Promise<void>;
}

/**
 * Two gateways and a notifier whose Redis is a private redis-server behind a TCP proxy: for the
 * tests that make Redis fail at one exact command, never the machine's shared Redis.
 */
export async function startTrappedStack(redisArgs: string[] = []): Promise<TrappedStack> {
  const redis = await startPrivateRedis(redisArgs.length > 0 ? { args: redisArgs } : {});
  const trap = await startTcpTrap(redis.port);
  const stack = await startStack({ match: PARTY_WAITS, without: ['matcher', 'recorder'], gateways: 2, redisUrl: trap.url });
  return {
    redis,
    trap,
    stack,
    async stop() {
      await stack.stop();
      await trap.stop();
      await redis.stop();
    },
  };
}
