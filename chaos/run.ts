import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqp-connection-manager';
import type { ConfirmChannel } from 'amqplib';
import { openMigratedDb } from '../common/db.js';
import { hashToken } from '../common/players.js';
import { seededRandom } from '../core/seeded-random.js';
import { amqpNames, redisKeys } from '../common/names.js';
import { Redis } from '../common/redis.js';
import { dropDatabase } from '../common/namespace-cleanup.js';
import { Cluster } from './cluster.js';
import { inject, type Backing, type FaultKind } from './faults.js';
import { startPrivateRabbit, startPrivateRedis } from './private-nodes.js';
import { Ledger, type AuditedRoom, type Reconciliation } from './ledger.js';
import { SimulatedPlayer, TicketBudget, type PlayerEvents } from './players.js';

export interface ChaosOptions {
  tickets: number;
  players: number;
  faults: FaultKind[];
  /** Pause between two faults, and before the first. */
  faultEveryMs: number;
  tickMs: number;
  maxWaitSeconds: number;
  /** PostgreSQL server (URL without the database): the run creates and drops a database of its own there. */
  databaseServer: string;
  logFile: string;
  onProgress?: (line: string) => void;
}

export interface FaultRecord {
  kind: FaultKind;
  at: number;
  recoveryMs: number | null;
}
export interface ChaosReport extends Omit<Reconciliation, 'lostDetail'> {
  lostDetail: (Reconciliation['lostDetail'][number] & { redis: Record<string, string> })[];
  namespace: string;
  faults: FaultRecord[];
  durationMs: number;
  openAtEnd: number;
  /** The private broker node and Redis the run used and restarted (gone when it returns). */
  backing: { rabbitNode: string; amqpPort: number; redisPort: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One chaos run: a private RabbitMQ node and Redis server of its own (the faults restart
 * those, never the machine's shared ones), the services as real processes in their own
 * namespace and database, simulated players over real WebSockets, faults injected one after
 * another, then the ledger of everything the players were told reconciled against the rooms
 * the broker carried. The private servers are stopped and removed afterwards, even on failure.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const say = options.onProgress ?? (() => undefined);
  const started = Date.now();
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const rabbit = await startPrivateRabbit();
    cleanups.push(() => rabbit.stop());
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    say(`private RabbitMQ node ${rabbit.node} on port ${rabbit.port}, private Redis on port ${redis.port}`);
    return await runOn({ rabbit, redis }, options, started, say, cleanups);
  } finally {
    // Last in, first out: players and services before the servers they talk to.
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

async function runOn(
  backing: Backing,
  options: ChaosOptions,
  started: number,
  say: (line: string) => void,
  cleanups: (() => Promise<unknown>)[],
): Promise<ChaosReport> {
  const amqpUrl = backing.rabbit.url;
  const redisUrl = backing.redis.url;
  const namespace = `chaos${randomUUID().slice(0, 6)}`;
  const names = amqpNames(namespace);
  const databaseUrl = `${options.databaseServer}/matchq_${namespace}`;
  const { db } = await openMigratedDb(databaseUrl, 2);
  cleanups.push(async () => {
    await db.destroy();
    // The private broker and Redis go away whole; only the database lives on a shared server.
    await dropDatabase(databaseUrl);
  });
  // Seeded, so a run's players behave the same from one run to the next.
  const random = seededRandom(42);
  const tokens: string[] = [];
  const rows = Array.from({ length: options.players }, (_, index) => {
    const token = randomBytes(24).toString('base64url');
    tokens.push(token);
    // Three loose clusters, so rooms form quickly and the window still matters.
    const rating = [1200, 1500, 1800][index % 3]! + Math.round((random() - 0.5) * 120);
    return { name: `chaos-${index}`, rating, token_hash: hashToken(token) };
  });
  await db('players').insert(rows);

  const rule = { teams: 1, teamSize: 3, window: { initial: 0, perSecond: 50 }, maxWaitSeconds: options.maxWaitSeconds };
  const matchFile = join(tmpdir(), `${namespace}-match.json`);
  writeFileSync(matchFile, JSON.stringify({ regions: ['global'], modes: { ffa3: rule } }));
  const cluster = new Cluster(
    {
      ...process.env,
      MATCHQ_NAMESPACE: namespace,
      DATABASE_URL: databaseUrl,
      AMQP_URL: amqpUrl,
      REDIS_URL: redisUrl,
      TICK_MS: String(options.tickMs),
      MATCH_CONFIG: matchFile,
      LOG_LEVEL: 'warn',
    },
    options.logFile,
  );
  cleanups.push(() => cluster.stop());
  await cluster.add('gateway-0', 'producer');
  await cluster.add('gateway-1', 'producer');
  await cluster.add('matcher-0', 'matcher');
  await cluster.add('notifier-0', 'notifier');
  await cluster.add('recorder-0', 'recorder');
  for (let attempt = 0; !(await cluster.allReady()); attempt++) {
    if (attempt > 200) throw new Error(`services did not become ready; see ${options.logFile}`);
    await sleep(100);
  }
  say(`namespace ${namespace}: 2 gateways, matcher, notifier, recorder ready`);

  // The auditor is an analyst: a durable queue of its own on the rooms exchange survives the broker restart.
  const ledger = new Ledger();
  const auditQueue = `${namespace}.chaos-audit`;
  const connection = amqp.connect([amqpUrl], { heartbeatIntervalInSeconds: 5, reconnectTimeInSeconds: 1 });
  cleanups.push(() => connection.close());
  const audit = connection.createChannel({
    setup: async (channel: ConfirmChannel) => {
      await channel.assertExchange(names.rooms, 'fanout', { durable: true });
      await channel.assertQueue(auditQueue, { durable: true });
      await channel.bindQueue(auditQueue, names.rooms, '');
      await channel.consume(auditQueue, (message) => {
        if (!message) return;
        ledger.room(JSON.parse(message.content.toString()) as AuditedRoom);
        channel.ack(message);
      });
    },
  });
  await audit.waitForConnect();

  const budget = new TicketBudget(options.tickets);
  const events: PlayerEvents = { matchedAt: 0, frames: 0 };
  const players = tokens.map((token) => new SimulatedPlayer(token, () => cluster.gatewayUrls(), ledger, budget, events, random));
  cleanups.push(async () => players.forEach((player) => player.stop()));
  players.forEach((player) => player.start());

  const faults: FaultRecord[] = [];
  for (const kind of options.faults) {
    await sleep(options.faultEveryMs);
    const at = Date.now();
    say(`fault: ${kind} (${ledger.size} tickets so far)`);
    await inject(kind, cluster, backing);
    let recoveryMs: number | null = null;
    // Recovered: every service ready again, and a player was matched after the fault.
    for (const deadline = at + 60_000; Date.now() < deadline; await sleep(100)) {
      if (events.matchedAt > at && (await cluster.allReady())) {
        recoveryMs = Date.now() - at;
        break;
      }
    }
    faults.push({ kind, at: at - started, recoveryMs });
    say(`  recovered in ${recoveryMs === null ? 'never (60 s)' : `${recoveryMs} ms`}`);
  }

  budget.release();
  // Let the budget run out and every known ticket end (matched, cancelled or timed out).
  const drainDeadline = Date.now() + (options.maxWaitSeconds + 60) * 1000;
  while (Date.now() < drainDeadline && (!budget.exhausted || ledger.open() > 0)) {
    say(`draining: ${ledger.open()} tickets open`);
    await sleep(1000);
  }
  // Rooms still in flight to the auditor.
  await sleep(2 * options.tickMs + 1000);
  players.forEach((player) => player.stop());
  const openAtEnd = ledger.open();
  const reconciliation = ledger.reconcile({ ...rule.window, max: Infinity });
  for (const entry of reconciliation.lostDetail) if (entry.queuedAt !== null) entry.queuedAt -= started;
  // Where each lost ticket stands in Redis tells which step dropped it.
  const redis = new Redis(redisUrl);
  const lostInRedis = await Promise.all(
    reconciliation.lostDetail.map(async (entry) => ({
      ...entry,
      redis: await redis.hgetall(redisKeys(namespace).ticket('ffa3', 'global', entry.ticketId)),
    })),
  );
  redis.disconnect();
  await audit.close().catch(() => undefined);
  return {
    namespace,
    ...reconciliation,
    lostDetail: lostInRedis,
    faults,
    durationMs: Date.now() - started,
    openAtEnd,
    backing: { rabbitNode: backing.rabbit.node, amqpPort: backing.rabbit.port, redisPort: backing.redis.port },
  };
}
