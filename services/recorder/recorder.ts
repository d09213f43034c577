import type { ConsumeMessage } from 'amqplib';
import type { Knex } from 'knex';
import { Counter, type Registry } from 'prom-client';
import { TopologyChannel, type AmqpConnectionManager } from '../../common/amqp.js';
import { isDataError } from '../../common/db.js';
import { deadLetterOrLog } from '../../common/dead-letter.js';
import type { Logger } from '../../common/logger.js';
import { decode, InvalidMessage, roomEvent, type RoomEvent } from '../../common/messages.js';
import type { AmqpNames } from '../../common/names.js';
import { retryLater } from '../../common/retry-later.js';
import { checkClaim, unclaimedFate, type ClaimReader } from '../../common/room-claims.js';
import type { Topology } from '../../common/topology.js';
import { roomRows } from './room-rows.js';

export interface RecorderDeps {
  /** The AMQP names of this namespace (common/names.ts) and the topology asserted on each connect. */
  names: AmqpNames;
  topology: Topology;
  amqp: AmqpConnectionManager;
  db: Knex;
  logger: Logger;
  registry: Registry;
  /** Redis, read-only and only for this: was each room claimed by a matcher? */
  claims: ClaimReader;
}

/**
 * Rooms written in one transaction, gathered for up to BATCH_WAIT_MS: the history is for
 * analysts, and a quarter of a second late costs them nothing. Written within 20 ms, each tick's
 * rooms went in several transactions right in the tick's burst, where the recorder and PostgreSQL
 * took 0.4–0.6 of this machine's two cores for 150 ms, beside the matcher, the notifier and the
 * gateway telling players (docs/performance.md, 2026-12-03 evening); one transaction of a whole
 * tick a quarter-second later lands where the machine is quiet, at less CPU per room.
 */
const BATCH_SIZE = 1000;
const BATCH_WAIT_MS = 250;

/**
 * Writes every room to PostgreSQL, idempotent on room id (a redelivered room is a
 * no-op), acking a batch only after its transaction committed.
 */
export function createRecorder({ names, topology, amqp, db, logger, registry, claims }: RecorderDeps) {
  const ackFrames = new Counter({
    name: 'matchq_recorder_ack_frames_total',
    help: 'AMQP ack frames sent for the rooms written (a batch committed together is one multiple ack, where no room before it is still held)',
    registers: [registry],
  });
  // Every delivery of this channel comes through consume: a batch acked in one turn goes as one multiple ack (common/ack-coalescer.ts).
  const channel = new TopologyChannel(amqp, 'recorder', topology, undefined, undefined, logger, {
    coalesceAcks: true,
    onAckFlush: ({ frames }) => ackFrames.inc(frames),
  });
  const recorded = new Counter({ name: 'matchq_recorded_rooms_total', help: 'Room events written to the history', registers: [registry] });
  const awaitingClaim = new Counter({
    name: 'matchq_recorder_rooms_awaiting_claim_total',
    help: 'Times a room was held back because Redis may have lost its claim (it lost its data); retried until its matcher claims it again',
    registers: [registry],
  });
  let batch: { message: ConsumeMessage; generation: number; room: RoomEvent }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  const retry = { queue: names.history, dead: names.dead, logger };

  /**
   * The entries whose room a matcher claimed; the others wait for their matcher's new claim
   * (Redis lost it) or go to the dead queue. Throws while Redis is away.
   */
  async function claimed(entries: typeof batch): Promise<typeof batch> {
    const verdicts = await Promise.all(entries.map(({ room }) => checkClaim(claims, room)));
    entries.forEach(({ message, generation }, index) => {
      const verdict = verdicts[index]!;
      if (verdict.claimed) return;
      if (unclaimedFate(verdict, message) === 'retry') {
        awaitingClaim.inc();
        return retryLater(channel, message, generation, retry, verdict.reason);
      }
      void deadLetterOrLog(channel, names.dead, message, generation, verdict.reason, logger);
    });
    return entries.filter((_entry, index) => verdicts[index]!.claimed);
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
        return deadLetterOrLog(channel, names.dead, message, generation, `PostgreSQL refused the room: ${(error as Error).message}`, logger);
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
      void deadLetterOrLog(channel, names.dead, message, generation, error.message, logger);
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
