import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';

export interface BrokerCeiling {
  seconds: number;
  messageBytes: number;
  published: number;
  consumed: number;
  /** Messages per second through the queue (consumed, over the measured window). */
  messagesPerSecond: number;
  inFlightWindow: number;
}

/**
 * The broker's own ceiling on this machine: persistent messages with publisher confirms
 * through one durable (classic) queue, published on one connection and consumed on
 * another with plain amqplib, acked in batches (`multiple`). What matchq's pipeline adds
 * on top of this is then the pipeline's own cost.
 */
export async function measureBrokerCeiling(url: string, seconds = 10, messageBytes = 256, window = 1000): Promise<BrokerCeiling> {
  const queue = `bench.ceiling.${randomBytes(4).toString('hex')}`;
  const publisher = await amqplib.connect(url);
  const consumer = await amqplib.connect(url);
  try {
    const pub = await publisher.createConfirmChannel();
    await pub.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    const sub = await consumer.createChannel();
    await sub.prefetch(window);
    const body = Buffer.from(`{"v":1,"type":"join","pad":"${'x'.repeat(Math.max(0, messageBytes - 32))}"}`);
    let published = 0;
    let confirmed = 0;
    let consumed = 0;
    let sinceAck = 0;
    let counting = false;
    let consumedInWindow = 0;
    await sub.consume(queue, (message) => {
      if (!message) return;
      consumed += 1;
      if (counting) consumedInWindow += 1;
      if (++sinceAck >= 100) {
        sub.ack(message, true);
        sinceAck = 0;
      }
    });
    let stopping = false;
    let wake: (() => void) | undefined;
    const publishLoop = (async () => {
      while (!stopping) {
        while (published - confirmed < window && !stopping) {
          published += 1;
          const ok = pub.publish('', queue, body, { persistent: true, contentType: 'application/json' }, (error) => {
            if (!error) confirmed += 1;
            wake?.();
          });
          if (!ok) await new Promise((resolve) => pub.once('drain', resolve));
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    })();
    // One second of warm-up, then the measured window.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    counting = true;
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    counting = false;
    const elapsed = (performance.now() - start) / 1000;
    stopping = true;
    wake?.();
    await publishLoop;
    // The figure is taken: confirms still owed after it (a channel the broker closed) change nothing.
    await pub.waitForConfirms().catch(() => undefined);
    await pub
      .deleteQueue(queue)
      .catch((error: Error) => process.stderr.write(`broker ceiling: queue ${queue} not deleted (${error.message}); delete it by hand\n`));
    return { seconds, messageBytes: body.length, published, consumed, messagesPerSecond: Math.round(consumedInWindow / elapsed), inFlightWindow: window };
  } finally {
    // A connection that is already gone (the broker closed it) is what closing wants.
    await publisher.close().catch(() => undefined);
    await consumer.close().catch(() => undefined);
  }
}
