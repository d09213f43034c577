import type { Channel } from 'amqplib';
import { poolsOf, type Config } from './config.js';
import { amqpNames, type AmqpNames } from './names.js';

export interface ExchangeSpec {
  name: string;
  type: 'direct' | 'fanout';
}
export interface QueueSpec {
  name: string;
  arguments: Record<string, unknown>;
}
export interface BindingSpec {
  queue: string;
  exchange: string;
  routingKey: string;
}
export interface Topology {
  exchanges: ExchangeSpec[];
  queues: QueueSpec[];
  bindings: BindingSpec[];
}

export type QueueType = 'classic' | 'quorum';

/** Redeliveries after which a quorum queue gives a poison message to the dead queue. */
export const DELIVERY_LIMIT = 20;

/**
 * The contract's topology, as data. Every service asserts all of it on each (re)connect,
 * so whichever starts first creates it and a broker restart cannot leave a hole.
 */
export function buildTopology(
  names: AmqpNames,
  pools: { mode: string; region: string }[],
  queueType: QueueType,
  options: { allocation?: boolean } = {},
): Topology {
  const durable = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    'x-queue-type': queueType,
    ...(queueType === 'quorum' ? { 'x-delivery-limit': DELIVERY_LIMIT, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': names.dead } : {}),
    ...extra,
  });
  return {
    exchanges: [
      { name: names.requests, type: 'direct' },
      { name: names.rooms, type: 'fanout' },
      { name: names.deliveries, type: 'direct' },
      { name: names.results, type: 'fanout' },
    ],
    queues: [
      // One active consumer per pool: a pool's tickets must meet in one matcher's memory.
      ...pools.map(({ mode, region }) => ({ name: names.pool(mode, region), arguments: durable({ 'x-single-active-consumer': true }) })),
      { name: names.notifier, arguments: durable() },
      { name: names.history, arguments: durable() },
      { name: names.dead, arguments: { 'x-queue-type': queueType } },
      // Only with an allocator: with ALLOCATOR=none the topology is exactly v1's.
      ...(options.allocation ? [{ name: names.allocation, arguments: durable() }] : []),
    ],
    bindings: [
      ...pools.map(({ mode, region }) => ({ queue: names.pool(mode, region), exchange: names.requests, routingKey: `${mode}.${region}` })),
      { queue: names.notifier, exchange: names.rooms, routingKey: '' },
      { queue: names.history, exchange: names.rooms, routingKey: '' },
    ],
  };
}

/**
 * The topology a service asserts: the contract's names in its namespace, a pool queue per mode
 * and region. A service passes the names it built for its components, so they are built once.
 */
export function topologyFor(
  config: Pick<Config, 'MATCHQ_NAMESPACE' | 'match' | 'QUEUE_TYPE'> & Partial<Pick<Config, 'ALLOCATOR'>>,
  names: AmqpNames = amqpNames(config.MATCHQ_NAMESPACE),
): Topology {
  return buildTopology(names, poolsOf(config.match), config.QUEUE_TYPE, { allocation: (config.ALLOCATOR ?? 'none') !== 'none' });
}

/** Fails at start, naming the culprit, when a binding refers to an undeclared queue or exchange. */
export function validateTopology(topology: Topology): void {
  const queues = new Set(topology.queues.map((queue) => queue.name));
  const exchanges = new Set(topology.exchanges.map((exchange) => exchange.name));
  for (const binding of topology.bindings) {
    if (!queues.has(binding.queue)) throw new Error(`topology: binding to unknown queue ${binding.queue}`);
    if (!exchanges.has(binding.exchange)) throw new Error(`topology: binding from unknown exchange ${binding.exchange}`);
  }
}

export async function assertTopology(channel: Channel, topology: Topology): Promise<void> {
  for (const exchange of topology.exchanges) await channel.assertExchange(exchange.name, exchange.type, { durable: true });
  for (const queue of topology.queues) await channel.assertQueue(queue.name, { durable: true, arguments: queue.arguments });
  for (const binding of topology.bindings) await channel.bindQueue(binding.queue, binding.exchange, binding.routingKey);
}
