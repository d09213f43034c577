import type { ConsumeMessage } from 'amqplib';
import type { MessageChannel, PublishOptions } from '../../common/amqp.js';
import { EpochChanged, type TicketState } from '../../common/ticket-store.js';
import { propose, step, ticketStates, type RoomEventType, type RoomLife, type RoomLifeEvent } from '../../core/room-lifecycle.js';
import type { NewProposal, StepAnswer, StoredProposal } from '../../common/proposal-store.js';
import type { ProposalPort } from '../../services/matcher/pool-proposals.js';
import type { PoolStore } from '../../services/matcher/pool-store.js';

/** A delivery as amqplib hands it over, with only the fields the matcher reads. */
export function delivery(body: unknown, { redelivered = false, tag = 0 } = {}): ConsumeMessage {
  const content = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return {
    content,
    fields: { deliveryTag: tag, redelivered, exchange: 'requests', routingKey: 'pool', consumerTag: 'test' },
    properties: { headers: {} },
  } as unknown as ConsumeMessage;
}

/** A dead letter may carry what was never JSON: keep it as text. */
function parseOrRaw(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON is what this dead letter is: the test sees its text.
    return text;
  }
}

export interface Published {
  exchange: string;
  routingKey: string;
  body: unknown;
  options: PublishOptions;
}

/**
 * The broker channel in memory: records acks, nacks and confirmed publishes. `failPublishes`
 * makes the next n publishes reject, as a broker that went away would. With `holdConfirms` a
 * publish is on the wire (`unconfirmed`) until `confirm()` answers it, ack or nack.
 */
export class FakeChannel implements MessageChannel {
  acked: ConsumeMessage[] = [];
  nacked: ConsumeMessage[] = [];
  published: Published[] = [];
  failPublishes = 0;
  holdConfirms = false;
  /** Publishes sent and not yet confirmed, oldest first (only with holdConfirms). */
  unconfirmed: { entry: Published; answer: (error?: Error) => void }[] = [];

  /** Answers the oldest `count` unconfirmed publishes (all by default): confirmed, or nacked with `error`. */
  confirm(count = this.unconfirmed.length, error?: Error): void {
    for (const { answer } of this.unconfirmed.splice(0, count)) answer(error);
  }

  ack(message: ConsumeMessage): void {
    this.acked.push(message);
  }

  nack(message: ConsumeMessage): void {
    this.nacked.push(message);
  }

  async publish(exchange: string, routingKey: string, content: Buffer, options: PublishOptions = {}): Promise<void> {
    if (this.failPublishes > 0) {
      this.failPublishes -= 1;
      throw new Error('broker away');
    }
    const entry = { exchange, routingKey, body: parseOrRaw(content.toString()), options };
    if (!this.holdConfirms) {
      this.published.push(entry);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.unconfirmed.push({
        entry,
        answer: (error) => {
          if (error) return reject(error);
          this.published.push(entry);
          resolve();
        },
      });
    });
  }

  /** Messages whose delivery was settled (acked or nacked), for "every delivery is settled once". */
  settled(): ConsumeMessage[] {
    return [...this.acked, ...this.nacked];
  }
}

/**
 * The ticket store in memory, with the same rules as the Lua scripts: a claim wins all
 * tickets of a room or none, a missing ticket counts as queued, a claim under another epoch
 * than the pool's claims nothing (EpochChanged), a room the allocator released is never
 * claimed again, expiring ends only queued ones. `failNext` makes the next call of that
 * method reject, as Redis away would.
 */
export class FakeStore implements PoolStore {
  readonly tickets = new Map<string, { state: TicketState; roomId?: string }>();
  readonly rooms = new Map<string, string>();
  /** Rooms whose allocation record says dissolved (fail-allocation.lua): the allocator released them. */
  readonly released = new Set<string>();
  /** The pool's epoch (keys.poolEpoch); null as after Redis lost its data. */
  epochValue: string | null = null;
  failNext = new Set<'states' | 'room' | 'claimRooms' | 'expire' | 'epoch'>();
  /** Rooms in each claimRooms call, in order (a failed call too). */
  readonly claimCalls: number[] = [];
  /** claimRooms calls to let through before the next one fails (a Redis lost mid-tick). */
  failClaimAfter: number | undefined;
  /** The next claimRooms call runs in Redis, then fails anyway (a timeout after Redis took it). */
  failNextClaimAfterRunning = false;
  /** While set, each claimRooms call waits for it before it runs (Redis slow to answer). */
  claimGate: Promise<void> | undefined;
  /** claimRooms calls made and not yet answered, now and at the most. */
  claimsInFlight = 0;
  maxClaimsInFlight = 0;

  private check(method: 'states' | 'room' | 'claimRooms' | 'expire' | 'epoch'): void {
    if (this.failNext.delete(method)) throw new Error('redis away');
  }

  set(ticketId: string, state: TicketState, roomId?: string): void {
    this.tickets.set(ticketId, roomId === undefined ? { state } : { state, roomId });
  }

  stateOf(ticketId: string): TicketState | undefined {
    return this.tickets.get(ticketId)?.state;
  }

  async states(_mode: string, _region: string, ticketIds: string[]) {
    this.check('states');
    return ticketIds.map((ticketId) => {
      const ticket = this.tickets.get(ticketId);
      return { state: ticket?.state ?? null, roomId: ticket?.roomId ?? null };
    });
  }

  async room(_mode: string, _region: string, roomId: string) {
    this.check('room');
    return this.rooms.get(roomId) ?? null;
  }

  async claimRooms(rooms: { mode: string; region: string; roomId: string; ticketIds: string[]; json: string }[], epoch: string) {
    this.claimsInFlight += 1;
    this.maxClaimsInFlight = Math.max(this.maxClaimsInFlight, this.claimsInFlight);
    try {
      if (this.claimGate) await this.claimGate;
      return this.claimNow(rooms, epoch);
    } finally {
      this.claimsInFlight -= 1;
    }
  }

  private claimNow(rooms: { mode: string; region: string; roomId: string; ticketIds: string[]; json: string }[], epoch: string) {
    this.claimCalls.push(rooms.length);
    if (this.failClaimAfter !== undefined && this.failClaimAfter-- === 0) {
      this.failClaimAfter = undefined;
      throw new Error('redis away');
    }
    this.check('claimRooms');
    this.checkEpoch(rooms, epoch);
    const answers = rooms.map((room) => {
      const lost = room.ticketIds.flatMap((ticketId, index) => {
        const ticket = this.tickets.get(ticketId);
        const claimable =
          !this.released.has(room.roomId) && (!ticket || ticket.state === 'queued' || (ticket.state === 'matched' && ticket.roomId === room.roomId));
        return claimable ? [] : [index];
      });
      if (lost.length > 0) return lost;
      for (const ticketId of room.ticketIds) this.tickets.set(ticketId, { state: 'matched', roomId: room.roomId });
      this.rooms.set(room.roomId, room.json);
      return [];
    });
    if (this.failNextClaimAfterRunning) {
      this.failNextClaimAfterRunning = false;
      throw new Error('Command timed out');
    }
    return answers;
  }

  /** As claim-room.lua and propose-room.lua: nothing is claimed under an epoch that is not the pool's. */
  checkEpoch(rooms: { mode: string; region: string }[], epoch: string): void {
    if (rooms.length > 0 && epoch !== this.epochValue) throw new EpochChanged(rooms[0]!.mode, rooms[0]!.region);
  }

  async epoch(_mode: string, _region: string, candidate: string) {
    this.check('epoch');
    this.epochValue ??= candidate;
    return this.epochValue;
  }

  /** Redis restarting without persistence: every ticket, room and the epoch gone. */
  loseEverything(): void {
    this.tickets.clear();
    this.rooms.clear();
    this.released.clear();
    this.epochValue = null;
  }

  async expire(_mode: string, _region: string, ticketIds: string[]) {
    this.check('expire');
    return ticketIds.map((ticketId) => {
      const state = this.tickets.get(ticketId)?.state;
      if (state && state !== 'queued') return false;
      this.tickets.set(ticketId, { state: 'timeout' });
      return true;
    });
  }
}

/**
 * The ready check's Redis side in memory, driven by the pure room lifecycle itself (which
 * test/integration/room-lifecycle-redis.test.ts holds the Lua scripts to): proposals, the
 * pending and decided sets, ticket states next to FakeStore's, and cooldowns.
 */
export class FakeProposals implements ProposalPort {
  readonly rooms = new Map<string, { life: RoomLife; json: string }>();
  readonly cooldowns = new Map<string, number>();
  failNext = new Set<'propose' | 'step' | 'get' | 'pending' | 'decided' | 'settle'>();
  /** The next propose call runs in Redis, then fails anyway (a timeout after Redis took it). */
  failNextProposeAfterRunning = false;
  private readonly decidedSet = new Set<string>();

  constructor(private readonly tickets: FakeStore) {}

  private check(method: 'propose' | 'step' | 'get' | 'pending' | 'decided' | 'settle'): void {
    if (this.failNext.delete(method)) throw new Error('redis away');
  }

  /** As propose-room.lua: a ticket already proposed in the same room counts as queued, and a second run keeps the answers so far. */
  async propose(rooms: NewProposal[], epoch: string) {
    this.check('propose');
    this.tickets.checkEpoch(rooms, epoch);
    const answers = rooms.map((room) => {
      const lost = room.ticketIds.flatMap((ticketId, index) => {
        const ticket = this.tickets.tickets.get(ticketId);
        const claimable = !ticket || ticket.state === 'queued' || (ticket.state === 'proposed' && ticket.roomId === room.roomId);
        return claimable ? [] : [index];
      });
      if (lost.length > 0) return lost;
      for (const ticketId of room.ticketIds) this.tickets.set(ticketId, 'proposed', room.roomId);
      const before = this.rooms.get(room.roomId)?.life;
      const life = propose(room.seats, room.deadline);
      this.rooms.set(room.roomId, { life: before?.phase === 'proposed' ? { ...life, accepted: before.accepted } : life, json: room.json });
      return [];
    });
    if (this.failNextProposeAfterRunning) {
      this.failNextProposeAfterRunning = false;
      throw new Error('Command timed out');
    }
    return answers;
  }

  async step(_mode: string, _region: string, roomId: string, event: RoomEventType, now: number, playerId = ''): Promise<StepAnswer> {
    this.check('step');
    const room = this.rooms.get(roomId);
    if (!room) return { outcome: 'missing', phase: '', accepted: 0, total: 0 };
    const lifeEvent = (
      event === 'accept' || event === 'decline' || event === 'leave'
        ? { type: event, playerId, now }
        : event === 'expire'
          ? { type: event, now }
          : { type: event }
    ) as RoomLifeEvent;
    const result = step(room.life, lifeEvent);
    const before = room.life.phase;
    room.life = result.room;
    if (result.ok) {
      for (const [ticketId, state] of ticketStates(room.life))
        this.tickets.set(ticketId, state, state === 'matched' || state === 'proposed' ? roomId : undefined);
      if (room.life.phase === 'announced') this.decidedSet.delete(roomId);
      else if (before === 'proposed' && room.life.phase !== 'proposed') this.decidedSet.add(roomId);
      if (room.life.phase === 'final') this.tickets.rooms.set(roomId, room.json);
    }
    return { outcome: result.ok ? 'ok' : result.reason, phase: room.life.phase, accepted: room.life.accepted.length, total: room.life.seats.length };
  }

  /** As `get`: the twin has no replicas to wait for. */
  async getHeld(mode: string, region: string, roomId: string): Promise<StoredProposal | null> {
    return this.get(mode, region, roomId);
  }

  async get(_mode: string, _region: string, roomId: string): Promise<StoredProposal | null> {
    this.check('get');
    const room = this.rooms.get(roomId);
    if (!room) return null;
    const { life } = room;
    return {
      roomId,
      phase: life.phase,
      deadline: life.deadline,
      seats: [...life.seats],
      accepted: [...life.accepted],
      json: room.json,
      ...(life.dissolved ? { dissolved: life.dissolved } : {}),
    };
  }

  async pending(_mode: string, _region: string, dueAt?: number) {
    this.check('pending');
    return [...this.rooms]
      .filter(([, room]) => room.life.phase === 'proposed' && (dueAt === undefined || room.life.deadline < dueAt))
      .map(([roomId]) => roomId);
  }

  async decided() {
    this.check('decided');
    return [...this.decidedSet];
  }

  async settle(_mode: string, _region: string, roomId: string) {
    this.check('settle');
    this.decidedSet.delete(roomId);
  }

  async setCooldown(playerId: string, ms: number) {
    this.cooldowns.set(playerId, ms);
  }

  /** Redis restarted empty: proposals and tickets alike. */
  forgetAll(): void {
    this.tickets.loseEverything();
    this.rooms.clear();
    this.decidedSet.clear();
  }
}
