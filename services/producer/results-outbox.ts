import type { Knex } from 'knex';
import type { TopologyChannel } from '../../common/amqp.js';
import type { Logger } from '../../common/logger.js';
import { RESULT_EVENT_TYPE } from './results-ledger.js';

/** Unpublished results taken in one pass; a backlog drains pass after pass. */
const BATCH = 100;
/** How often a gateway looks for results committed but not yet published (a crash, a broker outage). */
export const OUTBOX_SWEEP_MS = 5000;

/**
 * Publishes every committed result on `matchq.results` and only then marks it published:
 * a crash in between publishes it again (same message id: consumers dedup), never loses it.
 * Rows are taken `for update skip locked`, so gateways sweeping at once never publish one
 * result together.
 */
export function createResultsOutbox({ db, channel, exchange, logger }: { db: Knex; channel: TopologyChannel; exchange: string; logger: Logger }) {
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  async function pass(): Promise<number> {
    return db.transaction(async (trx) => {
      const rows = await trx('results')
        .whereNull('published_at')
        .orderBy('at')
        .limit(BATCH)
        .forUpdate()
        .skipLocked()
        .select('room_id', trx.raw('event::text as event'));
      for (const row of rows) {
        await channel.publish(exchange, '', Buffer.from(row.event as string), { messageId: row.room_id as string, type: RESULT_EVENT_TYPE, timeoutMs: 5000 });
      }
      if (rows.length > 0)
        await trx('results')
          .whereIn(
            'room_id',
            rows.map((row) => row.room_id as string),
          )
          .update({ published_at: trx.fn.now() });
      return rows.length;
    });
  }

  async function drainAll(): Promise<void> {
    do {
      again = false;
      try {
        while ((await pass()) === BATCH);
      } catch (error) {
        // Left unpublished; the next sweep tries again.
        logger.warn({ err: (error as Error).message }, 'publishing results failed; retrying on the next sweep');
        return;
      }
    } while (again);
  }

  /** Publishes what is pending now; a call during a pass makes the pass run once more. */
  function kick(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = drainAll().finally(() => {
      running = undefined;
      if (again) void kick();
    });
    return running;
  }

  return {
    kick,
    start(): void {
      void kick();
      timer = setInterval(() => void kick(), OUTBOX_SWEEP_MS);
      timer.unref();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await running;
    },
  };
}

export type ResultsOutbox = ReturnType<typeof createResultsOutbox>;
