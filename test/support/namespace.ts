import { randomUUID } from 'node:crypto';
import { ensureDatabase } from '../../common/db.js';
import { dropNamespace as dropNamespaceEverywhere } from '../../common/namespace-cleanup.js';

export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_SERVER = (process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/matchq').replace(/\/[^/]*$/, '');

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
export function dropNamespace(namespace: string, pools: { mode: string; region: string }[], databaseUrl?: string): Promise<void> {
  return dropNamespaceEverywhere(namespace, pools, { amqpUrl: AMQP_URL, redisUrl: REDIS_URL, databaseUrl });
}
