import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqp-connection-manager';
import type { ConfirmChannel } from 'amqplib';
import { openMigratedDb } from '../common/db.js';
import { freePort } from '../common/free-port.js';
import { Launcher, serviceSpec } from '../common/launcher.js';
import { hashToken } from '../common/players.js';
import { addServerKey } from '../common/server-keys.js';
import type { MatchConfig } from '../core/types.js';
import { seededRandom } from '../core/seeded-random.js';
import { amqpNames, redisKeys } from '../common/names.js';
import { Cluster as RedisCluster, Redis } from '../common/redis.js';
import { dropDatabase } from '../common/namespace-cleanup.js';
import { inject, NodeLoss, type Backing, type FaultKind } from './faults.js';
import { startPrivateRabbit, startPrivateRabbitCluster, startPrivateRedis, startPrivateRedisCluster } from './private-nodes.js';
import { FlakyFleet, type FleetFlakes } from './fleet.js';
import { Ledger, reconcileResults, type AuditedRoom, type Reconciliation, type ResultsReconciliation } from './ledger.js';
import { Crew, SimulatedPlayer, TicketBudget, type PlayerEvents, type PlayerPlan } from './players.js';
import { ResultsPoster } from './results.js';

export interface ChaosOptions {
  tickets: number;
  players: number;
  faults: FaultKind[];
  /** Pause between two faults, and before the first. */
  faultEveryMs: number;
  tickMs: number;
  maxWaitSeconds: number;
  /** The ready-check mode's `accept.seconds`. */
  acceptSeconds?: number;
  /** The share of rooms the run's game server reports a result for. */
  resultShare?: number;
  /** PostgreSQL server (URL without the database): the run creates and drops a database of its own there. */
  databaseServer: string;
  logFile: string;
  onProgress?: (line: string) => void;
  /** On a three-node RabbitMQ cluster (quorum queues) and a Redis Cluster with replicas, instead of one node of each. */
  cluster?: boolean;
}

export interface FaultRecord {
  kind: FaultKind;
  at: number;
  recoveryMs: number | null;
}
export interface ChaosReport extends Omit<Reconciliation, 'lostDetail'> {
  /** `trail`: the player's last steps, ms since the run's start (chaos/players.ts). */
  lostDetail: (Reconciliation['lostDetail'][number] & { redis: Record<string, string>; trail: string[] })[];
  /** For each doubled ticket and each ticket of a ready-check violation: the trail of every player whose trail names it, by player id. */
  trails: Record<string, Record<string, string[]>>;
  /** The proposal hashes (as Redis keeps them after the decision) of the rooms of the ready-check violations' tickets, by room id. */
  proposals: Record<string, Record<string, string>>;
  /** Results the game server posted, checked against PostgreSQL's ratings; posts refused or never answered. */
  results: ResultsReconciliation & { refused: ResultsPoster['refused']; unanswered: string[] };
  /** What Redis still holds open once every ticket ended: proposals waiting or unsettled, allocations unfinished. */
  openInRedis: { proposalsPending: string[]; proposalsUnsettled: string[]; allocationsOpen: string[] };
  namespace: string;
  faults: FaultRecord[];
  durationMs: number;
  openAtEnd: number;
  /** The private broker node and Redis the run used and restarted (gone when it returns); on clusters, their first nodes. */
  backing: { rabbitNode: string; amqpPort: number; redisPort: number };
  /** On clusters: every node, and each node lost with when it was back (ms after its kill). */
  clusters?: { amqpUrl: string; redisUrl: string; losses: NodeLoss['log'] };
}

/** Every way a run can fail, one line each naming what and which ticket or room; empty: the ledger balances. */
export function failuresOf(report: ChaosReport): string[] {
  const lines: string[] = [];
  const list = (what: string, items: unknown[]) => {
    if (items.length > 0)
      lines.push(
        `${what} (${items.length}): ${items
          .slice(0, 10)
          .map((item) => (typeof item === 'string' ? item : JSON.stringify(item)))
          .join('; ')}`,
      );
  };
  list('lost', report.lostDetail);
  list('doubled', report.doubledDetail);
  list('rooms breaking the rule', report.invalidRooms);
  list('parties split', report.splitParties);
  list('waits not kept', report.waitReset);
  list('ready check', report.readyCheck.violations);
  list('allocation', report.allocation.violations);
  list('results', report.results.violations);
  list('results refused', report.results.refused);
  list('results never answered', report.results.unanswered);
  list('proposals still pending in Redis', report.openInRedis.proposalsPending);
  list('proposals decided but never settled', report.openInRedis.proposalsUnsettled);
  list('allocations never finished', report.openInRedis.allocationsOpen);
  list(
    'faults never recovered from',
    report.faults.filter((fault) => fault.recoveryMs === null),
  );
  if (report.openAtEnd > 0) lines.push(`${report.openAtEnd} tickets still open at the end`);
  return lines;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The fleet's flakes: enough 500s and slow answers that retries and time-outs happen in every
 * run, and 400s (a room failed at once) so that some tickets are requeued and a few end.
 */
const FLAKES: FleetFlakes = { serverError: 0.1, refused: 0.08, slow: 0.12, slowMs: [400, 1800] };
/** Slow answers past this are retried; the budget cuts a room the fleet keeps failing. */
const ALLOCATOR_TIMEOUT_MS = 1000;
const ALLOCATOR_BUDGET_MS = 4000;

/** The ready-check mode and the team mode are real modes with parties; ffa3 takes parties up to three. */
export const CHAOS_MODES = ['ffa3', 'duo', 'rc3'] as const;

/**
 * Who plays what: groups of one (solo), two or three (a crew: a party) in each mode, repeated
 * until every player has a place. Each group gets a rating cluster, so parties are of a level.
 */
const GROUPS: [mode: (typeof CHAOS_MODES)[number], size: number][] = [
  ['ffa3', 1],
  ['ffa3', 2],
  ['ffa3', 1],
  ['ffa3', 3],
  ['duo', 1],
  ['duo', 2],
  ['duo', 1],
  ['rc3', 1],
  ['rc3', 2],
  ['rc3', 1],
  ['rc3', 1],
];

export function planPlayers(count: number): (PlayerPlan & { cluster: number })[] {
  const plans: (PlayerPlan & { cluster: number })[] = [];
  for (let group = 0; plans.length < count; group++) {
    const [mode, size] = GROUPS[group % GROUPS.length]!;
    const fits = Math.min(size, count - plans.length);
    const crew = fits > 1 ? new Crew(fits) : undefined;
    for (let member = 0; member < fits; member++) plans.push({ mode, cluster: group % 3, ...(crew ? { crew, leader: member === 0 } : {}) });
  }
  return plans;
}

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
    if (options.cluster) {
      // Both at once (a RabbitMQ node boots for minutes here); settled, so neither outlives a failure of the other.
      const [rabbitStart, redisStart] = await Promise.allSettled([
        startPrivateRabbitCluster(),
        startPrivateRedisCluster({ replicas: 1, nodeTimeoutMs: REDIS_NODE_TIMEOUT_MS }),
      ]);
      for (const start of [rabbitStart, redisStart]) if (start.status === 'fulfilled') cleanups.push(() => start.value.stop());
      if (rabbitStart.status === 'rejected') throw rabbitStart.reason;
      if (redisStart.status === 'rejected') throw redisStart.reason;
      const [rabbit, redis] = [rabbitStart.value, redisStart.value];
      // The ready-check pool's primary first (CHAOS_MODES puts rc3 last): its accepts under a failover.
      const pools = [...CHAOS_MODES].reverse().map((mode) => redisKeys('chaos').ticket(mode, 'global', 'slot'));
      const clusters = new NodeLoss(rabbit, redis, pools);
      // A node still coming back is waited for (each start has its own time limit) before the clusters stop.
      cleanups.push(() => clusters.settled());
      say(`private RabbitMQ cluster ${rabbit.nodes.map((node) => node.node).join(', ')}; private Redis Cluster ${redis.url}`);
      return await runOn(
        { rabbit: rabbit.nodes[0]!, redis: redis.nodes[0]!, amqpUrl: rabbit.url, redisUrl: redis.url, clusters },
        options,
        started,
        say,
        cleanups,
      );
    }
    const rabbit = await startPrivateRabbit();
    cleanups.push(() => rabbit.stop());
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    say(`private RabbitMQ node ${rabbit.node} on port ${rabbit.port}, private Redis on port ${redis.port}`);
    return await runOn({ rabbit, redis, amqpUrl: rabbit.url, redisUrl: redis.url }, options, started, say, cleanups);
  } finally {
    // Last in, first out: players and services before the servers they talk to.
    // One that fails is said and the rest still run: a private node left behind is killed at exit.
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: Error) => process.stderr.write(`chaos: a cleanup failed (${error.message})\n`));
  }
}

async function runOn(
  backing: Backing,
  options: ChaosOptions,
  started: number,
  say: (line: string) => void,
  cleanups: (() => Promise<unknown>)[],
): Promise<ChaosReport> {
  const { amqpUrl, redisUrl } = backing;
  // A classic queue lives on one node and dies with it: on a cluster every durable queue is a quorum queue.
  const queueType = backing.clusters ? 'quorum' : 'classic';
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
  const plans = planPlayers(options.players);
  const tokens: string[] = [];
  const rows = plans.map((plan, index) => {
    const token = randomBytes(24).toString('base64url');
    tokens.push(token);
    // Three loose clusters, so rooms form quickly and the window still matters.
    const rating = [1200, 1500, 1800][plan.cluster]! + Math.round((random() - 0.5) * 120);
    return { name: `chaos-${index}`, rating, token_hash: hashToken(token) };
  });
  await db('players').insert(rows);
  const gameServer = await addServerKey(db, 'chaos-game-server');

  const window = { initial: 0, perSecond: 50 };
  const maxWaitSeconds = options.maxWaitSeconds;
  const match: MatchConfig = {
    regions: ['global'],
    modes: {
      ffa3: { teams: 1, teamSize: 3, window: { ...window, max: Infinity }, maxWaitSeconds, party: { maxSize: 3, aggregate: 'avg' } },
      duo: { teams: 2, teamSize: 2, window: { ...window, max: Infinity }, maxWaitSeconds, party: { maxSize: 2, aggregate: 'max' } },
      rc3: {
        teams: 1,
        teamSize: 3,
        window: { ...window, max: Infinity },
        maxWaitSeconds,
        party: { maxSize: 2, aggregate: 'avg' },
        accept: { seconds: options.acceptSeconds ?? 3, cooldownSeconds: 0 },
      },
    },
  };
  const matchFile = join(tmpdir(), `${namespace}-match.json`);
  // JSON has no Infinity: a window without `max` is unbounded.
  writeFileSync(
    matchFile,
    JSON.stringify(match, (key, value: unknown) => (key === 'max' && value === Infinity ? undefined : value)),
  );
  // The flaky fleet: its own seed, so the players' draws do not depend on how many rooms it saw.
  const fleet = await FlakyFleet.start(FLAKES, seededRandom(7), ALLOCATOR_TIMEOUT_MS);
  cleanups.push(() => fleet.stop());
  const cluster = new Launcher({
    env: {
      ...process.env,
      MATCHQ_NAMESPACE: namespace,
      DATABASE_URL: databaseUrl,
      AMQP_URL: amqpUrl,
      REDIS_URL: redisUrl,
      QUEUE_TYPE: queueType,
      // On the clusters (a Redis Cluster with replicas): an accept is told ready only once a replica holds it.
      ...(queueType === 'quorum' ? { ACCEPT_WAIT_MS: '1000' } : {}),
      TICK_MS: String(options.tickMs),
      MATCH_CONFIG: matchFile,
      LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'warn',
      ALLOCATOR: 'http',
      ALLOCATOR_URL: fleet.url,
      ALLOCATOR_TIMEOUT_MS: String(ALLOCATOR_TIMEOUT_MS),
      ALLOCATOR_BUDGET_MS: String(ALLOCATOR_BUDGET_MS),
      JOIN_TOKEN_SECRET: randomBytes(32).toString('base64url'),
    },
    logFile: options.logFile,
  });
  cleanups.push(() => cluster.stopAll());
  const gateways = ['gateway-0', 'gateway-1'];
  for (const name of gateways) cluster.start(serviceSpec('producer', name, await freePort()));
  cluster.start(serviceSpec('matcher', 'matcher-0', await freePort()));
  cluster.start(serviceSpec('notifier', 'notifier-0', await freePort()));
  cluster.start(serviceSpec('recorder', 'recorder-0', await freePort()));
  cluster.start(serviceSpec('allocator', 'allocator-0', await freePort()));
  // Generous: six tsx processes start at once, on a machine the run shares.
  for (const name of cluster.specs.keys()) await cluster.waitReady(name, 120_000);
  say(`namespace ${namespace}: 2 gateways, matcher, notifier, recorder, allocator (fleet ${fleet.url}) ready`);
  const gatewayPorts = () => gateways.map((name) => cluster.specs.get(name)!.port!);

  // The auditor is an analyst: a durable queue of its own on the rooms exchange survives the broker restart.
  const ledger = new Ledger();
  const results = new ResultsPoster(
    gameServer.key,
    () => gatewayPorts().map((port) => `http://127.0.0.1:${port}`),
    (mode) => match.modes[mode]?.teams ?? 1,
    options.resultShare ?? 0.3,
    seededRandom(11),
  );
  const auditQueue = `${namespace}.chaos-audit`;
  const connection = amqp.connect(amqpUrl.split(','), { heartbeatIntervalInSeconds: 5, reconnectTimeInSeconds: 1 });
  cleanups.push(() => connection.close());
  const audit = connection.createChannel({
    setup: async (channel: ConfirmChannel) => {
      await channel.assertExchange(names.rooms, 'fanout', { durable: true });
      await channel.assertQueue(auditQueue, { durable: true, arguments: { 'x-queue-type': queueType } });
      await channel.bindQueue(auditQueue, names.rooms, '');
      await channel.consume(auditQueue, (message) => {
        if (!message) return;
        const room = JSON.parse(message.content.toString()) as AuditedRoom;
        ledger.room(room);
        results.room(room);
        channel.ack(message);
      });
    },
  });
  await audit.waitForConnect();

  const budget = new TicketBudget(options.tickets);
  const events: PlayerEvents = { matchedAt: 0, frames: 0 };
  const players = tokens.map(
    (token, index) =>
      new SimulatedPlayer(token, plans[index]!, () => gatewayPorts().map((port) => `ws://127.0.0.1:${port}/ws`), ledger, budget, events, random),
  );
  cleanups.push(async () => players.forEach((player) => player.stop()));
  players.forEach((player) => player.start());

  const faults: FaultRecord[] = [];
  for (const kind of options.faults) {
    await sleep(options.faultEveryMs);
    // On clusters, the node lost last time is back first: its boot is not this fault's recovery.
    await backing.clusters?.settled();
    const at = Date.now();
    say(`fault: ${kind} (${ledger.size} tickets so far)`);
    await inject(kind, cluster, backing);
    let recoveryMs: number | null = null;
    // Recovered: every service ready again, and a player was matched after the fault. The minute
    // counts from the fault's end: a rolling restart of seven services takes a while by itself.
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(100)) {
      if (events.matchedAt > at && (await cluster.allReady())) {
        recoveryMs = Date.now() - at;
        break;
      }
    }
    faults.push({ kind, at: at - started, recoveryMs });
    say(`  recovered in ${recoveryMs === null ? 'never (60 s)' : `${recoveryMs} ms`}`);
  }

  budget.release();
  // Let the budget run out and every known ticket end (matched, cancelled, timed out, declined…).
  const drainDeadline = Date.now() + (options.maxWaitSeconds + 60) * 1000;
  while (Date.now() < drainDeadline && (!budget.exhausted || ledger.open() > 0)) {
    say(`draining: ${ledger.open()} tickets open`);
    await sleep(1000);
  }
  if (!budget.exhausted) {
    // Out of time before the budget was spent (a slow machine, clusters): no new ticket, and
    // the ones in flight get their own time to end instead of counting as lost at the cut.
    budget.close();
    const settleDeadline = Date.now() + (options.maxWaitSeconds + 30) * 1000;
    while (Date.now() < settleDeadline && ledger.open() > 0) {
      say(`out of time: no new tickets; ${ledger.open()} still open`);
      await sleep(1000);
    }
  }
  // Rooms still in flight to the auditor, then the results still being posted.
  await sleep(2 * options.tickMs + 1000);
  players.forEach((player) => player.stop());
  await results.drain();
  const openAtEnd = ledger.open();
  const modes = Object.fromEntries(Object.entries(match.modes).map(([name, rule]) => [name, { window: rule.window, readyCheck: rule.accept !== undefined }]));
  const redis = inspector(redisUrl);
  const allocations = await allocationPhases(redis, namespace);
  // A server the fleet gave for a room the allocator released never reached the allocator: late.
  const fleetRecords = new Map([...fleet.keys].map(([roomId, key]) => [roomId, { ...key, late: key.late || allocations.dissolved.includes(roomId) }]));
  const reconciliation = ledger.reconcile(modes, fleetRecords);
  // Times since the run's start, to read against the faults'.
  for (const entry of reconciliation.lostDetail) if (entry.queuedAt !== null) entry.queuedAt -= started;
  for (const entry of reconciliation.readyCheck.violations) if (entry.at !== undefined) entry.at -= started;
  for (const entry of reconciliation.doubledDetail) if (entry.at !== undefined) entry.at -= started;
  for (const entry of reconciliation.retold) entry.at -= started;
  const resultsReconciliation = reconcileResults(await results.evidence(db));
  // Where each lost ticket stands in Redis tells which step dropped it.
  const keys = redisKeys(namespace);
  // A doubled ticket or a ready-check violation is read from its players' trails (they name tickets by their first 8 characters).
  const trails: ChaosReport['trails'] = {};
  const proposals: ChaosReport['proposals'] = {};
  for (const ticketId of [...reconciliation.doubledDetail, ...reconciliation.readyCheck.violations].map((entry) => entry.ticketId)) {
    const short = ticketId.slice(0, 8);
    const heard = players.filter((player) => player.trail.some(({ what }) => what.includes(short)));
    // The rooms it was proposed in, and so every other seat of them: a ready check's end is decided by all of a room's players.
    const rooms = new Set(
      heard.flatMap((player) =>
        player.trail.flatMap(({ what }) => (what.includes(short) ? [...what.matchAll(/room (\w{8})/g)].map((match) => match[1]!) : [])),
      ),
    );
    const seated = players.filter((player) => player.trail.some(({ what }) => [...rooms].some((room) => what.includes(`room ${room}`))));
    trails[ticketId] = Object.fromEntries(
      [...new Set([...heard, ...seated])].map((player) => [player.id, player.trail.map(({ at, what }) => `${at - started} ${what}`)]),
    );
    // And what Redis decided for those rooms, while their proposals are kept (seats, accepted, ended, requeued).
    for (const room of rooms) {
      const [, found] = await redis.scan('0', 'MATCH', `${keys.proposal('rc3', 'global', room)}*`, 'COUNT', '100000');
      for (const key of found) proposals[key.slice(key.lastIndexOf(':') + 1)] = await redis.hgetall(key);
    }
  }
  const lostInRedis = await Promise.all(
    reconciliation.lostDetail.map(async (entry) => ({
      ...entry,
      redis: await redis.hgetall(keys.ticket(entry.mode || 'ffa3', 'global', entry.ticketId)),
      trail: (players.find((player) => player.id === entry.playerId)?.trail ?? []).map(({ at, what }) => `${at - started} ${what}`),
    })),
  );
  const openInRedis = {
    proposalsPending: await redis.zrange(keys.pendingProposals('rc3', 'global'), '0', '-1'),
    proposalsUnsettled: await redis.smembers(keys.decidedProposals('rc3', 'global')),
    allocationsOpen: allocations.allocating,
  };
  redis.disconnect();
  // The audit is read: a connection the broker already closed has nothing left to give.
  await audit.close().catch(() => undefined);
  return {
    namespace,
    ...reconciliation,
    lostDetail: lostInRedis,
    trails,
    proposals,
    results: { ...resultsReconciliation, refused: results.refused, unanswered: results.unanswered },
    openInRedis,
    faults,
    durationMs: Date.now() - started,
    openAtEnd,
    backing: { rabbitNode: backing.rabbit.node, amqpPort: backing.rabbit.port, redisPort: backing.redis.port },
    ...(backing.clusters ? { clusters: { amqpUrl, redisUrl, losses: backing.clusters.log } } : {}),
  };
}

/** The Redis Cluster's own failure detection: a primary silent this long is failed over to its replica. */
const REDIS_NODE_TIMEOUT_MS = 5000;

/** A client for the end-of-run look into Redis: a cluster client when REDIS_URL lists several nodes. */
function inspector(redisUrl: string): Redis | RedisCluster {
  const nodes = redisUrl.split(',');
  if (nodes.length === 1) return new Redis(redisUrl);
  return new RedisCluster(nodes.map((node) => ({ host: new URL(node).hostname, port: Number(new URL(node).port) })));
}

/** Rooms by their allocation's phase in Redis: still under way (neither announced nor dissolved), or released. */
async function allocationPhases(redis: Redis | RedisCluster, namespace: string): Promise<{ allocating: string[]; dissolved: string[] }> {
  const phases = { allocating: [] as string[], dissolved: [] as string[] };
  // SCAN walks one server: on a cluster, each primary holds its own slots' keys.
  for (const node of redis instanceof RedisCluster ? redis.nodes('master') : [redis]) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', `${namespace}:*:allocation:*`, 'COUNT', '500');
      cursor = next;
      for (const key of found) {
        const phase = await redis.hget(key, 'phase');
        if (phase === 'allocating' || phase === 'dissolved') phases[phase].push(key.slice(key.lastIndexOf(':') + 1));
      }
    } while (cursor !== '0');
  }
  return phases;
}
