import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqplib from 'amqplib';
import { freePort } from '../common/free-port.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Private RabbitMQ and Redis servers for runs that restart their broker (the chaos run, tests
 * that take Redis away): each on ports of its own, with its data, logs, Erlang cookie and epmd
 * in a temporary directory, so the machine's shared RabbitMQ (5672/15672/25672, epmd 4369) and
 * Redis (6379) never notice. Every `stop()` also runs when this process exits.
 */

const alive = new Set<ChildProcess>();
const stoppers = new Set<() => Promise<void>>();
/** The environments of private epmds still running: an epmd outlives its node and its process group. */
const epmds = new Set<NodeJS.ProcessEnv>();
process.once('exit', () => {
  for (const child of alive) killGroup(child, 'SIGKILL');
  for (const env of epmds) {
    try {
      execFileSync('epmd', ['-kill'], { env, timeout: 2000, stdio: 'ignore' });
    } catch {
      // Already gone.
    }
  }
});

/** Stops every private server this process started and has not stopped yet (for a command's SIGINT). */
export async function stopAllPrivateNodes(): Promise<void> {
  await Promise.all([...stoppers].map((stop) => stop().catch(() => undefined)));
}

/** A stop that runs once, and that stopAllPrivateNodes knows of until then. */
function registerStop(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  const once = () => {
    stoppers.delete(once);
    stopping ??= stop();
    return stopping;
  };
  stoppers.add(once);
  return once;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** Its own process group, so a stop reaches the whole tree (the shell wrapper, beam, erl_child_setup). */
function launch(command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { env, detached: true, stdio: ['ignore', log, log] });
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  return child;
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  killGroup(child, 'SIGTERM');
  if (!(await exited(child, graceMs))) {
    killGroup(child, 'SIGKILL');
    await exited(child, 5000);
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, child?: ChildProcess, logFile?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`${what} exited at start; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`${what} did not start within ${timeoutMs} ms; see ${logFile}`);
    await sleep(200);
  }
}

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/**
 * A port free now within [low, high), for servers whose port decides others (RabbitMQ's CLI
 * ports are dist + 10000; a Redis Cluster node's bus is port + 10000): every port in
 * `port + offsets` must be free too.
 */
async function freePortBetween(low: number, high: number, offsets: number[] = [0]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if ((await Promise.all(offsets.map((offset) => isFree(port + offset)))).every(Boolean)) return port;
  }
  throw new Error(`no free port between ${low} and ${high}`);
}

export interface PrivateRedis {
  port: number;
  url: string;
  /** The server's process id, for reports and for checks that it was really restarted. */
  pid(): number | undefined;
  /** Stops it (SIGKILL when `hard`), leaving it down until `start()`. */
  kill(hard?: boolean): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** kill + start: Redis comes back empty, as after a crash without persistence. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** One redis-server on a port of its own, nothing on disk but its log (and a cluster's nodes file). */
export async function startPrivateRedis(options: { port?: number; directory?: string; args?: string[] } = {}): Promise<PrivateRedis> {
  const port = options.port ?? (await freePort());
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'matchq-redis-'));
  const logFile = join(directory, `redis-${port}.log`);
  let child: ChildProcess | undefined;
  const ping = () =>
    run('redis-cli', ['-p', String(port), 'ping'], { timeout: 2000 }).then(
      ({ stdout }) => stdout.trim() === 'PONG',
      () => false,
    );
  const start = async () => {
    child = launch(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...(options.args ?? [])],
      process.env,
      logFile,
    );
    await waitFor(`private redis-server on port ${port}`, ping, 20_000, child, logFile);
  };
  const kill = async (hard = false) => {
    if (!child) return;
    if (hard) killGroup(child, 'SIGKILL');
    await terminate(child, 5000);
    child = undefined;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: () => child?.pid,
    kill,
    start,
    async restart() {
      await kill();
      await start();
    },
    stop: registerStop(async () => {
      await kill();
      if (ownDirectory) rmSync(directory, { recursive: true, force: true });
    }),
  };
}

/**
 * A real three-node Redis Cluster (three masters, no replicas, nothing on disk) on ports of
 * its own, for tests that prove matchq's keys and scripts work on a cluster.
 */
export async function startPrivateRedisCluster(): Promise<{ url: string; nodes: PrivateRedis[]; stop(): Promise<void> }> {
  const directory = mkdtempSync(join(tmpdir(), 'matchq-redis-cluster-'));
  // The cluster bus listens on port + 10000: stay below 55535.
  const base = await freePortBetween(17_000, 26_000, [0, 1, 2, 10_000, 10_001, 10_002]);
  const ports = [base, base + 1, base + 2];
  const nodes: PrivateRedis[] = [];
  const stop = async () => {
    for (const node of nodes) await node.stop();
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      nodes.push(
        await startPrivateRedis({ port, directory, args: ['--cluster-enabled', 'yes', '--cluster-config-file', join(directory, `nodes-${port}.conf`)] }),
      );
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes']);
    await waitFor(
      'the private redis cluster',
      async () => {
        const states = await Promise.all(
          ports.map((port) =>
            run('redis-cli', ['-p', String(port), 'cluster', 'info']).then(
              ({ stdout }) => stdout.includes('cluster_state:ok'),
              () => false,
            ),
          ),
        );
        return states.every(Boolean);
      },
      20_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: ports.map((port) => `redis://127.0.0.1:${port}`).join(','), nodes, stop };
}

export interface PrivateRabbit {
  /** The Erlang node name, for `rabbitmqctl -n`. */
  node: string;
  port: number;
  url: string;
  /** `rabbitmqctl -n NODE ARGS…` against this node only. */
  ctl(...args: string[]): Promise<string>;
  /** stop_app + start_app: every connection drops, durable queues and persistent messages stay. */
  restartApp(): Promise<void>;
  stop(): Promise<void>;
}

/** Debian's packages put the real scripts here; `/usr/sbin/rabbitmq-server` would `su` to the rabbitmq user. */
function rabbitScript(name: string): string {
  const packaged = `/usr/lib/rabbitmq/bin/${name}`;
  return existsSync(packaged) ? packaged : name;
}

/**
 * One RabbitMQ node of its own: its own node name, AMQP port, distribution port, epmd port,
 * cookie (HOME), config files (so /etc/rabbitmq's listeners never apply), no plugins, and its
 * Mnesia and logs in a temporary directory; `stop()` stops it and its epmd and removes all of it.
 */
export async function startPrivateRabbit(): Promise<PrivateRabbit> {
  const directory = mkdtempSync(join(tmpdir(), 'matchq-rabbit-'));
  const port = await freePort();
  const distPort = await freePortBetween(40_000, 50_000);
  const epmdPort = await freePortBetween(30_000, 40_000);
  const name = `matchq-${process.pid}-${port}`;
  const node = `${name}@localhost`;
  const logFile = join(directory, 'server.out');
  mkdirSync(join(directory, 'log'));
  writeFileSync(join(directory, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\nloopback_users.guest = true\n`);
  writeFileSync(join(directory, 'rabbitmq-env.conf'), '');
  writeFileSync(join(directory, 'enabled_plugins'), '[].\n');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: directory,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_CONF_ENV_FILE: join(directory, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: join(directory, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(directory, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(directory, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(directory, 'mnesia'),
    RABBITMQ_LOG_BASE: join(directory, 'log'),
    RABBITMQ_PID_FILE: join(directory, 'rabbit.pid'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  const ctl = async (...args: string[]) => (await run(rabbitScript('rabbitmqctl'), ['-q', '-n', node, ...args], { env, timeout: 120_000 })).stdout;
  const child = launch(rabbitScript('rabbitmq-server'), [], env, logFile);
  epmds.add(env);
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const connects = () =>
    amqplib.connect(url).then(
      async (connection) => {
        await connection.close();
        return true;
      },
      () => false,
    );
  const stop = registerStop(async () => {
    await ctl('stop').catch(() => undefined);
    await terminate(child, 15_000);
    // epmd outlives the node it served; this one is ours alone.
    await run('epmd', ['-kill'], { env, timeout: 10_000 }).catch(() => undefined);
    epmds.delete(env);
    rmSync(directory, { recursive: true, force: true });
  });
  try {
    await waitFor(`private RabbitMQ node ${node}`, connects, 90_000, child, logFile);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    node,
    port,
    url,
    ctl,
    async restartApp() {
      await ctl('stop_app');
      await ctl('start_app');
      await waitFor(`private RabbitMQ node ${node} after start_app`, connects, 60_000, child, logFile);
    },
    stop,
  };
}
