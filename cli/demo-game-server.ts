import { readFileSync } from 'node:fs';
import { TopologyChannel, connectAmqp, type AmqpConnectionManager } from '../common/amqp.js';
import { ConfigError } from '../common/config.js';
import { createLogger, type Logger } from '../common/logger.js';
import { decode, InvalidMessage, roomEvent, type RoomEvent } from '../common/messages.js';
import { amqpNames, type AmqpNames } from '../common/names.js';
import { runService, stopInOrder } from '../common/run-service.js';
import { topologyFor, type Topology } from '../common/topology.js';
import { drawPlacements } from '../core/game-outcome.js';
import type { MatchConfig } from '../core/types.js';

export interface DemoGameServerOptions {
  /** The matching rule (MATCH_CONFIG): whether a room's mode plays in teams. */
  match: MatchConfig;
  /** The AMQP names of this namespace (common/names.ts) and the topology asserted on each connect. */
  names: AmqpNames;
  topology: Topology;
  amqp: AmqpConnectionManager;
  /** The server API's base URL, e.g. http://127.0.0.1:8080. */
  apiUrl: string;
  key: string;
  /** Only rooms made entirely of these players are played: the demo never reports a real game. */
  playerIds: Set<string>;
  logger: Logger;
  /** How long a game lasts, ms: uniform in [min, max]. */
  gameMs?: [number, number];
  random?: () => number;
}

/** Tries a request gets: a room the recorder has not written yet is 404 for a moment, a restarting gateway refuses. */
const ATTEMPTS = 10;
const RETRY_MS = 1000;

/**
 * The demo's game server, under `npm start` only: it takes each room of demo players from
 * `matchq.rooms`, "plays" it for a few seconds, and reports a plausible result (the
 * higher-rated side wins more often) through the server API with its own key, so ratings move
 * in the lobby without anyone writing a game server.
 */
export function createDemoGameServer({
  match,
  names,
  topology,
  amqp,
  apiUrl,
  key,
  playerIds,
  logger,
  gameMs = [3000, 6000],
  random = Math.random,
}: DemoGameServerOptions) {
  const games = new Set<NodeJS.Timeout>();
  let stopped = false;
  const channel = new TopologyChannel(amqp, 'demo-game', topology, async (ch) => {
    // Its own queue, gone with it: a room formed while the demo server is down is simply not played.
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    await ch.bindQueue(queue, names.rooms, '');
    await ch.consume(queue, (message) => message && onRoom(message.content), { noAck: true });
  });

  function onRoom(content: Buffer): void {
    let room: RoomEvent;
    try {
      room = decode(roomEvent, content);
    } catch (error) {
      if (error instanceof InvalidMessage) return;
      throw error;
    }
    if (stopped || !room.players.every((player) => playerIds.has(player.playerId))) return;
    const timer = setTimeout(
      () => {
        games.delete(timer);
        report(room).catch((error: Error) => logger.warn({ err: error.message, roomId: room.id }, 'demo result not reported'));
      },
      gameMs[0] + random() * (gameMs[1] - gameMs[0]),
    );
    games.add(timer);
  }

  async function call(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let json: Record<string, unknown> = {};
      try {
        const res = await fetch(`${apiUrl}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        status = res.status;
        json = (await res.json()) as Record<string, unknown>;
      } catch {
        // refused or cut: retried below like a 5xx
      }
      const retry = status === 0 || status === 404 || status >= 500;
      if (!retry || attempt === ATTEMPTS || stopped) return { status, json };
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  async function report(room: RoomEvent): Promise<void> {
    // What a real game server does first: fetch the room it was given.
    const recorded = await call(`/v1/rooms/${room.id}`);
    if (recorded.status !== 200) throw new Error(`GET /v1/rooms answered ${recorded.status}`);
    const teamMode = (match.modes[room.mode]?.teams ?? 1) > 1;
    const placements = drawPlacements(room.players, teamMode, random);
    const posted = await call('/v1/results', { roomId: room.id, placements });
    // 409: this room was reported before (a restart); nothing to do.
    if (posted.status !== 200 && posted.status !== 409) throw new Error(`POST /v1/results answered ${posted.status}: ${String(posted.json.error)}`);
    logger.info({ roomId: room.id, changes: posted.json.changes }, 'demo game reported');
  }

  return {
    async start(): Promise<void> {
      await channel.wrapper.waitForConnect();
    },
    async stop(): Promise<void> {
      stopped = true;
      games.forEach(clearTimeout);
      await channel.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runService('demo-game', async (config) => {
    if (!config.DEMO_SERVER_KEY_FILE || !config.DEMO_PLAYERS_FILE)
      throw new ConfigError('the demo game server runs under npm start only: DEMO_SERVER_KEY_FILE and DEMO_PLAYERS_FILE must be set');
    const logger = createLogger('demo-game', config.LOG_LEVEL);
    const { key } = JSON.parse(readFileSync(config.DEMO_SERVER_KEY_FILE, 'utf8')) as { key: string };
    const players = JSON.parse(readFileSync(config.DEMO_PLAYERS_FILE, 'utf8')) as { id: string }[];
    const amqp = await connectAmqp(config.AMQP_URL, logger);
    const server = createDemoGameServer({
      match: config.match,
      names: amqpNames(config.MATCHQ_NAMESPACE),
      topology: topologyFor(config),
      amqp,
      apiUrl: `http://127.0.0.1:${config.PORT}`,
      key,
      playerIds: new Set(players.map((player) => player.id)),
      logger,
    });
    await server.start();
    return { stop: () => stopInOrder([() => server.stop(), () => amqp.close()], logger) };
  });
}
