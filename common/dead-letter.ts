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
