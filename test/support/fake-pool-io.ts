import type { ConsumeMessage } from 'amqplib';
import type { MessageChannel, PublishOptions } from '../../common/amqp.js';
import type { TicketState } from '../../common/ticket-store.js';
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
 * makes the next n publishes reject, as a broker that went away would.
 */
export class FakeChannel implements MessageChannel {
  acked: ConsumeMessage[] = [];
  nacked: ConsumeMessage[] = [];
  published: Published[] = [];
  failPublishes = 0;

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
    this.published.push({ exchange, routingKey, body: parseOrRaw(content.toString()), options });
  }

  /** Messages whose delivery was settled (acked or nacked), for "every delivery is settled once". */
  settled(): ConsumeMessage[] {
    return [...this.acked, ...this.nacked];
  }
}

/**
 * The ticket store in memory, with the same rules as the Lua scripts: a claim wins all
 * tickets of a room or none, a missing ticket counts as queued, expiring ends only queued
 * ones. `failNext` makes the next call of that method reject, as Redis away would.
 */
export class FakeStore implements PoolStore {
  readonly tickets = new Map<string, { state: TicketState; roomId?: string }>();
  readonly rooms = new Map<string, string>();
  failNext = new Set<'states' | 'room' | 'claimRooms' | 'expire'>();

  private check(method: 'states' | 'room' | 'claimRooms' | 'expire'): void {
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

  async claimRooms(rooms: { roomId: string; ticketIds: string[]; json: string }[]) {
    this.check('claimRooms');
    return rooms.map((room) => {
      const lost = room.ticketIds.flatMap((ticketId, index) => {
        const state = this.tickets.get(ticketId)?.state;
        return state && state !== 'queued' ? [index] : [];
      });
      if (lost.length > 0) return lost;
      for (const ticketId of room.ticketIds) this.tickets.set(ticketId, { state: 'matched', roomId: room.roomId });
      this.rooms.set(room.roomId, room.json);
      return [];
    });
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
  private readonly decidedSet = new Set<string>();

  constructor(private readonly tickets: FakeStore) {}

  private check(method: 'propose' | 'step' | 'get' | 'pending' | 'decided' | 'settle'): void {
    if (this.failNext.delete(method)) throw new Error('redis away');
  }

  async propose(rooms: NewProposal[]) {
    this.check('propose');
    return rooms.map((room) => {
      const lost = room.ticketIds.flatMap((ticketId, index) => {
        const state = this.tickets.stateOf(ticketId);
        return state && state !== 'queued' ? [index] : [];
      });
      if (lost.length > 0) return lost;
      for (const ticketId of room.ticketIds) this.tickets.set(ticketId, 'proposed', room.roomId);
      this.rooms.set(room.roomId, { life: propose(room.seats, room.deadline), json: room.json });
      return [];
    });
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
    this.tickets.tickets.clear();
    this.tickets.rooms.clear();
    this.rooms.clear();
    this.decidedSet.clear();
  }
}
