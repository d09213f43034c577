import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import { createDb, ensureDatabase } from '../../common/db.js';
import { amqpNames } from '../../common/names.js';
import { buildTopology } from '../../common/topology.js';

export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_SERVER = (process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/matchq').replace(/\/[^/]*$/, '');

/** A fresh namespace: every AMQP name and Redis key of one test starts with it. */
export function newNamespace(): string {
  return `t${randomUUID().slice(0, 8)}`;
}

/** A database of the test's own, created on demand. */
export async function newDatabase(namespace: string): Promise<string> {
  const url = `${DATABASE_SERVER}/matchq_${namespace}`;
  await ensureDatabase(url);
  return url;
}

/** Removes everything a namespace left behind: queues, exchanges, Redis keys, its database. */
export async function dropNamespace(namespace: string, pools: { mode: string; region: string }[], databaseUrl?: string): Promise<void> {
  const connection = await amqplib.connect(AMQP_URL);
  const topology = buildTopology(amqpNames(namespace), pools, 'classic');
  for (const queue of topology.queues) {
    const channel = await connection.createChannel();
    await channel.deleteQueue(queue.name).catch(() => undefined);
    await channel.close().catch(() => undefined);
  }
  for (const exchange of topology.exchanges) {
    const channel = await connection.createChannel();
    await channel.deleteExchange(exchange.name).catch(() => undefined);
    await channel.close().catch(() => undefined);
  }
  await connection.close();

  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();

  if (databaseUrl) {
    const admin = createDb(`${DATABASE_SERVER}/postgres`, 1);
    await admin.raw(`drop database if exists "${new URL(databaseUrl).pathname.slice(1)}" with (force)`).catch(() => undefined);
    await admin.destroy();
  }
}
