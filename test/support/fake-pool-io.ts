import type { ConsumeMessage } from 'amqplib';
import type { MessageChannel, PublishOptions } from '../../common/amqp.js';
import type { TicketState } from '../../common/ticket-store.js';
import type { PoolStore } from '../../services/matcher/pool-store.js';

/** A delivery as amqplib hands it over, with only the fields the matcher reads. */
export function delivery(body: unknown, { redelivered = false, tag = 0 } = {}): ConsumeMessage {
  const content = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { content, fields: { deliveryTag: tag, redelivered, exchange: 'requests', routingKey: 'pool', consumerTag: 'test' }, properties: { headers: {} } } as unknown as ConsumeMessage;
}

/** A dead letter may carry what was never JSON: keep it as text. */
function parseOrRaw(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface Published { exchange: string; routingKey: string; body: unknown; options: PublishOptions }

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
    this.tickets.set(ticketId, { state, roomId });
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
