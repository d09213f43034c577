/**
 * `npm run bench -- scale [tickets]`: matched players per second with 1, 2 and 4 matcher
 * processes over 16 pools (1 matcher is the baseline, measured in the same run), what a
 * single pool carries, and how long a pool takes to move after its matcher is killed.
 * Requests go straight to the broker, so the figures are the matchers' (and the broker's
 * and Redis's), not the gateways'.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { loadConfig } from '../common/config.js';
import { freePort } from '../common/free-port.js';
import { Launcher, serviceSpec } from '../common/launcher.js';
import { amqpNames } from '../common/names.js';
import { dropNamespace } from '../common/namespace-cleanup.js';
import { page, pairedBars, table } from '../common/html-report.js';

const RESULTS = new URL('./results/', import.meta.url);
const TICK_MS = 250;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (text: string) => process.stderr.write(`bench scale: ${text}\n`);
const config = loadConfig();
const targets = { amqpUrl: config.AMQP_URL[0]!, redisUrl: config.REDIS_URL };

interface PoolView {
  pool: string;
  owner: string | null;
}

/** N matcher processes over `pools` pools in a namespace of their own, with a room counter. */
async function startMatchers(matchers: number, pools: number) {
  const namespace = `bench${randomUUID().slice(0, 6)}`;
  const regions = Array.from({ length: pools }, (_, index) => `r${index}`);
  const matchFile = join(tmpdir(), `${namespace}-match.json`);
  writeFileSync(matchFile, JSON.stringify({ regions, modes: { ffa3: { teams: 1, teamSize: 3, window: { initial: 0, perSecond: 50 }, maxWaitSeconds: 300 } } }));
  const cluster = new Launcher({
    env: { ...process.env, MATCHQ_NAMESPACE: namespace, MATCH_CONFIG: matchFile, TICK_MS: String(TICK_MS), LOG_LEVEL: 'warn' },
    logFile: join(tmpdir(), `${namespace}.log`),
  });
  for (let index = 0; index < matchers; index++) cluster.start(serviceSpec('matcher', `matcher-${index}`, await freePort()));
  const view = async (member = 'matcher-0'): Promise<PoolView[]> => {
    try {
      return (await (await fetch(`http://127.0.0.1:${cluster.specs.get(member)!.port}/pools`)).json()) as PoolView[];
    } catch {
      // Not answering yet (starting, or restarting after a kill): no pools seen, and the caller polls again.
      return [];
    }
  };
  // Every pool owned, and by every matcher: the split is done.
  for (let waited = 0; ; waited += 100) {
    const owners = new Set((await view()).map((pool) => pool.owner));
    if ((await cluster.allReady()) && !owners.has(null) && owners.size === Math.min(matchers, pools)) break;
    if (waited > 30_000) throw new Error('matchers did not split the pools in 30 s');
    await sleep(100);
  }
  const names = amqpNames(namespace);
  const connection = await amqplib.connect(targets.amqpUrl);
  const channel = await connection.createConfirmChannel();
  const roomAt = new Map<string, number>();
  let matched = 0;
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, names.rooms, '');
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      const room = JSON.parse(message.content.toString()) as { region: string; players: unknown[] };
      matched += room.players.length;
      if (!roomAt.has(room.region)) roomAt.set(room.region, Date.now());
      roomAt.set(`last:${room.region}`, Date.now());
    },
    { noAck: true },
  );

  /** Publishes `count` joins (whole rooms of equal ratings) spread over the pools; resolves when confirmed. */
  async function publish(count: number, onlyRegions = regions): Promise<void> {
    for (let sent = 0; sent < count; sent += 3) {
      const region = onlyRegions[(sent / 3) % onlyRegions.length]!;
      const rating = 1000 + ((sent / 3) % 50) * 40;
      for (let seat = 0; seat < 3; seat++) {
        const body = { v: 1, type: 'join', ticketId: randomUUID(), playerId: randomUUID(), name: 'b', rating, mode: 'ffa3', region, joinedAt: Date.now() };
        channel.publish(names.requests, `ffa3.${region}`, Buffer.from(JSON.stringify(body)), { persistent: true, contentType: 'application/json' });
      }
      if (sent % 3000 === 0) await channel.waitForConfirms();
    }
    await channel.waitForConfirms();
  }

  return {
    cluster,
    view,
    publish,
    regions,
    roomAt,
    get matched() {
      return matched;
    },
    async stop(): Promise<void> {
      // Already closed by the broker, or by a node the bench stopped: nothing left to close.
      await connection.close().catch(() => undefined);
      await cluster.stopAll();
      await dropNamespace(
        namespace,
        regions.map((region) => ({ mode: 'ffa3', region })),
        targets,
      );
    },
  };
}

interface Throughput {
  matchers: number;
  pools: number;
  tickets: number;
  publishSeconds: number;
  seconds: number;
  matchedPerSecond: number;
}

async function throughput(matchers: number, pools: number, tickets: number): Promise<Throughput> {
  progress(`${matchers} matcher(s), ${pools} pool(s): ${tickets} tickets`);
  const stack = await startMatchers(matchers, pools);
  try {
    const started = Date.now();
    await stack.publish(tickets);
    const publishSeconds = (Date.now() - started) / 1000;
    let last = -1;
    for (let stalled = 0; stack.matched < tickets; await sleep(200)) {
      if (stack.matched === last && ++stalled > 150) throw new Error(`stalled at ${stack.matched} of ${tickets}`);
      if (stack.matched !== last) stalled = 0;
      last = stack.matched;
    }
    const seconds = (Date.now() - started) / 1000;
    const result = { matchers, pools, tickets, publishSeconds, seconds, matchedPerSecond: Math.round(tickets / seconds) };
    progress(`  ${result.matchedPerSecond} matched players/s (published in ${publishSeconds.toFixed(1)} s, all matched in ${seconds.toFixed(1)} s)`);
    return result;
  } finally {
    await stack.stop();
  }
}

interface PoolMove {
  pools: number;
  ownershipMovedMs: number;
  firstRoomMs: number;
}

/** Two matchers; kill -9 one while requests keep coming; time until its pools have a new owner and form rooms again. */
async function poolMove(): Promise<PoolMove> {
  progress('pool move: 2 matchers, 8 pools, kill -9 one');
  const stack = await startMatchers(2, 8);
  try {
    const before = await stack.view();
    const moved = before.filter((pool) => pool.owner === 'matcher-1').map((pool) => pool.pool.split('.')[1]!);
    await stack.publish(600);
    const killedAt = Date.now();
    stack.cluster.kill('matcher-1');
    let ownershipMovedMs = -1;
    let firstRoomMs = -1;
    // A steady trickle into the moved pools: the first room after the kill times the takeover.
    for (let rounds = 0; rounds < 600 && (ownershipMovedMs < 0 || firstRoomMs < 0); rounds++) {
      await stack.publish(3, moved);
      const owners = (await stack.view()).filter((pool) => moved.includes(pool.pool.split('.')[1]!)).map((pool) => pool.owner);
      if (ownershipMovedMs < 0 && owners.every((owner) => owner === 'matcher-0')) ownershipMovedMs = Date.now() - killedAt;
      const firstRoom = Math.min(...moved.map((region) => stack.roomAt.get(`last:${region}`) ?? 0));
      if (firstRoomMs < 0 && firstRoom > killedAt) firstRoomMs = firstRoom - killedAt;
      await sleep(50);
    }
    progress(`  ownership moved in ${ownershipMovedMs} ms, rooms again in ${firstRoomMs} ms`);
    return { pools: moved.length, ownershipMovedMs, firstRoomMs };
  } finally {
    await stack.stop();
  }
}

export async function main(args: string[]): Promise<void> {
  const tickets = Number(args[0] ?? 30_000);
  if (!Number.isInteger(tickets) || tickets < 300) throw new Error('usage: npm run bench -- scale [tickets ≥ 300]');
  const scaled = [];
  for (const matchers of [1, 2, 4]) scaled.push(await throughput(matchers, 16, tickets));
  const onePool = await throughput(1, 1, tickets);
  const move = await poolMove();
  const baseline = scaled[0]!.matchedPerSecond;

  const header = ['matchers', 'pools', 'tickets', 'matched players/s', 'ratio to 1 matcher', 'seconds'];
  const rows = [...scaled, onePool].map((row) => [
    row.matchers,
    row.pools,
    row.tickets,
    row.matchedPerSecond,
    (row.matchedPerSecond / baseline).toFixed(2),
    row.seconds.toFixed(1),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => String(row[column]).length)));
  const line = (cells: (string | number)[]) => cells.map((cell, column) => String(cell).padStart(widths[column]!)).join('  ');
  process.stdout.write(
    `${line(header)}\n${rows.map(line).join('\n')}\n\npool move after kill -9 (${move.pools} pools): ownership ${move.ownershipMovedMs} ms, rooms again ${move.firstRoomMs} ms\n`,
  );

  const result = { date: new Date().toISOString(), machine: { cores: cpus().length, cpu: cpus()[0]?.model }, tickMs: TICK_MS, scaled, onePool, poolMove: move };
  mkdirSync(RESULTS, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(new URL(`scale-${result.date.replace(/[:.]/g, '-')}.json`, RESULTS), json);
  writeFileSync(new URL('scale-latest.json', RESULTS), json);
  const labels = scaled.map((row) => `${row.matchers}`);
  writeFileSync(
    new URL('scale-latest.html', RESULTS),
    page(
      'matchq: matchers scaled out',
      [
        `<p>${cpus().length} cores; matchers, RabbitMQ, Redis and the publisher share them. TICK_MS ${TICK_MS}.</p>`,
        pairedBars(
          'matched players per second by number of matchers (16 pools)',
          labels,
          scaled.map((row) => row.matchedPerSecond),
          scaled.map((row) => baseline * row.matchers),
          ['measured', 'linear from 1 matcher'],
        ),
        table(header, rows),
        `<p>Pool move after kill -9: ownership ${move.ownershipMovedMs} ms, rooms again ${move.firstRoomMs} ms.</p>`,
      ].join('\n'),
    ),
  );
}
