import type { ConsumeMessage } from 'amqplib';
import { createPool, type Pool } from '../../core/pool.js';
import { partyRating, partyRule } from '../../core/party.js';
import type { ModeRule, Ticket } from '../../core/types.js';
import { InvalidMessage, type JoinRequest } from '../../common/messages.js';

/** A join request the matcher holds unacked until its ticket ends. */
export interface HeldRequest {
  message: ConsumeMessage;
  generation: number;
  name: string;
  /** A party ticket's member names by player id. */
  names?: Map<string, string>;
  /** The ticket as the core saw it, to put back (same join time) if its proposed room dissolves. */
  ticket: Ticket;
}

/**
 * The core ticket of a join: a solo player, or a party as one ticket at the party's rating
 * (the mode's party.aggregate over the members' ratings) with its members.
 */
export function ticketOf(request: JoinRequest, rule: ModeRule): Ticket {
  const { ticketId, playerId, joinedAt, members, partyId } = request;
  if (!members || !partyId) return { ticketId, playerId, rating: request.rating, joinedAt };
  const rating = partyRating(
    members.map((member) => member.rating),
    partyRule(rule).aggregate,
  );
  return { ticketId, playerId, rating, joinedAt, partyId, members: members.map((member) => ({ playerId: member.playerId, rating: member.rating })) };
}

/**
 * One pool's state in a matcher: the core pool of waiting tickets, plus the broker
 * deliveries behind them, which are acked only once their ticket's end is durable.
 */
export class PoolIntake {
  readonly pool: Pool;
  /** Every unacked join, waiting or inside a room being published. */
  readonly held = new Map<string, HeldRequest>();
  /** Leaves seen before their join (possible after a redelivery), kept until the join shows up. */
  private readonly leftEarly = new Map<string, number>();
  /**
   * Tickets whose leave came while they sat in a room in flight (a decline of a proposed room,
   * told `left declined` at once by the gateway): Redis decides their end, unless it loses the
   * room (a restart, empty), and then they must not wait again.
   */
  private readonly leftInRoom = new Set<string>();
  /** The ticket of each held delivery, for the ack coalescer's question about a delivery (PoolWorker.mayRequeue). */
  private readonly ticketOfMessage = new WeakMap<ConsumeMessage, string>();

  constructor(
    readonly mode: string,
    readonly region: string,
    readonly rule: ModeRule,
  ) {
    this.pool = createPool(rule);
  }

  get key(): string {
    return `${this.mode}.${this.region}`;
  }

  /** Throws InvalidMessage for a join this pool can never match: a party larger than the mode takes. */
  check(request: JoinRequest): void {
    const size = request.members?.length ?? 1;
    const { maxSize } = partyRule(this.rule);
    if (size > maxSize) throw new InvalidMessage(`members: a party of ${size}, mode ${this.mode} takes parties of up to ${maxSize}`);
  }

  /** Returns what to do with the delivery: keep it, or ack it at once as a duplicate or a cancelled join. */
  admit(request: JoinRequest, message: ConsumeMessage, generation: number): 'kept' | 'duplicate' | 'cancelled' {
    if (this.leftEarly.delete(request.ticketId)) return 'cancelled';
    if (this.held.has(request.ticketId)) return 'duplicate';
    const ticket = ticketOf(request, this.rule);
    this.pool.add(ticket);
    const names = request.members && new Map(request.members.map((member) => [member.playerId, member.name]));
    this.held.set(request.ticketId, { message, generation, name: request.name, ticket, ...(names && { names }) });
    this.ticketOfMessage.set(message, request.ticketId);
    return 'kept';
  }

  /** Holds the join of a ticket that is in a proposed room (a redelivery): not in the pool until the room dissolves. */
  hold(request: JoinRequest, message: ConsumeMessage, generation: number): 'kept' | 'duplicate' {
    if (this.held.has(request.ticketId)) return 'duplicate';
    const names = request.members && new Map(request.members.map((member) => [member.playerId, member.name]));
    this.held.set(request.ticketId, { message, generation, name: request.name, ticket: ticketOf(request, this.rule), ...(names && { names }) });
    this.ticketOfMessage.set(message, request.ticketId);
    return 'kept';
  }

  /** The held request whose delivery this is, if it is the one held now (not one requeued or settled). */
  heldFor(message: ConsumeMessage): HeldRequest | undefined {
    const ticketId = this.ticketOfMessage.get(message);
    const held = ticketId === undefined ? undefined : this.held.get(ticketId);
    return held?.message === message ? held : undefined;
  }

  /** The ticket held on this delivery, if any. */
  ticketIdHeldOn(message: ConsumeMessage): string | undefined {
    return this.heldFor(message) ? this.ticketOfMessage.get(message) : undefined;
  }

  /** The same join delivered again (a requeue of ours): the held request now stands on the new delivery, the ticket unchanged. */
  redeliveredAs(held: HeldRequest, ticketId: string, message: ConsumeMessage, generation: number): void {
    held.message = message;
    held.generation = generation;
    this.ticketOfMessage.set(message, ticketId);
  }

  /** A held ticket whose proposed room dissolved goes back to the pool with its original join time. */
  requeue(ticketId: string): boolean {
    const held = this.held.get(ticketId);
    return held ? this.pool.add(held.ticket) : false;
  }

  /**
   * A leave: the waiting ticket leaves the pool and its join can be acked. A ticket inside
   * a room being claimed or proposed stays: Redis decides which of the two won (`hasLeft`
   * remembers the leave, for a room Redis loses).
   */
  withdraw(ticketId: string, now: number): HeldRequest | undefined {
    if (this.pool.remove(ticketId)) {
      const held = this.held.get(ticketId);
      this.held.delete(ticketId);
      return held;
    }
    if (this.held.has(ticketId)) this.leftInRoom.add(ticketId);
    else this.leftEarly.set(ticketId, now);
    return undefined;
  }

  /** Whether the ticket's leave came while it sat in a room in flight. */
  hasLeft(ticketId: string): boolean {
    return this.leftInRoom.has(ticketId);
  }

  /** Removes and returns the held requests of tickets that ended. */
  release(ticketIds: string[]): HeldRequest[] {
    const released: HeldRequest[] = [];
    for (const ticketId of ticketIds) {
      const held = this.held.get(ticketId);
      if (held) released.push(held);
      this.held.delete(ticketId);
      this.leftInRoom.delete(ticketId);
    }
    return released;
  }

  /** A player's name on a ticket (a party member's own name on a party ticket). */
  nameOf(ticketId: string, playerId?: string): string {
    const held = this.held.get(ticketId);
    return (playerId !== undefined ? held?.names?.get(playerId) : undefined) ?? held?.name ?? ticketId;
  }

  /** Forgets early leaves older than any join could be (the longest wait, twice). */
  forgetStaleLeaves(now: number): void {
    const horizon = now - 2 * this.rule.maxWaitSeconds * 1000;
    for (const [ticketId, at] of this.leftEarly) if (at < horizon) this.leftEarly.delete(ticketId);
  }

  /** After a reconnect every unacked delivery comes again: start empty. */
  reset(): void {
    for (const ticketId of this.held.keys()) this.pool.remove(ticketId);
    this.held.clear();
    this.leftInRoom.clear();
  }
}
