import type { Registry } from 'prom-client';
import { TopologyChannel, type AmqpConnectionManager } from '../../common/amqp.js';
import { poolsOf, type Config } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import { amqpNames } from '../../common/names.js';
import { emptyFigures, recordRoom } from '../../common/room-figures.js';
import type { ProposalStore } from '../../common/proposal-store.js';
import type { TicketStore } from '../../common/ticket-store.js';
import { topologyFor } from '../../common/topology.js';
import { createMatcherMetrics } from './metrics.js';
import { PoolWorker } from './pool-worker.js';

export interface MatcherDeps {
  config: Config;
  amqp: AmqpConnectionManager;
  store: TicketStore;
  /** The ready check's Redis side, for modes with `accept`. */
  proposals?: ProposalStore;
  logger: Logger;
  registry: Registry;
  clock?: () => number;
}

/**
 * The matcher: schedules a tick of every pool it owns each TICK_MS and follows ownership
 * (consume a pool's queue, or hand it back). What a pool does at a tick is its PoolWorker's.
 */
export function createMatcher({ config, amqp, store, proposals, logger, registry, clock = Date.now }: MatcherDeps) {
  const names = amqpNames(config.MATCHQ_NAMESPACE);
  const figures = emptyFigures(clock());
  const workers: PoolWorker[] = [];
  const metrics = createMatcherMetrics(registry, () => new Map(workers.map((worker) => [worker.key, worker.intake.pool.size])));

  const channel = new TopologyChannel(
    amqp,
    'matcher',
    topologyFor(config),
    undefined,
    () => {
      // The broker redelivers every unacked request to whichever matcher consumes next.
      for (const worker of workers) worker.reset();
      logger.warn('channel reopened; pools rebuilt from redeliveries');
    },
    logger,
  );
  for (const { mode, region } of poolsOf(config.match)) {
    workers.push(
      new PoolWorker({
        mode,
        region,
        rule: config.match.modes[mode]!,
        channel,
        store,
        proposals,
        names,
        logger,
        metrics,
        clock,
        allocation: config.ALLOCATOR !== 'none',
        onRoom: (event) => recordRoom(figures, event, clock()),
      }),
    );
  }
  const owned = () => workers.filter((worker) => worker.owned);

  async function tick(): Promise<void> {
    const now = clock();
    // Pools are independent: their claims and confirms overlap instead of queueing behind each other.
    await Promise.all(
      owned().map(async (worker) => {
        try {
          await worker.tick(now);
        } catch (error) {
          logger.error({ err: (error as Error).message, pool: worker.key }, 'tick failed; unacked requests stay with the broker');
        }
      }),
    );
  }

  const consumerTag = (worker: PoolWorker) => `${config.MATCHER_ID}.${worker.key}`;

  async function acquire(worker: PoolWorker): Promise<void> {
    worker.owned = true;
    // No prefetch limit: every waiting ticket of the pool must be in memory to be matched.
    await channel.consume(names.pool(worker.intake.mode, worker.intake.region), undefined, (message, generation) => worker.receive(message, generation), {
      consumerTag: consumerTag(worker),
    });
  }

  /**
   * Hands a pool over: stop consuming, then give back every request held for it. The queue's
   * single active consumer moves to the new owner as ours goes, and the requests follow.
   */
  async function release(worker: PoolWorker): Promise<void> {
    worker.owned = false;
    await channel.wrapper.cancel(consumerTag(worker));
    worker.release();
  }

  let timer: NodeJS.Timeout | undefined;
  /** Ticks and ownership changes run one after another, never interleaved. */
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const serially = (work: () => Promise<void>) => (running = running.then(work, work));

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      serially(tick).finally(schedule);
    }, config.TICK_MS);
  }

  return {
    channel,
    async start(): Promise<void> {
      await channel.waitForSetup();
      schedule();
      logger.info({ pools: workers.map((worker) => worker.key), tickMs: config.TICK_MS }, 'matcher started');
    },
    /** Consumes exactly the pools in `wanted` (keys MODE.REGION), releasing the others. */
    own(wanted: Set<string>): Promise<void> {
      return serially(async () => {
        if (stopped) return;
        const changes = workers.filter((worker) => wanted.has(worker.key) !== worker.owned);
        for (const worker of changes) await (worker.owned ? release(worker) : acquire(worker));
        if (changes.length) logger.info({ owned: owned().map((worker) => worker.key) }, 'pool ownership changed');
      });
    },
    /** Rooms formed since start, for the heartbeat (the dashboard's figures). */
    figures,
    /** Every pool of the config, by key. */
    poolKeys: workers.map((worker) => worker.key),
    /** Runs one tick now; the tests drive the matcher this way. */
    tick: () => serially(tick),
    /** The pools this matcher owns, with their figures. */
    pools: () => owned().map((worker) => worker.status(config.MATCHER_ID)),
    get ready(): boolean {
      return channel.connected;
    },
    /** Finishes the running tick, then closes the channel: the broker requeues what we held. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running;
      await channel.close();
    },
  };
}

export type Matcher = ReturnType<typeof createMatcher>;
