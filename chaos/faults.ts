import type { Launcher } from '../common/launcher.js';
import type { PrivateRabbit, PrivateRabbitCluster, PrivateRedis, PrivateRedisCluster } from './private-nodes.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const FAULT_KINDS = ['kill-matcher', 'kill-notifier', 'kill-gateway', 'kill-allocator', 'restart-rabbitmq', 'restart-redis', 'rolling-restart'] as const;
/** Faults of a run on clusters (`npm run chaos -- --cluster`): a node lost, not a service. */
export const CLUSTER_FAULT_KINDS = ['kill-rabbit-node', 'kill-redis-primary'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number] | (typeof CLUSTER_FAULT_KINDS)[number];

/** How long a killed process stays down before its supervisor brings it back. */
const DOWN_MS = 1000;

/**
 * The run's own broker and Redis (private nodes): the only ones a fault ever restarts. On
 * clusters, `rabbit` and `redis` are their first nodes and `clusters` holds the whole.
 */
export interface Backing {
  rabbit: PrivateRabbit;
  redis: PrivateRedis;
  /** AMQP_URL and REDIS_URL for the services: comma-separated nodes on clusters. */
  amqpUrl: string;
  redisUrl: string;
  clusters?: NodeLoss;
}

/**
 * The clusters a run loses nodes of. A lost node comes back in the background (a RabbitMQ node
 * takes minutes to boot here), as an operator's supervisor would bring it back; the next loss
 * waits for the cluster to be whole again, so no fault ever takes a majority.
 */
export class NodeLoss {
  private rabbitKills = 0;
  private rabbitBack: Promise<void> = Promise.resolve();
  private redisBack: Promise<void> = Promise.resolve();
  /** Where each loss stands, for the report: the node, when it was back (ms after the kill), or why not. */
  readonly log: { kind: FaultKind; node: string; promotedAfterMs?: number; backAfterMs?: number; error?: string }[] = [];

  private redisKills = 0;

  /**
   * `poolKeys`: a key of each pool the run plays, in the order their primaries are killed: the
   * ready-check pool first, so that its accepts, proposals and decisions go through a failover
   * (taking the first primary in port order, two kills spared the third, which held `rc3`).
   */
  constructor(
    readonly rabbit: PrivateRabbitCluster,
    readonly redis: PrivateRedisCluster,
    private readonly poolKeys: string[] = [],
  ) {}

  /** kill -9 of one RabbitMQ node, never the same twice in a row; it boots again meanwhile. */
  async killRabbitNode(): Promise<void> {
    await this.rabbitBack;
    const node = this.rabbit.nodes[this.rabbitKills++ % this.rabbit.nodes.length]!;
    await node.kill();
    this.rabbitBack = this.comeBack('kill-rabbit-node', node.node, async () => {
      await node.start();
      await this.rabbit.healthy();
    });
  }

  /**
   * kill -9 of the Redis primary serving the next pool of `poolKeys` (without them, the first
   * primary). Its replica is promoted by the cluster itself; only once it has been does the dead
   * node start again (empty, and so as the new primary's replica): back earlier, it would serve
   * its slots again with none of their data.
   */
  async killRedisPrimary(): Promise<void> {
    await this.redisBack;
    const poolKey = this.poolKeys[this.redisKills++ % Math.max(1, this.poolKeys.length)];
    const primary = poolKey === undefined ? (await this.redis.primaries())[0] : (await this.redis.holders(poolKey)).primary;
    if (!primary) throw new Error('the private redis cluster has no primary left');
    await primary.kill(true);
    this.redisBack = this.comeBack('kill-redis-primary', `127.0.0.1:${primary.port}`, async (entry, killedAt) => {
      await this.redis.promoted(primary.port);
      // The cluster's own failover: its failure detection (the node timeout), then the replica's election.
      entry.promotedAfterMs = Date.now() - killedAt;
      await primary.start();
      await this.redis.healthy();
    });
  }

  /** Waits for every lost node to be back (before the run's end, and before the clusters stop). */
  async settled(): Promise<void> {
    await Promise.all([this.rabbitBack, this.redisBack]);
  }

  private comeBack(kind: FaultKind, node: string, back: (entry: NodeLoss['log'][number], killedAt: number) => Promise<void>): Promise<void> {
    const killedAt = Date.now();
    const entry: NodeLoss['log'][number] = { kind, node };
    this.log.push(entry);
    // Never rejects: a node that does not come back is reported, and the next loss of its kind is refused below.
    return back(entry, killedAt).then(
      () => {
        entry.backAfterMs = Date.now() - killedAt;
      },
      (error: Error) => {
        entry.error = error.message;
      },
    );
  }
}

/**
 * Injects one fault into the real system: kill -9 of a service (matcher, notifier, a gateway or the allocator; restarted after a pause, as
 * a supervisor would), a restart of the run's private RabbitMQ node or Redis (which comes back
 * empty), or a rolling restart: every service stopped gracefully (SIGTERM) and started again,
 * one by one. On clusters, also kill -9 of one RabbitMQ node or of one Redis primary.
 */
export async function inject(kind: FaultKind, cluster: Launcher, backing: Backing): Promise<void> {
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
    case 'kill-allocator':
      // Mid-request, as a rule: the fleet answers slowly often enough to be holding a room.
      return killAndRestart('allocator-0');
    case 'restart-rabbitmq':
      return backing.rabbit.restartApp();
    case 'rolling-restart':
      for (const name of cluster.specs.keys()) {
        await cluster.stop(name);
        cluster.restart(name);
        for (let attempt = 0; attempt < 300 && !(await cluster.ready(name)); attempt++) await sleep(100);
      }
      return;
    case 'restart-redis':
      return backing.redis.restart();
    case 'kill-rabbit-node':
      return clustersOf(backing, kind).killRabbitNode();
    case 'kill-redis-primary':
      return clustersOf(backing, kind).killRedisPrimary();
  }
}

function clustersOf(backing: Backing, kind: FaultKind): NodeLoss {
  if (!backing.clusters) throw new Error(`${kind} needs clusters: npm run chaos -- --cluster`);
  const lastLoss = backing.clusters.log.filter((entry) => entry.kind === kind).at(-1);
  if (lastLoss?.error !== undefined) throw new Error(`${kind}: ${lastLoss.node} never came back (${lastLoss.error}); losing another could take a majority`);
  return backing.clusters;
}
