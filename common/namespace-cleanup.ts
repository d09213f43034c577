import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import { createDb } from './db.js';
import { amqpNames } from './names.js';
import { buildTopology } from './topology.js';

export interface CleanupTargets {
  amqpUrl: string;
  redisUrl: string;
  databaseUrl?: string;
  extraQueues?: string[];
}

/**
 * Removes everything a namespace left behind (queues, exchanges, Redis keys, its
 * database): tests, chaos runs and load runs each work in a namespace of their own.
 */
export async function dropNamespace(namespace: string, pools: { mode: string; region: string }[], targets: CleanupTargets): Promise<void> {
  const connection = await amqplib.connect(targets.amqpUrl);
  const topology = buildTopology(amqpNames(namespace), pools, 'classic', { allocation: true });
  // A failed delete closes its channel, so each gets its own. Best effort: what is already gone is
  // what we want, and a channel a failed delete closed has nothing left to close.
  for (const queue of [...topology.queues.map((spec) => spec.name), ...(targets.extraQueues ?? [])]) {
    const channel = await connection.createChannel();
    await channel.deleteQueue(queue).catch(() => undefined); // gone already: as wanted
    await channel.close().catch(() => undefined); // closed by the failed delete
  }
  for (const exchange of topology.exchanges) {
    const channel = await connection.createChannel();
    await channel.deleteExchange(exchange.name).catch(() => undefined); // gone already: as wanted
    await channel.close().catch(() => undefined); // closed by the failed delete
  }
  await connection.close();

  const redis = new Redis(targets.redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();

  if (targets.databaseUrl) await dropDatabase(targets.databaseUrl);
}

/** Drops the database a URL names (its connections too), for runs that made one of their own. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const server = new URL(databaseUrl);
  const name = server.pathname.slice(1);
  server.pathname = '/postgres';
  const admin = createDb(server.toString(), 1);
  // Best effort after a run: a database left behind (PostgreSQL away) costs only space and is named by its run.
  await admin.raw(`drop database if exists "${name}" with (force)`).catch(() => undefined);
  await admin.destroy();
}
