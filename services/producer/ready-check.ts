import type { MessageChannel } from '../../common/amqp.js';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import { encode, type Delivery, type RoomDissolved, type RoomEvent, type RoomProposal } from '../../common/messages.js';
import type { AmqpNames } from '../../common/names.js';
import type { ProposalStore } from '../../common/proposal-store.js';
import type { StoredTicket, TicketRef, TicketStore } from '../../common/ticket-store.js';
import type { LeftReason, RequestId } from '../../packages/client/src/wire/index.js';
import type { PendingRoom, Session } from './session.js';

/** Tells the player a ticket's end once (the ticket desk's `deliver`). */
export type DeliverLeft = (session: Session, ref: TicketRef, reason: LeftReason, id?: RequestId) => Promise<void>;

/**
 * The gateway's side of the ready check (contract v1.1): tells players `found`, takes their
 * `accept` / `decline` (and a `leave` while a room is pending) to Redis, where step-room.lua
 * decides each answer once, tells everyone in the room `ready` after each accept, and turns
 * a dissolved room into `requeued` or `left` per player. Only modes with `accept` get here.
 */
export function createReadyCheck(
  config: Config,
  tickets: TicketStore,
  proposals: ProposalStore,
  channel: MessageChannel,
  names: AmqpNames,
  clock: () => number,
  logger: Logger,
  deliverLeft: DeliverLeft,
) {
  const notPending = (session: Session, id?: RequestId) =>
    session.send({ type: 'error', code: 'not_pending', message: 'no room is waiting for your answer', id });

  /** Remembers the proposal and sends `found` with the time left, unless the ticket is no longer this session's. */
  function found(session: Session, proposal: RoomProposal): void {
    const seat = proposal.players.find((player) => player.playerId === session.player.id);
    if (!seat || session.ticket?.ticketId !== seat.ticketId) return;
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

  /** A decline (or a leave while pending) that Redis took: cooldown, then `left declined` to the player. */
  async function declined(session: Session, pending: PendingRoom, id?: RequestId): Promise<void> {
    const cooldown = config.match.modes[pending.mode]?.accept?.cooldownSeconds ?? 0;
    await proposals.setCooldown(session.player.id, cooldown * 1000);
    session.pending = null;
    await deliverLeft(session, pending, 'declined', id);
  }

  async function answer(session: Session, type: 'accept' | 'decline', roomId: string, id?: RequestId): Promise<void> {
    const pending = await pendingOf(session, roomId);
    if (!pending) return notPending(session, id);
    const result = await proposals.step(pending.mode, pending.region, roomId, type, clock(), session.player.id);
    if (result.outcome !== 'ok') return notPending(session, id);
    if (type === 'decline') return declined(session, pending, id);
    session.send({ type: 'ready', roomId, accepted: result.accepted, total: result.total, id });
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
    await declined(session, pending, id);
    return true;
  }

  /** The room fell through: `requeued` (the ticket waits again, searching resumes) or `left` with the reason. */
  async function dissolved(session: Session, news: RoomDissolved): Promise<void> {
    const seat = news.players.find((player) => player.playerId === session.player.id);
    if (!seat) return;
    if (session.pending?.roomId === news.roomId) session.pending = null;
    const ref = { ticketId: seat.ticketId, mode: news.mode, region: news.region };
    if (seat.outcome === 'left') return deliverLeft(session, ref, news.reason);
    if (session.ticket?.ticketId === seat.ticketId) session.send({ type: 'requeued', ticketId: seat.ticketId, reason: news.reason });
  }

  function ready(session: Session, roomId: string, accepted: number, total: number): void {
    if (session.pending?.roomId === roomId) session.send({ type: 'ready', roomId, accepted, total });
  }

  /** Milliseconds before this player may join again after declining or staying silent; 0 when free. */
  const cooldownLeft = (playerId: string) => proposals.cooldownLeft(playerId);

  return { found, resume, answer, leave, dissolved, ready, cooldownLeft };
}

export type ReadyCheck = ReturnType<typeof createReadyCheck>;
