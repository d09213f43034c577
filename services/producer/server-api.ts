import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Knex } from 'knex';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import { TopologyChannel, type AmqpConnectionManager } from '../../common/amqp.js';
import { announcedRoom } from '../../common/announced-room.js';
import { poolsOf } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import type { AmqpNames, RedisKeys } from '../../common/names.js';
import { sendJson } from '../../common/ops-http.js';
import type { RedisClient } from '../../common/redis.js';
import { serverByKey } from '../../common/server-keys.js';
import type { Topology } from '../../common/topology.js';
import type { MatchConfig } from '../../core/types.js';
import { groupPlacements } from '../../core/placements.js';
import { createRatingUpdates } from './rating-updates.js';
import { answerOf, applyResult, recordedRoom } from './results-ledger.js';
import { createResultsOutbox } from './results-outbox.js';
import type { Session } from './session.js';

/** Bodies over this are refused with 413 (contract). */
export const MAX_RESULT_BYTES = 64 * 1024;

const resultBody = z.object({
  roomId: z.string().min(1).max(64),
  placements: z
    .array(z.object({ playerId: z.string().min(1).max(64), rank: z.number().int().min(1) }))
    .min(1)
    .max(1000),
});

export interface ServerApiDeps {
  /** The matching rule (MATCH_CONFIG): its pools and each mode's teams. */
  match: MatchConfig;
  /** Final rooms get a game server (ALLOCATOR is not none): a room is announced only once it has one. */
  allocation: boolean;
  /** The AMQP names and Redis keys of this namespace (common/names.ts), and the topology asserted on each connect. */
  names: AmqpNames;
  keys: RedisKeys;
  topology: Topology;
  db: Knex;
  amqp: AmqpConnectionManager;
  redis: RedisClient;
  logger: Logger;
  registry: Registry;
  /** The gateway's signed-in players, whose ratings a result updates at once. */
  sessions: () => Map<string, Session>;
  clock?: () => number;
}

/** Reads a body of at most `limit` bytes; undefined when it is larger (the rest is left to be discarded). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.resume();
      resolve(undefined);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const bearer = (req: IncomingMessage): string | undefined => /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];

/**
 * The game servers' API on the gateway's port (contract, "Server keys and the server API"):
 * `GET /v1/rooms/ID` and `POST /v1/results`, to a live server key only. The key is checked
 * before a byte of the body is read. A new result moves ratings in one transaction, tells
 * every gateway the new ratings before answering, then goes out on `matchq.results`.
 */
export function createServerApi({ match, allocation, names, keys, topology, db, amqp, redis, logger, registry, sessions, clock = Date.now }: ServerApiDeps) {
  const channel = new TopologyChannel(amqp, 'results', topology);
  const outbox = createResultsOutbox({ db, channel, exchange: names.results, logger });
  const updates = createRatingUpdates({ redis, db, channel: keys.ratingsChannel, sessions, logger });
  const answered = new Counter({
    name: 'matchq_server_api_responses_total',
    help: 'Server API answers, by route and status',
    labelNames: ['route', 'status'],
    registers: [registry],
  });

  const pools = poolsOf(match);
  /**
   * The room a game server asks about: as recorded, or, when the recorder has not caught up
   * (a game server asking right after its allocation), as Redis keeps it once announced. An
   * announced room exists, so it is never a 404 (contract: 404 is an unknown room).
   */
  const roomOf = async (roomId: string) => (await recordedRoom(db, roomId)) ?? (await announcedRoom(redis, keys, pools, roomId, allocation));

  const reply = (res: ServerResponse, route: string, status: number, body: unknown) => {
    answered.inc({ route, status });
    sendJson(res, status, body);
  };

  async function getRoom(res: ServerResponse, roomId: string): Promise<void> {
    const room = await roomOf(roomId);
    if (!room) return reply(res, 'rooms', 404, { error: `no room ${roomId}` });
    reply(res, 'rooms', 200, room);
  }

  async function postResult(req: IncomingMessage, res: ServerResponse, serverKeyId: string): Promise<void> {
    const bad = (error: string) => reply(res, 'results', 400, { error });
    const raw = await readBody(req, MAX_RESULT_BYTES);
    if (!raw) {
      res.setHeader('connection', 'close');
      return reply(res, 'results', 413, { error: `the body is over ${MAX_RESULT_BYTES / 1024} KiB` });
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return bad('body: not JSON');
    }
    const parsed = resultBody.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return bad(`${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const { roomId, placements } = parsed.data;
    const room = await roomOf(roomId);
    if (!room) return reply(res, 'results', 404, { error: `no room ${roomId}` });
    const teams = match.modes[room.mode]?.teams ?? new Set(room.players.map((player) => player.team)).size;
    const grouped = groupPlacements(room.players, teams > 1, placements);
    if (!grouped.ok) return bad(grouped.error);

    const applied = await applyResult(db, room, grouped.teams, placements, serverKeyId, new Date(clock()));
    if (applied.kind === 'conflict') return reply(res, 'results', 409, { error: `room ${roomId} already has a different result` });
    if (applied.kind === 'applied') {
      const { event } = applied;
      logger.info({ roomId, mode: event.mode }, 'result applied');
      await updates
        .announce({ mode: event.mode, ratings: Object.fromEntries(event.placements.map((p) => [p.playerId, p.after])) })
        .catch((error: Error) => logger.warn({ err: error.message }, 'telling the gateways the new ratings failed; they see them at the next sign-in'));
      void outbox.kick();
    }
    reply(res, 'results', 200, answerOf(applied.event));
  }

  async function serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const key = bearer(req);
    const server = key ? await serverByKey(db, key) : undefined;
    if (!server) {
      res.setHeader('www-authenticate', 'Bearer');
      return reply(res, 'auth', 401, { error: 'a live server key is required: Authorization: Bearer KEY' });
    }
    const room = /^\/v1\/rooms\/([^/]+)$/.exec(path);
    if (room) {
      if (req.method !== 'GET') return reply(res, 'rooms', 405, { error: 'use GET' });
      let roomId: string;
      try {
        roomId = decodeURIComponent(room[1]!);
      } catch {
        return reply(res, 'rooms', 404, { error: 'no such room' });
      }
      return getRoom(res, roomId);
    }
    if (path === '/v1/results') {
      if (req.method !== 'POST') return reply(res, 'results', 405, { error: 'use POST' });
      return postResult(req, res, server.id);
    }
    reply(res, 'other', 404, { error: 'not found; the server API has GET /v1/rooms/ROOM_ID and POST /v1/results' });
  }

  return {
    /** Serves a /v1/ request; false for any other path. */
    handle(req: IncomingMessage, res: ServerResponse): boolean {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path !== '/v1' && !path.startsWith('/v1/')) return false;
      serve(req, res, path).catch((error: Error) => {
        logger.warn({ err: error.message, path }, 'server API request failed');
        if (!res.headersSent) reply(res, 'error', 503, { error: 'unavailable right now; try again in a moment' });
      });
      return true;
    },
    async start(): Promise<void> {
      await updates.start();
      outbox.start();
    },
    async stop(): Promise<void> {
      await outbox.stop();
      await updates.stop();
      await channel.close();
    },
  };
}

export type ServerApi = ReturnType<typeof createServerApi>;
