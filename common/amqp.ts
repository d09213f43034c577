import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { AckCoalescer, type AckFlush, type PassHeld } from './ack-coalescer.js';
import { BackingServiceUnavailable, HOW_TO_START, redactUrl, TopologyRefused } from './backing.js';
import type { Logger } from './logger.js';
import { assertTopology, validateTopology, type Topology } from './topology.js';

export type { AmqpConnectionManager, ChannelWrapper, ConsumeMessage };

/**
 * Connects to the first reachable node of `urls`. Fails fast at start (one clear line);
 * after that amqp-connection-manager reconnects by itself, with backoff, forever.
 */
export async function connectAmqp(urls: string[], logger: Logger, startTimeoutMs = 5000): Promise<AmqpConnectionManager> {
  // noDelay: amqplib leaves Nagle's algorithm on, so a publish or an ack written while an earlier
  // segment waits for its TCP ack is held back (docs/performance.md, "Nagle").
  const manager = amqp.connect(urls, { heartbeatIntervalInSeconds: 5, reconnectTimeInSeconds: 1, connectionOptions: { noDelay: true } });
  manager.on('disconnect', ({ err }) => logger.warn({ err: err?.message }, 'RabbitMQ disconnected; reconnecting'));
  // The first connect is said at debug: a start that fails next (Redis away) then says so in one line, with no log before it.
  let connects = 0;
  manager.on('connect', ({ url }) =>
    logger[connects++ === 0 ? 'debug' : 'info']({ url: typeof url === 'string' ? redactUrl(url) : 'amqp' }, 'RabbitMQ connected'),
  );
  // The start timeout says only "connect timeout": the last refusal says why (a certificate not trusted, a wrong password).
  let lastFailure: unknown;
  const onFailure = ({ err }: { err: Error }) => {
    lastFailure = err;
  };
  manager.on('connectFailed', onFailure);
  try {
    await manager.connect({ timeout: startTimeoutMs });
  } catch (error) {
    // The connect failure is what start reports; closing a manager that never connected has nothing to fail on that matters.
    await manager.close().catch(() => undefined);
    throw new BackingServiceUnavailable('RabbitMQ', urls.join(','), HOW_TO_START.RabbitMQ, lastFailure ?? error);
  } finally {
    manager.off('connectFailed', onFailure);
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
  /**
   * Returned when no queue is bound for it: the publish rejects with Unroutable instead of
   * resolving (a confirm alone says only that the broker took it, even to drop it).
   */
  mandatory?: boolean;
}

/** A mandatory publish that no queue took (the broker returned it): nobody will read it. */
export class Unroutable extends Error {
  override name = 'Unroutable';
}

/** The header that lets a returned message be matched to its publish. */
const RETURN_ID_HEADER = 'x-matchq-publish';

/**
 * What a consumer needs of its channel: ack, nack and confirmed publishes. TopologyChannel is
 * the real one; unit tests give a pool an in-memory twin.
 */
export interface MessageChannel {
  ack(message: ConsumeMessage, generation: number): void;
  nack(message: ConsumeMessage, generation: number, requeue: boolean): void;
  publish(exchange: string, routingKey: string, content: Buffer, options?: PublishOptions): Promise<void>;
}

/** Options of a TopologyChannel beyond its setup. */
export interface TopologyChannelOptions {
  /**
   * Coalesce acks (common/ack-coalescer.ts): the acks of one event-loop turn go out after it,
   * a run at the head of the unacked deliveries as one multiple ack. Only for a channel whose
   * every delivery comes through `consume`. Defaults to off: one ack frame per `ack`.
   */
  coalesceAcks?: boolean;
  /** Called after each coalesced flush with the frames it sent and the deliveries they settled. */
  onAckFlush?: (sent: AckFlush) => void;
  /**
   * With coalesced acks: held deliveries a flush may requeue so that a multiple ack passes them
   * (common/ack-coalescer.ts PassHeld). `mayRequeue` says whether one may go now, `requeued` tells
   * its owner it went (the nack is sent), so that it takes the delivery back when it comes again.
   */
  passHeld?: { mayRequeue(message: ConsumeMessage): boolean; requeued(message: ConsumeMessage): void };
}

/**
 * A confirm channel that asserts the whole topology on every (re)connect, then runs the
 * caller's own setup. Each reconnect starts a new generation: delivery tags of an older
 * generation are void, and acking one would close the new channel.
 */
export class TopologyChannel implements MessageChannel {
  readonly wrapper: ChannelWrapper;
  private generationCount = 0;
  private readonly acks: AckCoalescer | undefined;
  /** The last setup failure (the broker refusing a declaration), until a setup succeeds. */
  private setupError: Error | undefined;
  private readonly setupFailed: Promise<never>;
  /** Mandatory publishes not yet confirmed, by return id; true once the broker returned one. */
  private readonly mandatory = new Map<string, boolean>();
  private mandatorySeq = 0;

  constructor(
    manager: AmqpConnectionManager,
    name: string,
    topology: Topology,
    setup?: (channel: ConfirmChannel) => Promise<void>,
    onReconnect?: () => void,
    logger?: Logger,
    options: TopologyChannelOptions = {},
  ) {
    validateTopology(topology);
    const { passHeld } = options;
    const pass: PassHeld | undefined = passHeld && {
      mayRequeue: (message) => passHeld.mayRequeue(message),
      requeue: (message) => {
        this.wrapper.nack(message, false, true);
        passHeld.requeued(message);
      },
    };
    this.acks = options.coalesceAcks
      ? new AckCoalescer((message, allUpTo) => this.wrapper.ack(message, allUpTo), undefined, options.onAckFlush, pass)
      : undefined;
    this.wrapper = manager.createChannel({
      name,
      confirm: true,
      setup: async (channel: ConfirmChannel) => {
        this.generationCount += 1;
        // The old channel's tags are void; its unacked deliveries come again on this one.
        this.acks?.reset();
        if (this.generationCount > 1) onReconnect?.();
        await assertTopology(channel, topology);
        // The broker sends basic.return before the publish's confirm, on the same channel, so the
        // mark is there when the publish below resolves.
        channel.on('return', (message: ConsumeMessage) => {
          const id = message.properties.headers?.[RETURN_ID_HEADER] as string | undefined;
          if (id !== undefined && this.mandatory.has(id)) this.mandatory.set(id, true);
        });
        await setup?.(channel);
        this.setupError = undefined;
      },
    });
    let fail: (error: Error) => void = () => undefined;
    this.setupFailed = new Promise<never>((_resolve, reject) => {
      fail = reject;
    });
    // Marked handled so no unhandledRejection fires: waitForSetup rejects with it, and 'error' below logs it.
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

  /**
   * Publishes this channel holds: `unsent` wait for the channel (connecting, or amqplib's buffer
   * full until its drain), `unconfirmed` were written and wait for the broker's confirm.
   */
  pendingPublishes(): { unsent: number; unconfirmed: number } {
    // amqp-connection-manager 5.0 counts the unsent publicly, the unconfirmed only in a private array.
    const unconfirmed = (this.wrapper as unknown as { _unconfirmedMessages?: unknown[] })._unconfirmedMessages?.length ?? 0;
    return { unsent: this.wrapper.queueLength(), unconfirmed };
  }

  /** Acks only deliveries of the current channel; older ones the broker redelivers anyway. */
  ack(message: ConsumeMessage, generation: number): void {
    if (generation !== this.generationCount || !this.connected) return;
    if (this.acks) this.acks.ack(message);
    else this.wrapper.ack(message);
  }

  /** A delivery already settled (a coalesced flush requeued it, an ack went) is not nacked again: that would close the channel. */
  nack(message: ConsumeMessage, generation: number, requeue: boolean): void {
    if (generation !== this.generationCount || !this.connected) return;
    if (this.acks && !this.acks.isOutstanding(message)) return;
    this.wrapper.nack(message, false, requeue);
    this.acks?.nacked(message);
  }

  /** Consumes with a handler that learns the generation the message belongs to. */
  async consume(
    queue: string,
    prefetch: number | undefined,
    onMessage: (message: ConsumeMessage, generation: number) => void,
    options: { exclusive?: boolean; consumerTag?: string } = {},
  ): Promise<void> {
    await this.wrapper.consume(
      queue,
      (message) => {
        this.acks?.delivered(message);
        onMessage(message, this.generationCount);
      },
      { ...(prefetch === undefined ? {} : { prefetch }), ...options },
    );
  }

  /** Publishes persistent JSON and resolves once the broker confirmed it. */
  async publish(exchange: string, routingKey: string, content: Buffer, options: PublishOptions = {}): Promise<void> {
    const returnId = options.mandatory ? String(++this.mandatorySeq) : undefined;
    if (returnId !== undefined) this.mandatory.set(returnId, false);
    try {
      await this.wrapper.publish(exchange, routingKey, content, {
        persistent: options.persistent ?? true,
        contentType: 'application/json',
        messageId: options.messageId,
        type: options.type,
        headers: returnId === undefined ? options.headers : { ...options.headers, [RETURN_ID_HEADER]: returnId },
        timestamp: options.timestamp,
        timeout: options.timeoutMs ?? 10_000,
        mandatory: options.mandatory,
      });
      if (returnId !== undefined && this.mandatory.get(returnId)) throw new Unroutable(`no queue is bound for ${exchange || '(default)'} ${routingKey}`);
    } finally {
      if (returnId !== undefined) this.mandatory.delete(returnId);
    }
  }

  async close(): Promise<void> {
    // Acks still held for this turn go out before the channel does.
    if (this.connected) this.acks?.flush();
    await this.wrapper.close();
  }
}
