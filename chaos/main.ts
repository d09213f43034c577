import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { FAULT_KINDS } from './faults.js';
import { stopAllPrivateNodes } from './private-nodes.js';
import { runChaos, type ChaosReport } from './run.js';
import { runCommand, UsageError } from '../common/run-service.js';

const USAGE = `usage: npm run chaos -- [--tickets N] [--players N] [--faults ${FAULT_KINDS.join(',')}] [--rounds N] [--every MS] [--tick-ms MS] [--max-wait S]`;

const options = z.object({
  tickets: z.coerce.number().int().min(10).default(5000),
  players: z.coerce.number().int().min(3).default(300),
  faults: z
    .string()
    .default(FAULT_KINDS.join(','))
    .transform((list) => list.split(','))
    .pipe(z.array(z.enum(FAULT_KINDS)).min(1)),
  rounds: z.coerce.number().int().min(1).default(2),
  every: z.coerce.number().int().min(500).default(8000),
  'tick-ms': z.coerce.number().int().min(50).default(250),
  'max-wait': z.coerce.number().int().min(2).default(20),
});

function print(report: ChaosReport): void {
  const lines = [
    `tickets ${report.tickets}  rooms ${report.rooms}  matched ${report.matched}  cancelled ${report.cancelled}  timed out ${report.timedOut}`,
    `faults injected ${report.faults.length}  lost ${report.lost.length}  doubled ${report.doubled.length}  invalid rooms ${report.invalidRooms.length}  still open ${report.openAtEnd}`,
    '',
    'fault               at (s)   recovery',
    ...report.faults.map(
      (fault) => `${fault.kind.padEnd(18)} ${(fault.at / 1000).toFixed(1).padStart(7)}   ${fault.recoveryMs === null ? 'never' : `${fault.recoveryMs} ms`}`,
    ),
    '',
    `${report.lost.length + report.doubled.length === 0 ? 'OK' : 'FAILED'}: ${(report.durationMs / 1000).toFixed(0)} s`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

// The run's private RabbitMQ node and Redis live in process groups of their own: take them down with us.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAllPrivateNodes().finally(() => process.exit(130)));
}

await runCommand('chaos', async (config) => {
  const { values } = parseArgs({ options: Object.fromEntries(Object.keys(options.shape).map((key) => [key, { type: 'string' as const }])), strict: true });
  const parsed = options.safeParse(values);
  if (!parsed.success) throw new UsageError(`${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}\n${USAGE}`);
  const chosen = parsed.data;
  const logFile = join(tmpdir(), `matchq-chaos-${Date.now()}.log`);
  process.stderr.write(
    `chaos: ${chosen.tickets} tickets, ${chosen.players} players, faults ${chosen.faults.join(', ')} × ${chosen.rounds}; service logs in ${logFile}\n`,
  );
  const report = await runChaos({
    tickets: chosen.tickets,
    players: chosen.players,
    faults: Array.from({ length: chosen.rounds }, () => chosen.faults).flat(),
    faultEveryMs: chosen.every,
    tickMs: chosen['tick-ms'],
    maxWaitSeconds: chosen['max-wait'],
    databaseServer: config.DATABASE_URL.replace(/\/[^/]*$/, ''),
    logFile,
    onProgress: (line) => process.stderr.write(`chaos: ${line}\n`),
  });
  print(report);
  const results = new URL('../bench/results/', import.meta.url);
  mkdirSync(results, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(
    new URL(`chaos-${stamp}.json`, results),
    `${JSON.stringify({ ...report, options: chosen, machine: { cores: (await import('node:os')).cpus().length } }, null, 2)}\n`,
  );
  if (report.lost.length || report.doubled.length || report.invalidRooms.length || report.faults.some((fault) => fault.recoveryMs === null))
    process.exitCode = 1;
});
