import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseMatchConfig } from '../core/match-config.js';
import { DEFAULT_MATCH_CONFIG } from '../core/rule.js';
import type { MatchConfig } from '../core/types.js';

/** RabbitMQ keeps an unacked delivery at most this long (consumer_timeout, 30 min on 3.10). */
export const BROKER_CONSUMER_TIMEOUT_SECONDS = 30 * 60;

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
/** The one rule for ids and names that become routing keys or key parts (gateway, matcher, server key names). */
export const SAFE_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const safeId = SAFE_ID;

/**
 * Every environment variable matchq reads, with its default. The README's configuration
 * table is checked against this schema by a test, so the two cannot drift.
 */
export const envSchema = z.object({
  AMQP_URL: z
    .string()
    .default('amqp://guest:guest@127.0.0.1:5672')
    .describe('RabbitMQ URL; a comma-separated list for a cluster')
    .transform((value) =>
      value
        .split(',')
        .map((url) => url.trim())
        .filter(Boolean),
    )
    .refine((urls) => urls.length > 0 && urls.every((url) => /^amqps?:\/\//.test(url)), 'must be amqp:// or amqps:// URLs'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379')
    .describe('Redis URL; a comma-separated list of nodes for a Redis Cluster'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default('postgres://postgres@127.0.0.1:5432/matchq')
    .describe('PostgreSQL URL; the database is created by migrations if missing'),
  PORT: port(8080).describe("The gateway's HTTP + WebSocket port"),
  MATCH_CONFIG: z.string().optional().describe('Path to the matching rule JSON; built-in default: the original game (ffa3, global)'),
  TICK_MS: z.coerce.number().int().min(10).max(60_000).default(1000).describe('Milliseconds between two matching ticks'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level'),
  GATEWAY_ID: z
    .string()
    .regex(safeId, 'letters, digits, _ . - only')
    .optional()
    .describe("This gateway's id, the routing key of its deliveries; random when unset"),
  MATCHER_ID: z.string().regex(safeId, 'letters, digits, _ . - only').optional().describe("This matcher's id; random when unset"),
  METRICS_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .optional()
    .describe('HTTP port of a non-gateway service (/healthz, /readyz, /metrics); 0 picks a free one'),
  MATCHQ_NAMESPACE: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/, 'lowercase letters, digits and - only')
    .default('matchq')
    .describe('First word of every AMQP name and Redis key; tests use their own so runs never collide'),
  DEMO_PLAYERS_FILE: z.string().optional().describe('JSON file of demo players (with tokens) the lobby offers; `npm start` writes and sets it'),
  DEMO_SERVER_KEY_FILE: z
    .string()
    .optional()
    .describe('JSON file with the demo game server\'s key (`{"id","name","key"}`); `npm start` writes it and sets it for the demo game server only'),
  PARTY_MAX_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(5)
    .describe('Most members a party may have (party_full beyond); parties are on only when a mode sets `party`'),
  MAX_JOINS_IN_FLIGHT: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(1000)
    .describe(
      "Gateway: joins taken but not yet answered (their Redis write and the broker's confirm); with this many in flight and the oldest waiting over 1 s, a join is answered unavailable at once, so an overloaded broker sheds load instead of timing joins out after 5 s (a burst answered in time is taken whole)",
    ),
  ACCEPT_WAIT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(0)
    .describe(
      'Ready check on a Redis with replicas: after an accept, wait up to this long (Redis WAIT 1) for a replica to hold it before the player hears ready, else unavailable (retry the accept); the matcher acts on a decided room only once a replica holds the decision; 0 (default) waits for none',
    ),
  QUEUE_TYPE: z.enum(['classic', 'quorum']).default('classic').describe('Type of the durable queues; quorum for a RabbitMQ cluster'),
  ALLOCATOR: z
    .enum(['none', 'http', 'agones'])
    .default('none')
    .describe('Where final rooms get a game server: none (v1, no server), http (any fleet) or agones'),
  ALLOCATOR_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .optional()
    .describe('http allocator: the fleet endpoint each final room is POSTed to; required with ALLOCATOR=http'),
  ALLOCATOR_TOKEN: z.string().min(1).optional().describe('http allocator: sent as Authorization: Bearer TOKEN when set; never logged'),
  ALLOCATOR_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(5000).describe('Milliseconds one allocation request may take before it is retried'),
  ALLOCATOR_BUDGET_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3_600_000)
    .default(30_000)
    .describe("Milliseconds one room's allocation may take, retries and backoff included, before it fails"),
  AGONES_ALLOCATOR_URL: z
    .url({ protocol: /^https$/, error: 'must be an https:// URL' })
    .optional()
    .describe('agones allocator: the allocator service, https://HOST/gameserverallocation; required with ALLOCATOR=agones'),
  AGONES_CLIENT_CERT: z
    .string()
    .min(1)
    .optional()
    .describe('agones allocator: path of the client certificate (PEM) for mutual TLS; required with ALLOCATOR=agones'),
  AGONES_CLIENT_KEY: z.string().min(1).optional().describe('agones allocator: path of the client key (PEM) for mutual TLS; required with ALLOCATOR=agones'),
  AGONES_CA_CERT: z
    .string()
    .min(1)
    .optional()
    .describe("agones allocator: path of the CA certificate (PEM) the allocator service's certificate is checked against; the system CAs when unset"),
  AGONES_NAMESPACE: z.string().min(1).default('default').describe('agones allocator: Kubernetes namespace of the fleet'),
  AGONES_FLEET: z.string().min(1).default('matchq').describe('agones allocator: the fleet game servers are allocated from (label agones.dev/fleet)'),
  JOIN_TOKEN_SECRET: z
    .string()
    .min(1)
    .optional()
    .describe('HS256 key of the join tokens players show the game server; required when ALLOCATOR is not none; never logged'),
  JOIN_TOKEN_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300).describe('Seconds a join token is valid after it was issued'),
});

/**
 * Who reads the config, for what each allocator setting is needed by: the gateway signs join
 * tokens, the allocator calls the fleet, `npm start` runs both; the matcher, notifier and
 * recorder only route final rooms to allocation (contract: every other service ignores ALLOCATOR
 * but for that), so a gap in settings they never use does not stop them.
 */
export type ConfigReader = 'all' | 'gateway' | 'allocator' | 'token' | 'router';

const READERS: Record<string, ConfigReader> = {
  producer: 'gateway',
  allocator: 'allocator',
  start: 'all',
  'verify-token': 'token',
  matcher: 'router',
  notifier: 'router',
  recorder: 'router',
  'demo-game': 'router',
  migrate: 'router',
  players: 'router',
  servers: 'router',
  tap: 'router',
  provision: 'router',
};

/** The reader a service or command name stands for; one not listed checks everything. */
export const configReaderOf = (name: string): ConfigReader => READERS[name] ?? 'all';

/** What an allocator cannot start without, for this reader: the first setting missing, named. */
function missingFor(env: Env, reader: ConfigReader): string | undefined {
  if (env.ALLOCATOR === 'none' || reader === 'router') return undefined;
  const need: [keyof Env, string][] = [];
  if (reader !== 'allocator') need.push(['JOIN_TOKEN_SECRET', 'when ALLOCATOR is not none']);
  if (reader === 'all' || reader === 'allocator') {
    if (env.ALLOCATOR === 'http') need.push(['ALLOCATOR_URL', 'with ALLOCATOR=http']);
    if (env.ALLOCATOR === 'agones')
      for (const name of ['AGONES_ALLOCATOR_URL', 'AGONES_CLIENT_CERT', 'AGONES_CLIENT_KEY'] as const) need.push([name, 'with ALLOCATOR=agones']);
  }
  const gap = need.find(([name]) => env[name] === undefined);
  return gap && `invalid ${gap[0]}: required ${gap[1]}`;
}

export type Env = z.infer<typeof envSchema>;

/** Defaults of METRICS_PORT per service, so a full local stack does not collide. */
export const DEFAULT_METRICS_PORTS = { matcher: 9101, notifier: 9102, recorder: 9103, allocator: 9104 } as const;

export interface Config extends Omit<Env, 'MATCH_CONFIG' | 'GATEWAY_ID' | 'MATCHER_ID'> {
  match: MatchConfig;
  GATEWAY_ID: string;
  MATCHER_ID: string;
}

/** A configuration problem, named after the variable, shown as one line at start. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, reader: ConfigReader = 'all'): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid ${String(issue.path[0])}: ${issue.message}`);
  }
  const missing = missingFor(parsed.data, reader);
  if (missing) throw new ConfigError(missing);
  const { MATCH_CONFIG, GATEWAY_ID, MATCHER_ID, ...rest } = parsed.data;
  const match = MATCH_CONFIG ? readMatchConfig(MATCH_CONFIG) : DEFAULT_MATCH_CONFIG;
  for (const [mode, rule] of Object.entries(match.modes)) {
    // A waiting ticket is an unacked delivery: past the broker's timeout it would close our channel.
    if (rule.maxWaitSeconds >= BROKER_CONSUMER_TIMEOUT_SECONDS - 60) {
      throw new ConfigError(
        `invalid MATCH_CONFIG: mode ${mode}: maxWaitSeconds must stay below the broker's consumer timeout (${BROKER_CONSUMER_TIMEOUT_SECONDS - 60} s)`,
      );
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
