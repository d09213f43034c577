import { roomForPlayer, type Delivery } from '../../common/messages.js';
import { CLOSE_REPLACED } from '../../packages/client/src/wire/index.js';
import type { Session } from './session.js';
import type { TicketDesk } from './ticket-desk.js';
import type { TurnPacer } from './turn-pacer.js';

/**
 * Hands one delivery (from the notifier, or v1.1 party news from a gateway) to the sockets
 * this gateway holds, through each session's serial chain so an outcome never overtakes the
 * `queued` of its ticket.
 */
export async function handleDelivery(delivery: Delivery, sessions: Map<string, Session>, desk: TicketDesk, pacer: TurnPacer): Promise<void> {
  /**
   * The session of each player held here, once the pacer lets it go (turn-pacer.ts: a tick's
   * outcomes are told over several turns, and joins are read in between). Every kind below goes
   * through it, in the order the deliveries came, so two deliveries to one player keep their order.
   */
  const paced = async (playerId: string): Promise<Session | undefined> => {
    if (!sessions.has(playerId)) return undefined;
    await pacer.pass();
    return sessions.get(playerId);
  };
  const each = (playerIds: string[], work: (session: Session) => Promise<void>) =>
    Promise.all(
      playerIds.map(async (playerId) => {
        const session = await paced(playerId);
        if (session) await session.serial(() => work(session));
      }),
    );
  switch (delivery.kind) {
    case 'kick': {
      const session = sessions.get(delivery.playerId);
      if (session?.connectionId === delivery.connectionId) session.socket.close(CLOSE_REPLACED, 'replaced by a newer connection');
      return;
    }
    case 'timeout': {
      const { timeout } = delivery;
      // A party's ticket names its members, each told once; a solo ticket its player.
      const party = timeout.playerIds !== undefined;
      await each(timeout.playerIds ?? [timeout.playerId], (session) => desk.deliver(session, timeout, { kind: 'timeout', party }));
      return;
    }
    case 'party':
      await each(delivery.playerIds, async (session) => session.tellParty(delivery.party));
      return;
    case 'queued': {
      const { ticket } = delivery;
      await each(delivery.playerIds, async (session) => {
        if (session.ticket?.ticketId === ticket.ticketId || session.hasEnded(ticket.ticketId)) return;
        // The party's previous ticket is still this member's, untold: its end's own news was lost
        // (a dissolved room or an `ended` fanout dropped with a broker node). The leader could open
        // this one only once that one ended in Redis, so tell that end first, from Redis.
        if (session.ticket) await desk.settle(session);
        session.ticket = { ...ticket };
        session.send({ type: 'queued', ticketId: ticket.ticketId, mode: ticket.mode, region: ticket.region, rating: ticket.rating });
      });
      return;
    }
    case 'ended':
      await each(delivery.playerIds, (session) => desk.deliver(session, delivery.ticket, { kind: 'left', reason: delivery.reason, party: true }));
      return;
    case 'found':
    case 'dissolved':
    case 'ready': {
      const readyCheck = desk.readyCheck;
      if (delivery.kind === 'dissolved' && !readyCheck) {
        // A final room the allocator released, in a config without a ready check.
        await each(delivery.playerIds, (session) => desk.released(session, delivery.dissolved));
        return;
      }
      if (!readyCheck) return;
      await Promise.all(
        delivery.playerIds.map(async (playerId) => {
          const session = await paced(playerId);
          if (!session) return;
          if (delivery.kind === 'found') await session.serial(async () => readyCheck.found(session, delivery.proposal));
          else if (delivery.kind === 'dissolved') await session.serial(() => readyCheck.dissolved(session, delivery.dissolved));
          else readyCheck.ready(session, delivery.roomId, delivery.accepted, delivery.total);
        }),
      );
      return;
    }
    case 'room': {
      const { room } = delivery;
      const roomJson = JSON.stringify(roomForPlayer(room));
      await Promise.all(
        delivery.playerIds.map(async (playerId) => {
          const seat = room.players.find((player) => player.playerId === playerId);
          const session = seat && (await paced(playerId));
          if (!session || !seat) return;
          const ref = { ticketId: seat.ticketId, mode: room.mode, region: room.region };
          await session.serial(() => desk.deliver(session, ref, { kind: 'matched', room, roomJson, party: seat.partyId != null }));
        }),
      );
    }
  }
}
