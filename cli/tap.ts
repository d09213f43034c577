import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { connectAmqp, TopologyChannel } from '../common/amqp.js';
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
  const logger = createLogger('tap', config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const amqp = await connectAmqp(config.AMQP_URL, logger);
  const names = amqpNames(config.MATCHQ_NAMESPACE);
  const exchange = values.results ? names.results : names.rooms;
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
