import { randomUUID } from 'node:crypto';
import type { TopologyChannel } from '../../common/amqp.js';
import type { Config } from '../../common/config.js';
import { createJoinTokenSigner } from '../../common/join-token.js';
import type { Logger } from '../../common/logger.js';
import { modeRule } from '../../core/match-config.js';
import { decode, encode, roomEvent, roomForPlayer, type JoinRequest, type LeaveRequest, type RoomDissolved, type RoomEvent } from '../../common/messages.js';
import type { AmqpNames } from '../../common/names.js';
import type { ProposalStore } from '../../common/proposal-store.js';
import { OUTCOME_TTL_SECONDS, type StoredTicket, type TicketRef, type TicketStore } from '../../common/ticket-store.js';
import { matchedFrame, type LeftReason, type RequestId } from '../../packages/client/src/wire/index.js';
import { createReadyCheck } from './ready-check.js';
import { partyRating, partyRule } from '../../core/party.js';
import type { PartyStore, StoredParty } from '../../common/party-store.js';
import type { Fanout } from './fanout.js';
import type { LiveTicket, Session } from './session.js';

/** How long a join may wait for the broker's confirm before the player hears `unavailable`. */
const CONFIRM_TIMEOUT_MS = 5000;
/**
 * A ticket still queued this long past maxWaitSeconds was lost upstream (no matcher will end
 * it): the gateway ends it as a timeout rather than keep its player from playing again.
 */
const STALE_GRACE_SECONDS = 60;

/**
 * `roomJson`: the room as players see it, serialised once for all of its players. `party`: the
 * ticket is a party's, told to each member once (not once in all).
 */
export type Outcome = ({ kind: 'matched'; room: RoomEvent; roomJson?: string } | { kind: 'timeout' } | { kind: 'left'; reason: LeftReason; id?: RequestId }) & {
  party?: boolean;
};

/** v1.1 parties, as the ticket desk needs them: who is in the player's party, and telling members on any gateway. */
export interface PartyHooks {
  parties: PartyStore;
  fanout: Fanout;
  /** Each player's current rating in a mode, where results have moved it from their base rating. */
  ratingsIn(playerIds: string[], mode: string): Promise<Map<string, number>>;
}

/**
 * Joins, leaves, resumes and outcomes of tickets: the gateway's side of the ticket state
 * machine. Redis decides every race (one live ticket per player, leave against room);
 * the broker holds the requests; the player is told only what is durable.
 */
export function createTicketDesk(
  config: Config,
  store: TicketStore,
  channel: TopologyChannel,
  names: AmqpNames,
  clock: () => number,
  logger: Logger,
  proposals?: ProposalStore,
  party?: PartyHooks,
) {
  // Only a config with a ready check gets one: without it every path below is v1's.
  const readyCheck =
    proposals && Object.values(config.match.modes).some((rule) => rule.accept)
      ? createReadyCheck(config, store, proposals, channel, names, clock, logger, (session, ref, reason, id) =>
          deliver(session, ref, { kind: 'left', reason, id }),
        )
      : undefined;
  const ticketTtl = (mode: string) => config.match.modes[mode]!.maxWaitSeconds + OUTCOME_TTL_SECONDS;
  // With an allocator each player's `matched` carries a join token for the room's game server.
  const signJoinToken =
    config.ALLOCATOR !== 'none' && config.JOIN_TOKEN_SECRET ? createJoinTokenSigner(config.JOIN_TOKEN_SECRET, config.JOIN_TOKEN_TTL_SECONDS, clock) : null;

  async function liveTicketOf(playerId: string) {
    const pointer = await store.livePointer(playerId);
    if (!pointer) return { pointer: null, ticket: null };
    const ticket = await store.get(pointer.ref);
    return { pointer, ticket };
  }

  /** What a session keeps of a stored ticket. */
  const liveOf = (ticket: StoredTicket): LiveTicket => ({
    ticketId: ticket.ticketId,
    mode: ticket.mode,
    region: ticket.region,
    rating: ticket.rating,
    joinedAt: ticket.joinedAt,
    ...(ticket.partyId && { partyId: ticket.partyId }),
  });

  const alreadyQueued = (session: Session, id?: string | number) =>
    session.send({ type: 'error', code: 'already_queued', message: 'you already have a ticket; leave it first', id });

  /**
   * Puts the ticket's join durably in the broker, records that in Redis, then tells the player
   * `queued`: in that order, so a gateway dying anywhere in between leaves a ticket that the
   * player's next connection completes (the matcher drops a second copy of a join).
   * Returns why the broker or Redis did not take it, or undefined once the player was told.
   */
  async function announce(
    session: Session,
    ticket: LiveTicket,
    id?: string | number,
    members?: StoredTicket['members'],
    leaderId?: string,
  ): Promise<Error | undefined> {
    const { partyId, ...fields } = ticket;
    const request: JoinRequest =
      partyId && members
        ? {
            v: 1,
            type: 'join',
            ...fields,
            playerId: leaderId!,
            name: members.find((member) => member.playerId === leaderId)?.name ?? session.player.name,
            partyId,
            members,
          }
        : { v: 1, type: 'join', ...fields, playerId: session.player.id, name: session.player.name };
    try {
      await channel.publish(names.requests, `${ticket.mode}.${ticket.region}`, encode(request), {
        messageId: ticket.ticketId,
        type: 'join.v1',
        timeoutMs: CONFIRM_TIMEOUT_MS,
      });
      await store.confirm(ticket);
    } catch (error) {
      return error as Error;
    }
    session.send({ type: 'queued', ticketId: ticket.ticketId, mode: ticket.mode, region: ticket.region, rating: ticket.rating, id });
    session.ticket = { ...ticket };
    // Every other member hears `queued` for the same ticket, on whichever gateway holds them.
    if (party && members)
      await party.fanout
        .queued(
          members.map((member) => member.playerId).filter((playerId) => playerId !== session.player.id),
          ticket,
        )
        .catch((error: Error) =>
          logger.warn({ err: error.message, ticketId: ticket.ticketId }, 'telling party members queued failed; they see it on reconnect'),
        );
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
    await deliver(session, ticket, { kind: 'timeout', party: ticket.partyId !== undefined }); // a party's: each member told once
    return true;
  }

  async function join(session: Session, mode: string, region: string, id?: string | number): Promise<void> {
    if (!modeRule(config.match, mode))
      return session.send({ type: 'error', code: 'unknown_mode', message: `unknown mode "${mode}"; modes: ${Object.keys(config.match.modes).join(', ')}`, id });
    if (!config.match.regions.includes(region))
      return session.send({ type: 'error', code: 'unknown_region', message: `unknown region "${region}"; regions: ${config.match.regions.join(', ')}`, id });
    // In a party only the leader queues, and for everyone (contract v1.1).
    const myParty = party && (await party.parties.partyOf(session.player.id));
    if (myParty && myParty.leader !== session.player.id)
      return session.send({ type: 'error', code: 'not_leader', message: 'only the party leader can queue the party', id });
    if (session.ticket) return alreadyQueued(session, id);
    if (readyCheck) {
      const retryInMs = await readyCheck.cooldownLeft(session.player.id);
      if (retryInMs > 0)
        return session.send({ type: 'error', code: 'cooling_down', message: 'you declined or missed a match; you may join again shortly', retryInMs, id });
    }
    const { pointer, ticket: current } = await liveTicketOf(session.player.id);
    if (current?.state === 'proposed') return alreadyQueued(session, id);
    if (current?.state === 'queued' && !(await endIfStale(session, current))) {
      if (current.confirmed) return alreadyQueued(session, id);
      // A join a gateway never finished announcing: finish it rather than open a second ticket.
      const failed = await announce(session, liveOf(current), id, current.members, current.playerId);
      if (failed) unavailable(session, failed, id);
      return;
    }
    if (myParty) return joinAsParty(session, myParty, mode, region, pointer?.raw ?? null, id);

    const ticket = { ticketId: randomUUID(), mode, region, playerId: session.player.id, rating: session.ratingIn(mode), joinedAt: clock() };
    if (!(await store.open(ticket, pointer?.raw ?? null, ticketTtl(mode)))) return alreadyQueued(session, id);
    const failed = await announce(session, ticket, id);
    if (failed) {
      // Not confirmed: the ticket must not live on in a matcher the player does not know about.
      await store
        .cancel(ticket)
        .catch((error: Error) =>
          logger.warn({ err: error.message, ticketId: ticket.ticketId }, 'cancelling an unconfirmed ticket failed; it ends as a stale ticket'),
        );
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
    await publishLeave(ref, session.player.id);
    const stored = party ? await store.get(ref) : null;
    if (stored?.partyId) return tellPartyEnded(stored, 'cancelled', session, id);
    session.endTicket(ref.ticketId);
    session.send({ type: 'left', ticketId: ref.ticketId, reason: 'cancelled', id });
  }

  /** Redis already ended the ticket; the leave lets the matcher drop it and ack its join now. */
  async function publishLeave(ref: TicketRef, playerId: string): Promise<void> {
    const request: LeaveRequest = { v: 1, type: 'leave', ticketId: ref.ticketId, playerId, mode: ref.mode, region: ref.region };
    await channel
      .publish(names.requests, `${ref.mode}.${ref.region}`, encode(request), {
        messageId: `leave-${ref.ticketId}`,
        type: 'leave.v1',
        timeoutMs: CONFIRM_TIMEOUT_MS,
      })
      .catch((error: Error) => logger.warn({ err: error.message, ticketId: ref.ticketId }, 'publishing a leave failed; Redis already ended the ticket'));
  }

  /**
   * The leader's join (contract v1.1): one ticket for the whole party at the party's rating.
   * The ticket is attached to the party first (compare-and-set on the party's version, so no
   * one joined or left since the members were read), then opened as any ticket, every member
   * pointed at it, announced to the broker, and `queued` told to every member.
   */
  async function joinAsParty(
    session: Session,
    current: StoredParty,
    mode: string,
    region: string,
    seenPointer: string | null,
    id?: string | number,
  ): Promise<void> {
    const hooks = party!;
    const rule = config.match.modes[mode]!;
    const { maxSize, aggregate } = partyRule(rule);
    if (current.members.length > maxSize)
      return session.send({
        type: 'error',
        code: 'party_too_large',
        message: `mode ${mode} takes parties of up to ${maxSize}; yours has ${current.members.length}`,
        id,
      });
    // The party's last ticket, if it ended, is what the attach compares against.
    const last = current.ticket ? await store.get(current.ticket) : null;
    if (last?.state === 'queued') return alreadyQueued(session, id);
    // The party's rating is over its members' ratings in this mode (a member without results: the base rating).
    const inMode = await hooks.ratingsIn(
      current.members.map((member) => member.id),
      mode,
    );
    const members = current.members.map((member) => ({ playerId: member.id, name: member.name, rating: inMode.get(member.id) ?? member.rating }));
    const ticket = {
      ticketId: randomUUID(),
      mode,
      region,
      playerId: session.player.id,
      joinedAt: clock(),
      partyId: current.id,
      members,
      rating: partyRating(
        members.map((member) => member.rating),
        aggregate,
      ),
    };
    if (!(await hooks.parties.attach(current, current.ticket, ticket))) {
      return session.send({ type: 'error', code: 'party_queued', message: 'your party changed while queueing; try again', id });
    }
    if (!(await store.open(ticket, seenPointer, ticketTtl(mode)))) {
      await hooks.parties.attach(current, ticket, current.ticket).catch(() => undefined);
      return alreadyQueued(session, id);
    }
    await store.pointMembers(
      ticket,
      members.map((member) => member.playerId).filter((playerId) => playerId !== session.player.id),
      ticketTtl(mode),
    );
    const live: LiveTicket = { ticketId: ticket.ticketId, mode, region, rating: ticket.rating, joinedAt: ticket.joinedAt, partyId: current.id };
    const failed = await announce(session, live, id, members, session.player.id);
    if (failed) {
      await store
        .cancel(ticket)
        .catch((error: Error) =>
          logger.warn({ err: error.message, ticketId: ticket.ticketId }, 'cancelling an unconfirmed ticket failed; it ends as a stale ticket'),
        );
      unavailable(session, failed, id);
    }
  }

  /** Tells every member of a party's ticket that it ended without a room; `you` (who asked) gets the reply with its id. */
  async function tellPartyEnded(ticket: StoredTicket, reason: 'cancelled' | 'party_changed', you?: Session, id?: string | number): Promise<void> {
    await store.setReason(ticket, reason);
    if (you) await deliver(you, ticket, { kind: 'left', reason, party: true, id });
    const others = (ticket.members ?? []).map((member) => member.playerId).filter((playerId) => playerId !== you?.player.id);
    await party?.fanout
      .ended(others, ticket, reason)
      .catch((error: Error) => logger.warn({ err: error.message, ticketId: ticket.ticketId }, 'telling party members left failed; they see it on reconnect'));
  }

  /**
   * Ends a party's live ticket because its membership changed (party_changed); a room that won
   * the race stands. `you` (who changed it) is told at once, before any `party` frame.
   */
  async function endPartyTicket(ref: TicketRef, reason: 'party_changed', you?: Session): Promise<void> {
    const ticket = await store.get(ref);
    if (!ticket || ticket.state !== 'queued') return;
    if ((await store.cancel(ref)) !== 'cancelled') return;
    await publishLeave(ref, ticket.playerId);
    await tellPartyEnded(ticket, reason, you);
  }

  /** The player's live (queued) ticket, or null. */
  async function liveTicket(playerId: string): Promise<StoredTicket | null> {
    const { ticket } = await liveTicketOf(playerId);
    return ticket?.state === 'queued' ? ticket : null;
  }

  /** Tells the player an outcome, once per ticket whichever gateway or redelivery gets here first. */
  async function deliver(session: Session, ref: TicketRef, outcome: Outcome): Promise<void> {
    // A socket already closing would swallow the frame after Redis recorded it as told: leave
    // the outcome for the player's reconnect instead.
    if (!session.open) return;
    if (!(await store.markDelivered(ref, outcome.party ? session.player.id : undefined))) return;
    session.endTicket(ref.ticketId);
    if (outcome.kind === 'matched') {
      const joinToken = signJoinToken && outcome.room.server ? await signJoinToken(session.player.id, outcome.room.id) : undefined;
      session.sendText(matchedFrame(ref.ticketId, outcome.roomJson ?? JSON.stringify(roomForPlayer(outcome.room)), joinToken));
    } else if (outcome.kind === 'left') session.send({ type: 'left', ticketId: ref.ticketId, reason: outcome.reason, id: outcome.id });
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
        const failed = await announce(session, live, undefined, ticket.members, ticket.playerId);
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
    const isParty = ticket.partyId !== undefined;
    if (isParty ? ticket.deliveredTo?.includes(session.player.id) : ticket.delivered) return;
    if (ticket.state === 'timeout') return deliver(session, ticket, { kind: 'timeout', party: isParty });
    if (ticket.state === 'declined' || ticket.state === 'accept_timeout' || ticket.state === 'allocation_failed')
      return deliver(session, ticket, { kind: 'left', reason: ticket.state, party: isParty });
    if (ticket.state === 'matched' && ticket.roomId) {
      const json = await store.room(ticket.mode, ticket.region, ticket.roomId);
      const room = json ? decode(roomEvent, Buffer.from(json)) : null;
      // With an allocator a kept room without `server` is still being allocated: its announcement will come.
      if (room && (room.server || !signJoinToken)) return deliver(session, ticket, { kind: 'matched', room, party: isParty });
    }
    // A party's ticket another member cancelled, or a membership change ended, while this one was away.
    if (isParty && ticket.state === 'cancelled' && (ticket.reason === 'cancelled' || ticket.reason === 'party_changed')) {
      return deliver(session, ticket, { kind: 'left', reason: ticket.reason, party: true });
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

  /** A final room the allocator released: `requeued` (the ticket waits again, searching goes on) or `left allocation_failed`. */
  async function released(session: Session, news: RoomDissolved): Promise<void> {
    const seat = news.players.find((player) => player.playerId === session.player.id);
    if (!seat) return;
    const ref = { ticketId: seat.ticketId, mode: news.mode, region: news.region };
    // A party's ticket has a seat per member, each told once.
    const party = news.players.filter((player) => player.ticketId === seat.ticketId).length > 1;
    if (seat.outcome === 'left') return deliver(session, ref, { kind: 'left', reason: news.reason, party });
    if (session.ticket?.ticketId === seat.ticketId) session.send({ type: 'requeued', ticketId: seat.ticketId, reason: news.reason });
  }

  return { join, leave, deliver, resume, settle, released, readyCheck, endPartyTicket, liveTicket };
}

export type TicketDesk = ReturnType<typeof createTicketDesk>;
