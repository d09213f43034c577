import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Knex } from 'knex';
import { watchDb } from '../../common/db.js';
import type { Registry } from 'prom-client';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { windowAt } from '../../core/rule.js';
import { TopologyChannel, type AmqpConnectionManager } from '../../common/amqp.js';
import { poolsOf } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import { decodeDeliveries, encode, InvalidMessage, type Delivery } from '../../common/messages.js';
import type { AmqpNames } from '../../common/names.js';
import { closeServer, handleOpsRoute, listen, refuseUnlessRead, sendJson } from '../../common/ops-http.js';
import type { Player } from '../../common/players.js';
import { retryLater } from '../../common/retry-later.js';
import type { ProposalStore } from '../../common/proposal-store.js';
import { OUTCOME_TTL_SECONDS, type TicketRef, type TicketStore } from '../../common/ticket-store.js';
import type { Topology } from '../../common/topology.js';
import type { MatchConfig } from '../../core/types.js';
import { authenticate } from './auth.js';
import { handleDelivery } from './deliveries.js';
import { TurnPacer } from './turn-pacer.js';
import { createGatewayMetrics } from './metrics.js';
import {
  CLOSE_GOING_AWAY,
  CLOSE_REPLACED,
  createFrameParser,
  MAX_FRAME_BYTES,
  PARTY_CLIENT_TYPES,
  READY_CHECK_CLIENT_TYPES,
  requestIdOf,
  searchingFrame,
  V1_CLIENT_TYPES,
  type ErrorFrame,
} from '../../packages/client/src/wire/index.js';
import { partiesEnabled } from '../../core/party.js';
import type { PartyStore } from '../../common/party-store.js';
import { createFanout } from './fanout.js';
import { ratingsOf } from './results-ledger.js';
import { createPartyDesk } from './party-desk.js';
import { Session } from './session.js';
import { SlicedSweep } from './sliced-sweep.js';
import { TurnWrites } from './turn-writes.js';
import { serveStatic } from './static-files.js';
import { createTicketDesk, type TicketDeskOptions } from './ticket-desk.js';

export interface GatewayDeps {
  /** This gateway's id, the routing key of its deliveries (GATEWAY_ID). */
  gatewayId: string;
  /** The HTTP + WebSocket port (PORT, default 8080; 0 picks a free one). */
  port: number;
  /** The matching rule (MATCH_CONFIG): modes, regions, each mode's wait, ready check and parties. */
  match: MatchConfig;
  /** Most members a party may have (PARTY_MAX_SIZE, default 5). */
  partyMaxSize: number;
  /** Joins taken and not yet answered from which, once the oldest has waited SHED_AFTER_MS, a join is answered unavailable at once (MAX_JOINS_IN_FLIGHT). */
  maxJoinsInFlight: number;
  /** Join tokens for allocated rooms; null without an allocator. */
  joinTokens: TicketDeskOptions['joinTokens'];
  /** The AMQP names of this namespace (common/names.ts) and the topology asserted on each connect. */
  names: AmqpNames;
  topology: Topology;
  amqp: AmqpConnectionManager;
  store: TicketStore;
  /** The ready check's Redis side, used only when a mode has `accept`. */
  proposals?: ProposalStore;
  db: Knex;
  logger: Logger;
  registry: Registry;
  clock?: () => number;
  /** Ping interval; a socket that misses one pong is dropped. */
  pingIntervalMs?: number;
  /** Extra GET routes (the demo players list under `npm start`). */
  routes?: Record<string, () => unknown>;
  /** Extra HTTP handlers on the same port (the server API); each returns false for a path it does not serve. */
  handlers?: ((req: IncomingMessage, res: ServerResponse) => boolean)[];
  /** v1.1 party state; parties are on only when a mode sets `party` (and then this is required). */
  parties?: PartyStore;
}

const SEARCHING_INTERVAL_MS = 1000;
/** The periodic passes over every socket (searching, ping) go out in this many slices of their interval. */
const SWEEP_SLICES = 20;
/** WebSocket close code 1013, Try Again Later: the gateway cannot serve this socket now. */
const CLOSE_TRY_AGAIN_LATER = 1013;
/**
 * After a broker or a Redis reconnect, when to look in Redis for outcomes whose delivery was lost: the
 * notifier may lag, and so may the allocator, whose room held by a holder that lost its channel
 * waits out its lease (8 s in the chaos run, 44 s with the default budget) before it is announced.
 * (The cluster chaos run lost one party member's room around a RabbitMQ node's kill, held in Redis
 * as matched and never told; a decision later than the last look at 8 s is the likeliest way.)
 */
const SETTLE_AFTER_RECONNECT_MS = [1000, 3000, 8000, 20_000, 50_000];
const DELIVERY_PREFETCH = 256;
/**
 * Players told per event-loop turn (turn-pacer.ts): a turn of 64 tellings is a few ms here, so
 * a join that comes in while a tick's thousand outcomes are told waits for one such slice, not
 * for all of them.
 */
const TELLS_PER_TURN = 64;
/** How long a telling may wait for its turn before it goes whatever the share (turn-pacer.ts). */
const TELL_MAX_WAIT_MS = 100;
/** A leave that failed part-way is finished again after 1, 2, 4, 8, 8, 8 s: through a Redis Cluster failover (about 8 s here). */
const LEAVE_FINISH_TRIES = 6;
const LEAVE_FINISH_FIRST_MS = 1000;
const LEAVE_FINISH_MAX_MS = 8000;
/** How long a stopping gateway lets requests in flight finish before it closes its sockets (1001) anyway. */
export const STOP_DRAIN_MS = 1000;
/** How long the oldest of MAX_JOINS_IN_FLIGHT joins must have waited before a join is refused: a burst answered faster is taken whole. */
export const SHED_AFTER_MS = 1000;
/** Shedding joins is logged at most this often; the counter counts each one. */
const SHED_LOG_EVERY_MS = 10_000;
/** How often a connected member keeps their party alive (it ends an hour after the last touch). */
const PARTY_TOUCH_MS = 60_000;

/**
 * The WebSocket gateway: signs players in, turns their frames into durable requests and
 * hands them the outcomes the notifier routes here. It holds sockets and nothing else:
 * every ticket lives in Redis and the broker, so any gateway can serve any player.
 */
export function createGateway({
  gatewayId,
  port: listenPort,
  match,
  partyMaxSize,
  maxJoinsInFlight,
  joinTokens,
  names,
  topology,
  amqp,
  store,
  proposals,
  db,
  logger,
  registry,
  clock = Date.now,
  pingIntervalMs = 30_000,
  routes = {},
  handlers = [],
  parties,
}: GatewayDeps) {
  const sessions = new Map<string, Session>();
  // Every socket, in slices: the once-a-second `searching` and the pings go out a slice at a time, each pass at its own pace.
  const sweep = new SlicedSweep<Session>(SWEEP_SLICES);
  const searchingStep = sweep.walker();
  const pingStep = sweep.walker();
  // Joins from their frame to their answer, by sequence number, each with when it came (oldest first: a Map keeps insertion order).
  const joinsInFlight = new Map<number, number>();
  let joinSeq = 0;
  let lastShedLog = -Infinity;
  /** Whether a join may not be taken now: MAX_JOINS_IN_FLIGHT are in flight and the oldest has waited SHED_AFTER_MS. */
  const overloaded = (now: number) => joinsInFlight.size >= maxJoinsInFlight && now - joinsInFlight.values().next().value! >= SHED_AFTER_MS;
  const pacer = new TurnPacer(TELLS_PER_TURN, TELL_MAX_WAIT_MS);
  const metrics = createGatewayMetrics(registry, {
    sockets: () => sessions.size,
    joinsInFlight: () => joinsInFlight.size,
    pendingPublishes: () => channel.pendingPublishes(),
    tellsWaiting: () => pacer.backlog,
  });
  const myQueue = names.gateway(gatewayId);
  const channel = new TopologyChannel(
    amqp,
    'gateway',
    topology,
    async (ch) => {
      // Our own delivery queue lives and dies with this process: outcomes are durable in Redis.
      await ch.assertQueue(myQueue, { exclusive: true, autoDelete: true, durable: false });
      await ch.bindQueue(myQueue, names.deliveries, gatewayId);
    },
    () => {
      // Deliveries routed while our queue was gone are lost; the outcomes are in Redis.
      settleLater();
    },
    logger,
  );
  const ratingsIn = async (playerIds: string[], mode: string) => {
    const byPlayer = await ratingsOf(db, playerIds);
    return new Map([...byPlayer].flatMap(([playerId, ratings]) => (ratings[mode] === undefined ? [] : [[playerId, ratings[mode]!] as const])));
  };
  // v1.1 parties only where an operator turned them on: otherwise party frames are unknown_type, as in v1.
  const partiesOn = partiesEnabled(match) && parties !== undefined;
  const fanout = createFanout(store, channel, names, logger, metrics.fanoutFailures);
  const desk = createTicketDesk(
    { match, joinTokens, onJoinStage: (stage, seconds) => metrics.joinStageSeconds.observe({ stage }, seconds) },
    store,
    channel,
    names,
    clock,
    logger,
    proposals,
    partiesOn ? { parties: parties!, fanout, ratingsIn } : undefined,
  );
  const partyDesk = partiesOn ? createPartyDesk(partyMaxSize, parties!, store, desk, fanout, logger) : undefined;
  // accept / decline and the party frames are v1.1: a gateway without their feature answers them unknown_type, as v1 does.
  const parseFrame = createFrameParser([...V1_CLIENT_TYPES, ...(desk.readyCheck ? READY_CHECK_CLIENT_TYPES : []), ...(partiesOn ? PARTY_CLIENT_TYPES : [])]);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const dbWatch = watchDb(db);
  const turnWrites = new TurnWrites();
  let accepting = true;

  const server = createServer((req, res) => {
    if (handleOpsRoute(req, res, registry, () => ({ rabbitmq: channel.connected, redis: store.ready(), postgresql: dbWatch.health.up }))) return;
    if (handlers.some((handle) => handle(req, res))) return;
    const path = (req.url ?? '').split('?')[0]!;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (route) return refuseUnlessRead(req, res) || sendJson(res, 200, route());
    if (serveStatic(req, res, logger)) return;
    sendJson(res, 404, { error: 'not found' });
  });
  server.on('upgrade', (req, socket, head) => onUpgrade(req, socket, head));

  /**
   * Every error frame a player is sent passes here once: counted by code, and logged with its
   * cause (ours, when there is one; else the player's mistake as the frame words it).
   * `rate_limited` logs at debug: a flooding client would otherwise flood the log too.
   */
  function reportError(session: Session, frame: ErrorFrame, cause?: unknown): void {
    metrics.errors.inc({ code: frame.code });
    const fields = {
      playerId: session.player.id,
      code: frame.code,
      id: frame.id,
      err: cause instanceof Error ? cause.message : cause === undefined ? frame.message : String(cause),
    };
    if (cause !== undefined) logger.warn(fields, `sent error ${frame.code}`);
    else if (frame.code === 'rate_limited') logger.debug(fields, `sent error ${frame.code}`);
    else logger.info(fields, `sent error ${frame.code}`);
  }

  function refuse(socket: Duplex, status: string): void {
    metrics.rejectedUpgrades.inc();
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (error) => {
      logger.debug({ err: error.message }, 'upgrade socket error');
      socket.destroy();
    });
    if (!accepting) return refuse(socket, '503 Service Unavailable');
    if (new URL(req.url ?? '/', 'http://gateway').pathname !== '/ws') return refuse(socket, '404 Not Found');
    authenticate(db, req).then(
      (signedIn) => {
        dbWatch.health.saw(true);
        if (!signedIn) return refuse(socket, '401 Unauthorized');
        wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket, signedIn.player, signedIn.ratings));
      },
      (error: Error) => {
        dbWatch.health.saw(false);
        logger.warn({ err: error.message }, 'sign-in failed: PostgreSQL unavailable');
        refuse(socket, '503 Service Unavailable');
      },
    );
  }

  function onConnection(ws: WebSocket, tcp: Duplex, player: Player, ratings: Record<string, number>): void {
    // `tcp` is the socket ws took over in handleUpgrade: the one its frames are written to.
    const session = new Session(ws, player, randomUUID(), clock(), reportError, { tcp, writes: turnWrites });
    session.ratings = ratings;
    const previous = sessions.get(player.id);
    sessions.set(player.id, session);
    sweep.add(session);
    previous?.socket.close(CLOSE_REPLACED, 'replaced by a newer connection');
    ws.on('message', (data, isBinary) => onFrame(session, data, isBinary));
    ws.on('pong', () => {
      session.alive = true;
    });
    ws.on('error', (error) => logger.debug({ err: error.message, playerId: player.id }, 'socket error'));
    ws.on('close', () => {
      if (sessions.get(player.id) === session) sessions.delete(player.id);
      sweep.delete(session);
      // The party's idle hour counts from its last member's disconnect.
      partyDesk?.touch(session);
    });
    const modes = Object.keys(match.modes);
    session.send({
      type: 'hello',
      player: { id: player.id, name: player.name, rating: player.rating, ratings: Object.fromEntries(modes.map((mode) => [mode, session.ratingIn(mode)])) },
      modes,
      regions: match.regions,
    });
    void session.serial(async () => {
      try {
        const holder = await store.setGateway(player.id, gatewayId, session.connectionId);
        if (holder && holder.gatewayId !== gatewayId) {
          const kick: Delivery = { kind: 'kick', playerId: player.id, connectionId: holder.connectionId };
          await channel.publish(names.deliveries, holder.gatewayId, encode(kick), { persistent: false });
        }
        if (partyDesk) await partyDesk.greet(session);
        await desk.resume(session);
      } catch (error) {
        // Redis (or the broker) is away: nothing was resumed and the older socket was not told.
        // 1013 "try again later" makes the client reconnect, which retries both.
        logger.warn({ err: (error as Error).message, playerId: player.id }, 'resuming the ticket failed; closing with 1013');
        session.socket.close(CLOSE_TRY_AGAIN_LATER, 'matchmaking is unavailable right now; reconnect shortly');
      }
    });
  }

  function onFrame(session: Session, data: RawData, isBinary: boolean): void {
    const now = clock();
    // Refused before the parser, but the reply still echoes the frame's id, as every reply does.
    if (!session.allow(now))
      return session.send({
        type: 'error',
        code: 'rate_limited',
        message: 'too many messages; slow down',
        id: isBinary ? undefined : requestIdOf(data.toString()),
      });
    const parsed = isBinary ? { ok: false as const, code: 'bad_request' as const, message: 'frames must be JSON text' } : parseFrame(data.toString());
    if (!parsed.ok) return session.send({ type: 'error', code: parsed.code, message: parsed.message, id: 'id' in parsed ? parsed.id : undefined });
    const { message } = parsed;
    metrics.frames.inc({ type: message.type });
    // Shutting down: nothing new may start once the drain began, or it would outlive our connections.
    if (!accepting) return session.send({ type: 'error', code: 'unavailable', message: 'this server is restarting; you will be reconnected', id: message.id });
    // Load shedding: past the bound, with the oldest join waiting, the broker (or Redis) is behind,
    // and one more join would only wait out its confirm timeout. Refused now, it costs nothing and
    // the player retries. A burst that is served in time is not refused, however large.
    const isJoin = message.type === 'join';
    if (isJoin && overloaded(now)) {
      metrics.joinsShed.inc();
      if (now - lastShedLog >= SHED_LOG_EVERY_MS) {
        lastShedLog = now;
        logger.warn(
          { joinsInFlight: joinsInFlight.size, maxJoinsInFlight },
          'shedding joins: MAX_JOINS_IN_FLIGHT are in flight and the oldest waited over a second (the broker or Redis is behind); see matchq_gateway_joins_shed_total',
        );
      }
      return session.send({ type: 'error', code: 'unavailable', message: 'matchmaking is busy right now; try again in a moment', id: message.id });
    }
    const joinNo = isJoin ? ++joinSeq : 0;
    if (isJoin) joinsInFlight.set(joinNo, now);
    void session.serial(async () => {
      // A leave under way, with the ticket it is for, to finish it if it fails part-way.
      let leaving: { ref: TicketRef | null } | undefined;
      try {
        // Redis away: say so now rather than queue the request behind ioredis's reconnects.
        if (!store.ready()) throw new Error('Redis is not connected');
        if (message.type === 'join') {
          const timer = metrics.joinSeconds.startTimer();
          await desk.join(session, message.mode, message.region, message.id);
          timer();
        } else if (message.type === 'leave') {
          leaving = { ref: session.ticket };
          await desk.leave(session, message.id);
        } else if (message.type === 'party.create' || message.type === 'party.join' || message.type === 'party.leave' || message.type === 'party.kick') {
          // Parsed only when parties are on, so partyDesk is there.
          if (message.type === 'party.create') await partyDesk!.create(session, message.id);
          else if (message.type === 'party.join') await partyDesk!.join(session, message.code, message.id);
          else if (message.type === 'party.leave') await partyDesk!.leave(session, message.id);
          else await partyDesk!.kick(session, message.playerId, message.id);
        } else {
          // accept / decline: parsed only when a mode has a ready check, so readyCheck is there.
          await desk.readyCheck!.answer(session, message.type, message.roomId, message.id);
        }
      } catch (error) {
        // Logged once, with the cause, where the error frame is reported.
        session.send(
          { type: 'error', code: 'unavailable', message: 'matchmaking is unavailable right now; try again in a moment', id: message.id },
          new Error(`${message.type} failed: ${(error as Error).message}`),
        );
        if (leaving) finishLeaveLater(session, leaving.ref);
      } finally {
        if (isJoin) joinsInFlight.delete(joinNo);
      }
    });
  }

  /**
   * A leave that failed part-way may have cancelled the ticket in Redis already (a primary that
   * ran the script and died before answering): finished in the background, with backoff, until it
   * completes or LEAVE_FINISH_TRIES run out (then the player is told on reconnect).
   */
  function finishLeaveLater(session: Session, ref: TicketRef | null, attempt = 0): void {
    const timer = setTimeout(
      () => {
        finishing.delete(timer);
        session
          .serial(() => desk.finishLeave(session, ref))
          .catch((error: Error) => {
            if (attempt + 1 < LEAVE_FINISH_TRIES) return finishLeaveLater(session, ref, attempt + 1);
            logger.warn({ err: error.message, playerId: session.player.id }, 'finishing a leave failed after its retries; the player is told on reconnect');
          });
      },
      Math.min(LEAVE_FINISH_FIRST_MS * 2 ** attempt, LEAVE_FINISH_MAX_MS),
    );
    finishing.add(timer);
  }

  /** After Redis comes back (perhaps empty), writes back the ends told here, who is here and their live tickets, then settles every session. */
  function resync(): void {
    // The ends told here lately: each overrides a live copy of its ticket written back by any gateway, in either order.
    desk.writeBackEnds().catch((error: Error) => logger.warn({ err: error.message }, 'writing back the ends told here failed after a Redis reconnect'));
    for (const session of sessions.values()) {
      void session
        .serial(async () => {
          await store.setGateway(session.player.id, gatewayId, session.connectionId);
          if (session.ticket)
            await store.restore({ ...session.ticket, playerId: session.player.id }, match.modes[session.ticket.mode]!.maxWaitSeconds + OUTCOME_TTL_SECONDS);
        })
        .catch((error: Error) => logger.warn({ err: error.message }, 'resync after a Redis reconnect failed'));
    }
    // What failed while Redis was away (a party member's `queued` or `left` fanned out from
    // another gateway, an outcome's claim) is told from what Redis holds now, as after a broker
    // reconnect; and again a few times, since a settle that fails (Redis just back and slow, the
    // machine loaded) is not retried by itself, and each settle is idempotent (claimed outcomes).
    settleAll();
    settleLater();
  }

  /** settleAll at each of SETTLE_AFTER_RECONNECT_MS: what the notifier or the allocator decides late is told too. */
  function settleLater(): void {
    for (const delayMs of SETTLE_AFTER_RECONNECT_MS) setTimeout(settleAll, delayMs).unref();
  }

  function settleAll(): void {
    for (const session of sessions.values()) {
      // A member whose `party` fanout was lost the same way is told the party first, as after `hello`.
      if (partyDesk)
        session.serial(() => partyDesk.retell(session)).catch((error: Error) => logger.warn({ err: error.message }, 'telling the party again failed'));
      // A session with no ticket may be a party member whose `queued` was lost the same way (and
      // then its room): resuming tells what Redis holds for the player, as on a reconnect.
      const work = session.ticket ? () => desk.settle(session) : () => desk.resume(session);
      session.serial(work).catch((error: Error) => logger.warn({ err: error.message }, 'settling a ticket failed'));
    }
  }

  /** Every waiting player hears `searching` once a second, a slice of them every SEARCHING_INTERVAL_MS / SWEEP_SLICES. */
  function tellSearching(session: Session): void {
    const ticket = session.ticket;
    // A player asked to accept a room is not searching; `searching` resumes after `requeued`.
    if (!ticket || session.pending) return;
    const waitedMs = Math.max(0, clock() - ticket.joinedAt);
    // Sent to every waiting player each second: a template, not a JSON.stringify per player.
    session.sendText(searchingFrame(ticket.ticketId, waitedMs, windowAt(match.modes[ticket.mode]!, waitedMs)));
  }

  /** Every socket is pinged once an interval, a slice at a time; one that did not answer the last ping is dropped. */
  function ping(session: Session): void {
    if (!session.alive) {
      session.socket.terminate();
      return;
    }
    session.alive = false;
    session.socket.ping();
  }

  /**
   * One delivery, or a batch of them (the notifier's of one turn): each handed to its sessions'
   * chains in order, TELLS_PER_TURN players a turn. Resolves once every one was handled, each outcome written to its
   * socket or left in Redis for the player's reconnect, so the message is acked only then; if
   * any failed the whole message is retried, and what was told already is not told again
   * (claim-delivery.lua).
   */
  async function onDelivery(content: Buffer): Promise<void> {
    let deliveries: Delivery[];
    try {
      const decoded = decodeDeliveries(content);
      for (const reason of decoded.invalid) logger.warn({ err: reason }, 'dropped an invalid delivery of a batch');
      deliveries = decoded.deliveries;
    } catch (error) {
      if (error instanceof InvalidMessage) return logger.warn({ err: error.message }, 'dropped an invalid delivery');
      throw error;
    }
    if (deliveries.length === 1) return handleDelivery(deliveries[0]!, sessions, desk, pacer);
    const failed = (await Promise.allSettled(deliveries.map((body) => handleDelivery(body, sessions, desk, pacer)))).find(
      (result): result is PromiseRejectedResult => result.status === 'rejected',
    );
    if (failed) throw failed.reason;
  }

  const timers: NodeJS.Timeout[] = [];
  /** Leaves being finished in the background (finishLeaveLater). */
  const finishing = new Set<NodeJS.Timeout>();
  return {
    server,
    sessions,
    async start(): Promise<number> {
      await channel.waitForSetup();
      await channel.consume(myQueue, DELIVERY_PREFETCH, (message, generation) => {
        onDelivery(message.content).then(
          () => channel.ack(message, generation),
          (error: Error) => {
            logger.warn({ err: error.message }, 'delivery failed; retrying');
            retryLater(channel, message, generation, { queue: myQueue, dead: names.dead, logger }, `delivery failed: ${error.message}`);
          },
        );
      });
      await store.keepEpochsDated(poolsOf(match), clock, logger);
      store.onReconnect(resync);
      timers.push(
        setInterval(() => searchingStep(tellSearching), SEARCHING_INTERVAL_MS / SWEEP_SLICES),
        setInterval(() => pingStep(ping), pingIntervalMs / SWEEP_SLICES),
      );
      if (partyDesk) timers.push(setInterval(() => sessions.forEach((session) => partyDesk.touch(session)), PARTY_TOUCH_MS));
      const port = await listen(server, listenPort);
      logger.info({ port }, 'gateway listening');
      return port;
    },
    get ready(): boolean {
      return channel.connected && store.ready() && dbWatch.health.up;
    },
    /**
     * Stops intake, lets in-flight work finish for up to STOP_DRAIN_MS, tells every socket 1001,
     * then stops deliveries and closes the channel. Outcomes keep coming until the sockets close:
     * a player still connected hears them. A chain stuck on a slow broker or Redis kept every
     * socket open and deaf until the supervisor's kill (10 s in the chaos run), while a ready
     * check's few seconds ran out on rooms its players never heard of.
     */
    async stop(): Promise<void> {
      accepting = false;
      timers.forEach(clearInterval);
      finishing.forEach(clearTimeout);
      dbWatch.stop();
      const closing = closeServer(server);
      const chains = [...sessions.values()].map((session) => session.serial(async () => undefined));
      await settledWithin(Promise.all(chains), STOP_DRAIN_MS);
      for (const session of sessions.values()) session.socket.close(CLOSE_GOING_AWAY, 'server shutting down');
      // No more outcomes in: what arrives from now on waits in Redis for the players' reconnect.
      await settledWithin(channel.wrapper.cancelAll(), STOP_DRAIN_MS);
      wss.close();
      await closing;
      await channel.close();
    },
  };
}

export type Gateway = ReturnType<typeof createGateway>;

/** Waits for `work` to settle, or `ms`, whichever comes first; never rejects. */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
