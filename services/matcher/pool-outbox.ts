import type { ConsumeMessage } from 'amqplib';
import type { Ticket } from '../../core/types.js';
import type { JoinRequest, RoomEvent } from '../../common/messages.js';

/** A room event with its JSON, serialised once for both the Redis claim and the broker. */
export interface SerializedRoom {
  event: RoomEvent;
  json: string;
}

/** A join the broker delivered again: its ticket may have ended before a crash. */
export interface Redelivered {
  request: JoinRequest;
  message: ConsumeMessage;
  generation: number;
}

/**
 * One pool's work that is decided but not yet done: redelivered joins to settle against
 * Redis, rooms claimed but not confirmed by the broker, timeouts not yet announced. Each
 * list is taken whole at a tick and whatever fails goes back for the next one.
 */
export class PoolOutbox {
  redelivered: Redelivered[] = [];
  unpublished: SerializedRoom[] = [];
  unannounced: Ticket[] = [];

  /** Empties one list and hands its entries over. */
  take<K extends 'redelivered' | 'unpublished' | 'unannounced'>(list: K): PoolOutbox[K] {
    const taken = this[list];
    (this as PoolOutbox)[list] = [] as PoolOutbox[K];
    return taken;
  }

  get size(): number {
    return this.redelivered.length + this.unpublished.length + this.unannounced.length;
  }

  clear(): void {
    this.redelivered = [];
    this.unpublished = [];
    this.unannounced = [];
  }
}
