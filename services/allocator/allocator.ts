import type { ConsumeMessage } from 'amqplib';
import type { Registry } from 'prom-client';
import { TopologyChannel, type AmqpConnectionManager } from '../../common/amqp.js';
import type { AllocationAnswer, AllocationRoom, AllocationStore } from '../../common/allocation-store.js';
import { deadLetter } from '../../common/dead-letter.js';
import type { Logger } from '../../common/logger.js';
import {
  allocationRequest,
  decode,
  DISSOLVED_EVENT_TYPE,
  encode,
  InvalidMessage,
  ROOM_EVENT_TYPE,
  type AllocationRequest,
  type RoomDissolved,
  type RoomEvent,
} from '../../common/messages.js';
import type { AmqpNames } from '../../common/names.js';
import { retryLater } from '../../common/retry-later.js';
import type { Topology } from '../../common/topology.js';
import { AllocationAborted, type AllocatorBackend, type Server } from './allocation.js';
import { createAllocatorMetrics } from './metrics.js';
import { emptyAllocatorFigures, recordAllocation, recordRetry } from '../../common/allocator-figures.js';

export interface AllocatorDeps {
  /** Milliseconds one room's allocation may take, retries included (ALLOCATOR_BUDGET_MS, default 30000). */
  budgetMs: number;
  /** Milliseconds one allocation request may take (ALLOCATOR_TIMEOUT_MS, default 5000). */
  timeoutMs: number;
  /** The AMQP names of this namespace (common/names.ts) and the topology asserted on each connect. */
  names: AmqpNames;
  topology: Topology;
  amqp: AmqpConnectionManager;
  store: AllocationStore;
  backend: AllocatorBackend;
  logger: Logger;
  registry: Registry;
  /** This allocator's name in the rooms it holds (for operators reading Redis). */
  holder: string;
  clock?: () => number;
}

/** Rooms one allocator asks the fleet for at once: each mostly waits on the fleet. */
const PREFETCH = 32;
/**
 * A holder keeps a room for one whole allocation (budget, plus one last attempt's timeout) and a
 * fifth more, at least 2 s: a live holder is never taken over, a dead one's room waits little.
 */
export const leaseFor = (budgetMs: number, timeoutMs: number) => Math.round((budgetMs + timeoutMs) * 1.2 + 2000);
/** How often a copy of a room held by another start looks whether it was decided. */
const BUSY_RECHECK_MS = 2000;

/**
 * The allocation stage: takes final rooms from the allocation queue, gets each a game server
 * from the backend, and then either publishes the room with its `server` on the rooms exchange
 * or releases it, republishing the joins of its tickets so they wait again at their old join
 * time. Every step is decided in Redis first (common/allocation-store.ts) and acked only once
 * its announcement is confirmed, so a crash anywhere repeats an announcement, never an allocation decision.
 */
export function createAllocator({ budgetMs, timeoutMs, names, topology, amqp, store, backend, logger, registry, holder, clock = Date.now }: AllocatorDeps) {
  const channel = new TopologyChannel(amqp, 'allocator', topology);
  const metrics = createAllocatorMetrics(registry);
  // The same counts for the dashboard, written to Redis by the service's status beat.
  const figures = emptyAllocatorFigures(clock());
  const leaseMs = leaseFor(budgetMs, timeoutMs);
  const stopping = new AbortController();
  const waiting = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();

  const roomRef = (room: RoomEvent): AllocationRoom => ({
    mode: room.mode,
    region: room.region,
    roomId: room.id,
    ticketIds: [...new Set(room.players.map((player) => player.ticketId))],
  });

  /** The room with its server, to every consumer of the rooms exchange (the notifier, the recorder, analysts). */
  async function announce(room: RoomEvent, server: Server): Promise<void> {
    await channel.publish(names.rooms, '', encode({ ...room, server }), { messageId: room.id, type: ROOM_EVENT_TYPE });
  }

  /**
   * Sends each requeued ticket's join back to its pool as the matcher first took it (same ticket,
   * same join time), then tells every player (`requeued` or `left`, reason allocation_failed).
   */
  async function release(request: AllocationRequest, decided: AllocationAnswer): Promise<void> {
    const { room } = request;
    const joins = new Map(request.joins.map((join) => [join.ticketId, join]));
    await Promise.all(
      decided.requeued.map(async (ticketId) => {
        const join = joins.get(ticketId);
        // A room re-sent after a redelivery carries only the joins its sender held; the first copy sent the rest.
        if (!join) return logger.warn({ room: request.room.id, ticketId }, 'no join to requeue for a ticket of a released room');
        await channel.publish(names.requests, `${join.mode}.${join.region}`, encode(join), { messageId: `requeue-${request.room.id}-${ticketId}` });
      }),
    );
    const outcomeOf = (ticketId: string) =>
      decided.ended.includes(ticketId) ? ('left' as const) : decided.requeued.includes(ticketId) ? ('requeued' as const) : null;
    const players = room.players.flatMap(({ playerId, ticketId }) => {
      const outcome = outcomeOf(ticketId);
      return outcome ? [{ playerId, ticketId, outcome }] : [];
    });
    if (players.length === 0) return;
    const news: RoomDissolved = { v: 1, roomId: room.id, mode: room.mode, region: room.region, reason: 'allocation_failed', players };
    await channel.publish('', names.notifier, encode(news), { messageId: `dissolved-${room.id}`, type: DISSOLVED_EVENT_TYPE });
  }

  async function settle(request: AllocationRequest, decided: AllocationAnswer): Promise<void> {
    if (decided.action === 'announced') await announce(request.room, JSON.parse(decided.server) as Server);
    else if (decided.action === 'dissolved') await release(request, decided);
  }

  async function allocate(request: AllocationRequest, ref: AllocationRoom, starts: number): Promise<AllocationAnswer | null> {
    const { room } = request;
    const started = performance.now();
    let result;
    try {
      result = await backend.allocate(room, {
        signal: stopping.signal,
        onRetry: ({ reason, detail, attempt, waitMs }) => {
          metrics.retries.inc({ reason });
          recordRetry(figures, reason);
          logger.info({ room: room.id, reason, detail, attempt, waitMs }, 'allocation retried');
        },
      });
    } catch (error) {
      if (!(error instanceof AllocationAborted)) throw error;
      // Stopping: the room goes back unallocated, and the next allocator need not wait for our lease.
      await store
        .yield(ref, starts)
        .catch((failure: Error) =>
          logger.warn({ err: failure.message, room: room.id }, 'yielding the allocation failed; the next allocator waits for our lease'),
        );
      return null;
    }
    const seconds = (performance.now() - started) / 1000;
    if (result.ok) {
      metrics.seconds.observe({ outcome: 'allocated' }, seconds);
      metrics.allocated.inc();
      recordAllocation(figures, seconds);
      logger.info({ room: room.id, attempts: result.attempts, address: result.server.address }, 'room allocated');
      return store.finish(ref, JSON.stringify(result.server), JSON.stringify({ ...room, server: result.server }));
    }
    metrics.seconds.observe({ outcome: 'failed' }, seconds);
    metrics.failures.inc({ reason: result.reason });
    recordAllocation(figures, seconds, result.reason);
    logger.warn({ room: room.id, reason: result.reason, detail: result.detail, attempts: result.attempts }, 'allocation failed; releasing the room');
    const decided = await store.fail(ref, starts, result.reason);
    if (decided.action === 'dissolved') {
      metrics.requeued.inc(decided.requeued.length);
      metrics.ended.inc(decided.ended.length);
    }
    return decided;
  }

  async function handle(message: ConsumeMessage, generation: number): Promise<void> {
    let request: AllocationRequest;
    try {
      request = decode(allocationRequest, message.content);
    } catch (error) {
      if (!(error instanceof InvalidMessage)) throw error;
      metrics.deadLetters.inc();
      return deadLetter(channel, names.dead, message, generation, error.message, logger);
    }
    const ref = roomRef(request.room);
    const began = await store.begin(ref, holder, clock(), leaseMs);
    if (began.action === 'busy') {
      // Another start holds the room (a copy of it, or a holder that died): look again soon, or when its lease ends.
      const timer = setTimeout(
        () => {
          waiting.delete(timer);
          run(message, generation);
        },
        Math.max(250, Math.min(BUSY_RECHECK_MS, began.leaseUntil - clock() + 50)),
      );
      waiting.add(timer);
      return;
    }
    const decided = began.action === 'allocate' ? await allocate(request, ref, began.starts) : began;
    if (!decided) return;
    await settle(request, decided);
    channel.ack(message, generation);
  }

  function run(message: ConsumeMessage, generation: number): void {
    if (stopping.signal.aborted) return;
    const done = handle(message, generation)
      .catch((error: Error) => {
        logger.warn({ err: error.message }, 'allocation step failed; the room comes back');
        retryLater(channel, message, generation, { queue: names.allocation, dead: names.dead, logger }, `allocation step failed: ${error.message}`);
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  }

  return {
    async start(): Promise<void> {
      await channel.wrapper.waitForConnect();
      await channel.consume(names.allocation, PREFETCH, run);
      logger.info({ backend: backend.kind }, 'allocator started');
    },
    get ready(): boolean {
      return channel.connected;
    },
    /** Rooms allocated and failed since start, for the status beat (the dashboard's figures). */
    figures,
    /** Stops taking rooms; rooms in flight go back unallocated (their messages unacked, their leases dropped). */
    async stop(): Promise<void> {
      stopping.abort();
      for (const timer of waiting) clearTimeout(timer);
      waiting.clear();
      // Aborted allocations settle at once (their leases dropped); a closing channel requeues their rooms.
      await Promise.allSettled([...inFlight]);
      await channel.close();
    },
  };
}
