import { randomUUID } from 'node:crypto';
import type { TopologyChannel } from '../../common/amqp.js';
import { createJoinTokenSigner } from '../../common/join-token.js';
import type { Logger } from '../../common/logger.js';
import { modeRule } from '../../core/match-config.js';
import type { MatchConfig } from '../../core/types.js';
import { decode, encode, roomEvent, roomForPlayer, type JoinRequest, type LeaveRequest, type RoomDissolved, type RoomEvent } from '../../common/messages.js';
import type { AmqpNames } from '../../common/names.js';
import type { ProposalStore } from '../../common/proposal-store.js';
import { OUTCOME_TTL_SECONDS, pointerTo, type StoredTicket, type TicketRef, type TicketStore } from '../../common/ticket-store.js';
import { encodeServerFrame, matchedFrame, type LeftReason, type RequestId } from '../../packages/client/src/wire/index.js';
import { createReadyCheck } from './ready-check.js';
import { partyRating, partyRule } from '../../core/party.js';
import type { PartyStore, StoredParty } from '../../common/party-store.js';
import type { Fanout } from './fanout.js';
import type { LiveTicket, Session } from './session.js';
import { ToldEnds } from './told-ends.js';

/** How long a join may wait for the broker's confirm before the player hears `unavailable`. */
const CONFIRM_TIMEOUT_MS = 5000;
/**
 * A ticket still queued this long past maxWaitSeconds was lost upstream (no matcher will end
 * it): the gateway ends it as a timeout rather than keep its player from playing again.
 */
const STALE_GRACE_SECONDS = 60;
/** How far back through a party member's earlier tickets a reconnect looks for outcomes it missed. */
const EARLIER_TICKETS_TOLD = 5;

/**
 * `roomJson`: the room as players see it, serialised once for all of its players. `party`: the
 * ticket is a party's, told to each member once (not once in all).
 */
export type Outcome = (
  | { kind: 'matched'; room: RoomEvent; roomJson?: string }
  | { kind: 'timeout' }
  | {
      kind: 'left';
      reason: LeftReason;
      id?: RequestId;
      /**
       * A party's end this gateway decided for everyone (a decline, a cancel, a change of members): the other
       * members, who hear it from a message that a Redis restart may lose, and are told again after one (writeBackEnds).
       */
      others?: string[];
    }
) & {
  party?: boolean;
};

/** v1.1 parties, as the ticket desk needs them: who is in the player's party, and telling members on any gateway. */
export interface PartyHooks {
  parties: PartyStore;
  fanout: Fanout;
  /** Each player's current rating in a mode, where results have moved it from their base rating. */
  ratingsIn(playerIds: string[], mode: string): Promise<Map<string, number>>;
}

/** What the ticket desk takes of the configuration. */
export interface TicketDeskOptions {
  /** The matching rule (MATCH_CONFIG): modes, regions, each mode's wait, ready check and parties. */
  match: MatchConfig;
  /** With an allocator (ALLOCATOR not none): the key and lifetime of players' join tokens (JOIN_TOKEN_SECRET, JOIN_TOKEN_TTL_SECONDS, default 300); null without one. */
  joinTokens: { secret: string; ttlSeconds: number } | null;
  /** Told how long each stage of a join took: `open` the ticket's Redis write, `confirm` the broker's confirm of its request. */
  onJoinStage?: (stage: 'open' | 'confirm', seconds: number) => void;
}

/**
 * Joins, leaves, resumes and outcomes of tickets: the gateway's side of the ticket state
 * machine. Redis decides every race (one live ticket per player, leave against room);
 * the broker holds the requests; the player is told only what is durable.
 */
export function createTicketDesk(
  { match, joinTokens, onJoinStage }: TicketDeskOptions,
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
    proposals && Object.values(match.modes).some((rule) => rule.accept)
      ? createReadyCheck(
          match,
          store,
          proposals,
          channel,
          names,
          clock,
          logger,
          (session, ref, reason, party, id, others) => deliver(session, ref, { kind: 'left', reason, party, id, ...(others && { others }) }),
          publishLeave,
          otherMembers,
        )
      : undefined;
  const toldEnds = new ToldEnds(clock);
  const ticketTtl = (mode: string) => match.modes[mode]!.maxWaitSeconds + OUTCOME_TTL_SECONDS;
  // With an allocator each player's `matched` carries a join token for the room's game server.
  const signJoinToken = joinTokens ? createJoinTokenSigner(joinTokens.secret, joinTokens.ttlSeconds, clock) : null;

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
   * Puts the ticket's join durably in the broker, then tells the player `queued` and records
   * the confirm in Redis (`confirmed`), so a gateway dying anywhere before that record leaves a
   * ticket that the player's next connection completes (the matcher drops a second copy of a join).
   * Returns why the broker did not take it, or undefined once the player was told.
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
      const publishedAt = performance.now();
      await channel.publish(names.requests, `${ticket.mode}.${ticket.region}`, encode(request), {
        messageId: ticket.ticketId,
        type: 'join.v1',
        timeoutMs: CONFIRM_TIMEOUT_MS,
      });
      onJoinStage?.('confirm', (performance.now() - publishedAt) / 1000);
    } catch (error) {
      return error as Error;
    }
    // Recorded in Redis without waiting for it: the flag spares the player's next connection
    // announcing again a join the broker already holds (the matcher drops the copy), so the player
    // need not wait a round trip for it. It is also how a party member's resume knows the
    // leader's join was announced (else it waits for the leader), so it goes at once, not
    // gathered with later ones (a 20 ms wait failed three party tests, docs/performance.md).
    store
      .confirm(ticket)
      .catch((error: Error) =>
        logger.warn({ err: error.message, ticketId: ticket.ticketId }, "recording a join's confirm failed; a reconnect announces it again"),
      );
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
          logger.warn(
            { err: error.message, ticketId: ticket.ticketId },
            'telling party members queued failed after its retries; they are told when Redis returns, or on reconnect',
          ),
        );
    return undefined;
  }

  const unavailable = (session: Session, cause: Error, id?: string | number) =>
    session.send({ type: 'error', code: 'unavailable', message: 'matchmaking is unavailable right now; try again in a moment', id }, cause);

  /** Ends a queued ticket that outlived any matcher's timeout, telling the player; true if it did. */
  async function endIfStale(session: Session, ticket: StoredTicket): Promise<boolean> {
    const limitMs = (match.modes[ticket.mode]!.maxWaitSeconds + STALE_GRACE_SECONDS) * 1000;
    if (ticket.state !== 'queued' || clock() - ticket.joinedAt < limitMs) return false;
    // The same script a matcher's timeout runs: if a matcher ends it first, that one wins.
    await store.expire(ticket.mode, ticket.region, [ticket.ticketId]);
    await deliver(session, ticket, { kind: 'timeout', party: ticket.partyId !== undefined }); // a party's: each member told once
    return true;
  }

  async function join(session: Session, mode: string, region: string, id?: string | number): Promise<void> {
    if (!modeRule(match, mode))
      return session.send({ type: 'error', code: 'unknown_mode', message: `unknown mode "${mode}"; modes: ${Object.keys(match.modes).join(', ')}`, id });
    if (!match.regions.includes(region))
      return session.send({ type: 'error', code: 'unknown_region', message: `unknown region "${region}"; regions: ${match.regions.join(', ')}`, id });
    // In a party only the leader queues, and for everyone (contract v1.1).
    const myParty = party && (await party.parties.partyOf(session.player.id));
    if (myParty && myParty.leader !== session.player.id)
      return session.send({ type: 'error', code: 'not_leader', message: 'only the party leader can queue the party', id });
    if (session.ticket) return alreadyQueued(session, id);
    if (readyCheck) {
      // Contract: a player cooling down may not join alone or in a party, so a leader waits for every member's.
      const members = myParty ? myParty.members.map((member) => member.id) : [session.player.id];
      const waits = await Promise.all(members.map((playerId) => readyCheck.cooldownLeft(playerId)));
      const retryInMs = Math.max(...waits);
      if (retryInMs > 0) {
        const who = waits[members.indexOf(session.player.id)]! < retryInMs ? 'a member of your party' : 'you';
        return session.send({ type: 'error', code: 'cooling_down', message: `${who} declined or missed a match; you may join again shortly`, retryInMs, id });
      }
    }
    // A rejoin on the connection that told the last ticket's end: that ticket is ended in Redis,
    // so when the player's pointer still names it there is nothing to read first, and open()'s
    // compare-and-set on the pointer says whether it does. Two round trips fewer than reading
    // the pointer and its ticket, on every join but a connection's first. Anything else (the
    // pointer moved: another connection, a party, Redis lost it) takes the full path below.
    const told = myParty ? null : session.lastEnded;
    if (told) {
      session.lastEnded = null;
      if (await openAndAnnounce(session, mode, region, pointerTo(told), id)) return;
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

    if (!(await openAndAnnounce(session, mode, region, pointer?.raw ?? null, id))) alreadyQueued(session, id);
  }

  /**
   * Opens a solo ticket if the player's pointer still holds `seen`, then announces it; false
   * (nothing written, nothing told) when the pointer changed.
   */
  async function openAndAnnounce(session: Session, mode: string, region: string, seen: string | null, id?: string | number): Promise<boolean> {
    const ticket = { ticketId: randomUUID(), mode, region, playerId: session.player.id, rating: session.ratingIn(mode), joinedAt: clock() };
    const openedAt = performance.now();
    const opened = await store.open(ticket, seen, ticketTtl(mode));
    onJoinStage?.('open', (performance.now() - openedAt) / 1000);
    if (!opened) return false;
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
    return true;
  }

  async function leave(session: Session, id?: string | number): Promise<void> {
    let ref: TicketRef | null = session.ticket;
    if (!ref) {
      const { ticket } = await liveTicketOf(session.player.id);
      if (ticket?.state === 'queued' || ticket?.state === 'proposed') ref = ticket;
    }
    if (!ref) return session.send({ type: 'error', code: 'not_queued', message: 'you have no ticket to leave', id });
    return leaveTicket(session, ref, id);
  }

  /**
   * A leave cut short by Redis or the broker (the player was answered `unavailable`), done again
   * from what Redis holds: every step is idempotent (the cancel, the leave for the matcher, each
   * member's `left` claimed once), so the player and their party hear `left` without asking
   * again; an outcome that won the race meanwhile is told instead. The cluster chaos run found a
   * cancel that ran on a Redis primary killed before it answered: nobody was ever told.
   */
  async function finishLeave(session: Session, known: TicketRef | null): Promise<void> {
    const ref = known ?? (await liveTicketOf(session.player.id)).ticket;
    const ticket = ref && (await store.get(ref));
    if (!ref || !ticket) return;
    const ours = ticket.state === 'cancelled' && ticket.reason !== 'party_changed';
    if (ticket.state === 'queued' || ticket.state === 'proposed' || ours) return leaveTicket(session, ref, undefined, { quiet: true });
    await deliverStored(session, ticket);
  }

  /** Leaves `ref`; `quiet` (finishing a leave): an outcome that won is told as such, no error frame. */
  async function leaveTicket(session: Session, ref: TicketRef, id?: string | number, { quiet = false } = {}): Promise<void> {
    const winner = await store.cancel(ref, { untold: true });
    // In a proposed room a leave is a decline, decided by the room's script, not the ticket's.
    if (winner === 'proposed' && readyCheck) {
      const ticket = await store.get(ref);
      if (ticket && (await readyCheck.leave(session, ticket, id))) return;
    }
    if (winner !== 'cancelled') {
      // The room (or the timeout) won the race; its outcome is on its way to the player.
      if (quiet) {
        const ticket = await store.get(ref);
        if (ticket) await deliverStored(session, ticket);
        return;
      }
      return session.send({ type: 'error', code: 'not_queued', message: `your ticket already ended (${winner})`, id });
    }
    await publishLeave(ref, session.player.id);
    const stored = party ? await store.get(ref) : null;
    if (stored?.partyId) return tellPartyEnded(stored, 'cancelled', session, id);
    // Told like any outcome: a gateway killed before the write leaves `left` for the reconnect.
    await deliver(session, ref, { kind: 'left', reason: 'cancelled', party: false, id });
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
    const rule = match.modes[mode]!;
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
      await hooks.parties
        .attach(current, ticket, current.ticket)
        .catch((error: Error) => logger.warn({ err: error.message, partyId: current.id }, 'putting the party back on its ticket failed'));
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
    const others = (ticket.members ?? []).map((member) => member.playerId).filter((playerId) => playerId !== you?.player.id);
    if (you) await deliver(you, ticket, { kind: 'left', reason, party: true, id, others });
    await party?.fanout
      .ended(others, ticket, reason)
      .catch((error: Error) =>
        logger.warn(
          { err: error.message, ticketId: ticket.ticketId },
          'telling party members left failed after its retries; they are told when Redis returns, or on reconnect',
        ),
      );
  }

  /** A party ticket's members but `playerId`, as Redis holds them (none when it holds no ticket). */
  async function otherMembers(ref: TicketRef, playerId: string): Promise<string[]> {
    const ticket = await store.get(ref);
    return (ticket?.members ?? []).map((member) => member.playerId).filter((member) => member !== playerId);
  }

  /**
   * Ends a party's live ticket because its membership changed (party_changed), queued or in a
   * pending room (which dissolves for the others); a final room that won the race stands.
   * `you` (who changed it) is told at once, before any `party` frame.
   */
  async function endPartyTicket(ref: TicketRef, reason: 'party_changed', you?: Session): Promise<void> {
    let ticket = await store.get(ref);
    if (ticket?.state === 'proposed' && readyCheck) {
      // Recorded first: a member told from Redis (the dissolved room, a reconnect) hears party_changed, not declined.
      await store.setReason(ticket, reason);
      if (await readyCheck.withdraw(ticket, you?.player.id ?? ticket.playerId)) {
        await publishLeave(ref, ticket.playerId);
        return tellPartyEnded(ticket, reason, you);
      }
      // Decided first: a final room stands; a dissolved one put the ticket back in its pool.
      ticket = await store.get(ref);
    }
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
    // This connection told it already: Redis lost its told mark (a restart) if it lets it be claimed again.
    if (!session.open || session.hasEnded(ref.ticketId)) return;
    const member = outcome.party ? session.player.id : undefined;
    if (!(await store.claimDelivery(ref, session.connectionId, member))) return;
    const partyId = session.ticket?.ticketId === ref.ticketId ? session.ticket.partyId : undefined;
    session.endTicket(ref);
    let frame: string;
    if (outcome.kind === 'matched') {
      const joinToken = signJoinToken && outcome.room.server ? await signJoinToken(session.player.id, outcome.room.id) : undefined;
      frame = matchedFrame(ref.ticketId, outcome.roomJson ?? JSON.stringify(roomForPlayer(outcome.room)), joinToken);
    } else if (outcome.kind === 'left') frame = encodeServerFrame({ type: 'left', ticketId: ref.ticketId, reason: outcome.reason, id: outcome.id });
    else frame = encodeServerFrame({ type: 'left', ticketId: ref.ticketId, reason: 'timeout' });
    // Told only once the socket took the frame: a gateway killed before leaves it for the next connection.
    session.sendText(frame, (error) => {
      if (error) return logger.warn({ err: error.message, ticketId: ref.ticketId }, 'an outcome did not reach the socket; the next connection tells it');
      toldEnds.record(ref, outcome, member, partyId);
      store
        .markTold(ref, member)
        .catch((failure: Error) => logger.warn({ err: failure.message, ticketId: ref.ticketId }, 'recording an outcome as told failed'));
    });
  }

  /** On (re)connect: a live ticket is `queued` again (its join completed if need be); an outcome formed meanwhile is delivered. */
  async function resume(session: Session): Promise<void> {
    const { ticket } = await liveTicketOf(session.player.id);
    if (!ticket) return;
    await tellEarlier(session, ticket);
    if (await endIfStale(session, ticket)) return;
    if (ticket.state === 'queued') {
      const live = liveOf(ticket);
      if (!ticket.confirmed) {
        // A party's join is announced by its leader alone: the leader's gateway is announcing it
        // now, or it failed and cancels it (the leader is answered `unavailable`), or died and the
        // leader's reconnect announces it. A member announcing it too raced that cancel: every member
        // was told `queued` for a ticket Redis then held cancelled, and nobody told them `left` (the
        // cluster chaos run, after a RabbitMQ node's kill). The members hear `queued` from the leader.
        if (ticket.playerId !== session.player.id) return;
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
    if ((await deliverStored(session, ticket)) === 'allocating') {
      // Still live: its room waits for a server. The session must hold it, or the room's release
      // (`requeued`) and the next room's `found` would be passed over as another ticket's (the
      // chaos run's player who reconnected mid-allocation heard nothing until `left accept_timeout`).
      session.ticket = liveOf(ticket);
      session.send({ type: 'queued', ticketId: ticket.ticketId, mode: ticket.mode, region: ticket.region, rating: ticket.rating });
    }
  }

  /**
   * A party member away while the party's earlier tickets ended (its leader queued again) hears
   * those outcomes first, oldest first: its pointer names only the latest ticket.
   */
  async function tellEarlier(session: Session, ticket: StoredTicket): Promise<void> {
    const untold: StoredTicket[] = [];
    for (let ref = ticket.earlier?.[session.player.id]; ref && untold.length < EARLIER_TICKETS_TOLD;) {
      const earlier = await store.get(ref);
      if (!earlier || toldTo(earlier, session.player.id)) break;
      untold.push(earlier);
      ref = earlier.earlier?.[session.player.id];
    }
    // deliverStored tells only an outcome: a ticket still queued or proposed is passed over.
    for (const earlier of untold.reverse()) await deliverStored(session, earlier);
  }

  /** Whether the player was told the ticket's outcome: a party's ticket counts each member apart. */
  const toldTo = (ticket: StoredTicket, playerId: string) => (ticket.partyId !== undefined ? !!ticket.deliveredTo?.includes(playerId) : ticket.delivered);

  /**
   * Delivers the outcome Redis holds for an ended ticket, unless the player was already told;
   * `allocating` (nothing told) for a ticket matched in a room the allocator has no server for yet.
   */
  async function deliverStored(session: Session, ticket: StoredTicket): Promise<'allocating' | void> {
    const isParty = ticket.partyId !== undefined;
    if (toldTo(ticket, session.player.id)) return;
    if (ticket.state === 'timeout') return deliver(session, ticket, { kind: 'timeout', party: isParty });
    if (ticket.state === 'declined' || ticket.state === 'accept_timeout' || ticket.state === 'allocation_failed') {
      // A party's ticket whose pending room a membership change dissolved (endPartyTicket).
      const reason = isParty && ticket.state === 'declined' && ticket.reason === 'party_changed' ? 'party_changed' : ticket.state;
      return deliver(session, ticket, { kind: 'left', reason, party: isParty });
    }
    if (ticket.state === 'matched' && ticket.roomId) {
      const json = await store.room(ticket.mode, ticket.region, ticket.roomId);
      const room = json ? decode(roomEvent, Buffer.from(json)) : null;
      // With an allocator a kept room without `server` is still being allocated: its announcement will come.
      if (room && (room.server || !signJoinToken)) return deliver(session, ticket, { kind: 'matched', room, party: isParty });
      if (room) return 'allocating';
    }
    // The player's own leave, whose `left` its gateway died before writing.
    if (!isParty && ticket.state === 'cancelled') return deliver(session, ticket, { kind: 'left', reason: 'cancelled', party: false });
    // A party's ticket another member cancelled, or a membership change ended, while this one was away.
    if (isParty && ticket.state === 'cancelled' && (ticket.reason === 'cancelled' || ticket.reason === 'party_changed')) {
      return deliver(session, ticket, { kind: 'left', reason: ticket.reason, party: true });
    }
  }

  /**
   * Delivers an outcome that ended the session's ticket but never arrived: the gateway's own
   * delivery queue vanishes with its broker connection, and what was routed meanwhile is lost.
   * With a ready check, a `found` or `requeued` lost the same way is told too.
   */
  async function settle(session: Session): Promise<void> {
    if (!session.ticket) return;
    const ticket = await store.get(session.ticket);
    if (!ticket) return;
    if (ticket.state === 'queued' || ticket.state === 'proposed') return readyCheck?.settle(session, ticket);
    await deliverStored(session, ticket);
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

  /**
   * After Redis came back (perhaps empty): writes back every end told here lately (ToldEnds), so
   * a ticket whose end Redis lost is not matched again, nor resumed as queued (an end overrides a
   * live copy another member's gateway writes back, whichever comes first). A party's end decided
   * here is then told to its other members again: the message that was to tell them may have gone
   * with Redis (a decline's dissolved room). The write comes before each member's gateway is looked
   * up, and a member's gateway writes its entry back before it settles them from Redis: so either
   * the look-up finds the member's gateway, or the member's settle finds the end.
   */
  async function writeBackEnds(): Promise<void> {
    const ends = toldEnds.recent();
    const written = await Promise.all(
      ends.map(async (end) => {
        if (!(await store.restoreEnded(end))) return false;
        if (end.others && end.others.length > 0 && end.reason && party) await party.fanout.ended(end.others, end.ref, end.reason);
        return true;
      }),
    );
    const count = written.filter(Boolean).length;
    if (count > 0) logger.warn({ ends: count }, 'Redis had lost ends told here; written back');
  }

  return { join, leave, finishLeave, deliver, resume, settle, released, readyCheck, endPartyTicket, liveTicket, writeBackEnds };
}

export type TicketDesk = ReturnType<typeof createTicketDesk>;
