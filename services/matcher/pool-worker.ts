import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import type { FormedRoom, ModeRule, Ticket } from '../../core/types.js';
import type { MessageChannel } from '../../common/amqp.js';
import { deadLetter } from '../../common/dead-letter.js';
import { RECLAIM_WINDOW_MS } from '../../common/room-claims.js';
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
import { PoolProposals, type ProposalOutcome, type ProposalPort } from './pool-proposals.js';
import type { PoolStore } from './pool-store.js';
import { CLAIM_ROOMS_PER_CALL, EpochChanged, type RoomClaim } from '../../common/ticket-store.js';
import { ticketIdsOf, toRoomEvent } from './room-event.js';

/** Rooms a tick claims and publishes per step: one claim-room.lua call (CLAIM_ROOMS_PER_CALL). */
export const ROOMS_PER_STEP = CLAIM_ROOMS_PER_CALL;

/**
 * Steps of a tick whose rooms may wait for their confirms at once: a step's publishes go out
 * only once the step this many before it is confirmed. A backstop for huge ticks, not a pace:
 * a tick of 1,000 joins/s (about 333 rooms) never waits, since under load a confirm can take
 * 300 ms (join→`queued` p50 320 ms with the machine 85% busy), and every wave of confirms a
 * tick waits for adds that to its last rooms' join→`matched`. At 50 rooms a step and 300 ms a
 * confirm a pool still publishes 1,333 rooms a second (two steps capped it at 333).
 */
export const STEPS_UNCONFIRMED = 8;

/**
 * Claim calls of a tick in flight at once (steps of ROOMS_PER_STEP rooms): a tick of 1,000
 * joins/s (7 steps) sends all of them together; a tick of a huge pool (30,000 rooms) sends a
 * window of them, the next as each is answered, not 600 scripts into Redis at one go.
 */
export const CLAIMS_IN_FLIGHT = 16;

/** A room's claim in its pool. */
const roomClaimOf =
  (pool: { mode: string; region: string }) =>
  ({ event, json }: SerializedRoom): RoomClaim => ({ mode: pool.mode, region: pool.region, roomId: event.id, ticketIds: ticketIdsOf(event), json });

/** How often a pool reads its Redis epoch to learn whether Redis lost its data. */
export const EPOCH_CHECK_MS = 1000;

/** A final room sent on, as it is claimed again: its JSON, its tickets and joins (to requeue if the claim is lost). */
interface SentRoom {
  json: string;
  ticketIds: string[];
  joins: JoinRequest[];
  sentAt: number;
}

/** Drops the entries sent before `cutoff`; entries are in the order they were sent, so the first newer one ends the walk. */
function forgetSentBefore<V>(sent: Map<string, V>, cutoff: number, sentAt: (entry: V) => number): void {
  for (const [key, entry] of sent) {
    if (sentAt(entry) >= cutoff) return;
    sent.delete(key);
  }
}

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
  /** Called beside each ready-check counter (the heartbeat's figures). */
  onProposal?: (outcome: ProposalOutcome) => void;
  /** With an ALLOCATOR, final rooms go to the allocation queue (with their joins), not to matchq.rooms. */
  allocation?: boolean;
  /**
   * Held joins may be requeued so that a multiple ack passes them (common/ack-coalescer.ts
   * PassHeld): only on a classic queue, where a requeue is free of consequence; a quorum queue
   * counts it against its delivery limit, and a ticket waiting long would be dead-lettered.
   */
  requeueToPass?: boolean;
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
  /** Final rooms sent on within RECLAIM_WINDOW_MS, oldest first (a Map keeps insertion order). */
  private readonly sent = new Map<string, SentRoom>();
  /** The room in `sent` each of its tickets was last sent in. */
  private readonly sentIn = new Map<string, string>();
  /** Tickets whose timeout was announced within RECLAIM_WINDOW_MS, by ticket id: when, oldest first. */
  private readonly sentTimeouts = new Map<string, number>();
  /** Held joins requeued so that a multiple ack passes them, by ticket: the delivery that was requeued, until it comes again. */
  private readonly requeuedToPass = new Map<string, ConsumeMessage>();
  /** The pool's Redis epoch as last read; undefined before the first read of this ownership. */
  private epoch: string | undefined;
  private epochCheckedAt = -Infinity;

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
        sendFinal: (roomId, json, ticketIds) => this.sendFinal(roomId, json, ticketIds),
        onRoom: deps.onRoom,
        onProposal: deps.onProposal,
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
    if (this.takeBack(request, message, generation)) return;
    // A join seen for the first time whose ticket this matcher sent on in a room is one the
    // allocator sent back: it released that room, which must never be claimed again after Redis
    // loses its data (the re-claim would take the tickets back to a room nobody will announce,
    // and their next room would lose its claim to it: never ended, or seated twice).
    if (!message.fields.redelivered) this.forgetSent(this.sentIn.get(request.ticketId));
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

  /**
   * Whether this held delivery may be requeued now so that a multiple ack passes it: a join this
   * pool holds on that very delivery (waiting, or in a room in flight), on a classic queue.
   */
  mayRequeue(message: ConsumeMessage): boolean {
    if (!this.deps.requeueToPass || !this.owned) return false;
    const ticketId = this.intake.ticketIdHeldOn(message);
    return ticketId !== undefined && !this.requeuedToPass.has(ticketId);
  }

  /** The channel requeued this held join: it comes again, and is taken back then (takeBack). */
  requeued(message: ConsumeMessage): void {
    const ticketId = this.intake.ticketIdHeldOn(message);
    if (ticketId !== undefined) this.requeuedToPass.set(ticketId, message);
  }

  /**
   * A join we requeued, delivered again: its held request stands on the new delivery, the ticket
   * where it was (in the pool, or in a room in flight). If the ticket ended meanwhile (its room
   * confirmed, a leave) the ack sent then found the requeued delivery gone; this one is acked now.
   */
  private takeBack(request: JoinRequest, message: ConsumeMessage, generation: number): boolean {
    const requeued = this.requeuedToPass.get(request.ticketId);
    if (!requeued || !message.fields.redelivered || !requeued.content.equals(message.content)) return false;
    this.requeuedToPass.delete(request.ticketId);
    const held = this.intake.held.get(request.ticketId);
    if (held && held.message === requeued) this.intake.redeliveredAs(held, request.ticketId, message, generation);
    else this.deps.channel.ack(message, generation);
    return true;
  }

  /** One tick of this pool: what failed last time first, then new rooms and timeouts. */
  async tick(now: number): Promise<void> {
    await this.watchEpoch(now);
    await this.settleRedelivered();
    await this.publishRooms(this.outbox.take('unpublished'));
    await this.claimAgain();
    await this.proposeAgain(now);
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
    this.requeuedToPass.clear();
    this.sent.clear();
    this.sentIn.clear();
    this.sentTimeouts.clear();
    this.epoch = undefined;
    this.epochCheckedAt = -Infinity;
  }

  /** After the channel reopened the broker redelivers every unacked request: start empty. */
  reset(): void {
    this.requeuedToPass.clear();
    this.outbox.clear();
    this.proposals?.reset();
    this.intake.reset();
  }

  status(owner: string) {
    const { pool } = this.intake;
    return { pool: this.key, owner, waiting: pool.size, players: pool.players ?? pool.size, held: this.intake.held.size, lastTickMs: this.lastTickMs };
  }

  private ackAll(held: HeldRequest[]): void {
    for (const { message, generation } of held) this.deps.channel.ack(message, generation);
  }

  /** Settles redelivered joins; any that cannot be settled now (Redis or broker away) wait for the next tick. */
  private async settleRedelivered(): Promise<void> {
    const { channel, store, logger } = this.deps;
    const intake = this.intake;
    const taken = this.outbox.take('redelivered');
    if (taken.length === 0) return;
    // A join whose ticket is still held inside a room in flight (its publish or its proposal's
    // final send not yet confirmed) waits until that room lets the ticket go: settled now, a join
    // the allocator sent back for a room it already released would be taken for a copy of the
    // held one and acked, and the ticket would wait in Redis, in no pool (the cluster chaos run).
    const batch = taken.filter((entry) => {
      const { ticketId } = entry.request;
      const inRoom = intake.held.has(ticketId) && !intake.pool.has(ticketId);
      if (inRoom) this.outbox.redelivered.push(entry);
      return !inRoom;
    });
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
    // Each room is announced again once, for all its redelivered joins; rooms and timeouts go out
    // together and each join is acked after what it waits for is confirmed.
    const announcing = new Map<string, Promise<void>>();
    await Promise.all(
      batch.map(async (entry, index) => {
        const { state, roomId } = states[index]!;
        try {
          if (state === null || state === 'queued') {
            if (intake.admit(entry.request, entry.message, entry.generation) !== 'kept') channel.ack(entry.message, entry.generation);
            return;
          }
          // In a proposed room: held, out of the pool, until Redis decides the room (PoolProposals).
          if (state === 'proposed') {
            if (intake.hold(entry.request, entry.message, entry.generation) !== 'kept') channel.ack(entry.message, entry.generation);
            return;
          }
          // A proposed room final but not sent on yet: held too, so PoolProposals sends it with this join
          // (for the allocator to put back if the room gets no server) and acks it then.
          if (state === 'matched' && roomId && (await this.proposals?.finalNotSent(roomId))) {
            if (intake.hold(entry.request, entry.message, entry.generation) !== 'kept') channel.ack(entry.message, entry.generation);
            return;
          }
          if (state === 'matched' && roomId) {
            let announced = announcing.get(roomId);
            if (!announced) announcing.set(roomId, (announced = this.announceAgain(roomId, entry.request)));
            await announced;
          }
          if (state === 'timeout') await this.publishTimeout(entry.request);
          channel.ack(entry.message, entry.generation);
        } catch (error) {
          this.outbox.redelivered.push(entry);
          logger.warn({ err: (error as Error).message, ticketId: entry.request.ticketId }, 'settling a redelivered request failed; retrying next tick');
        }
      }),
    );
  }

  /** A matched room whose join came again: sent on again from Redis, unless a proposal it came from publishes it itself. */
  private async announceAgain(roomId: string, join: JoinRequest): Promise<void> {
    const intake = this.intake;
    // A proposed room that became final is published by PoolProposals, once its announce step says so.
    if (await this.proposals?.publishesItself(roomId)) return;
    const json = await this.deps.store.room(intake.mode, intake.region, roomId);
    if (json) await this.sendFinal(roomId, json, ticketIdsOf(JSON.parse(json) as RoomEvent), [join]);
  }

  /**
   * Lets the pure core form rooms, claims them in Redis and publishes the claimed ones.
   * Returns the tickets that reached maxWaitSeconds, still to be ended.
   */
  private async matchAndClaim(now: number): Promise<Ticket[]> {
    const { metrics } = this.deps;
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
    // With a ready check a room is proposed, not final: the same all-or-none claim, in another state;
    // a proposal's `found` goes out at the next step of this tick. Only final rooms are published.
    if (this.proposals) {
      if (await this.propose(rooms, events, now)) await this.proposals.announceFound();
      return result.expired;
    }
    // A tick's rooms go ROOMS_PER_STEP at a time: one Redis call claims a step, and the steps'
    // calls go together, CLAIMS_IN_FLIGHT at most (pipelined on the connection; each script stays
    // short, so the gateways' joins get in between them at Redis). Claimed one after another, a
    // call waiting for the last one's answer, a tick of 333 rooms took 100–150 ms to reach the
    // broker on a busy machine (docs/performance.md). Each step is published whole (its confirms
    // awaited together) as soon as its claim is answered; at most STEPS_UNCONFIRMED steps wait for
    // their confirms. A step whose call failed waits in the outbox, whole, to be claimed again next tick.
    const steps = Math.ceil(rooms.length / ROOMS_PER_STEP);
    const claimStep = (step: number) => {
      const from = step * ROOMS_PER_STEP;
      return this.claimFinal(rooms.slice(from, from + ROOMS_PER_STEP), events.slice(from, from + ROOMS_PER_STEP));
    };
    const claims = Array.from({ length: Math.min(steps, CLAIMS_IN_FLIGHT) }, (_, step) => claimStep(step));
    const publishing: Promise<void>[] = [];
    for (let step = 0; step < steps; step++) {
      const claimed = await claims[step]!;
      if (step + CLAIMS_IN_FLIGHT < steps) claims.push(claimStep(step + CLAIMS_IN_FLIGHT));
      if (!claimed) continue;
      await publishing.at(-STEPS_UNCONFIRMED);
      const published = this.publishRooms(claimed);
      // Awaited below with the others; marked handled so a failure waiting there is not an unhandled rejection meanwhile.
      published.catch(() => undefined);
      publishing.push(published);
    }
    await Promise.all(publishing);
    return result.expired;
  }

  /**
   * Claims rooms (`claim`: the Redis call) and sorts out the answer: a room that lost a ticket is
   * given up, the joins of its lost tickets acked and its other tickets back in the pool. Returns
   * the rooms claimed whole, or undefined when the call failed: then the rooms wait in `retry`,
   * kept whole with their ids, out of the pool.
   */
  private async claimed(
    rooms: FormedRoom[],
    events: SerializedRoom[],
    claim: () => Promise<number[][]>,
    retry: 'unclaimed' | 'unproposed',
  ): Promise<SerializedRoom[] | undefined> {
    const { logger, metrics } = this.deps;
    const intake = this.intake;
    let lost: number[][];
    try {
      lost = await claim();
    } catch (error) {
      // Redis lost the pool's data since the epoch was read: look again at once, so the rooms in
      // flight are claimed again first and these rooms go next tick under the new epoch.
      if (error instanceof EpochChanged) this.epochCheckedAt = -Infinity;
      // A failed call may still have run (a timeout after Redis took it): the same rooms, same
      // ids, are claimed (or proposed) again next tick, which claim-room.lua and propose-room.lua
      // admit; back in the pool, their tickets would form other rooms that lose to these claims,
      // their joins acked, and nobody would be told (or a proposal nobody heard would time them out).
      logger.warn(
        { err: (error as Error).message, pool: intake.key },
        `${retry === 'unclaimed' ? 'claiming' : 'proposing'} rooms failed; the same rooms go again next tick`,
      );
      this.outbox[retry].push({ rooms, events });
      return undefined;
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
    return claimed;
  }

  /** Claims final rooms (claim-room.lua); rooms whose call failed are kept, to be claimed again as they are. */
  private claimFinal(rooms: FormedRoom[], events: SerializedRoom[]): Promise<SerializedRoom[] | undefined> {
    return this.claimed(rooms, events, () => this.deps.store.claimRooms(events.map(roomClaimOf(this.intake)), this.epoch ?? ''), 'unclaimed');
  }

  /** Proposes ready-check rooms (propose-room.lua); rooms whose call failed are kept, to be proposed again as they are. */
  private propose(rooms: FormedRoom[], events: SerializedRoom[], now: number): Promise<SerializedRoom[] | undefined> {
    return this.claimed(rooms, events, () => this.proposals!.propose(events, now, this.epoch ?? ''), 'unproposed');
  }

  /** Ready-check rooms whose propose call failed, proposed again as they were (same ids); their `found` goes out with the tick's. */
  private async proposeAgain(now: number): Promise<void> {
    for (const { rooms, events } of this.outbox.take('unproposed')) await this.propose(rooms, events, now);
  }

  /** Rooms whose claim call failed, claimed again as they were (same ids), and published once claimed. */
  private async claimAgain(): Promise<void> {
    for (const { rooms, events } of this.outbox.take('unclaimed')) {
      const claimed = await this.claimFinal(rooms, events);
      if (claimed) await this.publishRooms(claimed);
    }
  }

  /**
   * Publishes claimed rooms all at once and awaits their confirms together; then the joins of the
   * confirmed ones are acked in one go (the channel coalesces them: common/ack-coalescer.ts). A join
   * is acked only once the one room it went into is confirmed; a room the broker did not confirm
   * keeps its joins unacked and is published again, same id, next tick.
   */
  private async publishRooms(rooms: SerializedRoom[]): Promise<void> {
    if (rooms.length === 0) return;
    const { logger, metrics, onRoom } = this.deps;
    const outcomes = await Promise.allSettled(rooms.map(({ event, json }) => this.sendFinal(event.id, json, ticketIdsOf(event))));
    const pool = this.key;
    outcomes.forEach((outcome, index) => {
      const room = rooms[index]!;
      const { event } = room;
      if (outcome.status === 'rejected') {
        // Claimed but not confirmed: keep the same room (same id) and try again next tick.
        logger.warn({ err: (outcome.reason as Error).message, room: event.id }, 'room publish failed; retrying next tick');
        this.outbox.unpublished.push(room);
        return;
      }
      this.ackAll(this.intake.release(ticketIdsOf(event)));
      onRoom?.(event);
      metrics.rooms.inc({ pool });
      metrics.matchedPlayers.inc({ pool }, event.players.length);
      metrics.spread.observe({ pool }, event.spread);
      for (const player of event.players) metrics.waitSeconds.observe({ pool }, player.waitedMs / 1000);
    });
  }

  /**
   * A final room's way on: to matchq.rooms (v1), or with an allocator to the allocation queue,
   * carrying the joins of its tickets so a room that gets no server can send them back to the pool.
   * The allocator decides in Redis whether a room it sees again is new, decided or still in flight.
   */
  private async sendFinal(roomId: string, json: string, ticketIds: string[], joins = this.joinsOf(ticketIds)): Promise<void> {
    const { channel, names, clock } = this.deps;
    // On record before it leaves, so a claim Redis loses even while it is in flight is made again.
    if (!this.sent.has(roomId)) {
      this.sent.set(roomId, { json, ticketIds, joins, sentAt: clock() });
      for (const ticketId of ticketIds) this.sentIn.set(ticketId, roomId);
    }
    if (!this.deps.allocation) return channel.publish(names.rooms, '', Buffer.from(json), { messageId: roomId, type: ROOM_EVENT_TYPE });
    const request: AllocationRequest = { v: 1, room: JSON.parse(json) as RoomEvent, joins };
    await channel.publish('', names.allocation, encode(request), { messageId: roomId, type: ALLOCATION_EVENT_TYPE });
  }

  /**
   * Reads the pool's epoch once every EPOCH_CHECK_MS (writing one when Redis holds none). A new
   * epoch means Redis lost the pool's data since the last read, claims of rooms in flight with
   * it: they are claimed again. Until the claim is made again no room is lost, only waiting.
   */
  private async watchEpoch(now: number): Promise<void> {
    if (now - this.epochCheckedAt < EPOCH_CHECK_MS) return;
    this.epochCheckedAt = now;
    for (const [roomId, room] of this.sent) {
      if (room.sentAt >= now - RECLAIM_WINDOW_MS) break;
      this.forgetSent(roomId);
    }
    forgetSentBefore(this.sentTimeouts, now - RECLAIM_WINDOW_MS, (sentAt) => sentAt);
    const { store, logger } = this.deps;
    const intake = this.intake;
    try {
      const epoch = await store.epoch(intake.mode, intake.region, `${randomUUID()} ${now}`);
      // The epoch read is kept only once the claims are made again, so a failure retries both
      // (and until then every claim under the old epoch is refused: the re-claim comes first).
      if (this.epoch !== undefined && epoch !== this.epoch) await this.reclaim(epoch);
      this.epoch = epoch;
    } catch (error) {
      logger.warn({ err: (error as Error).message, pool: intake.key }, "checking the pool's Redis epoch failed; checking again next tick");
    }
  }

  /**
   * Ends the timeouts and claims every room sent within RECLAIM_WINDOW_MS again (claim-room.lua:
   * a ticket Redis lost counts as queued, one already matched to the room as claimed), so the
   * notifier and the recorder, which wait for them, go on. A room whose claim is lost for good (a ticket
   * ended meanwhile: its player left) reaches no one; its other tickets go back to the pool with
   * their wait, as their joins first came.
   */
  private async reclaim(epoch: string): Promise<void> {
    const { store, channel, names, logger, metrics } = this.deps;
    const intake = this.intake;
    const rooms = [...this.sent];
    const timeouts = [...this.sentTimeouts.keys()];
    logger.warn(
      { pool: intake.key, rooms: rooms.length, timeouts: timeouts.length },
      "Redis lost this pool's data; claiming the rooms and timeouts sent recently again",
    );
    // expire-tickets.lua ends a lost ticket again; one that ended otherwise meanwhile keeps that end.
    await store.expire(intake.mode, intake.region, timeouts);
    if (rooms.length === 0) return;
    const ticketIds = rooms.map(([, room]) => room.ticketIds);
    const lost = await store.claimRooms(
      rooms.map(([roomId, room]) => ({ mode: intake.mode, region: intake.region, roomId, ticketIds: room.ticketIds, json: room.json })),
      epoch,
    );
    await Promise.all(
      rooms.map(async ([roomId, room], index) => {
        const lostIndexes = lost[index]!;
        if (lostIndexes.length === 0) return metrics.reclaimedRooms.inc({ pool: intake.key, outcome: 'claimed' });
        const ended = new Set(lostIndexes.map((at) => ticketIds[index]![at]));
        const requeued = room.joins.filter((join) => !ended.has(join.ticketId));
        await Promise.all(
          requeued.map((join) =>
            channel.publish(names.requests, `${join.mode}.${join.region}`, encode(join), { messageId: `reclaim-${roomId}-${join.ticketId}` }),
          ),
        );
        this.forgetSent(roomId);
        metrics.reclaimedRooms.inc({ pool: intake.key, outcome: 'lost' });
        logger.warn(
          { pool: intake.key, room: roomId, requeued: requeued.length },
          'a room Redis lost could not be claimed again; its other tickets wait again',
        );
      }),
    );
  }

  /** Drops a sent room from the record (and its tickets from the index, where they still point to it). */
  private forgetSent(roomId: string | undefined): void {
    const room = roomId === undefined ? undefined : this.sent.get(roomId);
    if (!room) return;
    this.sent.delete(roomId!);
    for (const ticketId of room.ticketIds) if (this.sentIn.get(ticketId) === roomId) this.sentIn.delete(ticketId);
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
    this.sentTimeouts.delete(ticket.ticketId);
    this.sentTimeouts.set(ticket.ticketId, clock());
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
