import type { ConsumeMessage } from 'amqplib';
import type { MessageChannel } from './amqp.js';
import { deadLetterOrLog } from './dead-letter.js';
import type { Logger } from './logger.js';

/** Pause before the first retry of a transiently failed message, so a down dependency is not hammered. */
export const RETRY_DELAY_MS = 1000;
/** The pause doubles with each retry up to this. */
export const MAX_RETRY_DELAY_MS = 30_000;
/** Retries of one message before it goes to the dead queue: about 13 minutes of pauses in all. */
export const RETRY_LIMIT = 30;
/** Retries so far, counted by the copy each retry publishes (classic queues count nothing themselves). */
export const ATTEMPTS_HEADER = 'x-matchq-attempts';
/** When this message was first delivered to matchq (ms since the epoch), kept across retries. */
export const FIRST_DELIVERY_HEADER = 'x-matchq-first-delivery';

/** Where a retried message goes back to, and where it ends after the last retry. */
export interface RetryTarget {
  queue: string;
  dead: string;
  logger: Logger;
  /** The caller's clock, for the first-delivery time a retry carries; the wall clock when absent. */
  clock?: () => number;
}

const header = (message: ConsumeMessage, name: string): number => Number(message.properties.headers?.[name]);

/** Retries a message had so far; a header anyone could have set is held to [0, RETRY_LIMIT]. */
export function attemptsOf(message: ConsumeMessage): number {
  const attempts = header(message, ATTEMPTS_HEADER);
  return Number.isInteger(attempts) ? Math.min(Math.max(attempts, 0), RETRY_LIMIT) : 0;
}

/** When the message was first delivered: `now` for a first delivery, never later than `now`. */
export function firstDeliveryOf(message: ConsumeMessage, now = Date.now()): number {
  const first = header(message, FIRST_DELIVERY_HEADER);
  return Number.isFinite(first) ? Math.min(first, now) : now;
}

/** The pause before retry number `attempt` (1-based). */
export const retryDelayMs = (attempt: number) => Math.min(RETRY_DELAY_MS * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);

/**
 * Retries a message after a transient failure (Redis or PostgreSQL away, a player not yet
 * reconnected), after a pause that grows: a copy carrying the attempt count goes back to the
 * queue, then the original is acked. After RETRY_LIMIT retries it goes to the dead queue with
 * the last reason instead, so no message loops forever on any queue type.
 */
export function retryLater(channel: MessageChannel, message: ConsumeMessage, generation: number, target: RetryTarget, reason: string): void {
  const attempt = attemptsOf(message) + 1;
  if (attempt > RETRY_LIMIT) {
    void deadLetterOrLog(channel, target.dead, message, generation, `gave up after ${RETRY_LIMIT} retries: ${reason}`, target.logger);
    return;
  }
  const { properties } = message;
  const firstDelivery = firstDeliveryOf(message, target.clock?.());
  setTimeout(() => {
    channel
      .publish('', target.queue, message.content, {
        messageId: properties.messageId,
        type: properties.type,
        timestamp: properties.timestamp,
        persistent: properties.deliveryMode === 2,
        headers: { ...properties.headers, [ATTEMPTS_HEADER]: attempt, [FIRST_DELIVERY_HEADER]: firstDelivery },
      })
      .then(
        () => channel.ack(message, generation),
        // The broker is away: the original stays unacked and comes back by itself.
        () => channel.nack(message, generation, true),
      );
  }, retryDelayMs(attempt)).unref();
}
