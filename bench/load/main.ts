import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runCommand, UsageError } from '../../common/run-service.js';
import type { Config } from '../../common/config.js';
import { modeRule } from '../../core/match-config.js';
import { describeLoad, runLoadSession, saveLoadResult, type LoadSessionOptions } from './session.js';

const USAGE = `usage: npm run load -- --players N --rate R --duration S [--gateway URL ...]
  --players N      simulated players, signed in before the run (3..19000)
  --rate R         joins per second, all players together
  --duration S     seconds of joining; outcomes are awaited after it (--drain-ms)
  --gateway URL    a running gateway (ws://host:port); repeat for several. Without it, a stack of
                   its own is started (gateway, matcher, notifier, recorder as child processes)
  --seed N         ratings' seed [1]            --mode M / --region R  [first of MATCH_CONFIG]
  --tick-ms N      own stack's TICK_MS [1000]   --gateways K  own stack's gateway processes [1]
  --drain-ms N     [2 × TICK_MS + 2000]         --profile DIR  own stack's services under --cpu-prof
  --phase-cpu      every process's CPU sampled each 10 ms and shown by phase of the tick (the tick's burst)
  --no-progress    no progress bar on stderr`;

const count = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be an integer`)
    .min(min, `${name} must be at least ${min}`)
    .max(max, `${name} must be at most ${max}`);
const gatewayUrl = z
  .string()
  .regex(/^(wss?|https?):\/\/[^/]+\/?$/, '--gateway must look like ws://HOST:PORT')
  .transform((url) => url.replace(/^http/, 'ws').replace(/\/$/, ''));

const argsSchema = z.object({
  players: count('--players', 3, 19_000),
  rate: z.coerce.number({ error: '--rate must be a number' }).positive('--rate must be above 0').max(100_000, '--rate must be at most 100000'),
  duration: z.coerce.number({ error: '--duration must be a number' }).positive('--duration must be above 0').max(3600, '--duration must be at most 3600'),
  gateway: z.array(gatewayUrl).default([]),
  seed: count('--seed', 0, 2 ** 31).default(1),
  mode: z.string().optional(),
  region: z.string().optional(),
  'tick-ms': count('--tick-ms', 10, 60_000).optional(),
  gateways: count('--gateways', 1, 8).default(1),
  'drain-ms': count('--drain-ms', 0, 600_000).optional(),
  profile: z.string().optional(),
  'phase-cpu': z.boolean().default(false),
  'no-progress': z.boolean().default(false),
});

/** Turns argv into session options, or a UsageError naming the first problem. */
export function parseLoadArgs(argv: string[], config: Config): LoadSessionOptions {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        players: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        gateway: { type: 'string', multiple: true },
        seed: { type: 'string' },
        mode: { type: 'string' },
        region: { type: 'string' },
        'tick-ms': { type: 'string' },
        gateways: { type: 'string' },
        'drain-ms': { type: 'string' },
        profile: { type: 'string' },
        'phase-cpu': { type: 'boolean' },
        'no-progress': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) throw new UsageError(USAGE);
  for (const required of ['players', 'rate', 'duration']) if (values[required] === undefined) throw new UsageError(`--${required} is required\n${USAGE}`);
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) throw new UsageError(`${parsed.error.issues[0]!.message}\n${USAGE}`);
  const args = parsed.data;
  const mode = args.mode ?? Object.keys(config.match.modes)[0]!;
  const region = args.region ?? config.match.regions[0]!;
  if (!modeRule(config.match, mode)) throw new UsageError(`unknown --mode ${mode}; modes: ${Object.keys(config.match.modes).join(', ')}`);
  if (!config.match.regions.includes(region)) throw new UsageError(`unknown --region ${region}; regions: ${config.match.regions.join(', ')}`);
  if (args.gateway.length > 0 && (args['tick-ms'] !== undefined || args.profile !== undefined || values.gateways !== undefined)) {
    throw new UsageError('--tick-ms, --gateways and --profile apply to the stack load starts itself; not with --gateway');
  }
  const tickMs = args['tick-ms'] ?? config.TICK_MS;
  return {
    players: args.players,
    rate: args.rate,
    durationS: args.duration,
    gateways: args.gateway,
    seed: args.seed,
    mode,
    region,
    tickMs,
    ownGateways: args.gateways,
    drainMs: args['drain-ms'] ?? 2 * tickMs + 2000,
    profileDir: args.profile,
    phaseCpu: args['phase-cpu'],
    progress: !args['no-progress'],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runCommand('load', async (config) => {
    const options = parseLoadArgs(process.argv.slice(2), config);
    const result = await runLoadSession(config, options);
    result.files = saveLoadResult(result);
    process.stdout.write(`${describeLoad(result)}\nsaved ${result.files.json}\n      ${result.files.html}\n`);
  });
}
