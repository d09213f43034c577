import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseMatchConfig } from '../core/match-config.js';
import { DEFAULT_MATCH_CONFIG } from '../core/rule.js';
import type { MatchConfig } from '../core/types.js';

/** RabbitMQ keeps an unacked delivery at most this long (consumer_timeout, 30 min on 3.10). */
export const BROKER_CONSUMER_TIMEOUT_SECONDS = 30 * 60;

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const safeId = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Every environment variable matchq reads, with its default. The README's configuration
 * table is checked against this schema by a test, so the two cannot drift.
 */
export const envSchema = z.object({
  AMQP_URL: z.string().default('amqp://guest:guest@127.0.0.1:5672')
    .describe('RabbitMQ URL; a comma-separated list for a cluster')
    .transform((value) => value.split(',').map((url) => url.trim()).filter(Boolean))
    .refine((urls) => urls.length > 0 && urls.every((url) => /^amqps?:\/\//.test(url)), 'must be amqp:// or amqps:// URLs'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default('redis://127.0.0.1:6379')
    .describe('Redis URL; a comma-separated list of nodes for a Redis Cluster'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').default('postgres://postgres@127.0.0.1:5432/matchq')
    .describe('PostgreSQL URL; the database is created by migrations if missing'),
  PORT: port(8080).describe("The gateway's HTTP + WebSocket port"),
  MATCH_CONFIG: z.string().optional()
    .describe('Path to the matching rule JSON; built-in default: the original game (ffa3, global)'),
  TICK_MS: z.coerce.number().int().min(10).max(60_000).default(1000)
    .describe('Milliseconds between two matching ticks'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')
    .describe('pino log level'),
  GATEWAY_ID: z.string().regex(safeId, 'letters, digits, _ . - only').optional()
    .describe('This gateway\'s id, the routing key of its deliveries; random when unset'),
  MATCHER_ID: z.string().regex(safeId, 'letters, digits, _ . - only').optional()
    .describe('This matcher\'s id; random when unset'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional()
    .describe('HTTP port of a non-gateway service (/healthz, /readyz, /metrics); 0 picks a free one'),
  MATCHQ_NAMESPACE: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'lowercase letters, digits and - only').default('matchq')
    .describe('First word of every AMQP name and Redis key; tests use their own so runs never collide'),
  DEMO_PLAYERS_FILE: z.string().optional()
    .describe('JSON file of demo players (with tokens) the lobby offers; `npm start` writes and sets it'),
  QUEUE_TYPE: z.enum(['classic', 'quorum']).default('classic')
    .describe('Type of the durable queues; quorum for a RabbitMQ cluster'),
});

export type Env = z.infer<typeof envSchema>;

/** Defaults of METRICS_PORT per service, so a full local stack does not collide. */
export const DEFAULT_METRICS_PORTS = { matcher: 9101, notifier: 9102, recorder: 9103 } as const;

export interface Config extends Omit<Env, 'MATCH_CONFIG' | 'GATEWAY_ID' | 'MATCHER_ID'> {
  match: MatchConfig;
  GATEWAY_ID: string;
  MATCHER_ID: string;
}

/** A configuration problem, named after the variable, shown as one line at start. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid ${String(issue.path[0])}: ${issue.message}`);
  }
  const { MATCH_CONFIG, GATEWAY_ID, MATCHER_ID, ...rest } = parsed.data;
  const match = MATCH_CONFIG ? readMatchConfig(MATCH_CONFIG) : DEFAULT_MATCH_CONFIG;
  for (const [mode, rule] of Object.entries(match.modes)) {
    // A waiting ticket is an unacked delivery: past the broker's timeout it would close our channel.
    if (rule.maxWaitSeconds >= BROKER_CONSUMER_TIMEOUT_SECONDS - 60) {
      throw new ConfigError(`invalid MATCH_CONFIG: mode ${mode}: maxWaitSeconds must stay below the broker's consumer timeout (${BROKER_CONSUMER_TIMEOUT_SECONDS - 60} s)`);
    }
  }
  return {
    ...rest,
    match,
    GATEWAY_ID: GATEWAY_ID ?? `gw-${randomUUID().slice(0, 8)}`,
    MATCHER_ID: MATCHER_ID ?? `m-${randomUUID().slice(0, 8)}`,
  };
}

function readMatchConfig(path: string): MatchConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`invalid MATCH_CONFIG: cannot read ${path} as JSON (${(error as Error).message})`);
  }
  try {
    return parseMatchConfig(json);
  } catch (error) {
    throw new ConfigError(`invalid MATCH_CONFIG (${path}): ${(error as Error).message}`);
  }
}

/** Every pool of a config: the cross product of modes and regions. */
export function poolsOf(match: MatchConfig): { mode: string; region: string }[] {
  return Object.keys(match.modes).flatMap((mode) => match.regions.map((region) => ({ mode, region })));
}
