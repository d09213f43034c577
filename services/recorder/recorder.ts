import type { ConsumeMessage } from 'amqplib';
import type { Knex } from 'knex';
import { Counter, type Registry } from 'prom-client';
import { TopologyChannel, type AmqpConnectionManager } from '../../common/amqp.js';
import type { Config } from '../../common/config.js';
import { isDataError } from '../../common/db.js';
import { deadLetter } from '../../common/dead-letter.js';
import type { Logger } from '../../common/logger.js';
import { decode, InvalidMessage, roomEvent, type RoomEvent } from '../../common/messages.js';
import { amqpNames } from '../../common/names.js';
import { retryLater } from '../../common/retry-later.js';
import { unclaimedReason, type ClaimReader } from '../../common/room-claims.js';
import { topologyFor } from '../../common/topology.js';
import { roomRows } from './room-rows.js';

export interface RecorderDeps {
  config: Config;
  amqp: AmqpConnectionManager;
  db: Knex;
  logger: Logger;
  registry: Registry;
  /** Redis, read-only and only for this: was each room claimed by a matcher? */
  claims: ClaimReader;
}

/** Rooms written in one transaction: one round trip for many rooms under load, 20 ms latency at most when idle. */
const BATCH_SIZE = 200;
const BATCH_WAIT_MS = 20;

/**
 * Writes every room to PostgreSQL, idempotent on room id (a redelivered room is a
 * no-op), acking a batch only after its transaction committed.
 */
export function createRecorder({ config, amqp, db, logger, registry, claims }: RecorderDeps) {
  const names = amqpNames(config.MATCHQ_NAMESPACE);
  const channel = new TopologyChannel(amqp, 'recorder', topologyFor(config), undefined, undefined, logger);
  const recorded = new Counter({ name: 'matchq_recorded_rooms_total', help: 'Room events written to the history', registers: [registry] });
  let batch: { message: ConsumeMessage; generation: number; room: RoomEvent }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  const retry = { queue: names.history, dead: names.dead, logger };

  /** The entries whose room a matcher claimed; the others go to the dead queue. Throws while Redis is away. */
  async function claimed(entries: typeof batch): Promise<typeof batch> {
    const reasons = await Promise.all(entries.map(({ room }) => unclaimedReason(claims, room)));
    entries.forEach(({ message, generation }, index) => {
      const reason = reasons[index];
      if (reason) deadLetter(channel, names.dead, message, generation, reason, logger).catch(() => undefined);
    });
    return entries.filter((_entry, index) => !reasons[index]);
  }

  async function write(all: typeof batch): Promise<void> {
    let entries: typeof batch;
    try {
      entries = await claimed(all);
    } catch (error) {
      logger.warn({ err: (error as Error).message, rooms: all.length }, 'checking room claims failed (Redis); retrying');
      all.forEach(({ message, generation }) =>
        retryLater(channel, message, generation, retry, `checking the room's claim failed: ${(error as Error).message}`),
      );
      return;
    }
    if (entries.length === 0) return;
    try {
      await insert(entries);
    } catch (error) {
      if (!isDataError(error)) {
        logger.warn({ err: (error as Error).message, rooms: entries.length }, 'writing rooms failed; retrying');
        entries.forEach(({ message, generation }) => retryLater(channel, message, generation, retry, `writing the room failed: ${(error as Error).message}`));
        return;
      }
      // One room PostgreSQL refuses must not hold back the good ones of its batch: one by one.
      for (const entry of entries) await writeOne(entry);
      return;
    }
    recorded.inc(entries.length);
    entries.forEach(({ message, generation }) => channel.ack(message, generation));
  }

  async function insert(entries: typeof batch): Promise<void> {
    const rows = entries.map(({ room }) => roomRows(room));
    await db.transaction(async (trx) => {
      await trx('rooms')
        .insert(rows.map((row) => row.room))
        .onConflict('id')
        .ignore();
      await trx('room_players')
        .insert(rows.flatMap((row) => row.players))
        .onConflict()
        .ignore();
    });
  }

  async function writeOne(entry: (typeof batch)[number]): Promise<void> {
    const { message, generation } = entry;
    try {
      await insert([entry]);
    } catch (error) {
      if (isDataError(error))
        return deadLetter(channel, names.dead, message, generation, `PostgreSQL refused the room: ${(error as Error).message}`, logger).catch(() => undefined);
      logger.warn({ err: (error as Error).message }, 'writing a room failed; retrying');
      return retryLater(channel, message, generation, retry, `writing the room failed: ${(error as Error).message}`);
    }
    recorded.inc();
    channel.ack(message, generation);
  }

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    const entries = batch;
    batch = [];
    if (entries.length > 0) flushing = flushing.then(() => write(entries));
  }

  function onMessage(message: ConsumeMessage, generation: number): void {
    let room: RoomEvent;
    try {
      room = decode(roomEvent, message.content);
    } catch (error) {
      if (!(error instanceof InvalidMessage)) throw error;
      deadLetter(channel, names.dead, message, generation, error.message, logger).catch(() => undefined);
      return;
    }
    batch.push({ message, generation, room });
    if (batch.length >= BATCH_SIZE) flush();
    else timer ??= setTimeout(flush, BATCH_WAIT_MS);
  }

  return {
    async start(): Promise<void> {
      await channel.waitForSetup();
      await channel.consume(names.history, BATCH_SIZE * 2, onMessage);
      logger.info('recorder started');
    },
    get ready(): boolean {
      return channel.connected;
    },
    async stop(): Promise<void> {
      flush();
      await flushing;
      await channel.close();
    },
  };
}
