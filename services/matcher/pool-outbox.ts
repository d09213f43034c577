import type { ConsumeMessage } from 'amqplib';
import type { FormedRoom, Ticket } from '../../core/types.js';
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

/** Rooms whose claim (or proposal) call failed with its outcome unknown: Redis may have run it. */
export interface Unclaimed {
  rooms: FormedRoom[];
  events: SerializedRoom[];
}

/**
 * One pool's work that is decided but not yet done: redelivered joins to settle against
 * Redis, rooms claimed but not confirmed by the broker, rooms whose claim or proposal call
 * failed, timeouts not yet announced. Each
 * list is taken whole at a tick and whatever fails goes back for the next one.
 */
export class PoolOutbox {
  redelivered: Redelivered[] = [];
  unpublished: SerializedRoom[] = [];
  unannounced: Ticket[] = [];
  unclaimed: Unclaimed[] = [];
  /** Ready-check rooms whose propose call failed: proposed again as they are, same ids. */
  unproposed: Unclaimed[] = [];

  /** Empties one list and hands its entries over. */
  take<K extends 'redelivered' | 'unpublished' | 'unannounced' | 'unclaimed' | 'unproposed'>(list: K): PoolOutbox[K] {
    const taken = this[list];
    (this as PoolOutbox)[list] = [] as PoolOutbox[K];
    return taken;
  }

  get size(): number {
    return this.redelivered.length + this.unpublished.length + this.unannounced.length + this.unclaimed.length + this.unproposed.length;
  }

  clear(): void {
    this.redelivered = [];
    this.unpublished = [];
    this.unannounced = [];
    this.unclaimed = [];
    this.unproposed = [];
  }
}
