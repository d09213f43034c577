import type { MessageChannel } from '../../common/amqp.js';
import type { Logger } from '../../common/logger.js';
import { encode, type Delivery, type RoomDissolved, type RoomEvent, type RoomProposal } from '../../common/messages.js';
import type { AmqpNames } from '../../common/names.js';
import type { ProposalStore } from '../../common/proposal-store.js';
import type { StoredTicket, TicketRef, TicketStore } from '../../common/ticket-store.js';
import type { LeftReason, RequestId } from '../../packages/client/src/wire/index.js';
import type { MatchConfig } from '../../core/types.js';
import type { PendingRoom, Session } from './session.js';

/**
 * Tells the player a ticket's end once (the ticket desk's `deliver`): once per ticket, or, for a
 * party's ticket (`party`), once per member, so every member hears the end and not just the first.
 */
export type DeliverLeft = (session: Session, ref: TicketRef, reason: LeftReason, party: boolean, id?: RequestId, others?: string[]) => Promise<void>;

/** Tells the ticket's pool that Redis ended it (the ticket desk's `publishLeave`): the matcher drops it. */
export type PublishLeave = (ref: TicketRef, playerId: string) => Promise<void>;

/** A party ticket's members but `playerId` (the ticket desk's, from Redis). */
export type OtherMembers = (ref: TicketRef, playerId: string) => Promise<string[]>;

/**
 * The gateway's side of the ready check (contract v1.1): tells players `found`, takes their
 * `accept` / `decline` (and a `leave` while a room is pending) to Redis, where step-room.lua
 * decides each answer once, tells everyone in the room `ready` after each accept, and turns
 * a dissolved room into `requeued` or `left` per player. Only modes with `accept` get here.
 */
export function createReadyCheck(
  /** The matching rule (MATCH_CONFIG): each mode's accept.cooldownSeconds. */
  match: MatchConfig,
  tickets: TicketStore,
  proposals: ProposalStore,
  channel: MessageChannel,
  names: AmqpNames,
  clock: () => number,
  logger: Logger,
  deliverLeft: DeliverLeft,
  publishLeave: PublishLeave,
  otherMembers: OtherMembers,
) {
  const notPending = (session: Session, id?: RequestId) =>
    session.send({ type: 'error', code: 'not_pending', message: 'no room is waiting for your answer', id });

  /** Remembers the proposal and sends `found` with the time left, unless the ticket is no longer this session's or a newer proposal was told. */
  function found(session: Session, proposal: RoomProposal): void {
    const seat = proposal.players.find((player) => player.playerId === session.player.id);
    if (!seat || session.ticket?.ticketId !== seat.ticketId) return;
    if (session.foundIsStale(seat.ticketId, proposal.roomId, proposal.deadline)) return;
    session.pending = {
      roomId: proposal.roomId,
      ticketId: seat.ticketId,
      mode: proposal.mode,
      region: proposal.region,
      playerIds: proposal.players.map((player) => player.playerId),
    };
    session.send({
      type: 'found',
      ticketId: seat.ticketId,
      roomId: proposal.roomId,
      expiresInMs: Math.max(0, proposal.deadline - clock()),
      players: proposal.players.map((player) => ({ id: player.playerId, name: player.name })),
    });
  }

  /** On reconnect to a ticket in a proposed room: `found` again, with the time left. */
  async function resume(session: Session, ticket: StoredTicket): Promise<void> {
    if (!ticket.roomId) return;
    const proposal = await proposals.get(ticket.mode, ticket.region, ticket.roomId);
    if (!proposal || proposal.phase !== 'proposed' || clock() > proposal.deadline) return;
    const room = JSON.parse(proposal.json) as RoomEvent;
    found(session, {
      v: 1,
      roomId: proposal.roomId,
      mode: ticket.mode,
      region: ticket.region,
      deadline: proposal.deadline,
      players: room.players.map((player) => ({ playerId: player.playerId, ticketId: player.ticketId, name: player.name })),
    });
  }

  /**
   * After the gateway's broker link came back: a `found` or `requeued` routed meanwhile was lost
   * with the gateway's delivery queue. Tells what Redis holds instead: the ticket's room proposed
   * (`found`, with the time left), or the room this session was waiting on dissolved, the ticket
   * back in its pool (`requeued` with the proposal's reason).
   */
  async function settle(session: Session, ticket: StoredTicket): Promise<void> {
    if (ticket.state === 'proposed') {
      if (session.pending?.roomId !== ticket.roomId) await resume(session, ticket);
      return;
    }
    const pending = session.pending;
    if (ticket.state !== 'queued' || pending?.ticketId !== ticket.ticketId) return;
    const proposal = await proposals.get(pending.mode, pending.region, pending.roomId);
    if (proposal?.phase !== 'dissolved' || !proposal.dissolved) return;
    session.pending = null;
    session.send({ type: 'requeued', ticketId: ticket.ticketId, reason: proposal.dissolved.reason });
  }

  /** The session's pending room with this id: from memory, or from Redis after a reconnect or a missed `found`. */
  async function pendingOf(session: Session, roomId: string): Promise<PendingRoom | null> {
    if (session.pending?.roomId === roomId) return session.pending;
    if (!session.ticket) return null;
    const ticket = await tickets.get(session.ticket);
    if (ticket?.state !== 'proposed' || ticket.roomId !== roomId) return null;
    const proposal = await proposals.get(ticket.mode, ticket.region, roomId);
    if (!proposal) return null;
    return { roomId, ticketId: ticket.ticketId, mode: ticket.mode, region: ticket.region, playerIds: proposal.seats.map((seat) => seat.playerId) };
  }

  /** `ready` to every other player of the room, through their gateways (this one included). */
  async function tellOthers(pending: PendingRoom, self: string, accepted: number, total: number): Promise<void> {
    const others = pending.playerIds.filter((playerId) => playerId !== self);
    const gateways = await tickets.gatewaysOf(others);
    const byGateway = new Map<string, string[]>();
    gateways.forEach((gatewayId, index) => {
      if (gatewayId) byGateway.set(gatewayId, [...(byGateway.get(gatewayId) ?? []), others[index]!]);
    });
    await Promise.all(
      [...byGateway].map(([gatewayId, playerIds]) => {
        const ready: Delivery = { kind: 'ready', roomId: pending.roomId, accepted, total, playerIds };
        return channel.publish(names.deliveries, gatewayId, encode(ready), { persistent: false });
      }),
    );
  }

  /**
   * A decline (or a leave while pending) that Redis took: cooldown, then `left declined` to the
   * player. The rest of a party hear it from the dissolved room the matcher publishes once it
   * settled the decision; a Redis restart before that loses the decision and the room with it, so
   * the end is told with the other members, whom the gateway tells itself after writing it back
   * (ticket-desk.ts writeBackEnds).
   */
  async function declined(session: Session, pending: PendingRoom, party: boolean, id?: RequestId): Promise<void> {
    const cooldown = match.modes[pending.mode]?.accept?.cooldownSeconds ?? 0;
    await proposals.setCooldown(session.player.id, cooldown * 1000);
    session.pending = null;
    // The pool's matcher learns of it from Redis (the dissolved room), unless Redis restarts empty
    // first: then it would put the ticket, told `left declined`, back in the pool. The leave says so.
    await publishLeave(pending, session.player.id);
    const others = party ? await otherMembers(pending, session.player.id) : undefined;
    await deliverLeft(session, pending, 'declined', party, id, others);
  }

  async function answer(session: Session, type: 'accept' | 'decline', roomId: string, id?: RequestId): Promise<void> {
    const pending = await pendingOf(session, roomId);
    if (!pending) return notPending(session, id);
    const result = await proposals.step(pending.mode, pending.region, roomId, type, clock(), session.player.id);
    if (result.outcome !== 'ok') return notPending(session, id);
    if (type === 'decline') return declined(session, pending, session.ticket?.partyId !== undefined, id);
    // Told only once a replica holds the accept (ACCEPT_WAIT_MS): else a failover could lose it after
    // `ready`. Unavailable instead: a retried accept is taken again if it was lost, not_pending if not.
    if (!(await proposals.replicated(pending.mode, pending.region, roomId, session.player.id)))
      return session.send({ type: 'error', code: 'unavailable', message: 'your accept is not safely stored yet; send it again', id });
    session.tellReady(roomId, result.accepted, result.total, { id });
    await tellOthers(pending, session.player.id, result.accepted, result.total).catch((error: Error) =>
      logger.warn({ err: error.message, room: roomId }, 'telling the room of an accept failed; the counts come with the next one'),
    );
  }

  /** `leave` of a ticket in a proposed room: a decline, even after accepting. False when the room is no longer pending. */
  async function leave(session: Session, ticket: StoredTicket, id?: RequestId): Promise<boolean> {
    if (!ticket.roomId) return false;
    const pending = (await pendingOf(session, ticket.roomId)) ?? {
      roomId: ticket.roomId,
      ticketId: ticket.ticketId,
      mode: ticket.mode,
      region: ticket.region,
      playerIds: [],
    };
    const result = await proposals.step(ticket.mode, ticket.region, ticket.roomId, 'leave', clock(), session.player.id);
    if (result.outcome !== 'ok') return false;
    await declined(session, pending, ticket.partyId !== undefined, id);
    return true;
  }

  /**
   * A party's membership changed while its room is pending (contract v1.1): the room dissolves
   * as if `playerId`, one of its members, had declined, so the other tickets go back `requeued
   * declined`; the caller tells the party `party_changed`. No cooldown: nobody declined. False
   * when the room was decided first.
   */
  async function withdraw(ticket: StoredTicket, playerId: string): Promise<boolean> {
    if (ticket.state !== 'proposed' || !ticket.roomId) return false;
    const result = await proposals.step(ticket.mode, ticket.region, ticket.roomId, 'leave', clock(), playerId);
    return result.outcome === 'ok';
  }

  /** The room fell through: `requeued` (the ticket waits again, searching resumes) or `left` with the reason. */
  async function dissolved(session: Session, news: RoomDissolved): Promise<void> {
    const seat = news.players.find((player) => player.playerId === session.player.id);
    if (!seat) return;
    if (session.pending?.roomId === news.roomId) session.pending = null;
    const ref = { ticketId: seat.ticketId, mode: news.mode, region: news.region };
    // A party's ticket has a seat per member, each told once.
    const party = news.players.filter((player) => player.ticketId === seat.ticketId).length > 1;
    if (seat.outcome === 'left') return deliverLeft(session, ref, party ? await partyReason(ref, news.reason) : news.reason, party);
    if (session.ticket?.ticketId === seat.ticketId) session.send({ type: 'requeued', ticketId: seat.ticketId, reason: news.reason });
  }

  /** A party ticket's end: `party_changed` when a membership change dissolved its room (withdraw), else the room's reason. */
  async function partyReason(ref: TicketRef, reason: LeftReason): Promise<LeftReason> {
    if (reason !== 'declined') return reason;
    return (await tickets.get(ref))?.reason === 'party_changed' ? 'party_changed' : reason;
  }

  function ready(session: Session, roomId: string, accepted: number, total: number): void {
    if (session.pending?.roomId === roomId) session.tellReady(roomId, accepted, total);
  }

  /** Milliseconds before this player may join again after declining or staying silent; 0 when free. */
  const cooldownLeft = (playerId: string) => proposals.cooldownLeft(playerId);

  return { found, resume, settle, answer, leave, withdraw, dissolved, ready, cooldownLeft };
}

export type ReadyCheck = ReturnType<typeof createReadyCheck>;
