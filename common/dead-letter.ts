import type { ConsumeMessage } from 'amqplib';
import type { MessageChannel } from './amqp.js';
import type { Logger } from './logger.js';

/**
 * Moves a message that can never be processed to the dead queue, with the reason, and
 * acks the original: once, no crash loop, no silent drop.
 */
export async function deadLetter(
  channel: MessageChannel,
  deadQueue: string,
  message: ConsumeMessage,
  generation: number,
  reason: string,
  logger: Logger,
): Promise<void> {
  logger.warn({ reason, queue: message.fields.routingKey, exchange: message.fields.exchange }, 'message sent to the dead queue');
  await channel.publish('', deadQueue, message.content, {
    headers: {
      ...message.properties.headers,
      'x-matchq-reason': reason,
      'x-matchq-exchange': message.fields.exchange,
      'x-matchq-routing-key': message.fields.routingKey,
    },
    type: message.properties.type,
    messageId: message.properties.messageId,
  });
  channel.ack(message, generation);
}

/**
 * deadLetter that never rejects, for callers that cannot handle a failure (a consumer's
 * callback, a batch): when the broker does not take the copy the original stays unacked and
 * comes back on the next channel, and that is logged once with its cause.
 */
export function deadLetterOrLog(...args: Parameters<typeof deadLetter>): Promise<void> {
  const [, , , , reason, logger] = args;
  return deadLetter(...args).catch((error: Error) =>
    logger.error({ err: error.message, reason }, 'dead-lettering failed; the message stays unacked and comes back'),
  );
}
