import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { CLUSTER_FAULT_KINDS, FAULT_KINDS } from './faults.js';
import { stopAllPrivateNodes } from './private-nodes.js';
import { failuresOf, runChaos, type ChaosReport } from './run.js';
import { runCommand, UsageError } from '../common/run-service.js';

const USAGE = `usage: npm run chaos -- [--cluster] [--tickets N] [--players N] [--faults ${FAULT_KINDS.join(',')}] [--rounds N] [--every MS] [--tick-ms MS] [--max-wait S] [--accept-seconds S] [--result-share F]
  --cluster: on a private three-node RabbitMQ cluster (quorum queues) and Redis Cluster with replicas; faults default to ${CLUSTER_FAULT_KINDS.join(',')}`;

const options = z.object({
  tickets: z.coerce.number().int().min(10).default(5000),
  players: z.coerce.number().int().min(3).default(300),
  cluster: z.boolean().default(false),
  faults: z
    .string()
    .optional()
    .transform((list) => list?.split(','))
    .pipe(
      z
        .array(z.enum([...FAULT_KINDS, ...CLUSTER_FAULT_KINDS]))
        .min(1)
        .optional(),
    ),
  rounds: z.coerce.number().int().min(1).default(2),
  every: z.coerce.number().int().min(500).default(8000),
  'tick-ms': z.coerce.number().int().min(50).default(250),
  'max-wait': z.coerce.number().int().min(2).default(20),
  'accept-seconds': z.coerce.number().int().min(1).max(120).default(3),
  'result-share': z.coerce.number().min(0).max(1).default(0.3),
});

function print(report: ChaosReport, failures: string[]): void {
  const counts = (record: Record<string, number>) =>
    Object.entries(record)
      .map(([key, value]) => `${key} ${value}`)
      .join(', ') || 'none';
  const { allocation, readyCheck, results } = report;
  const lines = [
    `tickets ${report.tickets} (${report.partyTickets} of parties)  rooms ${report.rooms}  still open ${report.openAtEnd}`,
    `ends: ${counts(report.ends)}`,
    `requeued: ${counts(report.requeued)}`,
    `ready check: ${readyCheck.proposals} proposals seen, ${readyCheck.final} became rooms, ${readyCheck.timedOutUnconfirmed} timed out with an accept a fault held up`,
    `fleet: ${allocation.rooms} rooms asked, ${allocation.allocated} allocated, ${allocation.released} released; ${allocation.requests} requests (${allocation.replays} replays, at most ${allocation.maxRequestsPerRoom} for one room); answers ${counts(allocation.statuses)}${allocation.lateServers > 0 ? `; ${allocation.lateServers} released rooms' servers given in an answer after the allocator's timeout` : ''}`,
    `results: ${results.posted} posted (${results.repeats} repeats), ${results.historyRows} rating history rows`,
    `faults injected ${report.faults.length}  lost ${report.lostDetail.length}  doubled ${report.doubled.length}  retold ${report.retold.length}  invalid rooms ${report.invalidRooms.length}`,
    '',
    'fault               at (s)   recovery',
    ...report.faults.map(
      (fault) => `${fault.kind.padEnd(18)} ${(fault.at / 1000).toFixed(1).padStart(7)}   ${fault.recoveryMs === null ? 'never' : `${fault.recoveryMs} ms`}`,
    ),
    ...(report.clusters
      ? [
          '',
          'node lost                       replica promoted after   back after',
          ...report.clusters.losses.map(
            (loss) =>
              `${loss.node.padEnd(31)} ${(loss.promotedAfterMs === undefined ? '-' : `${loss.promotedAfterMs} ms`).padEnd(24)} ${loss.backAfterMs === undefined ? `never: ${loss.error ?? 'still starting'}` : `${loss.backAfterMs} ms`}`,
          ),
        ]
      : []),
    '',
    ...failures,
    `${failures.length === 0 ? 'OK' : 'FAILED'}: ${(report.durationMs / 1000).toFixed(0)} s`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

// The run's private RabbitMQ node and Redis live in process groups of their own: take them down with us.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAllPrivateNodes().finally(() => process.exit(130)));
}

await runCommand('chaos', async (config) => {
  if (process.argv.slice(2).some((arg) => arg === '--help' || arg === '-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      options: Object.fromEntries(Object.keys(options.shape).map((key) => [key, { type: key === 'cluster' ? ('boolean' as const) : ('string' as const) }])),
      strict: true,
    }));
  } catch (error) {
    // parseArgs names the unknown option or the missing value; the usage says what there is.
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const parsed = options.safeParse(values);
  if (!parsed.success) throw new UsageError(`${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}\n${USAGE}`);
  const faults = parsed.data.faults ?? [...(parsed.data.cluster ? CLUSTER_FAULT_KINDS : FAULT_KINDS)];
  const chosen = { ...parsed.data, faults };
  // A node lost needs a cluster; restarting "the" Redis of a cluster would bring one primary back empty, serving its slots.
  const misplaced = faults.filter((kind) => (chosen.cluster ? kind === 'restart-redis' : (CLUSTER_FAULT_KINDS as readonly string[]).includes(kind)));
  if (misplaced.length > 0)
    throw new UsageError(`faults: ${misplaced.join(', ')} ${chosen.cluster ? 'has no meaning on a Redis Cluster' : 'needs --cluster'}\n${USAGE}`);
  const logFile = join(tmpdir(), `matchq-chaos-${Date.now()}.log`);
  process.stderr.write(
    `chaos${chosen.cluster ? ' on clusters' : ''}: ${chosen.tickets} tickets, ${chosen.players} players, faults ${chosen.faults.join(', ')} × ${chosen.rounds}; service logs in ${logFile}\n`,
  );
  const report = await runChaos({
    tickets: chosen.tickets,
    players: chosen.players,
    faults: Array.from({ length: chosen.rounds }, () => chosen.faults).flat(),
    faultEveryMs: chosen.every,
    tickMs: chosen['tick-ms'],
    maxWaitSeconds: chosen['max-wait'],
    acceptSeconds: chosen['accept-seconds'],
    resultShare: chosen['result-share'],
    cluster: chosen.cluster,
    databaseServer: config.DATABASE_URL.replace(/\/[^/]*$/, ''),
    logFile,
    onProgress: (line) => process.stderr.write(`chaos: ${line}\n`),
  });
  const failures = [
    ...failuresOf(report),
    // A lost node that never came back leaves the cluster one failure from losing its majority.
    ...(report.clusters?.losses ?? []).filter((loss) => loss.error !== undefined).map((loss) => `node never back: ${loss.node}: ${loss.error}`),
  ];
  print(report, failures);
  const results = new URL('../bench/results/', import.meta.url);
  mkdirSync(results, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(
    new URL(`chaos-${stamp}.json`, results),
    `${JSON.stringify({ ...report, options: chosen, machine: { cores: (await import('node:os')).cpus().length } }, null, 2)}\n`,
  );
  if (failures.length > 0) process.exitCode = 1;
});
