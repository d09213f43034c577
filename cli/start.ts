import { join } from 'node:path';
import { connectAmqp } from '../common/amqp.js';
import { DEFAULT_METRICS_PORTS } from '../common/config.js';
import { openMigratedDb } from '../common/db.js';
import { Launcher } from '../common/launcher.js';
import { repoRoot } from '../common/layout.js';
import { createLogger } from '../common/logger.js';
import { connectRedis } from '../common/redis.js';
import { assertPortFree } from '../common/ops-http.js';
import { runCommand } from '../common/run-service.js';
import { createBackend } from '../services/allocator/backends.js';
import { ensureDemoPlayers, ensureDemoServerKey } from './demo-players.js';

/** `npm start`: migrations, a check of every backing service, demo players, then all services. */
await runCommand('start', async (config) => {
  // In the repository's var/ whether this runs built or not (a rebuild must not forget the demo's
  // tokens), unless set: a run of its own (a test) keeps its demo players elsewhere.
  const demoFile = config.DEMO_PLAYERS_FILE ?? join(repoRoot, 'var/demo-players.json');
  const demoServerKeyFile = config.DEMO_SERVER_KEY_FILE ?? join(repoRoot, 'var/demo-server-key.json');
  // METRICS_PORT=0: every service picks a free port of its own (several stacks on one machine);
  // another value is the first of four in a row (matcher, notifier, recorder, allocator); unset, each its default.
  const services = Object.keys(DEFAULT_METRICS_PORTS) as (keyof typeof DEFAULT_METRICS_PORTS)[];
  const metricsPortOf = (service: keyof typeof DEFAULT_METRICS_PORTS) =>
    config.METRICS_PORT === undefined ? DEFAULT_METRICS_PORTS[service] : config.METRICS_PORT === 0 ? 0 : config.METRICS_PORT + services.indexOf(service);
  const metricsPort = (service: keyof typeof DEFAULT_METRICS_PORTS) => String(metricsPortOf(service));
  const say = (line: string) => process.stderr.write(`matchq: ${line}\n`);
  // A second `npm start` must stop here, in one line, not after the banner in a restart loop of its children.
  if (config.PORT !== 0) await assertPortFree(config.PORT, 'stop it or set PORT');
  if (config.METRICS_PORT !== 0) for (const service of services) await assertPortFree(metricsPortOf(service), 'stop it or set METRICS_PORT');
  // The allocator's settings, checked as the allocator checks them (its certificate files read):
  // a wrong one stops npm start here in one line, not the allocator in a restart loop beside the rest.
  createBackend(config);
  const quiet = createLogger('start', 'error');
  // Fail here, in one line and before anything is written, rather than in four restarting children.
  await (await connectAmqp(config.AMQP_URL, quiet)).close();
  (await connectRedis(config.REDIS_URL, quiet)).disconnect();
  const { db, applied } = await openMigratedDb(config.DATABASE_URL, 1);
  try {
    if (applied.length) say(`migrations applied: ${applied.join(', ')}`);
    const { players, created } = await ensureDemoPlayers(db, demoFile);
    say(`${created ? 'created' : 'reusing'} demo players (tokens also in var/demo-players.json):`);
    for (const player of players) process.stdout.write(`${JSON.stringify(player)}\n`);
    await ensureDemoServerKey(db, demoServerKeyFile);
  } finally {
    await db.destroy();
  }

  // The contract's default (info) here too: a service's start and its pool changes are worth seeing; LOG_LEVEL=warn quiets them.
  const logLevel = process.env.LOG_LEVEL ?? 'info';
  // A supervisor: a child that crashes is started again (with backoff); Ctrl-C stops them all.
  const supervisor = new Launcher({ restart: 'on-exit', say });
  for (const spec of [
    { name: 'producer', script: 'services/producer/main.ts', env: { DEMO_PLAYERS_FILE: demoFile } },
    { name: 'matcher', script: 'services/matcher/main.ts', env: { METRICS_PORT: metricsPort('matcher') } },
    { name: 'notifier', script: 'services/notifier/main.ts', env: { METRICS_PORT: metricsPort('notifier') } },
    { name: 'recorder', script: 'services/recorder/main.ts', env: { METRICS_PORT: metricsPort('recorder') } },
    // The allocation stage exists only with an allocator; without one the pipeline is v1's.
    ...(config.ALLOCATOR === 'none' ? [] : [{ name: 'allocator', script: 'services/allocator/main.ts', env: { METRICS_PORT: metricsPort('allocator') } }]),
    // Plays the demo players' rooms and reports results, so ratings move; never in a deployment.
    { name: 'demo-game', script: 'cli/demo-game-server.ts', env: { DEMO_PLAYERS_FILE: demoFile, DEMO_SERVER_KEY_FILE: demoServerKeyFile } },
  ])
    supervisor.start({ ...spec, env: { ...spec.env, LOG_LEVEL: logLevel } });
  say(`lobby http://localhost:${config.PORT}/  dashboard http://localhost:${config.PORT}/dashboard  (Ctrl-C stops everything)`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  say('stopping');
  await supervisor.stopAll();
});
