import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../common/free-port.js';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openMigratedDb } from '../../common/db.js';
import { loadConfig, poolsOf } from '../../common/config.js';
import { dropNamespace } from '../../common/namespace-cleanup.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface OwnStackOptions {
  gateways: number;
  tickMs: number;
  /** When set, every service runs with `--cpu-prof` writing here. */
  profileDir?: string;
  logLevel?: string;
}

async function waitReady(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: service exited with code ${child.exitCode}`);
    const ok = await fetch(url).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
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

  const children: { name: string; child: ChildProcess; port: number }[] = [];
  const env = {
    ...process.env,
    MATCHQ_NAMESPACE: namespace,
    DATABASE_URL: databaseUrl,
    TICK_MS: String(options.tickMs),
    LOG_LEVEL: options.logLevel ?? 'error',
  };
  const launch = async (name: string, script: string, extra: NodeJS.ProcessEnv, portVariable: 'PORT' | 'METRICS_PORT') => {
    const port = await freePort();
    // One folder per service: tsx's loader thread writes a profile of its own beside the main one.
    const profile = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', `${options.profileDir}/${name}`] : [];
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', script], {
      cwd: root,
      env: { ...env, ...extra, [portVariable]: String(port) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push({ name, child, port });
    return { child, port };
  };

  const gatewayPorts: number[] = [];
  try {
    for (let index = 0; index < options.gateways; index++) {
      const { child, port } = await launch(`producer${index}`, 'services/producer/main.ts', { GATEWAY_ID: `${namespace}-gw${index}` }, 'PORT');
      gatewayPorts.push(port);
      await waitReady(`http://127.0.0.1:${port}/readyz`, child);
    }
    for (const [name, script] of [
      ['matcher', 'services/matcher/main.ts'],
      ['notifier', 'services/notifier/main.ts'],
      ['recorder', 'services/recorder/main.ts'],
    ] as const) {
      const { child, port } = await launch(name, script, name === 'matcher' ? { MATCHER_ID: `${namespace}-m0` } : {}, 'METRICS_PORT');
      await waitReady(`http://127.0.0.1:${port}/readyz`, child);
    }
  } catch (error) {
    for (const { child } of children) child.kill('SIGKILL');
    await db.destroy();
    await dropNamespace(namespace, poolsOf(base.match), { amqpUrl: base.AMQP_URL[0]!, redisUrl: base.REDIS_URL, databaseUrl });
    throw error;
  }

  let stopped: Promise<void> | undefined;
  return {
    namespace,
    db,
    children,
    gatewayUrls: gatewayPorts.map((port) => `ws://127.0.0.1:${port}`),
    pids: (prefix: string) =>
      children
        .filter(({ name }) => name.startsWith(prefix))
        .map(({ child }) => child.pid!)
        .filter(Boolean),
    /** SIGTERM to every service (so profiles get written), then the namespace is removed. */
    stop(): Promise<void> {
      stopped ??= (async () => {
        await Promise.all(
          children.map(
            ({ child }) =>
              new Promise<void>((resolve) => {
                if (child.exitCode !== null || child.signalCode !== null) return resolve();
                const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
                child.once('exit', () => {
                  clearTimeout(force);
                  resolve();
                });
                child.kill('SIGTERM');
              }),
          ),
        );
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
