import { randomUUID } from 'node:crypto';
import { freePort } from '../../common/free-port.js';
import { Launcher, serviceSpec, type ServiceKind } from '../../common/launcher.js';
import { openMigratedDb } from '../../common/db.js';
import { loadConfig, poolsOf } from '../../common/config.js';
import { dropNamespace } from '../../common/namespace-cleanup.js';

export interface OwnStackOptions {
  gateways: number;
  tickMs: number;
  /** When set, every service runs with `--cpu-prof` writing here. */
  profileDir?: string;
  logLevel?: string;
}

/**
 * The whole pipeline as separate processes, exactly as `npm start` runs it (one event
 * loop each), in a namespace and database of its own that `stop()` removes. This is what
 * the load generator measures when it is given no `--gateway`: in-process services would
 * share one event loop with the generator and measure something no deployment runs.
 */
export async function startOwnStack(options: OwnStackOptions) {
  const base = loadConfig();
  const namespace = `ld${randomUUID().slice(0, 6)}`;
  const server = base.DATABASE_URL.replace(/\/[^/]*$/, '');
  const databaseUrl = `${server}/matchq_${namespace}`;
  const { db } = await openMigratedDb(databaseUrl, 2);

  // SIGTERM with time to spare: a service under --cpu-prof writes its profile on the way out.
  const launcher = new Launcher({
    env: { ...process.env, MATCHQ_NAMESPACE: namespace, DATABASE_URL: databaseUrl, TICK_MS: String(options.tickMs), LOG_LEVEL: options.logLevel ?? 'error' },
    stopGraceMs: 15_000,
  });
  const launch = async (kind: ServiceKind, name: string, id?: string) => {
    const port = await freePort();
    // One folder per service: tsx's loader thread writes a profile of its own beside the main one.
    const nodeArgs = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', `${options.profileDir}/${name}`] : [];
    launcher.start(serviceSpec(kind, name, port, { id, nodeArgs }));
    await launcher.waitReady(name);
    return port;
  };

  const gatewayPorts: number[] = [];
  try {
    for (let index = 0; index < options.gateways; index++) gatewayPorts.push(await launch('producer', `producer${index}`, `${namespace}-gw${index}`));
    await launch('matcher', 'matcher', `${namespace}-m0`);
    await launch('notifier', 'notifier');
    await launch('recorder', 'recorder');
  } catch (error) {
    for (const name of launcher.children.keys()) launcher.kill(name);
    await db.destroy();
    await dropNamespace(namespace, poolsOf(base.match), { amqpUrl: base.AMQP_URL[0]!, redisUrl: base.REDIS_URL, databaseUrl });
    throw error;
  }

  let stopped: Promise<void> | undefined;
  return {
    namespace,
    db,
    gatewayUrls: gatewayPorts.map((port) => `ws://127.0.0.1:${port}`),
    pids: (prefix: string) => launcher.pids(prefix),
    /** SIGTERM to every service (so profiles get written), then the namespace is removed. */
    stop(): Promise<void> {
      stopped ??= (async () => {
        await launcher.stopAll();
        await db.destroy();
        // A broker or Redis restarted under the run must not turn the report into a stack trace.
        await dropNamespace(namespace, poolsOf(base.match), { amqpUrl: base.AMQP_URL[0]!, redisUrl: base.REDIS_URL, databaseUrl }).catch((error: Error) => {
          process.stderr.write(`matchq load: could not remove namespace ${namespace} (${error.message}); its queues and keys stay behind\n`);
        });
      })();
      return stopped;
    },
  };
}

export type OwnStack = Awaited<ReturnType<typeof startOwnStack>>;
