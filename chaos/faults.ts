import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Cluster } from './cluster.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const FAULT_KINDS = ['kill-matcher', 'kill-notifier', 'kill-gateway', 'restart-rabbitmq', 'restart-redis', 'rolling-restart'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** How long a killed process stays down before its supervisor brings it back. */
const DOWN_MS = 1000;

/**
 * Injects one fault into the real system: kill -9 of a service (restarted after a pause, as
 * a supervisor would), a restart of RabbitMQ or of Redis (which comes back empty), or a
 * rolling restart: every service stopped gracefully (SIGTERM) and started again, one by one.
 */
export async function inject(kind: FaultKind, cluster: Cluster, redisPort: number): Promise<void> {
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
      await run('rabbitmqctl', ['stop_app']);
      await run('rabbitmqctl', ['start_app']);
      return;
    case 'rolling-restart':
      for (const name of cluster.members.keys()) {
        await cluster.stop1(name);
        cluster.restart(name);
        for (let attempt = 0; attempt < 300 && !(await cluster.ready(name)); attempt++) await sleep(100);
      }
      return;
    case 'restart-redis': {
      await run('redis-cli', ['-p', String(redisPort), 'shutdown', 'nosave']).catch(() => undefined);
      await run('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(redisPort), '--save', '', '--appendonly', 'no']);
      for (let attempt = 0; attempt < 50; attempt++) {
        if (await run('redis-cli', ['-p', String(redisPort), 'ping']).then(() => true, () => false)) return;
        await sleep(100);
      }
      throw new Error('Redis did not come back');
    }
  }
}
