import knex, { type Knex } from 'knex';
import { fileURLToPath } from 'node:url';
import { BackingServiceUnavailable, HOW_TO_START } from './backing.js';
import { ConfigError } from './config.js';
import { migrationFiles } from './migration-files.js';

export type { Knex };

const migrationsDirectory = fileURLToPath(new URL('../migrations', import.meta.url));

/** knex would print connection failures with their stack; they reach us as errors anyway. */
const quiet = { warn: () => undefined, error: () => undefined, deprecate: () => undefined, debug: () => undefined };

export function createDb(url: string, poolMax = 10): Knex {
  return knex({ client: 'pg', connection: url, pool: { min: 0, max: poolMax }, acquireConnectionTimeout: 10_000, log: quiet });
}

/** Checks the database answers, turning a refused connection into one clear line. */
export async function checkDb(db: Knex, url: string): Promise<void> {
  try {
    await db.raw('select 1');
  } catch (error) {
    throw new BackingServiceUnavailable('PostgreSQL', url, HOW_TO_START.PostgreSQL, error);
  }
}

/** How often a service checks that PostgreSQL still answers, for its /readyz. */
const DB_PROBE_MS = 5000;

/**
 * Keeps `up` current for /readyz: a probe every few seconds, and every query's outcome in
 * between (`saw`). knex's pool reconnects by itself; this only reports.
 */
export function watchDb(db: Knex) {
  const health = {
    up: true,
    saw(ok: boolean): void {
      health.up = ok;
    },
  };
  const timer = setInterval(
    () =>
      db.raw('select 1').then(
        () => health.saw(true),
        () => health.saw(false),
      ),
    DB_PROBE_MS,
  );
  timer.unref();
  return { health, stop: () => clearInterval(timer) };
}

/** Creates the database named in `url` when it is missing (connecting to `postgres` to do it). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  // Any name PostgreSQL takes (quoted below, so `matchq-test` works too); it keeps 63 bytes of one.
  if (name === '' || name.includes('/') || name.includes('\0') || Buffer.byteLength(name) > 63)
    throw new ConfigError(`invalid DATABASE_URL: the database name ${JSON.stringify(name)} must be 1-63 bytes, after the host (postgres://HOST:PORT/NAME)`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const db = createDb(admin.toString(), 1);
  try {
    await checkDb(db, url);
    const found = await db('pg_database').where({ datname: name }).first();
    if (!found)
      await db.raw('create database ??', [name]).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile by another process
      });
  } finally {
    await db.destroy();
  }
}

/**
 * What every command that writes starts with: create the database if it is missing, connect
 * (one clear line if PostgreSQL is away), and run the migrations. Returns the migrations applied.
 */
export async function openMigratedDb(url: string, poolMax = 10): Promise<{ db: Knex; applied: string[] }> {
  await ensureDatabase(url);
  const db = createDb(url, poolMax);
  try {
    await checkDb(db, url);
    return { db, applied: await migrateLatest(db) };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

export async function migrateLatest(db: Knex): Promise<string[]> {
  const options = { migrationSource: migrationFiles(migrationsDirectory) };
  // Reading the list needs only SELECT on knex's tables; latest() takes the migration lock (an
  // UPDATE). A service role that owns nothing (npm run provision) starts on a current schema.
  const [, pending] = (await db.migrate.list(options)) as [unknown[], unknown[]];
  if (pending.length === 0) return [];
  const [, applied] = await db.migrate.latest(options);
  return applied as string[];
}

/**
 * PostgreSQL refused the data itself (SQLSTATE class 22, data exception, or 23, integrity
 * constraint): retrying cannot help, unlike a lost connection.
 */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}
