import type { ConsumeMessage } from 'amqplib';
import type { TopologyChannel } from './amqp.js';

/** Pause before a transiently failed message goes back to the queue, so a down dependency is not hammered. */
export const RETRY_DELAY_MS = 1000;

/** Requeues a message after a transient failure (Redis or PostgreSQL away), after a pause. */
export function retryLater(channel: TopologyChannel, message: ConsumeMessage, generation: number): void {
  setTimeout(() => channel.nack(message, generation, true), RETRY_DELAY_MS).unref();
}
