import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../common/config.js';
import { exitOnStartError, UsageError } from '../common/run-service.js';
import { measureBrokerCeiling, type BrokerCeiling } from './load/broker-ceiling.js';
import { holdIdleSockets, type IdleSockets } from './load/idle.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeCpuCost } from './load/cpu-cost.js';
import { localPort, pidsListeningOn, withDescendants } from './load/listeners.js';
import { startMeter } from './load/processes.js';
import { startOwnStack } from './load/own-stack.js';
import { createLoadPlayers } from './load/players.js';
import { describeLoad, RESULTS_DIR, runLoadSession, saveLoadResult, type LoadSessionResult } from './load/session.js';

const USAGE = `usage: npm run bench -- e2e [--players N] [--rate R] [--duration S] [--tick-ms N] [--idle N] [--broker-seconds S] [--skip broker,pipeline,idle] [--profile DIR] [--count-messages]
  defaults: 12000 players, 6000 joins/s for 60 s, TICK_MS 1000, 15000 idle sockets, 10 s of broker ceiling
  --count-messages: the broker's own message counters over the pipeline, per matched player, read with rabbitmqctl
  (RABBITMQCTL, default rabbitmqctl; the node the environment names): run it against a RabbitMQ node of your own,
  since on a shared one they count every tenant's messages`;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const schema = z.object({
  players: int(3, 19_000).default(12_000),
  rate: z.coerce.number().positive().max(100_000).default(6000),
  duration: z.coerce.number().positive().max(3600).default(60),
  'tick-ms': int(10, 60_000).default(1000),
  idle: int(0, 19_000).default(15_000),
  'broker-seconds': z.coerce.number().positive().max(600).default(10),
  skip: z
    .string()
    .default('')
    .transform((text) => new Set(text.split(',').filter(Boolean)))
    .refine((set) => [...set].every((stage) => ['broker', 'pipeline', 'idle'].includes(stage)), '--skip takes broker, pipeline, idle'),
  profile: z.string().optional(),
  'count-messages': z.boolean().default(false),
});

/** The broker's own message counters (rabbit_global_counters), summed over queue types. */
export interface BrokerCounts {
  /** Messages published to the broker, and those of them on confirm channels. */
  published: number;
  publishedConfirm: number;
  confirmed: number;
  /** Copies routed to queues (a fanout to two queues routes two). */
  routed: number;
  unroutable: number;
  delivered: number;
  redelivered: number;
  /** Messages settled by acks (a multiple ack counts every message it settles). */
  acknowledged: number;
  /** The node's Erlang reductions: its work, counted, which unlike its CPU time does not grow when other work shares the machine. */
  reductions: number;
}

const COUNTER_NAMES: Record<string, keyof BrokerCounts> = {
  messages_received_total: 'published',
  messages_received_confirm_total: 'publishedConfirm',
  messages_confirmed_total: 'confirmed',
  messages_routed_total: 'routed',
  messages_unroutable_dropped_total: 'unroutable',
  messages_unroutable_returned_total: 'unroutable',
  messages_delivered_total: 'delivered',
  messages_redelivered_total: 'redelivered',
  messages_acknowledged_total: 'acknowledged',
  reductions: 'reductions',
};

/** Reads a node's global counters (RabbitMQ 3.9 and later; no management plugin needed) through rabbitmqctl. */
async function readBrokerCounts(): Promise<BrokerCounts> {
  const ctl = process.env.RABBITMQCTL ?? 'rabbitmqctl';
  const { stdout: text } = await promisify(execFile)(
    ctl,
    [
      '-q',
      'eval',
      '[{C, V} || {_, M} <- maps:to_list(rabbit_global_counters:overview()), {C, V} <- maps:to_list(M)] ++ [{reductions, element(1, erlang:statistics(reductions))}].',
    ],
    { timeout: 60_000 },
  );
  const counts: BrokerCounts = {
    published: 0,
    publishedConfirm: 0,
    confirmed: 0,
    routed: 0,
    unroutable: 0,
    delivered: 0,
    redelivered: 0,
    acknowledged: 0,
    reductions: 0,
  };
  for (const [, name, value] of text.matchAll(/\{(\w+),\s*(\d+)\}/g)) {
    const key = COUNTER_NAMES[name!];
    if (key) counts[key] += Number(value);
  }
  return counts;
}

/** What the broker counted over the pipeline stage, in all and per matched player. */
function perMatchedPlayer(before: BrokerCounts, after: BrokerCounts, matched: number) {
  const delta = Object.fromEntries(
    Object.keys(after).map((key) => [key, after[key as keyof BrokerCounts] - before[key as keyof BrokerCounts]]),
  ) as unknown as BrokerCounts;
  const perPlayer = Object.fromEntries(Object.entries(delta).map(([key, value]) => [key, Math.round((value / Math.max(1, matched)) * 1000) / 1000]));
  return { total: delta, perMatchedPlayer: perPlayer as unknown as BrokerCounts };
}

/** The CPU seconds of whatever listens on the broker's port (its beam and children), from now until the call it returns. */
function meterBroker(url: string): () => number {
  const port = localPort(url);
  const roots = port === undefined ? [] : pidsListeningOn(port);
  const meter = startMeter({ rabbitmq: () => withDescendants(roots) });
  return () => meter.stop().groups.rabbitmq!.cpuSeconds;
}

/**
 * The end-to-end bench, in one run: the broker's own ceiling (persistent, confirmed,
 * one durable queue), then the whole pipeline under the load generator, then one gateway
 * holding idle signed-in sockets. The ratio matched players/s ÷ broker messages/s says
 * how much of the machine's messaging capacity the pipeline turns into matches; the CPU ms per
 * matched player, per process, says which process to make cheaper.
 */
export async function main(argv: string[]): Promise<void> {
  try {
    await run(argv);
  } catch (error) {
    exitOnStartError('bench e2e', error);
  }
}

async function run(argv: string[]): Promise<void> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: Object.fromEntries(
        ['players', 'rate', 'duration', 'tick-ms', 'idle', 'broker-seconds', 'skip', 'profile']
          .map((name): [string, { type: 'string' | 'boolean' }] => [name, { type: 'string' }])
          .concat([['count-messages', { type: 'boolean' }]]),
      ),
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw new UsageError(`--${String(parsed.error.issues[0]!.path[0])}: ${parsed.error.issues[0]!.message}\n${USAGE}`);
  const args = parsed.data;
  const config = loadConfig();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const startedAt = new Date().toISOString();

  let broker: (BrokerCeiling & { cpuMsPerMessage: number }) | undefined;
  if (!args.skip.has('broker')) {
    say(`== broker ceiling: persistent + confirms, one durable queue, ${args['broker-seconds']} s`);
    const brokerCpu = meterBroker(config.AMQP_URL[0]!);
    const ceiling = await measureBrokerCeiling(config.AMQP_URL[0]!, args['broker-seconds']);
    // Its CPU per message through the queue (publish, confirm, delivery and ack), the ceiling's cost of one message.
    const cpuMsPerMessage = Math.round(((brokerCpu() * 1000) / Math.max(1, ceiling.consumed)) * 10_000) / 10_000;
    broker = { ...ceiling, cpuMsPerMessage };
    say(
      `broker messages/s   ${broker.messagesPerSecond}   (${broker.messageBytes} B messages, ${broker.inFlightWindow} unconfirmed at most; ${cpuMsPerMessage} ms of broker CPU a message)`,
    );
  }

  let pipeline: LoadSessionResult | undefined;
  let messages: ReturnType<typeof perMatchedPlayer> | undefined;
  if (!args.skip.has('pipeline')) {
    const countsBefore = args['count-messages'] ? await readBrokerCounts() : undefined;
    say(`== pipeline: ${args.players} players, ${args.rate} joins/s for ${args.duration} s, TICK_MS ${args['tick-ms']}`);
    pipeline = await runLoadSession(config, {
      players: args.players,
      rate: args.rate,
      durationS: args.duration,
      gateways: [],
      seed: 1,
      mode: Object.keys(config.match.modes)[0]!,
      region: config.match.regions[0]!,
      tickMs: args['tick-ms'],
      ownGateways: 1,
      drainMs: 2 * args['tick-ms'] + 2000,
      profileDir: args.profile,
      progress: true,
    });
    pipeline.files = saveLoadResult(pipeline, 'e2e-load');
    say(describeLoad(pipeline));
    if (countsBefore) {
      messages = perMatchedPlayer(countsBefore, await readBrokerCounts(), pipeline.report.matched);
      const each = messages.perMatchedPlayer;
      say(
        `broker messages per matched player: published ${each.published} (confirmed ${each.confirmed}), routed ${each.routed}, delivered ${each.delivered}, acked ${each.acknowledged}, redelivered ${each.redelivered}; ${Math.round(each.reductions)} reductions`,
      );
    }
  }

  let idle: IdleSockets | undefined;
  if (!args.skip.has('idle') && args.idle > 0) {
    say(`== one gateway holding ${args.idle} idle signed-in sockets`);
    const stack = await startOwnStack({ gateways: 1, tickMs: args['tick-ms'] });
    try {
      const players = await createLoadPlayers(stack.db, args.idle, 2, 'idle');
      idle = await holdIdleSockets(stack.gatewayUrls[0]!, stack.pids('producer')[0]!, players);
    } finally {
      await stack.stop();
    }
    say(
      `gateway RSS         ${idle.gatewayRssMiB} MiB with ${idle.sockets} sockets (${idle.gatewayRssBeforeMiB} MiB before; ${idle.perSocketKiB} KiB a socket; ${idle.failures} failed; signed in in ${idle.connectMs} ms)`,
    );
  }

  const ratio = broker && pipeline ? Math.round((pipeline.report.matchedPerSecond / broker.messagesPerSecond) * 1000) / 1000 : null;
  if (ratio !== null)
    say(`== ratio             matched players/s ÷ broker messages/s = ${pipeline!.report.matchedPerSecond} ÷ ${broker!.messagesPerSecond} = ${ratio}`);
  const cost = pipeline?.cost ?? null;
  if (cost) say(`== CPU per matched player ${describeCpuCost(cost)}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}/e2e-${startedAt.replace(/[:.]/g, '-')}.json`;
  writeFileSync(
    file,
    `${JSON.stringify({ kind: 'e2e', startedAt, args: { ...args, skip: [...args.skip] }, broker, pipeline, idle, ratio, cost, messages }, null, 2)}\n`,
  );
  say(`saved ${file}${pipeline?.files ? `\n      ${pipeline.files.html}` : ''}`);
}
