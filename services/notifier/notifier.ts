import type { ConsumeMessage } from 'amqplib';
import { Counter, type Registry } from 'prom-client';
import { TopologyChannel, type AmqpConnectionManager } from '../../common/amqp.js';
import type { Config } from '../../common/config.js';
import { deadLetter } from '../../common/dead-letter.js';
import type { Logger } from '../../common/logger.js';
import {
  decode,
  DISSOLVED_EVENT_TYPE,
  encode,
  InvalidMessage,
  PROPOSAL_EVENT_TYPE,
  roomDelivery,
  roomDissolved,
  roomEvent,
  roomProposal,
  ticketTimeout,
  TIMEOUT_EVENT_TYPE,
  type Delivery,
  type RoomDissolved,
  type RoomEvent,
  type RoomProposal,
  type TicketTimeout,
} from '../../common/messages.js';
import { amqpNames } from '../../common/names.js';
import { firstDeliveryOf, retryLater } from '../../common/retry-later.js';
import { unclaimedReason } from '../../common/room-claims.js';
import type { TicketStore } from '../../common/ticket-store.js';
import { topologyFor } from '../../common/topology.js';

export interface NotifierDeps {
  config: Config;
  amqp: AmqpConnectionManager;
  store: TicketStore;
  logger: Logger;
  registry: Registry;
}

/**
 * A player with no known gateway just after a room formed may be mid-reconnect, or their
 * gateway may not have re-registered yet after a Redis restart: retry such a room this long
 * after its first delivery here (never by the event's own createdAt, which a publisher sets).
 */
const UNROUTED_RETRY_MS = 10_000;

/** Outcomes in flight per notifier; enough to hide round trips, small enough to share the queue fairly. */
const PREFETCH = 64;

/**
 * Routes each outcome (a room, a timeout) to the gateway that holds each player's socket.
 * A player with no socket is not lost: the outcome waits in Redis for their reconnect.
 */
export function createNotifier({ config, amqp, store, logger, registry }: NotifierDeps) {
  const names = amqpNames(config.MATCHQ_NAMESPACE);
  const channel = new TopologyChannel(amqp, 'notifier', topologyFor(config), undefined, undefined, logger);
  const retry = { queue: names.notifier, dead: names.dead, logger };
  const routed = new Counter({ name: 'matchq_notifier_deliveries_total', help: 'Outcomes routed to gateways', labelNames: ['kind'], registers: [registry] });
  const duplicates = new Counter({
    name: 'matchq_notifier_duplicate_rooms_total',
    help: 'Redelivered rooms dropped because they were already routed',
    registers: [registry],
  });
  const unrouted = new Counter({
    name: 'matchq_notifier_offline_players_total',
    help: 'Players with no gateway when their outcome came; they get it on reconnect',
    registers: [registry],
  });

  const sendTo = (gatewayId: string, body: Delivery) =>
    // Gateway queues are transient by design: an outcome is durable in Redis, not in flight.
    channel.publish(names.deliveries, gatewayId, encode(body), { persistent: false });

  /** Routes the room; false when some player had no gateway and the room is young enough to retry. */
  async function routeRoom(room: RoomEvent, raw: Buffer, firstDelivery: number): Promise<boolean> {
    const playerIds = room.players.map((player) => player.playerId);
    // One round trip for both (the connection auto-pipelines): a room already routed is rare.
    const [notified, gateways, unclaimed] = await Promise.all([
      store.roomNotified(room.mode, room.region, room.id),
      store.gatewaysOf(playerIds),
      unclaimedReason(store, room),
    ]);
    if (notified) {
      duplicates.inc();
      return true;
    }
    // A room no matcher claimed (forged by anyone who may publish on the rooms exchange) reaches no one.
    if (unclaimed) throw new InvalidMessage(unclaimed);
    const byGateway = new Map<string, string[]>();
    gateways.forEach((gatewayId, index) => {
      if (!gatewayId) return unrouted.inc();
      byGateway.set(gatewayId, [...(byGateway.get(gatewayId) ?? []), playerIds[index]!]);
    });
    await Promise.all([...byGateway].map(([gatewayId, ids]) => sendRoomTo(gatewayId, raw, ids)));
    routed.inc({ kind: 'room' }, byGateway.size);
    // Gateways drop a room they already delivered, so routing it again is harmless.
    if (gateways.includes(null) && Date.now() - firstDelivery < UNROUTED_RETRY_MS) return false;
    await store.markRoomNotified(room.mode, room.region, room.id);
    return true;
  }

  /** A room delivery around the room's bytes as they came: the room is not serialised again. */
  const sendRoomTo = (gatewayId: string, raw: Buffer, playerIds: string[]) =>
    channel.publish(names.deliveries, gatewayId, roomDelivery(playerIds, raw), { persistent: false });

  /**
   * Routes the timeout to the gateway of its player (a party's ticket: of each member); false
   * when someone had no gateway and the timeout was first delivered recently enough to retry.
   * Gateways tell each player once, so routing it again is harmless.
   */
  async function routeTimeout(timeout: TicketTimeout, firstDelivery: number): Promise<boolean> {
    const gateways = await store.gatewaysOf(timeout.playerIds ?? [timeout.playerId]);
    const targets = new Set(gateways.filter((gatewayId): gatewayId is string => gatewayId !== null));
    await Promise.all([...targets].map((gatewayId) => sendTo(gatewayId, { kind: 'timeout', timeout })));
    if (targets.size > 0) routed.inc({ kind: 'timeout' }, targets.size);
    if (gateways.includes(null)) {
      unrouted.inc();
      return Date.now() - firstDelivery >= UNROUTED_RETRY_MS;
    }
    return true;
  }

  /**
   * Routes a ready check's news (a proposal, a dissolution) to the gateways of its players. A
   * player with no gateway is not retried: on reconnect the gateway reads the ticket's state
   * (and the proposal) from Redis and tells them then.
   */
  async function routeReadyCheck(kind: 'found' | 'dissolved', news: RoomProposal | RoomDissolved): Promise<true> {
    const playerIds = news.players.map((player) => player.playerId);
    const gateways = await store.gatewaysOf(playerIds);
    const byGateway = new Map<string, string[]>();
    gateways.forEach((gatewayId, index) => {
      if (!gatewayId) return unrouted.inc();
      byGateway.set(gatewayId, [...(byGateway.get(gatewayId) ?? []), playerIds[index]!]);
    });
    await Promise.all(
      [...byGateway].map(([gatewayId, ids]) =>
        sendTo(
          gatewayId,
          kind === 'found' ? { kind, proposal: news as RoomProposal, playerIds: ids } : { kind, dissolved: news as RoomDissolved, playerIds: ids },
        ),
      ),
    );
    routed.inc({ kind }, byGateway.size);
    return true;
  }

  function route(message: ConsumeMessage, firstDelivery: number): Promise<boolean> {
    switch (message.properties.type) {
      case TIMEOUT_EVENT_TYPE:
        return routeTimeout(decode(ticketTimeout, message.content), firstDelivery);
      case PROPOSAL_EVENT_TYPE:
        return routeReadyCheck('found', decode(roomProposal, message.content));
      case DISSOLVED_EVENT_TYPE:
        return routeReadyCheck('dissolved', decode(roomDissolved, message.content));
      default:
        return routeRoom(decode(roomEvent, message.content), message.content, firstDelivery);
    }
  }

  async function onMessage(message: ConsumeMessage, generation: number): Promise<void> {
    const firstDelivery = firstDeliveryOf(message);
    try {
      const handled = await route(message, firstDelivery);
      if (!handled) return retryLater(channel, message, generation, retry, 'a player had no gateway');
      channel.ack(message, generation);
    } catch (error) {
      if (error instanceof InvalidMessage) return deadLetter(channel, names.dead, message, generation, error.message, logger);
      logger.warn({ err: (error as Error).message }, 'routing failed; retrying');
      retryLater(channel, message, generation, retry, `routing failed: ${(error as Error).message}`);
    }
  }

  return {
    async start(): Promise<void> {
      await channel.waitForSetup();
      await channel.consume(names.notifier, PREFETCH, (message, generation) => {
        onMessage(message, generation).catch((error: Error) => logger.error({ err: error.message }, 'notifier message failed'));
      });
      logger.info('notifier started');
    },
    get ready(): boolean {
      return channel.connected;
    },
    stop: () => channel.close(),
  };
}
