import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkDb, createDb, type Knex } from '../../common/db.js';
import type { Config } from '../../common/config.js';
import { reportHtml } from './chart.js';
import { cpuCostPerMatchedPlayer, describeCpuCost, type CpuCost } from './cpu-cost.js';
import { runLoad, type LoadReport } from './generator.js';
import { createLoadPlayers, removeLoadPlayers } from './players.js';
import { describeProfiles, profilesByProcess, type ProcessProfile } from './profile-summary.js';
import { localPort, pidsListeningOn, withDescendants } from './listeners.js';
import { pidsNamed, startCpuTrace, startMeter, type MachineUsage } from './processes.js';
import { cpuByTickPhase, tickPeriod, type CpuPhasePoint } from './stats.js';
import { progressBar } from './progress.js';
import { startOwnStack } from './own-stack.js';

export const RESULTS_DIR = fileURLToPath(new URL('../results', import.meta.url));

export interface LoadSessionOptions {
  players: number;
  rate: number;
  durationS: number;
  /** Gateways to drive; none: start an own stack of child processes. */
  gateways: string[];
  seed: number;
  mode: string;
  region: string;
  tickMs: number;
  ownGateways: number;
  drainMs: number;
  profileDir?: string;
  /** Sample every process's CPU each 10 ms and report it by phase of the tick (--phase-cpu). */
  phaseCpu?: boolean;
  progress: boolean;
}

export interface LoadSessionResult {
  kind: 'load';
  startedAt: string;
  stack: 'own' | 'external';
  tickMs: number | null;
  seed: number;
  report: LoadReport;
  usage: MachineUsage;
  /** CPU ms per matched player, by process and in total; null when nobody was matched. */
  cost: CpuCost | null;
  /** With --profile: each service's top frames (its profile is written when it stops). */
  profiles?: ProcessProfile[];
  /** With --phase-cpu: cores each process used by phase of the tick, tenths of its period (null: fewer than two ticks). */
  cpuByTickPhase?: CpuPhasePoint[] | null;
  files?: { json: string; html: string };
}

/**
 * One load run end to end: players created (batch insert), the stack started if none is
 * given, the run with CPU / RSS metered per process, players and stack removed after.
 */
export async function runLoadSession(config: Config, options: LoadSessionOptions): Promise<LoadSessionResult> {
  const result = await runMetered(config, options);
  // Read once the stack has stopped: each service writes its profile on the way out.
  if (options.profileDir && result.stack === 'own') result.profiles = profilesByProcess(options.profileDir, 10, Date.parse(result.startedAt));
  return result;
}

async function runMetered(config: Config, options: LoadSessionOptions): Promise<LoadSessionResult> {
  const startedAt = new Date().toISOString();
  const tag = `ld${randomBytes(3).toString('hex')}`;
  const own =
    options.gateways.length === 0 ? await startOwnStack({ gateways: options.ownGateways, tickMs: options.tickMs, profileDir: options.profileDir }) : undefined;
  let db: Knex | undefined;
  const bar = options.progress ? progressBar() : undefined;
  try {
    db = own ? own.db : createDb(config.DATABASE_URL, 2);
    if (!own) await checkDb(db, config.DATABASE_URL);
    const players = await createLoadPlayers(db, options.players, options.seed, tag);
    const groups: Record<string, () => number[]> = {
      loadgen: () => [process.pid],
      rabbitmq: backingService(config.AMQP_URL, 'beam.smp'),
      redis: backingService(config.REDIS_URL.split(','), 'redis-server'),
      postgresql: backingService([config.DATABASE_URL], 'postgres'),
    };
    // Every gateway counts as `producer`; the allocator only when the stack runs one.
    if (own) for (const name of ['producer', 'matcher', 'notifier', 'recorder', 'allocator']) if (own.pids(name).length) groups[name] = () => own.pids(name);
    const meter = startMeter(groups);
    const cpuTrace = options.phaseCpu ? startCpuTrace(groups) : undefined;
    const report = await runLoad({
      gateways: own ? own.gatewayUrls : options.gateways,
      players,
      rate: options.rate,
      durationS: options.durationS,
      mode: options.mode,
      region: options.region,
      drainMs: options.drainMs,
      onProgress: bar?.update,
    });
    bar?.done();
    const usage = meter.stop();
    const trace = cpuTrace?.stop();
    const period = trace && tickPeriod(report.ticks);
    if (!own) await removeLoadPlayers(db, tag);
    const cost = cpuCostPerMatchedPlayer(usage.groups, report.matched);
    return {
      kind: 'load',
      startedAt,
      stack: own ? 'own' : 'external',
      tickMs: own ? options.tickMs : null,
      seed: options.seed,
      report,
      usage,
      cost,
      ...(trace ? { cpuByTickPhase: period ? cpuByTickPhase(trace, report.ticks, period) : null } : {}),
    };
  } finally {
    bar?.done();
    if (!own) await db?.destroy();
    await own?.stop();
  }
}

/**
 * The processes of the backing service the stack uses (its URLs): what listens on their ports on
 * this machine and everything under it, not every RabbitMQ or Redis a shared machine runs. Only
 * when none is found here by port (no /proc access) does it fall back to every process named so;
 * a service on another host is not metered.
 */
function backingService(urls: string[], name: string): () => number[] {
  const ports = urls.map(localPort);
  if (ports.every((port) => port === undefined)) return () => [];
  const roots = ports.flatMap((port) => (port === undefined ? [] : pidsListeningOn(port)));
  return roots.length > 0 ? () => withDescendants(roots) : () => pidsNamed(name);
}

/** Writes the JSON and the HTML chart of a run into bench/results/. */
export function saveLoadResult(result: LoadSessionResult, name = 'load', dir = RESULTS_DIR): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const json = `${dir}/${name}-${stamp}.json`;
  const html = `${dir}/${name}-${stamp}.html`;
  writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(html, reportHtml(result.report, `matchq ${name} ${result.startedAt}`));
  return { json, html };
}

/** The report as a few lines of text. */
export function describeLoad(result: LoadSessionResult): string {
  const { report: r, usage } = result;
  const q = r.latencyMs.joinToQueued;
  const m = r.latencyMs.joinToMatched;
  const cpu = Object.entries(usage.groups)
    .map(([name, u]) => `${name} ${u.cpuShare}${u.peakRssMiB ? ` (${u.peakRssMiB} MiB)` : ''}`)
    .join(', ');
  return [
    `players ${r.players} on ${r.gateways.length} gateway(s), ${r.rate} joins/s for ${r.durationS} s (${result.stack} stack${result.tickMs ? `, TICK_MS ${result.tickMs}` : ''})`,
    `matched players/s   ${r.matchedPerSecond}   (joins/s ${r.joinsPerSecond}, starved joins ${r.starvedJoins})`,
    `join→queued  ms     p50 ${q.p50}  p95 ${q.p95}  p99 ${q.p99}  max ${q.max}`,
    `join→matched ms     p50 ${m.p50}  p95 ${m.p95}  p99 ${m.p99}  max ${m.max}`,
    ...(r.warmLatencyMs
      ? [
          `  warm, joins from second ${r.warmLatencyMs.fromS}: join→queued p50 ${r.warmLatencyMs.joinToQueued.p50}  p95 ${r.warmLatencyMs.joinToQueued.p95}  p99 ${r.warmLatencyMs.joinToQueued.p99}; join→matched p50 ${r.warmLatencyMs.joinToMatched.p50}  p95 ${r.warmLatencyMs.joinToMatched.p95}  p99 ${r.warmLatencyMs.joinToMatched.p99}`,
          `    warm join→queued p99 by ms after the tick: ${r.warmLatencyMs.joinToQueuedByTickPhase.map((point) => `${point.fromMs}: ${point.p99}`).join(', ')}`,
          `    join→matched = waited at the forming tick p50 ${r.warmLatencyMs.matchedParts.waitedMs.p50}  p99 ${r.warmLatencyMs.matchedParts.waitedMs.p99} + formed→told p50 ${r.warmLatencyMs.matchedParts.formedToToldMs.p50}  p99 ${r.warmLatencyMs.matchedParts.formedToToldMs.p99}`,
        ]
      : []),
    `generator's own event-loop delay ms  p50 ${r.generatorLoopDelayMs.p50}  p99 ${r.generatorLoopDelayMs.p99}  max ${r.generatorLoopDelayMs.max} (part of the latencies above)`,
    `rooms ${r.rooms}, spread p50 ${r.spread.p50}  p99 ${r.spread.p99}  mean ${r.spread.mean}`,
    `joins ${r.joins} = queued ${r.queued} + unanswered ${r.unanswered} + refused ${r.joins - r.queued - r.unanswered}; queued → matched ${r.matched}, timeouts ${r.timeouts}, still waiting ${r.waiting}`,
    `errors ${JSON.stringify(r.errors)}, disconnects ${r.disconnects}, connect failures ${r.connectFailures}`,
    `machine busy ${Math.round(usage.busyShare * 100)}%, load ${usage.loadAverage.join(' ')}; CPU cores used: ${cpu}`,
    ...(result.cost ? [`CPU per matched player ${describeCpuCost(result.cost)}`] : []),
    ...(result.profiles ? ['top frames per process (--profile, share of its samples):', describeProfiles(result.profiles)] : []),
    ...(result.cpuByTickPhase ? ['cores used by ms after the tick (--phase-cpu):', describeCpuByPhase(result.cpuByTickPhase)] : []),
  ].join('\n');
}

/** The per-phase CPU as a table: a row per bin of the tick, a column per process group. */
function describeCpuByPhase(points: CpuPhasePoint[]): string {
  const groups = Object.keys(points[0]?.cores ?? {});
  const cell = (text: string) => text.padStart(11);
  const rows = points.map(
    (point) =>
      `${cell(`${point.fromMs} ms`)}${groups.map((group) => cell(point.cores[group]!.toFixed(2))).join('')}${cell(
        Object.values(point.cores)
          .reduce((a, b) => a + b, 0)
          .toFixed(2),
      )}`,
  );
  return [`${cell('phase')}${groups.map((group) => cell(group)).join('')}${cell('all')}`, ...rows].join('\n');
}
