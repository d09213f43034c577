import type { Cluster } from './cluster.js';
import type { PrivateRabbit, PrivateRedis } from './private-nodes.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const FAULT_KINDS = ['kill-matcher', 'kill-notifier', 'kill-gateway', 'restart-rabbitmq', 'restart-redis', 'rolling-restart'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** How long a killed process stays down before its supervisor brings it back. */
const DOWN_MS = 1000;

/** The run's own broker and Redis (private nodes): the only ones a fault ever restarts. */
export interface Backing {
  rabbit: PrivateRabbit;
  redis: PrivateRedis;
}

/**
 * Injects one fault into the real system: kill -9 of a service (restarted after a pause, as
 * a supervisor would), a restart of the run's private RabbitMQ node or Redis (which comes back
 * empty), or a rolling restart: every service stopped gracefully (SIGTERM) and started again,
 * one by one.
 */
export async function inject(kind: FaultKind, cluster: Cluster, backing: Backing): Promise<void> {
  const killAndRestart = async (name: string) => {
    cluster.kill(name);
    await sleep(DOWN_MS);
    cluster.restart(name);
  };
  switch (kind) {
    case 'kill-matcher':
      return killAndRestart('matcher-0');
    case 'kill-notifier':
      return killAndRestart('notifier-0');
    case 'kill-gateway':
      // Its players reconnect to the other gateway meanwhile.
      return killAndRestart('gateway-1');
    case 'restart-rabbitmq':
      return backing.rabbit.restartApp();
    case 'rolling-restart':
      for (const name of cluster.members.keys()) {
        await cluster.stop1(name);
        cluster.restart(name);
        for (let attempt = 0; attempt < 300 && !(await cluster.ready(name)); attempt++) await sleep(100);
      }
      return;
    case 'restart-redis':
      return backing.redis.restart();
  }
}
