import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../common/config.js';
import { exitOnStartError, UsageError } from '../common/run-service.js';
import { measureBrokerCeiling, type BrokerCeiling } from './load/broker-ceiling.js';
import { holdIdleSockets, type IdleSockets } from './load/idle.js';
import { startOwnStack } from './load/own-stack.js';
import { createLoadPlayers } from './load/players.js';
import { describeLoad, RESULTS_DIR, runLoadSession, saveLoadResult, type LoadSessionResult } from './load/session.js';

const USAGE = `usage: npm run bench -- e2e [--players N] [--rate R] [--duration S] [--tick-ms N] [--idle N] [--broker-seconds S] [--skip broker,pipeline,idle] [--profile DIR]
  defaults: 12000 players, 6000 joins/s for 60 s, TICK_MS 1000, 15000 idle sockets, 10 s of broker ceiling`;

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
});

/**
 * The end-to-end bench, in one run: the broker's own ceiling (persistent, confirmed,
 * one durable queue), then the whole pipeline under the load generator, then one gateway
 * holding idle signed-in sockets. The ratio matched players/s ÷ broker messages/s says
 * how much of the machine's messaging capacity the pipeline turns into matches.
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
        ['players', 'rate', 'duration', 'tick-ms', 'idle', 'broker-seconds', 'skip', 'profile'].map((name) => [name, { type: 'string' as const }]),
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

  let broker: BrokerCeiling | undefined;
  if (!args.skip.has('broker')) {
    say(`== broker ceiling: persistent + confirms, one durable queue, ${args['broker-seconds']} s`);
    broker = await measureBrokerCeiling(config.AMQP_URL[0]!, args['broker-seconds']);
    say(`broker messages/s   ${broker.messagesPerSecond}   (${broker.messageBytes} B messages, ${broker.inFlightWindow} unconfirmed at most)`);
  }

  let pipeline: LoadSessionResult | undefined;
  if (!args.skip.has('pipeline')) {
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
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}/e2e-${startedAt.replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify({ kind: 'e2e', startedAt, args: { ...args, skip: [...args.skip] }, broker, pipeline, idle, ratio }, null, 2)}\n`);
  say(`saved ${file}${pipeline?.files ? `\n      ${pipeline.files.html}` : ''}`);
}
