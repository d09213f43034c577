import { randomUUID } from 'node:crypto';
import type { TopologyChannel } from '../../common/amqp.js';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import { decode, encode, roomEvent, roomForPlayer, type JoinRequest, type LeaveRequest, type RoomEvent } from '../../common/messages.js';
import type { AmqpNames } from '../../common/names.js';
import type { ProposalStore } from '../../common/proposal-store.js';
import { OUTCOME_TTL_SECONDS, type StoredTicket, type TicketRef, type TicketStore } from '../../common/ticket-store.js';
import { matchedFrame, type LeftReason, type RequestId } from '../../packages/client/src/wire/index.js';
import { createReadyCheck } from './ready-check.js';
import type { LiveTicket, Session } from './session.js';

/** How long a join may wait for the broker's confirm before the player hears `unavailable`. */
const CONFIRM_TIMEOUT_MS = 5000;
/**
 * A ticket still queued this long past maxWaitSeconds was lost upstream (no matcher will end
 * it): the gateway ends it as a timeout rather than keep its player from playing again.
 */
const STALE_GRACE_SECONDS = 60;

/** `roomJson`: the room as players see it, serialised once for all of its players. */
export type Outcome = { kind: 'matched'; room: RoomEvent; roomJson?: string } | { kind: 'timeout' } | { kind: 'left'; reason: LeftReason; id?: RequestId };

/**
 * Joins, leaves, resumes and outcomes of tickets: the gateway's side of the ticket state
 * machine. Redis decides every race (one live ticket per player, leave against room);
 * the broker holds the requests; the player is told only what is durable.
 */
export function createTicketDesk(config: Config, store: TicketStore, channel: TopologyChannel, names: AmqpNames, clock: () => number, logger: Logger, proposals?: ProposalStore) {
  // Only a config with a ready check gets one: without it every path below is v1's.
  const readyCheck = proposals && Object.values(config.match.modes).some((rule) => rule.accept)
    ? createReadyCheck(config, store, proposals, channel, names, clock, logger, (session, ref, reason, id) => deliver(session, ref, { kind: 'left', reason, id }))
    : undefined;
  const ticketTtl = (mode: string) => config.match.modes[mode]!.maxWaitSeconds + OUTCOME_TTL_SECONDS;

  async function liveTicketOf(playerId: string) {
    const pointer = await store.livePointer(playerId);
    if (!pointer) return { pointer: null, ticket: null };
    const ticket = await store.get(pointer.ref);
    return { pointer, ticket };
  }

  /** What a session keeps of a stored ticket. */
  const liveOf = (ticket: StoredTicket): LiveTicket =>
    ({ ticketId: ticket.ticketId, mode: ticket.mode, region: ticket.region, rating: ticket.rating, joinedAt: ticket.joinedAt });

  const alreadyQueued = (session: Session, id?: string | number) =>
    session.send({ type: 'error', code: 'already_queued', message: 'you already have a ticket; leave it first', id });

  /**
   * Puts the ticket's join durably in the broker, records that in Redis, then tells the player
   * `queued`: in that order, so a gateway dying anywhere in between leaves a ticket that the
   * player's next connection completes (the matcher drops a second copy of a join).
   * Returns why the broker or Redis did not take it, or undefined once the player was told.
   */
  async function announce(session: Session, ticket: LiveTicket, id?: string | number): Promise<Error | undefined> {
    const request: JoinRequest = { v: 1, type: 'join', ...ticket, playerId: session.player.id, name: session.player.name };
    try {
      await channel.publish(names.requests, `${ticket.mode}.${ticket.region}`, encode(request), { messageId: ticket.ticketId, type: 'join.v1', timeoutMs: CONFIRM_TIMEOUT_MS });
      await store.confirm(ticket);
    } catch (error) {
      return error as Error;
    }
    session.send({ type: 'queued', ticketId: ticket.ticketId, mode: ticket.mode, region: ticket.region, rating: ticket.rating, id });
    session.ticket = { ...ticket };
    return undefined;
  }

  const unavailable = (session: Session, cause: Error, id?: string | number) =>
    session.send({ type: 'error', code: 'unavailable', message: 'matchmaking is unavailable right now; try again in a moment', id }, cause);

  /** Ends a queued ticket that outlived any matcher's timeout, telling the player; true if it did. */
  async function endIfStale(session: Session, ticket: StoredTicket): Promise<boolean> {
    const limitMs = (config.match.modes[ticket.mode]!.maxWaitSeconds + STALE_GRACE_SECONDS) * 1000;
    if (ticket.state !== 'queued' || clock() - ticket.joinedAt < limitMs) return false;
    // The same script a matcher's timeout runs: if a matcher ends it first, that one wins.
    await store.expire(ticket.mode, ticket.region, [ticket.ticketId]);
    await deliver(session, ticket, { kind: 'timeout' });
    return true;
  }

  async function join(session: Session, mode: string, region: string, id?: string | number): Promise<void> {
    if (!config.match.modes[mode]) return session.send({ type: 'error', code: 'unknown_mode', message: `unknown mode "${mode}"; modes: ${Object.keys(config.match.modes).join(', ')}`, id });
    if (!config.match.regions.includes(region)) return session.send({ type: 'error', code: 'unknown_region', message: `unknown region "${region}"; regions: ${config.match.regions.join(', ')}`, id });
    if (session.ticket) return alreadyQueued(session, id);
    if (readyCheck) {
      const retryInMs = await readyCheck.cooldownLeft(session.player.id);
      if (retryInMs > 0) return session.send({ type: 'error', code: 'cooling_down', message: 'you declined or missed a match; you may join again shortly', retryInMs, id });
    }
    const { pointer, ticket: current } = await liveTicketOf(session.player.id);
    if (current?.state === 'proposed') return alreadyQueued(session, id);
    if (current?.state === 'queued' && !(await endIfStale(session, current))) {
      if (current.confirmed) return alreadyQueued(session, id);
      // A join a gateway never finished announcing: finish it rather than open a second ticket.
      const failed = await announce(session, liveOf(current), id);
      if (failed) unavailable(session, failed, id);
      return;
    }

    const ticket = { ticketId: randomUUID(), mode, region, playerId: session.player.id, rating: session.ratingIn(mode), joinedAt: clock() };
    if (!(await store.open(ticket, pointer?.raw ?? null, ticketTtl(mode)))) return alreadyQueued(session, id);
    const failed = await announce(session, ticket, id);
    if (failed) {
      // Not confirmed: the ticket must not live on in a matcher the player does not know about.
      await store.cancel(ticket).catch((error: Error) => logger.warn({ err: error.message, ticketId: ticket.ticketId }, 'cancelling an unconfirmed ticket failed; it ends as a stale ticket'));
      unavailable(session, failed, id);
    }
  }

  async function leave(session: Session, id?: string | number): Promise<void> {
    let ref: TicketRef | null = session.ticket;
    if (!ref) {
      const { ticket } = await liveTicketOf(session.player.id);
      if (ticket?.state === 'queued' || ticket?.state === 'proposed') ref = ticket;
    }
    if (!ref) return session.send({ type: 'error', code: 'not_queued', message: 'you have no ticket to leave', id });
    const winner = await store.cancel(ref);
    // In a proposed room a leave is a decline, decided by the room's script, not the ticket's.
    if (winner === 'proposed' && readyCheck) {
      const ticket = await store.get(ref);
      if (ticket && (await readyCheck.leave(session, ticket, id))) return;
    }
    if (winner !== 'cancelled') {
      // The room (or the timeout) won the race; its outcome is on its way to the player.
      return session.send({ type: 'error', code: 'not_queued', message: `your ticket already ended (${winner})`, id });
    }
    const request: LeaveRequest = { v: 1, type: 'leave', ticketId: ref.ticketId, playerId: session.player.id, mode: ref.mode, region: ref.region };
    // Redis already ended the ticket; the leave lets the matcher drop it and ack its join now.
    await channel.publish(names.requests, `${ref.mode}.${ref.region}`, encode(request), { messageId: `leave-${ref.ticketId}`, type: 'leave.v1', timeoutMs: CONFIRM_TIMEOUT_MS })
      .catch((error: Error) => logger.warn({ err: error.message, ticketId: ref.ticketId }, 'publishing a leave failed; Redis already ended the ticket'));
    session.endTicket(ref.ticketId);
    session.send({ type: 'left', ticketId: ref.ticketId, reason: 'cancelled', id });
  }

  /** Tells the player an outcome, once per ticket whichever gateway or redelivery gets here first. */
  async function deliver(session: Session, ref: TicketRef, outcome: Outcome): Promise<void> {
    // A socket already closing would swallow the frame after Redis recorded it as told: leave
    // the outcome for the player's reconnect instead.
    if (!session.open) return;
    if (!(await store.markDelivered(ref))) return;
    session.endTicket(ref.ticketId);
    if (outcome.kind === 'matched') session.sendText(matchedFrame(ref.ticketId, outcome.roomJson ?? JSON.stringify(roomForPlayer(outcome.room))));
    else if (outcome.kind === 'left') session.send({ type: 'left', ticketId: ref.ticketId, reason: outcome.reason, id: outcome.id });
    else session.send({ type: 'left', ticketId: ref.ticketId, reason: 'timeout' });
  }

  /** On (re)connect: a live ticket is `queued` again (its join completed if need be); an outcome formed meanwhile is delivered. */
  async function resume(session: Session): Promise<void> {
    const { ticket } = await liveTicketOf(session.player.id);
    if (!ticket) return;
    if (await endIfStale(session, ticket)) return;
    if (ticket.state === 'queued') {
      const live = liveOf(ticket);
      if (!ticket.confirmed) {
        // Not told anything: the player's next connection tries again. The caller logs why.
        const failed = await announce(session, live);
        if (failed) throw failed;
        return;
      }
      session.ticket = live;
      session.send({ type: 'queued', ticketId: ticket.ticketId, mode: ticket.mode, region: ticket.region, rating: ticket.rating });
      return;
    }
    if (ticket.state === 'proposed') {
      // Still live, in a room waiting for answers: `queued`, then `found` with the time left.
      session.ticket = liveOf(ticket);
      session.send({ type: 'queued', ticketId: ticket.ticketId, mode: ticket.mode, region: ticket.region, rating: ticket.rating });
      await readyCheck?.resume(session, ticket);
      return;
    }
    return deliverStored(session, ticket);
  }

  /** Delivers the outcome Redis holds for an ended ticket, unless the player was already told. */
  async function deliverStored(session: Session, ticket: StoredTicket): Promise<void> {
    if (ticket.delivered) return;
    if (ticket.state === 'timeout') return deliver(session, ticket, { kind: 'timeout' });
    if (ticket.state === 'declined' || ticket.state === 'accept_timeout') return deliver(session, ticket, { kind: 'left', reason: ticket.state });
    if (ticket.state === 'matched' && ticket.roomId) {
      const json = await store.room(ticket.mode, ticket.region, ticket.roomId);
      if (json) return deliver(session, ticket, { kind: 'matched', room: decode(roomEvent, Buffer.from(json)) });
    }
  }

  /**
   * Delivers an outcome that ended the session's ticket but never arrived: the gateway's own
   * delivery queue vanishes with its broker connection, and what was routed meanwhile is lost.
   */
  async function settle(session: Session): Promise<void> {
    if (!session.ticket) return;
    const ticket = await store.get(session.ticket);
    if (ticket && ticket.state !== 'queued' && ticket.state !== 'proposed') await deliverStored(session, ticket);
  }

  return { join, leave, deliver, resume, settle, readyCheck };
}

export type TicketDesk = ReturnType<typeof createTicketDesk>;
