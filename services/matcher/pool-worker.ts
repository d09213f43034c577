import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import type { ModeRule, Ticket } from '../../core/types.js';
import type { MessageChannel } from '../../common/amqp.js';
import { deadLetter } from '../../common/dead-letter.js';
import type { Logger } from '../../common/logger.js';
import {
  ALLOCATION_EVENT_TYPE,
  decode,
  encode,
  InvalidMessage,
  poolRequest,
  ROOM_EVENT_TYPE,
  TIMEOUT_EVENT_TYPE,
  type AllocationRequest,
  type JoinRequest,
  type RoomEvent,
  type TicketTimeout,
} from '../../common/messages.js';
import type { AmqpNames } from '../../common/names.js';
import type { MatcherMetrics } from './metrics.js';
import { PoolIntake, type HeldRequest } from './pool-intake.js';
import { PoolOutbox, type SerializedRoom } from './pool-outbox.js';
import { PoolProposals, type ProposalPort } from './pool-proposals.js';
import type { PoolStore } from './pool-store.js';
import { ticketIdsOf, toRoomEvent } from './room-event.js';

export interface PoolWorkerDeps {
  mode: string;
  region: string;
  rule: ModeRule;
  channel: MessageChannel;
  store: PoolStore;
  /** Redis side of the ready check; used only when the mode's rule has `accept`. */
  proposals?: ProposalPort;
  names: AmqpNames;
  logger: Logger;
  metrics: MatcherMetrics;
  clock: () => number;
  /** Room ids; random UUIDs unless a test wants them predictable. */
  newId?: () => string;
  /** Called once per room the broker confirmed (the heartbeat's figures). */
  onRoom?: (event: RoomEvent) => void;
  /** With an ALLOCATOR, final rooms go to the allocation queue (with their joins), not to matchq.rooms. */
  allocation?: boolean;
}

/**
 * One pool owned by this matcher: its intake (waiting tickets and the unacked joins behind
 * them) and its outbox (work decided but not done). `tick(now)` settles redeliveries, retries
 * the outbox, then forms rooms and runs claim → publish → ack: a room's tickets are claimed in
 * Redis, the room is published with a confirm, and only then are its joins acked, so a crash
 * anywhere redelivers them.
 */
export class PoolWorker {
  readonly intake: PoolIntake;
  readonly outbox = new PoolOutbox();
  /** The ready check's proposed rooms, when the mode has one; without it rooms are final at once (v1). */
  readonly proposals: PoolProposals | undefined;
  /** Set while this matcher owns the pool; deliveries that arrive otherwise go back. */
  owned = false;
  lastTickMs: number | null = null;
  private readonly newId: () => string;

  constructor(private readonly deps: PoolWorkerDeps) {
    this.intake = new PoolIntake(deps.mode, deps.region, deps.rule);
    this.newId = deps.newId ?? randomUUID;
    if (deps.rule.accept) {
      if (!deps.proposals) throw new Error(`pool ${this.intake.key} has a ready check but no proposal store`);
      this.proposals = new PoolProposals({
        intake: this.intake,
        accept: deps.rule.accept,
        channel: deps.channel,
        store: deps.proposals,
        names: deps.names,
        logger: deps.logger,
        metrics: deps.metrics,
        ackAll: (held) => this.ackAll(held),
        sendFinal: (roomId, json, ticketIds) => this.sendFinal(roomId, json, this.joinsOf(ticketIds)),
        onRoom: deps.onRoom,
      });
    }
  }

  get key(): string {
    return this.intake.key;
  }

  /** One delivery from the pool's queue. */
  receive(message: ConsumeMessage, generation: number): void {
    const { channel, names, logger, metrics, clock } = this.deps;
    const intake = this.intake;
    // A delivery already on the wire when we let the pool go belongs to its new owner.
    if (!this.owned) return channel.nack(message, generation, true);
    let request;
    try {
      request = decode(poolRequest, message.content);
      if (request.mode !== intake.mode || request.region !== intake.region)
        throw new InvalidMessage(`request for pool ${request.mode}.${request.region} on ${intake.key}`);
      if (request.type === 'join') intake.check(request);
    } catch (error) {
      if (!(error instanceof InvalidMessage)) throw error;
      metrics.deadLetters.inc();
      deadLetter(channel, names.dead, message, generation, error.message, logger).catch((failure: Error) =>
        logger.error({ err: failure.message }, 'dead-lettering failed; the message will come back'),
      );
      return;
    }
    if (request.type === 'leave') {
      const held = intake.withdraw(request.ticketId, clock());
      if (held) channel.ack(held.message, held.generation);
      channel.ack(message, generation);
      return;
    }
    // A redelivered join may belong to a ticket that already ended before a crash. A join whose
    // ticket is held inside a room still being published is one the allocator sent back from that
    // room, faster than our ack: it is settled at the next tick, once the room let its ticket go.
    const inFlight = this.deps.allocation && intake.held.has(request.ticketId) && !intake.pool.has(request.ticketId);
    if (message.fields.redelivered || inFlight) {
      this.outbox.redelivered.push({ request, message, generation });
      return;
    }
    if (intake.admit(request, message, generation) !== 'kept') channel.ack(message, generation);
  }

  /** One tick of this pool: what failed last time first, then new rooms and timeouts. */
  async tick(now: number): Promise<void> {
    await this.settleRedelivered();
    await Promise.all(this.outbox.take('unpublished').map((room) => this.publishRoom(room)));
    await Promise.all(this.outbox.take('unannounced').map((ticket) => this.announceTimeout(ticket)));
    await this.proposals?.tick(now);
    const expired = await this.matchAndClaim(now);
    await this.endExpired(expired);
    this.intake.forgetStaleLeaves(now);
  }

  /** Hands the pool back: every request held for it returns to the queue, for the next owner. */
  release(): void {
    const { channel } = this.deps;
    this.owned = false;
    for (const held of this.intake.held.values()) channel.nack(held.message, held.generation, true);
    for (const entry of this.outbox.redelivered) channel.nack(entry.message, entry.generation, true);
    this.reset();
  }

  /** After the channel reopened the broker redelivers every unacked request: start empty. */
  reset(): void {
    this.outbox.clear();
    this.proposals?.reset();
    this.intake.reset();
  }

  status(owner: string) {
    return { pool: this.key, owner, waiting: this.intake.pool.size, held: this.intake.held.size, lastTickMs: this.lastTickMs };
  }

  private ackAll(held: HeldRequest[]): void {
    for (const { message, generation } of held) this.deps.channel.ack(message, generation);
  }

  /** Settles redelivered joins; any that cannot be settled now (Redis or broker away) wait for the next tick. */
  private async settleRedelivered(): Promise<void> {
    const { channel, store, logger } = this.deps;
    const intake = this.intake;
    const batch = this.outbox.take('redelivered');
    if (batch.length === 0) return;
    let states: Awaited<ReturnType<PoolStore['states']>>;
    try {
      states = await store.states(
        intake.mode,
        intake.region,
        batch.map((entry) => entry.request.ticketId),
      );
    } catch (error) {
      this.outbox.redelivered.push(...batch);
      logger.warn({ err: (error as Error).message, pool: intake.key }, 'reading redelivered tickets failed; retrying next tick');
      return;
    }
    const reannounced = new Set<string>();
    for (const [index, entry] of batch.entries()) {
      const { state, roomId } = states[index]!;
      try {
        if (state === null || state === 'queued') {
          if (intake.admit(entry.request, entry.message, entry.generation) !== 'kept') channel.ack(entry.message, entry.generation);
          continue;
        }
        // In a proposed room: held, out of the pool, until Redis decides the room (PoolProposals).
        if (state === 'proposed') {
          if (intake.hold(entry.request, entry.message, entry.generation) !== 'kept') channel.ack(entry.message, entry.generation);
          continue;
        }
        // A proposed room that became final is published by PoolProposals, once its announce step says so.
        if (state === 'matched' && roomId && !reannounced.has(roomId) && !(await this.proposals?.publishesItself(roomId))) {
          const json = await store.room(intake.mode, intake.region, roomId);
          if (json) await this.sendFinal(roomId, json, [entry.request]);
          reannounced.add(roomId);
        }
        if (state === 'timeout') await this.publishTimeout(entry.request);
        channel.ack(entry.message, entry.generation);
      } catch (error) {
        this.outbox.redelivered.push(entry);
        logger.warn({ err: (error as Error).message, ticketId: entry.request.ticketId }, 'settling a redelivered request failed; retrying next tick');
      }
    }
  }

  /**
   * Lets the pure core form rooms, claims them in Redis and publishes the claimed ones.
   * Returns the tickets that reached maxWaitSeconds, still to be ended.
   */
  private async matchAndClaim(now: number): Promise<Ticket[]> {
    const { store, logger, metrics } = this.deps;
    const intake = this.intake;
    const started = performance.now();
    const result = intake.pool.tick(now);
    const elapsed = performance.now() - started;
    // Room objects are built here, outside the timed tick: each becomes an event anyway.
    const rooms = [...result.rooms];
    this.lastTickMs = elapsed;
    metrics.tickSeconds.observe({ pool: intake.key }, elapsed / 1000);
    if (rooms.length === 0) return result.expired;

    const events = rooms.map((room): SerializedRoom => {
      const event = toRoomEvent(room, intake, this.newId(), now, (ticketId, playerId) => intake.nameOf(ticketId, playerId));
      return { event, json: JSON.stringify(event) };
    });
    let lost: number[][];
    try {
      // With a ready check a room is proposed, not final: the same all-or-none claim, in another state.
      lost = this.proposals
        ? await this.proposals.propose(events, now)
        : await store.claimRooms(
            events.map(({ event, json }) => ({
              mode: intake.mode,
              region: intake.region,
              roomId: event.id,
              ticketIds: ticketIdsOf(event),
              json,
            })),
          );
    } catch (error) {
      // A room that cannot be claimed fails whole: every ticket waits again.
      logger.warn({ err: (error as Error).message, pool: intake.key }, 'claiming rooms failed; tickets return to the pool');
      for (const room of rooms) room.tickets.forEach((ticket) => intake.pool.add(ticket));
      return result.expired;
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
      this.ackAll(intake.release([...ended]));
      for (const ticket of rooms[index]!.tickets) if (!ended.has(ticket.ticketId)) intake.pool.add(ticket);
    });
    // A proposal's `found` goes out at the next step of this tick; only final rooms are published.
    if (this.proposals) await this.proposals.announceFound();
    else await Promise.all(claimed.map((room) => this.publishRoom(room)));
    return result.expired;
  }

  private async publishRoom(room: SerializedRoom): Promise<void> {
    const { logger, metrics, onRoom } = this.deps;
    const { event } = room;
    try {
      await this.sendFinal(event.id, room.json, this.joinsOf(ticketIdsOf(event)));
    } catch (error) {
      // Claimed but not confirmed: keep the same room (same id) and try again next tick.
      logger.warn({ err: (error as Error).message, room: event.id }, 'room publish failed; retrying next tick');
      this.outbox.unpublished.push(room);
      return;
    }
    const pool = this.key;
    this.ackAll(this.intake.release(ticketIdsOf(event)));
    onRoom?.(event);
    metrics.rooms.inc({ pool });
    metrics.matchedPlayers.inc({ pool }, event.players.length);
    metrics.spread.observe({ pool }, event.spread);
    for (const player of event.players) metrics.waitSeconds.observe({ pool }, player.waitedMs / 1000);
  }

  /**
   * A final room's way on: to matchq.rooms (v1), or with an allocator to the allocation queue,
   * carrying the joins of its tickets so a room that gets no server can send them back to the pool.
   * The allocator decides in Redis whether a room it sees again is new, decided or still in flight.
   */
  private async sendFinal(roomId: string, json: string, joins: JoinRequest[]): Promise<void> {
    const { channel, names } = this.deps;
    if (!this.deps.allocation) return channel.publish(names.rooms, '', Buffer.from(json), { messageId: roomId, type: ROOM_EVENT_TYPE });
    const request: AllocationRequest = { v: 1, room: JSON.parse(json) as RoomEvent, joins };
    await channel.publish('', names.allocation, encode(request), { messageId: roomId, type: ALLOCATION_EVENT_TYPE });
  }

  /** The joins behind the given tickets, as the broker delivered them (each already checked by its schema). */
  private joinsOf(ticketIds: string[]): JoinRequest[] {
    return ticketIds.flatMap((ticketId) => {
      const held = this.intake.held.get(ticketId);
      return held ? [JSON.parse(held.message.content.toString('utf8')) as JoinRequest] : [];
    });
  }

  private async endExpired(expired: Ticket[]): Promise<void> {
    if (expired.length === 0) return;
    const intake = this.intake;
    let ended: boolean[];
    try {
      ended = await this.deps.store.expire(
        intake.mode,
        intake.region,
        expired.map((ticket) => ticket.ticketId),
      );
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message, pool: intake.key }, 'expiring tickets failed; retrying next tick');
      expired.forEach((ticket) => intake.pool.add(ticket));
      return;
    }
    await Promise.all(expired.map((ticket, index) => (ended[index] ? this.announceTimeout(ticket) : this.ackAll(intake.release([ticket.ticketId])))));
  }

  /** Tells the notifier a ticket timed out, then acks its join; kept for the next tick if the broker is away. */
  private async announceTimeout(ticket: Ticket): Promise<void> {
    try {
      await this.publishTimeout(ticket);
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message, ticketId: ticket.ticketId }, 'timeout publish failed; retrying next tick');
      this.outbox.unannounced.push(ticket);
      return;
    }
    this.deps.metrics.timeouts.inc({ pool: this.key });
    this.ackAll(this.intake.release([ticket.ticketId]));
  }

  private async publishTimeout(ticket: Pick<Ticket, 'ticketId' | 'playerId'> & { members?: readonly { playerId: string }[] }): Promise<void> {
    const { channel, names, clock } = this.deps;
    const timeout: TicketTimeout = { v: 1, ticketId: ticket.ticketId, playerId: ticket.playerId, mode: this.intake.mode, region: this.intake.region };
    // A party's ticket: the notifier tells every member.
    if (ticket.members) timeout.playerIds = ticket.members.map((member) => member.playerId);
    await channel.publish('', names.notifier, encode(timeout), {
      messageId: `timeout-${ticket.ticketId}`,
      type: TIMEOUT_EVENT_TYPE,
      timestamp: Math.floor(clock() / 1000),
    });
  }
}
