import type { Logger } from '../../common/logger.js';
import { CODE_PATTERN, partyView, AlreadyInParty, type PartyStore, type StoredParty } from '../../common/party-store.js';
import type { TicketRef, TicketStore } from '../../common/ticket-store.js';
import type { Party, RequestId } from '../../packages/client/src/wire/index.js';
import type { Fanout } from './fanout.js';
import type { Session } from './session.js';
import type { TicketDesk } from './ticket-desk.js';

/**
 * party.create / join / leave / kick (contract v1.1, "Parties"): the gateway's side of the
 * party state in Redis (common/party-store.ts). Every change is one Lua script; what follows
 * it (a `party` frame to every member, a live ticket ended with party_changed) reaches members
 * on other gateways through matchq.deliveries (Fanout).
 */
/** `maxSize`: most members a party may have (PARTY_MAX_SIZE, default 5). */
export function createPartyDesk(maxSize: number, parties: PartyStore, store: TicketStore, desk: TicketDesk, fanout: Fanout, logger: Logger) {
  const error = (
    session: Session,
    code: 'already_in_party' | 'party_not_found' | 'party_full' | 'not_in_party' | 'not_leader' | 'party_queued' | 'already_queued' | 'bad_request',
    message: string,
    id?: RequestId,
  ) => session.send({ type: 'error', code, message, id });

  /** Whether the player holds a live ticket of their own (a party member's is the party's). */
  async function holdsTicket(session: Session): Promise<boolean> {
    if (session.ticket) return true;
    return (await desk.liveTicket(session.player.id)) !== null;
  }

  /** The party's ticket if it is live (queued, or in a room pending its ready check), else null. */
  async function liveTicketOf(party: StoredParty): Promise<TicketRef | null> {
    if (!party.ticket) return null;
    const ticket = await store.get(party.ticket);
    return ticket?.state === 'queued' || ticket?.state === 'proposed' ? party.ticket : null;
  }

  /**
   * A `party` frame to members on any gateway. One given up after the fanout's retries (Redis away
   * longer) is not the acting player's failure, their change is made: the members are told when
   * Redis returns (retell), or on reconnect.
   */
  async function tellMembers(playerIds: string[], view: Party | null): Promise<void> {
    await fanout
      .party(playerIds, view)
      .catch((failure: Error) =>
        logger.warn(
          { err: failure.message, party: view?.code ?? null, playerIds },
          'telling party members the party failed after its retries; they are told when Redis returns, or on reconnect',
        ),
      );
  }

  /** Tells every member the party as it is now; `you` gets the reply with its id. */
  async function tellAll(party: StoredParty, you: Session, id?: RequestId): Promise<void> {
    const view = partyView(party);
    you.tellParty(view, id);
    await tellMembers(
      party.members.map((member) => member.id).filter((playerId) => playerId !== you.player.id),
      view,
    );
  }

  async function create(session: Session, id?: RequestId): Promise<void> {
    // A member first: a queued party's ticket is the party's, not one of the member's own.
    if (await parties.partyOf(session.player.id)) return error(session, 'already_in_party', 'you are in a party already; leave it first', id);
    if (await holdsTicket(session)) return error(session, 'already_queued', 'you have a ticket of your own; leave it first', id);
    let party: StoredParty;
    try {
      party = await parties.create(session.player);
    } catch (failure) {
      if (failure instanceof AlreadyInParty) return error(session, 'already_in_party', 'you are in a party already; leave it first', id);
      throw failure;
    }
    session.tellParty(partyView(party), id);
  }

  async function join(session: Session, code: string, id?: RequestId): Promise<void> {
    if (!CODE_PATTERN.test(code)) return error(session, 'party_not_found', `no party has the code "${code}"`, id);
    if (await parties.partyOf(session.player.id)) return error(session, 'already_in_party', 'you are in a party already; leave it first', id);
    if (await holdsTicket(session)) return error(session, 'already_queued', 'you have a ticket of your own; leave it first', id);
    // A retry only when the party's ticket field moved under us: a ticket opened or ended meanwhile.
    for (let attempt = 0; attempt < 3; attempt++) {
      const party = await parties.get(code);
      if (!party) return error(session, 'party_not_found', `no party has the code "${code}"`, id);
      if (await liveTicketOf(party)) return error(session, 'party_queued', 'that party is searching for a match; join once it stops', id);
      if (!(await parties.claimPointer(session.player.id, code))) return error(session, 'already_in_party', 'you are in a party already; leave it first', id);
      const result = await parties.join(code, session.player, maxSize, party.ticket);
      if (result.ok) return tellAll(result.party, session, id);
      await parties.releasePointer(session.player.id, code);
      if (result.reason === 'not_found') return error(session, 'party_not_found', `no party has the code "${code}"`, id);
      if (result.reason === 'full') return error(session, 'party_full', `that party has ${maxSize} members, the most a party may have`, id);
    }
    return error(session, 'party_queued', 'that party is searching for a match; join once it stops', id);
  }

  /** Takes `playerId` out of the session's party: a leave (the player themselves) or a kick (by the leader). */
  async function remove(session: Session, playerId: string, id?: RequestId): Promise<void> {
    const code = await parties.codeOf(session.player.id);
    const before = code ? await parties.get(code) : null;
    if (!code || !before || !before.members.some((member) => member.id === session.player.id)) {
      return error(session, 'not_in_party', 'you are not in a party', id);
    }
    const kick = playerId !== session.player.id;
    if (kick && before.leader !== session.player.id) return error(session, 'not_leader', 'only the party leader may kick', id);
    const result = await parties.leave(code, playerId, session.player.id);
    if (!result.ok) {
      if (result.reason === 'not_leader') return error(session, 'not_leader', 'only the party leader may kick', id);
      if (result.reason === 'not_member')
        return error(session, 'not_in_party', kick ? `player ${playerId} is not in your party` : 'you are not in a party', id);
      return error(session, 'not_in_party', 'you are not in a party', id);
    }
    // A live ticket built from the old membership ends first, for everyone who was on it.
    if (result.detached) await desk.endPartyTicket(result.detached, 'party_changed', session);
    const rest = result.party;
    if (kick) {
      await tellMembers([playerId], null);
      if (rest) await tellAll(rest, session, id);
      return;
    }
    session.tellParty(null, id);
    if (rest)
      await tellMembers(
        rest.members.map((member) => member.id),
        partyView(rest),
      );
  }

  const leave = (session: Session, id?: RequestId) => remove(session, session.player.id, id);

  async function kick(session: Session, playerId: string, id?: RequestId): Promise<void> {
    if (playerId === session.player.id) return error(session, 'bad_request', 'party.kick: use party.leave to leave your own party', id);
    return remove(session, playerId, id);
  }

  /** After hello: the player's party, if they are in one (contract: sent after `hello`). */
  async function greet(session: Session): Promise<void> {
    const party = await parties.partyOf(session.player.id);
    session.partyCode = party?.code ?? null;
    if (!party) return;
    await parties.touch(party.code, session.player.id);
    session.tellParty(partyView(party));
  }

  /**
   * After Redis or the broker was away: the player's party as Redis holds it now, told only if it
   * differs from the last `party` frame this connection got, so a member whose party changed
   * while its fanout could not reach them (given up, or its delivery lost with the gateway's
   * queue) sees it now, without reconnecting; everyone else is sent nothing.
   */
  async function retell(session: Session): Promise<void> {
    const party = await parties.partyOf(session.player.id);
    const view = party ? partyView(party) : null;
    if (!session.toldParty(view)) session.tellParty(view);
  }

  /** Keeps the parties of connected members alive; called on a timer and when a member disconnects. */
  function touch(session: Session): void {
    const code = session.partyCode;
    if (code)
      parties
        .touch(code, session.player.id)
        .catch((failure: Error) => logger.warn({ err: failure.message, playerId: session.player.id }, 'touching a party failed'));
  }

  return { create, join, leave, kick, greet, retell, touch };
}

export type PartyDesk = ReturnType<typeof createPartyDesk>;
