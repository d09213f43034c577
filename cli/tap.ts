import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAmqp, TopologyChannel, type AmqpConnectionManager } from '../common/amqp.js';
import { createLogger } from '../common/logger.js';
import { amqpNames } from '../common/names.js';
import { runCommand, UsageError } from '../common/run-service.js';

/** An analyst's live view: every room on the rooms exchange (or, with --results, every game result), one JSON line each, until Ctrl-C. */
await runCommand('tap', async (config) => {
  let values: { results?: boolean };
  try {
    ({ values } = parseArgs({ options: { results: { type: 'boolean' } } }));
  } catch {
    throw new UsageError('usage: npm run tap [-- --results]');
  }
  // Its stdout is the rooms' NDJSON: its own lines go to stderr.
  const logger = createLogger('tap', config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, {}, 'stderr');
  const amqp = await connectAmqp(config.AMQP_URL, logger);
  const names = amqpNames(config.MATCHQ_NAMESPACE);
  const exchange = values.results ? names.results : names.rooms;
  await untilDeclared(amqp, exchange);
  // A private queue bound afresh on each reconnect, as any analyst's own queue would be. The tap
  // declares nothing of matchq's topology, only checks the exchange is there: it runs with an
  // analyst's rights (queues of its own, bound to the rooms and results fanouts, no publishing).
  // Under the namespace, as every matchq AMQP name is (contract).
  const queue = names.analyst(`tap.${randomUUID()}`);
  const channel = new TopologyChannel(
    amqp,
    'tap',
    { exchanges: [], queues: [], bindings: [] },
    async (ch) => {
      await ch.checkExchange(exchange);
      await ch.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false });
      await ch.bindQueue(queue, exchange, '');
      await ch.consume(
        queue,
        (message) => {
          if (!message) return;
          try {
            process.stdout.write(`${JSON.stringify(JSON.parse(message.content.toString('utf8')))}\n`);
          } catch {
            logger.warn('skipped a message that is not JSON');
          }
        },
        { noAck: true },
      );
    },
    undefined,
    logger,
  );
  await channel.waitForSetup();
  process.stderr.write(`tapping ${exchange}; Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await channel.close();
  await amqp.close();
});

/**
 * Waits until the exchange exists: the pipeline's services declare it when they first start, so
 * a tap started before them (a fresh namespace) waits, saying so once, and taps once it is there.
 */
async function untilDeclared(amqp: AmqpConnectionManager, exchange: string): Promise<void> {
  for (let said = false; ; said = true) {
    const connection = amqp.connection;
    if (connection) {
      const probe = await connection.createChannel();
      // The broker closes a channel that checks a missing exchange (404): that close is the answer.
      probe.on('error', () => undefined);
      try {
        await probe.checkExchange(exchange);
        await probe.close();
        return;
      } catch (error) {
        if ((error as { code?: number }).code !== 404) throw error;
      }
    }
    if (!said) process.stderr.write(`waiting for ${exchange}: no matchq service has declared it yet (start one, or check MATCHQ_NAMESPACE)\n`);
    await sleep(1000);
  }
}
