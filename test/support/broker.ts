import amqplib, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { AMQP_URL } from './namespace.js';

/**
 * A second, plain amqplib client: tests check the broker's side effects through it,
 * never through the code under test.
 */
export class PlainBroker {
  private constructor(
    private readonly connection: ChannelModel,
    readonly channel: Channel,
  ) {}

  static async connect(): Promise<PlainBroker> {
    const connection = await amqplib.connect(AMQP_URL);
    return new PlainBroker(connection, await connection.createChannel());
  }

  /** An analyst's own queue bound to an exchange; collects every message from now on. */
  async tap(exchange: string, routingKey = ''): Promise<ConsumeMessage[]> {
    const received: ConsumeMessage[] = [];
    const { queue } = await this.channel.assertQueue('', { exclusive: true, autoDelete: true });
    await this.channel.bindQueue(queue, exchange, routingKey);
    await this.channel.consume(
      queue,
      (message) => {
        if (message) received.push(message);
      },
      { noAck: true },
    );
    return received;
  }

  /** Messages ready in a queue (not counting unacked ones). */
  async ready(queue: string): Promise<number> {
    return (await this.channel.checkQueue(queue)).messageCount;
  }

  async get(queue: string): Promise<amqplib.GetMessage | false> {
    return this.channel.get(queue, { noAck: true });
  }

  /** Takes every message ready in a queue now. */
  async drain(queue: string): Promise<amqplib.GetMessage[]> {
    const messages: amqplib.GetMessage[] = [];
    for (let message = await this.get(queue); message; message = await this.get(queue)) messages.push(message);
    return messages;
  }

  /** A separate channel, for tests that take messages unacked and then drop them. */
  openChannel(): Promise<Channel> {
    return this.connection.createChannel();
  }

  publishJson(exchange: string, routingKey: string, body: unknown, options: amqplib.Options.Publish = {}): void {
    this.channel.publish(exchange, routingKey, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), {
      persistent: true,
      contentType: 'application/json',
      ...options,
    });
  }

  async close(): Promise<void> {
    // Closed already (a test that restarted the broker under it): nothing left to close.
    await this.connection.close().catch(() => undefined);
  }
}

/** Polls `check` until it returns a value that is not undefined/false, or fails with `what`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
