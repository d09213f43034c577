import type { Counter } from 'prom-client';
import { Unroutable, type TopologyChannel } from '../../common/amqp.js';
import type { Logger } from '../../common/logger.js';
import { encode, type Delivery } from '../../common/messages.js';
import type { AmqpNames } from '../../common/names.js';
import type { TicketRef, TicketStore } from '../../common/ticket-store.js';
import type { Party } from '../../packages/client/src/wire/index.js';
import type { LiveTicket } from './session.js';

/**
 * A fanout whose Redis read or publish failed is retried after these waits (the last one
 * repeated) until FANOUT_BUDGET_MS have passed since its first try, longer than a Redis
 * reconnect under ioredis's backoff; then it is given up (logged, counted). A Redis away for
 * longer is covered by the gateways settling every session from Redis when it returns.
 */
export const FANOUT_RETRY_MS = [250, 500, 1000, 2000];
export const FANOUT_BUDGET_MS = 10_000;

/** The ends of a party's ticket a member's gateway tells the other members of (`ended`). */
export type PartyEndReason = 'cancelled' | 'party_changed' | 'declined';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Tells party members what changed, wherever their socket is: one delivery per gateway on
 * matchq.deliveries (routing key = gateway id), as the notifier routes rooms, this gateway
 * included (its own queue keeps the order). A member with no gateway is offline and learns
 * the state on reconnect (`party` after `hello`, the ticket by resume); deliveries are
 * transient for the same reason: the state is in Redis, not in flight.
 *
 * A fanout that fails (Redis away when the members' gateways are looked up, or the publish) is
 * retried (FANOUT_RETRY_MS, within FANOUT_BUDGET_MS) in the caller's chain, so a member's frames keep their order.
 */
export function createFanout(store: TicketStore, channel: TopologyChannel, names: AmqpNames, logger: Logger, failures: Counter<'kind'>) {
  /** Sends to each member's gateway; resolves with the members whose gateway left no queue (it died: the broker returned the delivery). */
  async function sendOnce(playerIds: string[], body: (ids: string[]) => Delivery): Promise<string[]> {
    const gateways = await store.gatewaysOf(playerIds);
    const byGateway = new Map<string, string[]>();
    gateways.forEach((gatewayId, index) => {
      if (gatewayId) byGateway.set(gatewayId, [...(byGateway.get(gatewayId) ?? []), playerIds[index]!]);
    });
    const targets = [...byGateway];
    const sent = await Promise.allSettled(
      targets.map(([gatewayId, ids]) => channel.publish(names.deliveries, gatewayId, encode(body(ids)), { persistent: false, mandatory: true })),
    );
    const returned: string[] = [];
    sent.forEach((each, index) => {
      if (each.status === 'fulfilled') return;
      if (!(each.reason instanceof Unroutable)) throw each.reason;
      returned.push(...targets[index]![1]);
    });
    return returned;
  }

  async function send(kind: Delivery['kind'], playerIds: string[], body: (ids: string[]) => Delivery): Promise<void> {
    if (playerIds.length === 0) return;
    const started = Date.now();
    // Only the members whose gateway was gone are sent to again: their pointer moves when they reconnect.
    let remaining = playerIds;
    for (let attempt = 0; ; attempt++) {
      try {
        remaining = await sendOnce(remaining, body);
        if (remaining.length === 0) return;
        // Still on a gateway that is gone: offline, as far as anyone knows; they learn it on reconnect.
        if (Date.now() - started >= FANOUT_BUDGET_MS) return;
      } catch (error) {
        if (Date.now() - started >= FANOUT_BUDGET_MS) {
          failures.inc({ kind });
          throw error;
        }
        logger.debug({ err: (error as Error).message, kind, attempt }, 'a party fanout failed; retrying');
      }
      await sleep(FANOUT_RETRY_MS[Math.min(attempt, FANOUT_RETRY_MS.length - 1)]!);
    }
  }

  return {
    /** A `party` frame to each player (null: they are in none now). */
    party: (playerIds: string[], party: Party | null) => send('party', playerIds, (ids) => ({ kind: 'party', playerIds: ids, party })),
    /** The party's new ticket: `queued` to each member. */
    queued: (playerIds: string[], ticket: LiveTicket) => send('queued', playerIds, (ids) => ({ kind: 'queued', playerIds: ids, ticket })),
    /** The party's ticket ended without a room: `left` with the reason to each member, once. */
    ended: (playerIds: string[], ticket: TicketRef, reason: PartyEndReason) =>
      send('ended', playerIds, (ids) => ({
        kind: 'ended',
        playerIds: ids,
        ticket: { ticketId: ticket.ticketId, mode: ticket.mode, region: ticket.region },
        reason,
      })),
  };
}

export type Fanout = ReturnType<typeof createFanout>;
