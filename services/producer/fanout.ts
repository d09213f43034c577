import type { TopologyChannel } from '../../common/amqp.js';
import { encode, type Delivery } from '../../common/messages.js';
import type { AmqpNames } from '../../common/names.js';
import type { TicketRef, TicketStore } from '../../common/ticket-store.js';
import type { Party } from '../../packages/client/src/wire/index.js';
import type { LiveTicket } from './session.js';

/**
 * Tells party members what changed, wherever their socket is: one delivery per gateway on
 * matchq.deliveries (routing key = gateway id), as the notifier routes rooms, this gateway
 * included (its own queue keeps the order). A member with no gateway is offline and learns
 * the state on reconnect (`party` after `hello`, the ticket by resume); deliveries are
 * transient for the same reason: the state is in Redis, not in flight.
 */
export function createFanout(store: TicketStore, channel: TopologyChannel, names: AmqpNames) {
  async function send(playerIds: string[], body: (ids: string[]) => Delivery): Promise<void> {
    if (playerIds.length === 0) return;
    const gateways = await store.gatewaysOf(playerIds);
    const byGateway = new Map<string, string[]>();
    gateways.forEach((gatewayId, index) => {
      if (gatewayId) byGateway.set(gatewayId, [...(byGateway.get(gatewayId) ?? []), playerIds[index]!]);
    });
    await Promise.all([...byGateway].map(([gatewayId, ids]) => channel.publish(names.deliveries, gatewayId, encode(body(ids)), { persistent: false })));
  }

  return {
    /** A `party` frame to each player (null: they are in none now). */
    party: (playerIds: string[], party: Party | null) => send(playerIds, (ids) => ({ kind: 'party', playerIds: ids, party })),
    /** The party's new ticket: `queued` to each member. */
    queued: (playerIds: string[], ticket: LiveTicket) => send(playerIds, (ids) => ({ kind: 'queued', playerIds: ids, ticket })),
    /** The party's ticket ended without a room: `left` with the reason to each member, once. */
    ended: (playerIds: string[], ticket: TicketRef, reason: 'cancelled' | 'party_changed') =>
      send(playerIds, (ids) => ({ kind: 'ended', playerIds: ids, ticket: { ticketId: ticket.ticketId, mode: ticket.mode, region: ticket.region }, reason })),
  };
}

export type Fanout = ReturnType<typeof createFanout>;
