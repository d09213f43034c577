import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Knex } from 'knex';
import { watchDb } from '../../common/db.js';
import type { Registry } from 'prom-client';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { windowAt } from '../../core/rule.js';
import { TopologyChannel, type AmqpConnectionManager } from '../../common/amqp.js';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import { decode, delivery, encode, InvalidMessage, type Delivery } from '../../common/messages.js';
import { amqpNames } from '../../common/names.js';
import { closeServer, handleOpsRoute, listen, refuseUnlessRead, sendJson } from '../../common/ops-http.js';
import type { Player } from '../../common/players.js';
import { retryLater } from '../../common/retry-later.js';
import type { ProposalStore } from '../../common/proposal-store.js';
import { OUTCOME_TTL_SECONDS, type TicketStore } from '../../common/ticket-store.js';
import { topologyFor } from '../../common/topology.js';
import { authenticate } from './auth.js';
import { handleDelivery } from './deliveries.js';
import { createGatewayMetrics } from './metrics.js';
import {
  CLOSE_GOING_AWAY,
  CLOSE_REPLACED,
  createFrameParser,
  MAX_FRAME_BYTES,
  PARTY_CLIENT_TYPES,
  READY_CHECK_CLIENT_TYPES,
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
import { serveStatic } from './static-files.js';
import { createTicketDesk } from './ticket-desk.js';

export interface GatewayDeps {
  config: Config;
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
/** WebSocket close code 1013, Try Again Later: the gateway cannot serve this socket now. */
const CLOSE_TRY_AGAIN_LATER = 1013;
/** After a broker reconnect, when to look in Redis for outcomes whose delivery was lost: the notifier may lag. */
const SETTLE_AFTER_RECONNECT_MS = [1000, 3000, 8000];
const DELIVERY_PREFETCH = 256;
/** How often a connected member keeps their party alive (it ends an hour after the last touch). */
const PARTY_TOUCH_MS = 60_000;

/**
 * The WebSocket gateway: signs players in, turns their frames into durable requests and
 * hands them the outcomes the notifier routes here. It holds sockets and nothing else:
 * every ticket lives in Redis and the broker, so any gateway can serve any player.
 */
export function createGateway({
  config,
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
  const names = amqpNames(config.MATCHQ_NAMESPACE);
  const gatewayId = config.GATEWAY_ID;
  const sessions = new Map<string, Session>();
  const metrics = createGatewayMetrics(registry, () => sessions.size);
  const myQueue = names.gateway(gatewayId);
  const channel = new TopologyChannel(
    amqp,
    'gateway',
    topologyFor(config),
    async (ch) => {
      // Our own delivery queue lives and dies with this process: outcomes are durable in Redis.
      await ch.assertQueue(myQueue, { exclusive: true, autoDelete: true, durable: false });
      await ch.bindQueue(myQueue, names.deliveries, gatewayId);
    },
    () => {
      // Deliveries routed while our queue was gone are lost; the outcomes are in Redis.
      for (const delayMs of SETTLE_AFTER_RECONNECT_MS) setTimeout(settleAll, delayMs).unref();
    },
    logger,
  );
  const ratingsIn = async (playerIds: string[], mode: string) => {
    const byPlayer = await ratingsOf(db, playerIds);
    return new Map([...byPlayer].flatMap(([playerId, ratings]) => (ratings[mode] === undefined ? [] : [[playerId, ratings[mode]!] as const])));
  };
  // v1.1 parties only where an operator turned them on: otherwise party frames are unknown_type, as in v1.
  const partiesOn = partiesEnabled(config.match) && parties !== undefined;
  const fanout = createFanout(store, channel, names);
  const desk = createTicketDesk(config, store, channel, names, clock, logger, proposals, partiesOn ? { parties: parties!, fanout, ratingsIn } : undefined);
  const partyDesk = partiesOn ? createPartyDesk(config, parties!, store, desk, fanout, logger) : undefined;
  // accept / decline and the party frames are v1.1: a gateway without their feature answers them unknown_type, as v1 does.
  const parseFrame = createFrameParser([...V1_CLIENT_TYPES, ...(desk.readyCheck ? READY_CHECK_CLIENT_TYPES : []), ...(partiesOn ? PARTY_CLIENT_TYPES : [])]);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const dbWatch = watchDb(db);
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
        wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, signedIn.player, signedIn.ratings));
      },
      (error: Error) => {
        dbWatch.health.saw(false);
        logger.warn({ err: error.message }, 'sign-in failed: PostgreSQL unavailable');
        refuse(socket, '503 Service Unavailable');
      },
    );
  }

  function onConnection(ws: WebSocket, player: Player, ratings: Record<string, number>): void {
    const session = new Session(ws, player, randomUUID(), clock(), reportError);
    session.ratings = ratings;
    const previous = sessions.get(player.id);
    sessions.set(player.id, session);
    previous?.socket.close(CLOSE_REPLACED, 'replaced by a newer connection');
    ws.on('message', (data, isBinary) => onFrame(session, data, isBinary));
    ws.on('pong', () => {
      session.alive = true;
    });
    ws.on('error', (error) => logger.debug({ err: error.message, playerId: player.id }, 'socket error'));
    ws.on('close', () => {
      if (sessions.get(player.id) === session) sessions.delete(player.id);
      // The party's idle hour counts from its last member's disconnect.
      partyDesk?.touch(session);
    });
    const modes = Object.keys(config.match.modes);
    session.send({
      type: 'hello',
      player: { id: player.id, name: player.name, rating: player.rating, ratings: Object.fromEntries(modes.map((mode) => [mode, session.ratingIn(mode)])) },
      modes,
      regions: config.match.regions,
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
    if (!session.allow(now)) return session.send({ type: 'error', code: 'rate_limited', message: 'too many messages; slow down' });
    const parsed = isBinary ? { ok: false as const, code: 'bad_request' as const, message: 'frames must be JSON text' } : parseFrame(data.toString());
    if (!parsed.ok) return session.send({ type: 'error', code: parsed.code, message: parsed.message, id: 'id' in parsed ? parsed.id : undefined });
    const { message } = parsed;
    metrics.frames.inc({ type: message.type });
    // Shutting down: nothing new may start once the drain began, or it would outlive our connections.
    if (!accepting) return session.send({ type: 'error', code: 'unavailable', message: 'this server is restarting; you will be reconnected', id: message.id });
    void session.serial(async () => {
      try {
        // Redis away: say so now rather than queue the request behind ioredis's reconnects.
        if (!store.ready()) throw new Error('Redis is not connected');
        if (message.type === 'join') {
          const timer = metrics.joinSeconds.startTimer();
          await desk.join(session, message.mode, message.region, message.id);
          timer();
        } else if (message.type === 'leave') {
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
      }
    });
  }

  /** After Redis comes back (perhaps empty), writes back who is here and their live tickets. */
  function resync(): void {
    for (const session of sessions.values()) {
      void session
        .serial(async () => {
          await store.setGateway(session.player.id, gatewayId, session.connectionId);
          if (session.ticket)
            await store.restore(
              { ...session.ticket, playerId: session.player.id },
              config.match.modes[session.ticket.mode]!.maxWaitSeconds + OUTCOME_TTL_SECONDS,
            );
        })
        .catch((error: Error) => logger.warn({ err: error.message }, 'resync after a Redis reconnect failed'));
    }
  }

  function settleAll(): void {
    for (const session of sessions.values()) {
      if (session.ticket) session.serial(() => desk.settle(session)).catch((error: Error) => logger.warn({ err: error.message }, 'settling a ticket failed'));
    }
  }

  function tellSearching(): void {
    const now = clock();
    for (const session of sessions.values()) {
      const ticket = session.ticket;
      // A player asked to accept a room is not searching; `searching` resumes after `requeued`.
      if (!ticket || session.pending) continue;
      const waitedMs = Math.max(0, now - ticket.joinedAt);
      // Sent to every waiting player each second: a template, not a JSON.stringify per player.
      session.sendText(searchingFrame(ticket.ticketId, waitedMs, windowAt(config.match.modes[ticket.mode]!, waitedMs)));
    }
  }

  function pingAll(): void {
    for (const session of sessions.values()) {
      if (!session.alive) {
        session.socket.terminate();
        continue;
      }
      session.alive = false;
      session.socket.ping();
    }
  }

  async function onDelivery(content: Buffer): Promise<void> {
    let body: Delivery;
    try {
      body = decode(delivery, content);
    } catch (error) {
      if (error instanceof InvalidMessage) return logger.warn({ err: error.message }, 'dropped an invalid delivery');
      throw error;
    }
    await handleDelivery(body, sessions, desk);
  }

  const timers: NodeJS.Timeout[] = [];
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
      store.onReconnect(resync);
      timers.push(setInterval(tellSearching, SEARCHING_INTERVAL_MS), setInterval(pingAll, pingIntervalMs));
      if (partyDesk) timers.push(setInterval(() => sessions.forEach((session) => partyDesk.touch(session)), PARTY_TOUCH_MS));
      const port = await listen(server, config.PORT);
      logger.info({ port, gatewayId }, 'gateway listening');
      return port;
    },
    get ready(): boolean {
      return channel.connected && store.ready() && dbWatch.health.up;
    },
    /** Stops intake and deliveries, lets in-flight work finish, tells every socket 1001, then closes the channel. */
    async stop(): Promise<void> {
      accepting = false;
      timers.forEach(clearInterval);
      dbWatch.stop();
      const closing = closeServer(server);
      // No more outcomes in: what arrives from now on waits in Redis for the players' reconnect.
      await channel.wrapper.cancelAll();
      const chains = [...sessions.values()].map((session) => session.serial(async () => undefined));
      await Promise.all(chains);
      for (const session of sessions.values()) session.socket.close(CLOSE_GOING_AWAY, 'server shutting down');
      wss.close();
      await closing;
      await channel.close();
    },
  };
}

export type Gateway = ReturnType<typeof createGateway>;
