import type { Registry } from 'prom-client';
import type { ConsumeMessage } from 'amqplib';
import { TopologyChannel, type AmqpConnectionManager } from '../../common/amqp.js';
import { poolsOf } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import type { AmqpNames } from '../../common/names.js';
import { emptyFigures, recordProposal, recordRoom } from '../../common/room-figures.js';
import type { ProposalStore } from '../../common/proposal-store.js';
import type { TicketStore } from '../../common/ticket-store.js';
import type { Topology } from '../../common/topology.js';
import type { MatchConfig } from '../../core/types.js';
import { createMatcherMetrics } from './metrics.js';
import { PoolWorker } from './pool-worker.js';
import { nextTickDelay } from './tick-schedule.js';

export interface MatcherDeps {
  /** The matching rule: its modes and regions are the pools (MATCH_CONFIG). */
  match: MatchConfig;
  /** This matcher's id, the prefix of its consumer tags and the owner its heartbeat reports (MATCHER_ID). */
  matcherId: string;
  /** Milliseconds between two ticks (TICK_MS, default 1000). */
  tickMs: number;
  /** Final rooms go to allocation (ALLOCATOR is not none) instead of straight to the rooms exchange. */
  allocation: boolean;
  /** The AMQP names of this namespace (common/names.ts) and the topology asserted on each connect. */
  names: AmqpNames;
  topology: Topology;
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
export function createMatcher({
  match,
  matcherId,
  tickMs,
  allocation,
  names,
  topology,
  amqp,
  store,
  proposals,
  logger,
  registry,
  clock = Date.now,
}: MatcherDeps) {
  const figures = emptyFigures(clock());
  const workers: PoolWorker[] = [];
  /** Each pool's worker by the consumer tag of its queue's deliveries. */
  const byConsumerTag = new Map<string, PoolWorker>();
  const workerOf = (message: ConsumeMessage) => byConsumerTag.get(message.fields.consumerTag);
  const metrics = createMatcherMetrics(registry, () => new Map(workers.map((worker) => [worker.key, worker.intake.pool.size])));

  const channel = new TopologyChannel(
    amqp,
    'matcher',
    topology,
    undefined,
    () => {
      // The broker redelivers every unacked request to whichever matcher consumes next.
      for (const worker of workers) worker.reset();
      logger.warn('channel reopened; pools rebuilt from redeliveries');
    },
    logger,
    {
      // Every delivery of this channel comes through consume (the pools' queues): the acks of a
      // turn (a tick's confirmed rooms) go out together, a run of them as one multiple ack.
      coalesceAcks: true,
      onAckFlush: ({ frames, messages, requeued }) => {
        metrics.ackFrames.inc(frames);
        metrics.acked.inc(messages);
        if (requeued > 0) metrics.requeuedToPass.inc(requeued);
      },
      // A pool holds its waiting tickets' joins unacked: a multiple ack may pass them by requeuing them.
      passHeld: {
        mayRequeue: (message) => workerOf(message)?.mayRequeue(message) ?? false,
        requeued: (message) => workerOf(message)?.requeued(message),
      },
    },
  );
  for (const { mode, region } of poolsOf(match)) {
    workers.push(
      new PoolWorker({
        mode,
        region,
        rule: match.modes[mode]!,
        channel,
        store,
        proposals,
        names,
        logger,
        metrics,
        clock,
        allocation,
        requeueToPass: topology.queues.find((queue) => queue.name === names.pool(mode, region))?.arguments['x-queue-type'] === 'classic',
        onRoom: (event) => recordRoom(figures, event, clock()),
        onProposal: (outcome) => recordProposal(figures, outcome),
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

  const consumerTag = (worker: PoolWorker) => `${matcherId}.${worker.key}`;
  for (const worker of workers) byConsumerTag.set(consumerTag(worker), worker);

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

  /** Ticks TICK_MS apart, start to start (tick-schedule.ts); one that overruns is followed at once. */
  function schedule(lastStart: number): void {
    if (stopped) return;
    timer = setTimeout(
      () => {
        const start = performance.now();
        serially(tick).finally(() => schedule(start));
      },
      nextTickDelay(lastStart, tickMs, performance.now()),
    );
  }

  return {
    channel,
    async start(): Promise<void> {
      await channel.waitForSetup();
      schedule(performance.now());
      logger.info({ pools: workers.map((worker) => worker.key), tickMs }, 'matcher started');
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
    /** Every pool of the config, by mode and region. */
    poolList: workers.map(({ intake }) => ({ mode: intake.mode, region: intake.region })),
    /** Runs one tick now; the tests drive the matcher this way. */
    tick: () => serially(tick),
    /** The pools this matcher owns, with their figures. */
    pools: () => owned().map((worker) => worker.status(matcherId)),
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
