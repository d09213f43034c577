import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { BackingServiceUnavailable, HOW_TO_START, redactUrl, TopologyRefused } from './backing.js';
import type { Logger } from './logger.js';
import { assertTopology, validateTopology, type Topology } from './topology.js';

export type { AmqpConnectionManager, ChannelWrapper, ConsumeMessage };

/**
 * Connects to the first reachable node of `urls`. Fails fast at start (one clear line);
 * after that amqp-connection-manager reconnects by itself, with backoff, forever.
 */
export async function connectAmqp(urls: string[], logger: Logger, startTimeoutMs = 5000): Promise<AmqpConnectionManager> {
  const manager = amqp.connect(urls, { heartbeatIntervalInSeconds: 5, reconnectTimeInSeconds: 1 });
  manager.on('disconnect', ({ err }) => logger.warn({ err: err?.message }, 'RabbitMQ disconnected; reconnecting'));
  manager.on('connect', ({ url }) => logger.info({ url: typeof url === 'string' ? redactUrl(url) : 'amqp' }, 'RabbitMQ connected'));
  try {
    await manager.connect({ timeout: startTimeoutMs });
  } catch (error) {
    await manager.close().catch(() => undefined);
    throw new BackingServiceUnavailable('RabbitMQ', urls.join(','), HOW_TO_START.RabbitMQ, error);
  }
  return manager;
}

/** Options of a confirmed publish; persistent JSON unless told otherwise. */
export interface PublishOptions {
  messageId?: string;
  type?: string;
  persistent?: boolean;
  headers?: Record<string, unknown>;
  timestamp?: number;
  timeoutMs?: number;
}

/**
 * What a consumer needs of its channel: ack, nack and confirmed publishes. TopologyChannel is
 * the real one; unit tests give a pool an in-memory twin.
 */
export interface MessageChannel {
  ack(message: ConsumeMessage, generation: number): void;
  nack(message: ConsumeMessage, generation: number, requeue: boolean): void;
  publish(exchange: string, routingKey: string, content: Buffer, options?: PublishOptions): Promise<void>;
}

/**
 * A confirm channel that asserts the whole topology on every (re)connect, then runs the
 * caller's own setup. Each reconnect starts a new generation: delivery tags of an older
 * generation are void, and acking one would close the new channel.
 */
export class TopologyChannel implements MessageChannel {
  readonly wrapper: ChannelWrapper;
  private generationCount = 0;
  /** The last setup failure (the broker refusing a declaration), until a setup succeeds. */
  private setupError: Error | undefined;
  private readonly setupFailed: Promise<never>;

  constructor(
    manager: AmqpConnectionManager,
    name: string,
    topology: Topology,
    setup?: (channel: ConfirmChannel) => Promise<void>,
    onReconnect?: () => void,
    logger?: Logger,
  ) {
    validateTopology(topology);
    this.wrapper = manager.createChannel({
      name,
      confirm: true,
      setup: async (channel: ConfirmChannel) => {
        this.generationCount += 1;
        if (this.generationCount > 1) onReconnect?.();
        await assertTopology(channel, topology);
        await setup?.(channel);
        this.setupError = undefined;
      },
    });
    let fail: (error: Error) => void = () => undefined;
    this.setupFailed = new Promise<never>((_resolve, reject) => {
      fail = reject;
    });
    this.setupFailed.catch(() => undefined);
    // Without a listener an 'error' event would kill the process with a stack trace. A setup
    // the broker refuses (PRECONDITION_FAILED) fails start in one line; later, it is logged once.
    this.wrapper.on('error', (error: Error) => {
      if (this.setupError?.message !== error.message)
        logger?.error({ err: error.message, channel: name }, 'RabbitMQ refused a declaration; this channel waits for a reconnect');
      this.setupError = error;
      fail(new TopologyRefused(error.message));
    });
  }

  /** Resolves once the topology is set up; rejects with TopologyRefused if the broker refuses it. */
  async waitForSetup(): Promise<void> {
    await Promise.race([this.wrapper.waitForConnect(), this.setupFailed]);
  }

  get connected(): boolean {
    // amqp-connection-manager keeps the live amqplib channel private; an open channel has a truthy one.
    return Boolean((this.wrapper as unknown as { _channel?: unknown })._channel);
  }

  /** Acks only deliveries of the current channel; older ones the broker redelivers anyway. */
  ack(message: ConsumeMessage, generation: number): void {
    if (generation === this.generationCount && this.connected) this.wrapper.ack(message);
  }

  nack(message: ConsumeMessage, generation: number, requeue: boolean): void {
    if (generation === this.generationCount && this.connected) this.wrapper.nack(message, false, requeue);
  }

  /** Consumes with a handler that learns the generation the message belongs to. */
  async consume(
    queue: string,
    prefetch: number | undefined,
    onMessage: (message: ConsumeMessage, generation: number) => void,
    options: { exclusive?: boolean; consumerTag?: string } = {},
  ): Promise<void> {
    await this.wrapper.consume(queue, (message) => onMessage(message, this.generationCount), { ...(prefetch === undefined ? {} : { prefetch }), ...options });
  }

  /** Publishes persistent JSON and resolves once the broker confirmed it. */
  async publish(exchange: string, routingKey: string, content: Buffer, options: PublishOptions = {}): Promise<void> {
    await this.wrapper.publish(exchange, routingKey, content, {
      persistent: options.persistent ?? true,
      contentType: 'application/json',
      messageId: options.messageId,
      type: options.type,
      headers: options.headers,
      timestamp: options.timestamp,
      timeout: options.timeoutMs ?? 10_000,
    });
  }

  async close(): Promise<void> {
    await this.wrapper.close();
  }
}
