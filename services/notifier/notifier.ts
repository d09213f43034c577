import type { ConsumeMessage } from 'amqplib';
import { Counter, type Registry } from 'prom-client';
import { TopologyChannel, Unroutable, type AmqpConnectionManager } from '../../common/amqp.js';
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
import type { AmqpNames } from '../../common/names.js';
import { firstDeliveryOf, retryLater } from '../../common/retry-later.js';
import { checkDissolved, checkTimeout, claimVerdict, unclaimedFate, type ClaimVerdict } from '../../common/room-claims.js';
import type { GatewayRoute, TicketStore } from '../../common/ticket-store.js';
import type { Topology } from '../../common/topology.js';
import { createDeliveryBatcher } from './delivery-batcher.js';

export interface NotifierDeps {
  /** The AMQP names of this namespace (common/names.ts) and the topology asserted on each connect. */
  names: AmqpNames;
  topology: Topology;
  /** Every pool of the config (common/config.ts poolsOf): their Redis epochs are dated at start and on reconnect. */
  pools: { mode: string; region: string }[];
  amqp: AmqpConnectionManager;
  store: TicketStore;
  logger: Logger;
  registry: Registry;
  clock?: () => number;
}

/**
 * A player with no known gateway just after a room formed may be mid-reconnect, or their
 * gateway may not have re-registered yet after a Redis restart: retry such a room this long
 * after its first delivery here (never by the event's own createdAt, which a publisher sets).
 */
const UNROUTED_RETRY_MS = 10_000;

/**
 * A ready check's news cannot wait for a Redis node to come back: the room's deadline runs
 * meanwhile. A player whose gateway entry is not read within this long (its node down, its slot
 * moving) gets the news through every gateway this notifier delivered to lately instead.
 */
export const ROUTE_LOOKUP_MS = 1000;
/** How long a gateway this notifier delivered to counts as one that may hold a player's socket. */
export const KNOWN_GATEWAY_MS = 10 * 60_000;

/** An outcome's players by the gateway to send them to; a gateway takes batches only if every entry routing there says so. */
type ByGateway = Map<string, { playerIds: string[]; batches: boolean }>;

function addTo(byGateway: ByGateway, gatewayId: string, playerIds: string[], batches: boolean): void {
  const forGateway = byGateway.get(gatewayId);
  if (!forGateway) return void byGateway.set(gatewayId, { playerIds: [...playerIds], batches });
  forGateway.playerIds.push(...playerIds);
  forGateway.batches &&= batches;
}

/**
 * Outcomes in flight per notifier: a whole tick's rooms of a busy pool. Each outcome waits for
 * two Redis round trips and a confirm before its ack lets the broker send the next, so a window
 * of 64 cut a tick's 333 rooms (1,000 joins/s) into six waves, and the last rooms were told
 * about 185 ms after the first (docs/performance.md). The broker still deals a queue's messages
 * round-robin over its notifiers, so a large window does not starve the others.
 */
const PREFETCH = 1024;

/**
 * Routes each outcome (a room, a timeout) to the gateway that holds each player's socket.
 * A player with no socket is not lost: the outcome waits in Redis for their reconnect.
 */
export function createNotifier({ names, topology, pools, amqp, store, logger, registry, clock = Date.now }: NotifierDeps) {
  const ackFrames = new Counter({
    name: 'matchq_notifier_ack_frames_total',
    help: 'AMQP ack frames sent for the outcomes taken off the queue (a multiple ack settles a run of them in one)',
    registers: [registry],
  });
  // Every delivery of this channel comes through consume: the acks of one turn go out together,
  // a run of them as one multiple ack (common/ack-coalescer.ts).
  const channel = new TopologyChannel(amqp, 'notifier', topology, undefined, undefined, logger, {
    coalesceAcks: true,
    onAckFlush: ({ frames }) => ackFrames.inc(frames),
  });
  const retry = { queue: names.notifier, dead: names.dead, logger, clock };
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

  const awaitingClaim = new Counter({
    name: 'matchq_notifier_rooms_awaiting_claim_total',
    help: 'Times a room or timeout was held back because Redis may have lost its claim (it lost its data); retried until its matcher makes it again',
    registers: [registry],
  });

  /**
   * What a room or timeout no matcher decided comes to: why it is retried while Redis may have lost
   * its decision (`what` the matcher will do again), or a throw that dead-letters it.
   */
  function holdBack(verdict: Extract<ClaimVerdict, { claimed: false }>, message: ConsumeMessage, what: string): string {
    if (unclaimedFate(verdict, message) === 'dead') throw new InvalidMessage(verdict.reason);
    awaitingClaim.inc();
    return `${verdict.reason}; waiting for its matcher to ${what}`;
  }

  const messages = new Counter({
    name: 'matchq_notifier_delivery_messages_total',
    help: 'AMQP messages published to gateways, each one delivery or a batch of those routed to one gateway in one event-loop turn',
    registers: [registry],
  });

  const gatewayGone = new Counter({
    name: 'matchq_notifier_gateway_gone_total',
    help: "Deliveries the broker returned because the gateway's queue was gone (the gateway stopped after its players' who-is-where was read); the outcome is routed again",
    registers: [registry],
  });

  const batcher = createDeliveryBatcher((gatewayId, content) => {
    messages.inc();
    // Gateway queues are transient by design: an outcome is durable in Redis, not in flight.
    // Mandatory: a gateway that died leaves no queue, and a confirm alone would not say the
    // delivery was dropped; a player who moved meanwhile would then hear only on their next reconnect.
    return channel.publish(names.deliveries, gatewayId, content, { persistent: false, mandatory: true });
  });

  /**
   * Sends each gateway its delivery, resolving with how many were returned (the gateway's queue
   * gone); any other failure rejects, and the outcome is retried whole.
   */
  async function sendEach(deliveries: [gatewayId: string, content: Buffer, batches: boolean][]): Promise<number> {
    const sent = await Promise.allSettled(deliveries.map(([gatewayId, content, batches]) => batcher.send(gatewayId, content, batches)));
    let returned = 0;
    for (const each of sent) {
      if (each.status === 'fulfilled') continue;
      if (!(each.reason instanceof Unroutable)) throw each.reason;
      returned += 1;
    }
    if (returned > 0) gatewayGone.inc(returned);
    return returned;
  }

  const everywhere = new Counter({
    name: 'matchq_notifier_news_everywhere_total',
    help: "Players of a ready check's news whose gateway entry Redis did not give in time; the news went to every gateway known lately",
    registers: [registry],
  });

  /** Gateways routed to lately, with whether each takes batches: where news goes for a player whose entry cannot be read. */
  const knownGateways = new Map<string, { batches: boolean; seenAt: number }>();
  function remember(routes: (GatewayRoute | null)[]): void {
    for (const route of routes) if (route) knownGateways.set(route.gatewayId, { batches: route.batches, seenAt: clock() });
  }

  /** The players of an outcome grouped by gateway; a gateway takes batches only if every entry routing there says so. */
  function byGatewayOf(playerIds: string[], routes: (GatewayRoute | null)[]): ByGateway {
    remember(routes);
    const byGateway: ByGateway = new Map();
    routes.forEach((route, index) => {
      if (!route) return unrouted.inc();
      addTo(byGateway, route.gatewayId, [playerIds[index]!], route.batches);
    });
    return byGateway;
  }

  /**
   * Where a ready check's news goes: each player's gateway, read one by one so that a player
   * whose entry's Redis node is down (or slow) holds up no one else; such a player's news goes to
   * every gateway known lately, and the one holding their socket tells them (the others hold no
   * session of theirs and drop it). All or nothing, the news of a room with one player keyed on a
   * dead primary waited out the failover, past the room's deadline: a player told `ready` then
   * heard no `requeued` and no next `found`, and that next room ended them `accept_timeout` (the
   * cluster chaos run). Throws, to retry the news whole, only with no gateway known at all.
   */
  async function newsRoutes(playerIds: string[]): Promise<ByGateway> {
    let failure: unknown;
    const routes = await Promise.all(
      playerIds.map((playerId) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timedOut = new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), ROUTE_LOOKUP_MS);
        });
        const lookup = store.routesOf([playerId]).then(
          ([route]) => route ?? null,
          (error: unknown) => {
            failure ??= error;
            return undefined;
          },
        );
        return Promise.race([lookup, timedOut]).finally(() => clearTimeout(timer));
      }),
    );
    const read = playerIds.flatMap((playerId, index) => (routes[index] === undefined ? [] : [{ playerId, route: routes[index]! }]));
    const byGateway = byGatewayOf(
      read.map((each) => each.playerId),
      read.map((each) => each.route),
    );
    const unknown = playerIds.filter((_, index) => routes[index] === undefined);
    if (unknown.length === 0) return byGateway;
    const now = clock();
    for (const [gatewayId, seen] of knownGateways) if (now - seen.seenAt > KNOWN_GATEWAY_MS) knownGateways.delete(gatewayId);
    if (knownGateways.size === 0) throw failure ?? new Error(`no gateway entry read in ${ROUTE_LOOKUP_MS} ms, and no gateway known`);
    everywhere.inc(unknown.length);
    for (const [gatewayId, { batches }] of knownGateways) addTo(byGateway, gatewayId, unknown, batches);
    return byGateway;
  }

  /**
   * Routes the room; false when some player had no gateway and the room is young enough to retry.
   * A room no matcher claimed (forged by anyone who may publish on the rooms exchange) reaches no
   * one: it is dead-lettered, after a few retries when Redis may have lost a real claim.
   */
  async function routeRoom(room: RoomEvent, message: ConsumeMessage, firstDelivery: number): Promise<boolean | string> {
    const playerIds = room.players.map((player) => player.playerId);
    // One round trip for both: the room's reads go in one script call with the turn's other rooms
    // of its pool, the players' gateways in the turn's MGET beside it (routesOf). A room already routed is rare.
    const [read, routes] = await Promise.all([
      store.readRoom(
        room.mode,
        room.region,
        room.id,
        room.players.map((player) => player.ticketId),
      ),
      store.routesOf(playerIds),
    ]);
    if (read.notified) {
      duplicates.inc();
      return true;
    }
    // The pool's epoch, read only for a room not claimed, costs a further round trip then.
    const verdict = await claimVerdict(room, read.states, () => store.readEpoch(room.mode, room.region));
    if (!verdict.claimed) return holdBack(verdict, message, 'claim it again');
    const byGateway = byGatewayOf(playerIds, routes);
    // A room delivery around the room's bytes as they came: the room is not serialised again.
    const returned = await sendEach([...byGateway].map(([gatewayId, { playerIds: ids, batches }]) => [gatewayId, roomDelivery(ids, message.content), batches]));
    routed.inc({ kind: 'room' }, byGateway.size - returned);
    // Gateways drop a room they already delivered, so routing it again is harmless.
    if ((routes.includes(null) || returned > 0) && clock() - firstDelivery < UNROUTED_RETRY_MS) return false;
    await store.markRoomNotified(room.mode, room.region, room.id);
    return true;
  }

  /**
   * Routes the timeout to the gateway of its player (a party's ticket: of each member); false
   * when someone had no gateway and the timeout was first delivered recently enough to retry
   * (why, when it waits for its matcher). Gateways tell each player once, so routing it again is
   * harmless.
   */
  async function routeTimeout(timeout: TicketTimeout, message: ConsumeMessage, firstDelivery: number): Promise<boolean | string> {
    const stamp = Number(message.properties.timestamp);
    const playerIds = timeout.playerIds ?? [timeout.playerId];
    const [routes, verdict] = await Promise.all([
      store.routesOf(playerIds),
      // An AMQP timestamp is whole seconds: the latest instant it may stand for, so a timeout made
      // in the second Redis's data began is never taken for one made before.
      checkTimeout(store, timeout, Number.isFinite(stamp) ? stamp * 1000 + 999 : null),
    ]);
    // A timeout no matcher decided (forged) tells no one; one Redis may have lost waits for its matcher.
    if (!verdict.claimed) return holdBack(verdict, message, 'end it again');
    // One body for every gateway: the timeout names its players, and each gateway tells those it holds.
    const targets = byGatewayOf(playerIds, routes);
    const body = encode({ kind: 'timeout', timeout } satisfies Delivery);
    const returned = await sendEach([...targets].map(([gatewayId, { batches }]) => [gatewayId, body, batches]));
    if (targets.size > returned) routed.inc({ kind: 'timeout' }, targets.size - returned);
    if (routes.includes(null) || returned > 0) return clock() - firstDelivery >= UNROUTED_RETRY_MS;
    return true;
  }

  /**
   * Routes a ready check's news (a proposal, a dissolution) to the gateways of its players
   * (newsRoutes). A player with no gateway is not retried: on reconnect the gateway reads the
   * ticket's state (and the proposal) from Redis and tells them then.
   */
  async function routeReadyCheck(kind: 'found' | 'dissolved', news: RoomProposal | RoomDissolved): Promise<true> {
    if (kind === 'dissolved') {
      const verdict = await checkDissolved(store, news as RoomDissolved);
      if (!verdict.claimed) throw new InvalidMessage(verdict.reason);
    }
    const byGateway = await newsRoutes(news.players.map((player) => player.playerId));
    // A gateway gone is not retried either: its players reconnect elsewhere and are told from Redis.
    const returned = await sendEach(
      [...byGateway].map(([gatewayId, { playerIds: ids, batches }]) => {
        const body: Delivery =
          kind === 'found' ? { kind, proposal: news as RoomProposal, playerIds: ids } : { kind, dissolved: news as RoomDissolved, playerIds: ids };
        return [gatewayId, encode(body), batches];
      }),
    );
    routed.inc({ kind }, byGateway.size - returned);
    return true;
  }

  /** True when handled; false, or why, when the message is to be retried later. */
  function route(message: ConsumeMessage, firstDelivery: number): Promise<boolean | string> {
    switch (message.properties.type) {
      case TIMEOUT_EVENT_TYPE:
        return routeTimeout(decode(ticketTimeout, message.content), message, firstDelivery);
      case PROPOSAL_EVENT_TYPE:
        return routeReadyCheck('found', decode(roomProposal, message.content));
      case DISSOLVED_EVENT_TYPE:
        return routeReadyCheck('dissolved', decode(roomDissolved, message.content));
      default:
        return routeRoom(decode(roomEvent, message.content), message, firstDelivery);
    }
  }

  async function onMessage(message: ConsumeMessage, generation: number): Promise<void> {
    const firstDelivery = firstDeliveryOf(message, clock());
    try {
      const handled = await route(message, firstDelivery);
      if (handled !== true) return retryLater(channel, message, generation, retry, handled || 'a player had no gateway');
      channel.ack(message, generation);
    } catch (error) {
      if (error instanceof InvalidMessage) return deadLetter(channel, names.dead, message, generation, error.message, logger);
      logger.warn({ err: (error as Error).message }, 'routing failed; retrying');
      retryLater(channel, message, generation, retry, `routing failed: ${(error as Error).message}`);
    }
  }

  return {
    async start(): Promise<void> {
      await store.keepEpochsDated(pools, clock, logger);
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
