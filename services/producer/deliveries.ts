import { roomForPlayer, type Delivery } from '../../common/messages.js';
import { CLOSE_REPLACED } from '../../packages/client/src/wire/index.js';
import type { Session } from './session.js';
import type { TicketDesk } from './ticket-desk.js';

/**
 * Hands one delivery from the notifier to the sockets this gateway holds, through each
 * session's serial chain so an outcome never overtakes the `queued` of its ticket.
 */
export async function handleDelivery(delivery: Delivery, sessions: Map<string, Session>, desk: TicketDesk): Promise<void> {
  if (delivery.kind === 'kick') {
    const session = sessions.get(delivery.playerId);
    if (session?.connectionId === delivery.connectionId) session.socket.close(CLOSE_REPLACED, 'replaced by a newer connection');
    return;
  }
  if (delivery.kind === 'timeout') {
    const { timeout } = delivery;
    const session = sessions.get(timeout.playerId);
    if (session) await session.serial(() => desk.deliver(session, timeout, { kind: 'timeout' }));
    return;
  }
  if (delivery.kind === 'found' || delivery.kind === 'dissolved' || delivery.kind === 'ready') {
    const readyCheck = desk.readyCheck;
    if (!readyCheck) return;
    await Promise.all(delivery.playerIds.map(async (playerId) => {
      const session = sessions.get(playerId);
      if (!session) return;
      if (delivery.kind === 'found') await session.serial(async () => readyCheck.found(session, delivery.proposal));
      else if (delivery.kind === 'dissolved') await session.serial(() => readyCheck.dissolved(session, delivery.dissolved));
      else readyCheck.ready(session, delivery.roomId, delivery.accepted, delivery.total);
    }));
    return;
  }
  const { room } = delivery;
  const roomJson = JSON.stringify(roomForPlayer(room));
  await Promise.all(delivery.playerIds.map(async (playerId) => {
    const session = sessions.get(playerId);
    const seat = room.players.find((player) => player.playerId === playerId);
    if (!session || !seat) return;
    const ref = { ticketId: seat.ticketId, mode: room.mode, region: room.region };
    await session.serial(() => desk.deliver(session, ref, { kind: 'matched', room, roomJson }));
  }));
}
