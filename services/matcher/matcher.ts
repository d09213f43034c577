import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import type { Registry } from 'prom-client';
import type { Ticket } from '../../core/types.js';
import { TopologyChannel, type AmqpConnectionManager } from '../../common/amqp.js';
import { poolsOf, type Config } from '../../common/config.js';
import { deadLetter } from '../../common/dead-letter.js';
import type { Logger } from '../../common/logger.js';
import { decode, encode, InvalidMessage, poolRequest, ROOM_EVENT_TYPE, TIMEOUT_EVENT_TYPE, type JoinRequest, type RoomEvent, type TicketTimeout } from '../../common/messages.js';
import { amqpNames } from '../../common/names.js';
import { emptyFigures, recordRoom } from '../../common/room-figures.js';
import type { TicketStore } from '../../common/ticket-store.js';
import { topologyFor } from '../../common/topology.js';
import { createMatcherMetrics } from './metrics.js';
import { PoolIntake, type HeldRequest } from './pool-intake.js';
import { toRoomEvent } from './room-event.js';

export interface MatcherDeps {
  config: Config;
  amqp: AmqpConnectionManager;
  store: TicketStore;
  logger: Logger;
  registry: Registry;
  clock?: () => number;
}

/** A room event with its JSON, serialised once for both the Redis claim and the broker. */
interface SerializedRoom { event: RoomEvent; json: string }

interface Redelivered { intake: PoolIntake; request: JoinRequest; message: ConsumeMessage; generation: number }

/**
 * The matcher: consumes each pool's requests into memory and, every TICK_MS, lets the
 * pure core form rooms. A room's tickets are claimed in Redis, the room is published with
 * a confirm, and only then are its requests acked: a crash anywhere redelivers them.
 */
export function createMatcher({ config, amqp, store, logger, registry, clock = Date.now }: MatcherDeps) {
  const names = amqpNames(config.MATCHQ_NAMESPACE);
  const intakes = poolsOf(config.match).map(({ mode, region }) => new PoolIntake(mode, region, config.match.modes[mode]!));
  const metrics = createMatcherMetrics(registry, () => new Map(intakes.map((intake) => [intake.key, intake.pool.size])));
  let redelivered: Redelivered[] = [];
  /** Rooms claimed but not yet confirmed, and timeouts not yet announced: retried each tick. */
  let unpublished: { intake: PoolIntake; room: SerializedRoom }[] = [];
  let unannounced: { intake: PoolIntake; ticket: Ticket }[] = [];
  const lastTickMs = new Map<string, number>();
  const figures = emptyFigures(clock());

  const channel = new TopologyChannel(amqp, 'matcher', topologyFor(config), undefined, () => {
    // The broker redelivers every unacked request to whichever matcher consumes next.
    for (const intake of intakes) intake.reset();
    redelivered = [];
    unpublished = [];
    unannounced = [];
    logger.warn('channel reopened; pools rebuilt from redeliveries');
  });

  function onMessage(intake: PoolIntake, message: ConsumeMessage, generation: number): void {
    // A delivery already on the wire when we let the pool go belongs to its new owner.
    if (!owned.has(intake)) return channel.nack(message, generation, true);
    let request;
    try {
      request = decode(poolRequest, message.content);
      if (request.mode !== intake.mode || request.region !== intake.region) throw new InvalidMessage(`request for pool ${request.mode}.${request.region} on ${intake.key}`);
    } catch (error) {
      if (!(error instanceof InvalidMessage)) throw error;
      metrics.deadLetters.inc();
      deadLetter(channel, names.dead, message, generation, error.message, logger).catch((failure: Error) => logger.error({ err: failure.message }, 'dead-lettering failed; the message will come back'));
      return;
    }
    if (request.type === 'leave') {
      const held = intake.withdraw(request.ticketId, clock());
      if (held) channel.ack(held.message, held.generation);
      channel.ack(message, generation);
      return;
    }
    // A redelivered join may belong to a ticket that already ended before a crash.
    if (message.fields.redelivered) {
      redelivered.push({ intake, request, message, generation });
      return;
    }
    if (intake.admit(request, message, generation) !== 'kept') channel.ack(message, generation);
  }

  const ackAll = (held: HeldRequest[]) => held.forEach(({ message, generation }) => channel.ack(message, generation));

  /** Settles redelivered joins; any that cannot be settled now (Redis or broker away) wait for the next tick. */
  async function resolveRedelivered(): Promise<void> {
    const batch = redelivered;
    redelivered = [];
    const reannounced = new Set<string>();
    for (const intake of intakes) {
      const mine = batch.filter((entry) => entry.intake === intake);
      if (mine.length === 0) continue;
      let states: Awaited<ReturnType<TicketStore['states']>>;
      try {
        states = await store.states(intake.mode, intake.region, mine.map((entry) => entry.request.ticketId));
      } catch (error) {
        // Each pool keeps its own: the others of this batch still get settled.
        redelivered.push(...mine);
        logger.warn({ err: (error as Error).message, pool: intake.key }, 'reading redelivered tickets failed; retrying next tick');
        continue;
      }
      for (const [index, entry] of mine.entries()) {
        const { state, roomId } = states[index]!;
        try {
          if (state === null || state === 'queued') {
            if (intake.admit(entry.request, entry.message, entry.generation) !== 'kept') channel.ack(entry.message, entry.generation);
            continue;
          }
          if (state === 'matched' && roomId && !reannounced.has(roomId)) {
            const json = await store.room(intake.mode, intake.region, roomId);
            if (json) await channel.publish(names.rooms, '', Buffer.from(json), { messageId: roomId, type: ROOM_EVENT_TYPE });
            reannounced.add(roomId);
          }
          if (state === 'timeout') await publishTimeout(intake, entry.request);
          channel.ack(entry.message, entry.generation);
        } catch (error) {
          redelivered.push(entry);
          logger.warn({ err: (error as Error).message, ticketId: entry.request.ticketId }, 'settling a redelivered request failed; retrying next tick');
        }
      }
    }
  }

  async function publishTimeout(intake: PoolIntake, ticket: Pick<Ticket, 'ticketId' | 'playerId'>): Promise<void> {
    const timeout: TicketTimeout = { v: 1, ticketId: ticket.ticketId, playerId: ticket.playerId, mode: intake.mode, region: intake.region };
    await channel.publish('', names.notifier, encode(timeout), { messageId: `timeout-${ticket.ticketId}`, type: TIMEOUT_EVENT_TYPE, timestamp: Math.floor(clock() / 1000) });
  }

  async function publishRoom(intake: PoolIntake, room: SerializedRoom): Promise<void> {
    const { event } = room;
    try {
      await channel.publish(names.rooms, '', Buffer.from(room.json), { messageId: event.id, type: ROOM_EVENT_TYPE });
    } catch (error) {
      // Claimed but not confirmed: keep the same room (same id) and try again next tick.
      logger.warn({ err: (error as Error).message, room: event.id }, 'room publish failed; retrying next tick');
      unpublished.push({ intake, room });
      return;
    }
    ackAll(intake.release(event.players.map((player) => player.ticketId)));
    recordRoom(figures, event, clock());
    metrics.rooms.inc({ pool: intake.key });
    metrics.matchedPlayers.inc({ pool: intake.key }, event.players.length);
    metrics.spread.observe({ pool: intake.key }, event.spread);
    for (const player of event.players) metrics.waitSeconds.observe({ pool: intake.key }, player.waitedMs / 1000);
  }

  async function formRooms(intake: PoolIntake, now: number): Promise<void> {
    const started = performance.now();
    const result = intake.pool.tick(now);
    const elapsed = performance.now() - started;
    // Room objects are built here, outside the timed tick: each becomes an event anyway.
    const rooms = [...result.rooms];
    const expired = result.expired;
    lastTickMs.set(intake.key, elapsed);
    metrics.tickSeconds.observe({ pool: intake.key }, elapsed / 1000);

    const events = rooms.map((room): SerializedRoom => {
      const event = toRoomEvent(room, intake, randomUUID(), now, (ticketId) => intake.nameOf(ticketId));
      return { event, json: JSON.stringify(event) };
    });
    let lost: number[][];
    try {
      lost = await store.claimRooms(events.map(({ event, json }) => ({
        mode: intake.mode, region: intake.region, roomId: event.id, ticketIds: event.players.map((player) => player.ticketId), json,
      })));
    } catch (error) {
      // A room that cannot be claimed fails whole: every ticket waits again.
      logger.warn({ err: (error as Error).message, pool: intake.key }, 'claiming rooms failed; tickets return to the pool');
      for (const room of rooms) room.tickets.forEach((ticket) => intake.pool.add(ticket));
      lost = [];
      events.length = 0;
    }
    const claimed: SerializedRoom[] = [];
    events.forEach((room, index) => {
      const lostIndexes = lost[index]!;
      if (lostIndexes.length === 0) {
        claimed.push(room);
        return;
      }
      metrics.lostClaims.inc({ pool: intake.key });
      const ended = new Set(lostIndexes.map((at) => rooms[index]!.tickets[at]!.ticketId));
      ackAll(intake.release([...ended]));
      for (const ticket of rooms[index]!.tickets) if (!ended.has(ticket.ticketId)) intake.pool.add(ticket);
    });
    await Promise.all(claimed.map((room) => publishRoom(intake, room)));
    await endExpired(intake, expired);
  }

  async function endExpired(intake: PoolIntake, expired: Ticket[]): Promise<void> {
    if (expired.length === 0) return;
    let ended: boolean[];
    try {
      ended = await store.expire(intake.mode, intake.region, expired.map((ticket) => ticket.ticketId));
    } catch (error) {
      logger.warn({ err: (error as Error).message, pool: intake.key }, 'expiring tickets failed; retrying next tick');
      expired.forEach((ticket) => intake.pool.add(ticket));
      return;
    }
    await Promise.all(expired.map((ticket, index) => (ended[index] ? announceTimeout(intake, ticket) : ackAll(intake.release([ticket.ticketId])))));
  }

  /** Tells the notifier a ticket timed out, then acks its join; kept for the next tick if the broker is away. */
  async function announceTimeout(intake: PoolIntake, ticket: Ticket): Promise<void> {
    try {
      await publishTimeout(intake, ticket);
    } catch (error) {
      logger.warn({ err: (error as Error).message, ticketId: ticket.ticketId }, 'timeout publish failed; retrying next tick');
      unannounced.push({ intake, ticket });
      return;
    }
    metrics.timeouts.inc({ pool: intake.key });
    ackAll(intake.release([ticket.ticketId]));
  }

  async function tick(): Promise<void> {
    const now = clock();
    try {
      await resolveRedelivered();
      const retries = unpublished;
      unpublished = [];
      await Promise.all(retries.map(({ intake, room }) => publishRoom(intake, room)));
      const timeouts = unannounced;
      unannounced = [];
      await Promise.all(timeouts.map(({ intake, ticket }) => announceTimeout(intake, ticket)));
      // Pools are independent: their claims and confirms overlap instead of queueing behind each other.
      await Promise.all([...owned].map(async (intake) => {
        await formRooms(intake, now);
        intake.forgetStaleLeaves(now);
      }));
    } catch (error) {
      logger.error({ err: (error as Error).message }, 'tick failed; unacked requests stay with the broker');
    }
  }

  const consumerTag = (intake: PoolIntake) => `${config.MATCHER_ID}.${intake.key}`;
  const owned = new Set<PoolIntake>();

  async function acquire(intake: PoolIntake): Promise<void> {
    owned.add(intake);
    // No prefetch limit: every waiting ticket of the pool must be in memory to be matched.
    await channel.consume(names.pool(intake.mode, intake.region), undefined, (message, generation) => onMessage(intake, message, generation), { consumerTag: consumerTag(intake) });
  }

  /**
   * Hands a pool over: stop consuming, then give back every request held for it. The queue's
   * single active consumer moves to the new owner as ours goes, and the requests follow.
   */
  async function release(intake: PoolIntake): Promise<void> {
    owned.delete(intake);
    await channel.wrapper.cancel(consumerTag(intake));
    for (const held of intake.held.values()) channel.nack(held.message, held.generation, true);
    for (const entry of redelivered.filter((candidate) => candidate.intake === intake)) channel.nack(entry.message, entry.generation, true);
    redelivered = redelivered.filter((entry) => entry.intake !== intake);
    unpublished = unpublished.filter((entry) => entry.intake !== intake);
    unannounced = unannounced.filter((entry) => entry.intake !== intake);
    intake.reset();
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
      await channel.wrapper.waitForConnect();
      schedule();
      logger.info({ pools: intakes.map((intake) => intake.key), tickMs: config.TICK_MS }, 'matcher started');
    },
    /** Consumes exactly the pools in `wanted` (keys MODE.REGION), releasing the others. */
    own(wanted: Set<string>): Promise<void> {
      return serially(async () => {
        if (stopped) return;
        const changes = intakes.filter((intake) => wanted.has(intake.key) !== owned.has(intake));
        for (const intake of changes) await (owned.has(intake) ? release(intake) : acquire(intake));
        if (changes.length) logger.info({ owned: [...owned].map((intake) => intake.key) }, 'pool ownership changed');
      });
    },
    /** Rooms formed since start, for the heartbeat (the dashboard's figures). */
    figures,
    /** Every pool of the config, by key. */
    poolKeys: intakes.map((intake) => intake.key),
    /** Runs one tick now; the tests drive the matcher this way. */
    tick: () => serially(tick),
    /** The pools this matcher owns, with their figures. */
    pools() {
      return [...owned].map((intake) => ({
        pool: intake.key, owner: config.MATCHER_ID, waiting: intake.pool.size, held: intake.held.size, lastTickMs: lastTickMs.get(intake.key) ?? null,
      }));
    },
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
