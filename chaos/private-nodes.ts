import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  await Promise.all(
    [...stoppers].map((stop) =>
      stop().catch((error: Error) => process.stderr.write(`could not stop a private server (${error.message}); the exit handler kills what is left\n`)),
    ),
  );
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
    // No such process group (the leader exited, or never led one): signal the child itself.
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
    if (child && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`${what} exited at start; see ${logFile}${logTail(logFile)}`);
    if (Date.now() > deadline) throw new Error(`${what} did not start within ${timeoutMs} ms; see ${logFile}${logTail(logFile)}`);
    await sleep(200);
  }
}

/** The log's last lines, for a start failure's message: the node's directory (and its log) is removed when it stops. */
function logTail(logFile: string | undefined, lines = 15): string {
  if (!logFile || !existsSync(logFile)) return '';
  const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  return tail ? `; its last lines:\n${tail}` : '';
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
/** PEM files of a server certificate, its key and the CA that signed it, for a TLS listener. */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export async function startPrivateRedis(options: { port?: number; directory?: string; args?: string[]; tls?: TlsFiles } = {}): Promise<PrivateRedis> {
  const port = options.port ?? (await freePort());
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'matchq-redis-'));
  const logFile = join(directory, `redis-${port}.log`);
  let child: ChildProcess | undefined;
  // With TLS the server listens on TLS only (port 0 turns the plain listener off); clients need not show a certificate.
  const tls = options.tls;
  const tlsArgs = tls
    ? [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        tls.cert,
        '--tls-key-file',
        tls.key,
        '--tls-ca-cert-file',
        tls.ca,
        '--tls-auth-clients',
        'no',
      ]
    : ['--port', String(port)];
  const cliTls = tls ? ['--tls', '--cacert', tls.ca] : [];
  const ping = () =>
    run('redis-cli', [...cliTls, '-p', String(port), 'ping'], { timeout: 2000 }).then(
      ({ stdout }) => stdout.trim() === 'PONG',
      () => false,
    );
  const start = async () => {
    child = launch(
      'redis-server',
      [...tlsArgs, '--bind', '127.0.0.1', '--dir', directory, '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...(options.args ?? [])],
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
    url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
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

export interface PrivateRedisCluster {
  /** REDIS_URL for it: every node, comma-separated. */
  url: string;
  nodes: PrivateRedis[];
  /** The nodes that are primaries now (from the cluster's own view: a failover changes it). */
  primaries(): Promise<PrivateRedis[]>;
  /** Resolves once every slot is served and every primary has a replica linked to it again. */
  healthy(timeoutMs?: number): Promise<void>;
  /** Resolves once the cluster has promoted a replica in place of the (dead) primary on `port`. */
  promoted(port: number, timeoutMs?: number): Promise<void>;
  /** The primary serving `key`'s slot now, and its replicas: the nodes a test kills or stops to hit that key. */
  holders(key: string): Promise<{ primary: PrivateRedis; replicas: PrivateRedis[] }>;
  stop(): Promise<void>;
}

/** `cluster nodes` as the live nodes see it: port, role, and whether it is marked failed. */
async function clusterNodes(
  ports: number[],
): Promise<{ port: number; primary: boolean; failed: boolean; primaryOf?: string; id: string; slots: [number, number][] }[]> {
  for (const port of ports) {
    // A node that does not answer (killed by a fault) is asked no further: the next one tells.
    const answer = await run('redis-cli', ['-p', String(port), 'cluster', 'nodes'], { timeout: 2000 }).catch(() => undefined);
    if (!answer) continue;
    return answer.stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [id, address, flags, primaryOf, , , , , ...ranges] = line.split(' ');
        return {
          id: id!,
          port: Number(address!.split('@')[0]!.split(':')[1]),
          primary: flags!.includes('master'),
          failed: flags!.includes('fail'),
          ...(primaryOf && primaryOf !== '-' ? { primaryOf } : {}),
          // "0-5460" or a single slot; a slot being migrated ("[…]") is not served by it yet.
          slots: ranges
            .filter((range) => !range.startsWith('['))
            .map((range) => {
              const [low, high] = range.split('-').map(Number);
              return [low!, high ?? low!] as [number, number];
            }),
        };
      });
  }
  throw new Error(`no node of the private redis cluster (${ports.join(', ')}) answers`);
}

/**
 * A real Redis Cluster on ports of its own, nothing on disk but each node's nodes file: three
 * primaries, and with `replicas: 1` a replica of each, which the cluster promotes by itself
 * when its primary dies (after `nodeTimeoutMs`, the cluster's own failure detection).
 */
export async function startPrivateRedisCluster(options: { replicas?: 0 | 1; nodeTimeoutMs?: number } = {}): Promise<PrivateRedisCluster> {
  const replicas = options.replicas ?? 0;
  const count = 3 * (1 + replicas);
  const directory = mkdtempSync(join(tmpdir(), 'matchq-redis-cluster-'));
  const offsets = Array.from({ length: count }, (_, index) => index);
  // The cluster bus listens on port + 10000: stay below 55535.
  const base = await freePortBetween(17_000, 26_000, [...offsets, ...offsets.map((offset) => offset + 10_000)]);
  const ports = offsets.map((offset) => base + offset);
  const nodes: PrivateRedis[] = [];
  const stop = registerStop(async () => {
    for (const node of nodes) await node.stop();
    rmSync(directory, { recursive: true, force: true });
  });
  const healthy = (timeoutMs = 30_000) =>
    waitFor(
      'the private redis cluster',
      async () => {
        const states = await Promise.all(
          ports.map((port) =>
            run('redis-cli', ['-p', String(port), 'cluster', 'info'], { timeout: 2000 }).then(
              ({ stdout }) => stdout.includes('cluster_state:ok'),
              () => false,
            ),
          ),
        );
        if (!states.every(Boolean)) return false;
        // A replica that has not had its first sync yet (diskless, after a delay) cannot be promoted.
        const links = await Promise.all(
          ports.map((port) =>
            run('redis-cli', ['-p', String(port), 'info', 'replication'], { timeout: 2000 }).then(
              ({ stdout }) => stdout.includes('role:master') || stdout.includes('master_link_status:up'),
              () => false,
            ),
          ),
        );
        if (!links.every(Boolean)) return false;
        const view = await clusterNodes(ports);
        return (
          view.filter((node) => node.primary && !node.failed).length === 3 &&
          view.filter((node) => !node.primary && !node.failed && node.primaryOf !== undefined).length === 3 * replicas
        );
      },
      timeoutMs,
    );
  try {
    const args = (port: number) => [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(directory, `nodes-${port}.conf`),
      ...(options.nodeTimeoutMs === undefined ? [] : ['--cluster-node-timeout', String(options.nodeTimeoutMs)]),
    ];
    for (const port of ports) nodes.push(await startPrivateRedis({ port, directory, args: args(port) }));
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
    await healthy();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: ports.map((port) => `redis://127.0.0.1:${port}`).join(','),
    nodes,
    async primaries() {
      const view = await clusterNodes(ports);
      const primaryPorts = new Set(view.filter((node) => node.primary && !node.failed).map((node) => node.port));
      return nodes.filter((node) => primaryPorts.has(node.port));
    },
    healthy,
    promoted: (port, timeoutMs = 60_000) =>
      waitFor(
        `a replica promoted in place of redis ${port}`,
        async () => {
          const others = ports.filter((other) => other !== port);
          const view = await clusterNodes(others);
          const primaries = view.filter((node) => node.primary && !node.failed && node.port !== port);
          const ok = await run('redis-cli', ['-p', String(others[0]), 'cluster', 'info'], { timeout: 2000 }).then(
            ({ stdout }) => stdout.includes('cluster_state:ok'),
            () => false,
          );
          return ok && primaries.length === 3;
        },
        timeoutMs,
      ),
    async holders(key) {
      const live = (await clusterNodes(ports)).filter((node) => !node.failed);
      const asked = live[0]!.port;
      const slot = Number((await run('redis-cli', ['-p', String(asked), 'cluster', 'keyslot', key], { timeout: 2000 })).stdout.trim());
      const owner = live.find((node) => node.primary && node.slots.some(([low, high]) => slot >= low && slot <= high));
      if (!owner) throw new Error(`no live primary of the private redis cluster serves slot ${slot}`);
      const nodeAt = (port: number) => nodes.find((node) => node.port === port)!;
      return { primary: nodeAt(owner.port), replicas: live.filter((node) => node.primaryOf === owner.id).map((node) => nodeAt(node.port)) };
    },
    stop,
  };
}

export interface PrivateRabbit {
  /** The Erlang node name, for `rabbitmqctl -n`. */
  node: string;
  port: number;
  url: string;
  /** With `tls`: the TLS listener's port and an amqps:// URL for it (the plain listener stays, for the checks of this file). */
  tlsPort?: number;
  tlsUrl?: string;
  /** `rabbitmqctl -n NODE ARGS…` against this node only. */
  ctl(...args: string[]): Promise<string>;
  /** The same as argv and environment (its cookie and epmd port), for a command that runs rabbitmqctl itself (`npm run provision`). */
  ctlCommand: string[];
  env: NodeJS.ProcessEnv;
  /** The node's process id (the shell wrapper leading its group), for reports. */
  pid(): number | undefined;
  /** stop_app + start_app: every connection drops, durable queues and persistent messages stay. */
  restartApp(): Promise<void>;
  /** kill -9 of the node's whole process group: no goodbye to its peers or its clients. */
  kill(): Promise<void>;
  /** Starts the node again from its data directory (a cluster member rejoins its cluster), once it answers AMQP. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface PrivateRabbitOptions {
  /** A TLS listener beside the plain one. */
  tls?: TlsFiles;
  /** An epmd port shared by the nodes of one cluster (they find each other there); the cluster then stops that epmd, not the node. */
  epmdPort?: number;
  /** The Erlang cookie, which the nodes of one cluster (and their rabbitmqctl) must share; else Erlang makes one of its own. */
  cookie?: string;
  /** How long a start may take before it is given up (default 90 s; a loaded machine starting several needs more). */
  startTimeoutMs?: number;
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
export async function startPrivateRabbit(options: PrivateRabbitOptions = {}): Promise<PrivateRabbit> {
  const directory = mkdtempSync(join(tmpdir(), 'matchq-rabbit-'));
  const port = await freePort();
  const tlsPort = options.tls ? await freePort() : undefined;
  // A TLS listener beside the plain one; clients need not show a certificate (no mutual TLS).
  const tlsConfig = options.tls
    ? [
        `listeners.ssl.default = 127.0.0.1:${tlsPort}`,
        `ssl_options.cacertfile = ${options.tls.ca}`,
        `ssl_options.certfile = ${options.tls.cert}`,
        `ssl_options.keyfile = ${options.tls.key}`,
        'ssl_options.verify = verify_none',
        'ssl_options.fail_if_no_peer_cert = false',
        '',
      ].join('\n')
    : '';
  const distPort = await freePortBetween(40_000, 50_000);
  const ownEpmd = options.epmdPort === undefined;
  const epmdPort = options.epmdPort ?? (await freePortBetween(30_000, 40_000));
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  const name = `matchq-${process.pid}-${port}`;
  const node = `${name}@localhost`;
  const logFile = join(directory, 'server.out');
  mkdirSync(join(directory, 'log'));
  writeFileSync(join(directory, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\nloopback_users.guest = true\n${tlsConfig}`);
  writeFileSync(join(directory, 'rabbitmq-env.conf'), '');
  writeFileSync(join(directory, 'enabled_plugins'), '[].\n');
  // Erlang reads the cookie from $HOME, the node and rabbitmqctl alike, and refuses one others can read.
  if (options.cookie !== undefined) writeFileSync(join(directory, '.erlang.cookie'), options.cookie, { mode: 0o400 });
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
  let child: ChildProcess | undefined;
  if (ownEpmd) epmds.add(env);
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const connects = () =>
    amqplib.connect(url).then(
      async (connection) => {
        await connection.close();
        return true;
      },
      () => false,
    );
  const start = async () => {
    child = launch(rabbitScript('rabbitmq-server'), [], env, logFile);
    await waitFor(`private RabbitMQ node ${node}`, connects, startTimeoutMs, child, logFile);
  };
  const stop = registerStop(async () => {
    if (child) {
      // A node a fault killed does not answer `stop`: terminate below ends it either way.
      await ctl('stop').catch(() => undefined);
      await terminate(child, 15_000);
    }
    // epmd outlives the node it served; this one is ours alone.
    if (ownEpmd) {
      // An epmd already gone is what `-kill` wants.
      await run('epmd', ['-kill'], { env, timeout: 10_000 }).catch(() => undefined);
      epmds.delete(env);
    }
    rmSync(directory, { recursive: true, force: true });
  });
  try {
    await start();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    node,
    port,
    url,
    ...(tlsPort === undefined ? {} : { tlsPort, tlsUrl: `amqps://guest:guest@127.0.0.1:${tlsPort}` }),
    ctl,
    ctlCommand: [rabbitScript('rabbitmqctl'), '-n', node],
    env,
    pid: () => child?.pid,
    async restartApp() {
      await ctl('stop_app');
      await ctl('start_app');
      await waitFor(`private RabbitMQ node ${node} after start_app`, connects, 60_000, child, logFile);
    },
    async kill() {
      if (!child) return;
      killGroup(child, 'SIGKILL');
      await exited(child, 10_000);
      child = undefined;
    },
    start,
    stop,
  };
}

export interface PrivateRabbitCluster {
  nodes: PrivateRabbit[];
  /** AMQP_URL for it: every node, comma-separated (a service moves to the next when its node drops). */
  url: string;
  /** Resolves once every node runs and sees all the others (after a node came back). */
  healthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real RabbitMQ cluster of `size` private nodes (default 3, what quorum queues need to lose
 * one): one shared epmd port and cookie, every node on ports of its own, the others joined
 * to the first with `rabbitmqctl join_cluster`. Nothing of it touches the machine's RabbitMQ.
 */
export async function startPrivateRabbitCluster(options: { size?: number; startTimeoutMs?: number } = {}): Promise<PrivateRabbitCluster> {
  const size = options.size ?? 3;
  const epmdPort = await freePortBetween(30_000, 40_000);
  const cookie = randomBytes(20).toString('hex').toUpperCase();
  const epmdEnv: NodeJS.ProcessEnv = { ...process.env, ERL_EPMD_PORT: String(epmdPort), ERL_EPMD_ADDRESS: '127.0.0.1' };
  epmds.add(epmdEnv);
  const nodes: PrivateRabbit[] = [];
  const stop = registerStop(async () => {
    // Followers first, so the last node standing is the one the others joined.
    for (const node of [...nodes].reverse()) await node.stop();
    // An epmd already gone is what `-kill` wants.
    await run('epmd', ['-kill'], { env: epmdEnv, timeout: 10_000 }).catch(() => undefined);
    epmds.delete(epmdEnv);
  });
  const startTimeoutMs = options.startTimeoutMs ?? 300_000;
  const healthy = (timeoutMs = 120_000) =>
    waitFor(
      'the private RabbitMQ cluster',
      async () => {
        // A node that cannot answer yet is not healthy yet: waitFor asks again until its time is up.
        const status = await nodes[0]!.ctl('eval', 'length(rabbit_nodes:all_running()).').catch(() => '');
        return Number(status.trim()) === size;
      },
      timeoutMs,
    );
  try {
    // Booting is the slow part: all at once, then the joins one by one.
    const started = await Promise.allSettled(Array.from({ length: size }, () => startPrivateRabbit({ epmdPort, cookie, startTimeoutMs })));
    for (const result of started) if (result.status === 'fulfilled') nodes.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    for (const node of nodes.slice(1)) {
      await node.ctl('stop_app');
      await node.ctl('join_cluster', nodes[0]!.node);
      await node.ctl('start_app');
    }
    await healthy();
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, url: nodes.map((node) => node.url).join(','), healthy, stop };
}

export interface PrivatePostgres {
  port: number;
  /** The superuser's URL for a database (`postgres` by default), without any sslmode. */
  url(database?: string): string;
  /** `psql` as the superuser over TLS (no CA check), for the test's own look at the server. */
  query(sql: string): Promise<string>;
  stop(): Promise<void>;
}

/** PostgreSQL's programs, from the newest major version installed (Debian keeps them off PATH). */
function postgresBin(program: string): string {
  for (const version of ['17', '16', '15', '14']) {
    const path = `/usr/lib/postgresql/${version}/bin/${program}`;
    if (existsSync(path)) return path;
  }
  return program;
}

/**
 * One PostgreSQL server of its own: initdb into a temporary directory, another port, listening
 * on the loopback only, and with `tls` reachable over TLS only (pg_hba has `hostssl` lines and no
 * `host` line, so a plain connection is refused). The superuser `postgres` has a random
 * password (scram-sha-256). PostgreSQL refuses to run as root: as root, every program runs as
 * the `postgres` user (runuser), which then owns the directory and the copies of the TLS files.
 *
 * A failed start is tried once more, on a fresh port and directory: the port is picked free and
 * bound by PostgreSQL a moment later, and a parallel test's outgoing connection can take it in
 * between (ci45: no answer within 60 s). If the second start fails too, the first failure is thrown.
 */
export async function startPrivatePostgres(options: { tls?: TlsFiles } = {}): Promise<PrivatePostgres> {
  try {
    return await startPrivatePostgresOnce(options);
  } catch (first) {
    return startPrivatePostgresOnce(options).catch(() => {
      throw first;
    });
  }
}

async function startPrivatePostgresOnce(options: { tls?: TlsFiles }): Promise<PrivatePostgres> {
  const directory = mkdtempSync(join(tmpdir(), 'matchq-postgres-'));
  const data = join(directory, 'data');
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const logFile = join(directory, 'postgres.log');
  const asRoot = process.getuid?.() === 0;
  const as = (command: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]);
  writeFileSync(join(directory, 'password'), `${password}\n`);
  if (options.tls) {
    copyFileSync(options.tls.cert, join(directory, 'server.crt'));
    copyFileSync(options.tls.key, join(directory, 'server.key'));
    chmodSync(join(directory, 'server.key'), 0o600);
  }
  if (asRoot) execFileSync('chown', ['-R', 'postgres:', directory]);
  let child: ChildProcess | undefined;
  const stop = registerStop(async () => {
    if (child) await terminate(child, 15_000);
    rmSync(directory, { recursive: true, force: true });
  });
  const url = (database = 'postgres') => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;
  const query = async (sql: string) =>
    (await run('psql', ['-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql, `${url()}?sslmode=${options.tls ? 'require' : 'disable'}`], { timeout: 20_000 })).stdout;
  try {
    const [initdb, initArgs] = as(postgresBin('initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=scram-sha-256',
      `--pwfile=${join(directory, 'password')}`,
      '-E',
      'UTF8',
    ]);
    await run(initdb, initArgs, { timeout: 120_000 });
    const hba = `${options.tls ? 'hostssl' : 'host'} all all 127.0.0.0/8 scram-sha-256\n`;
    writeFileSync(join(data, 'pg_hba.conf'), `local all all scram-sha-256\n${hba}`);
    const settings = [
      `port = ${port}`,
      // 127.0.0.2 too: a loopback address that a certificate for localhost and 127.0.0.1 does not name.
      "listen_addresses = '127.0.0.1,127.0.0.2'",
      `unix_socket_directories = '${directory}'`,
      'fsync = off',
      ...(options.tls ? ['ssl = on', `ssl_cert_file = '${join(directory, 'server.crt')}'`, `ssl_key_file = '${join(directory, 'server.key')}'`] : []),
    ];
    writeFileSync(join(data, 'postgresql.auto.conf'), `${settings.join('\n')}\n`);
    if (asRoot) execFileSync('chown', ['-R', 'postgres:', data]);
    const [postgres, args] = as(postgresBin('postgres'), ['-D', data]);
    child = launch(postgres, args, process.env, logFile);
    const ready = () =>
      run(postgresBin('pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], { timeout: 2000 }).then(
        () => true,
        () => false,
      );
    await waitFor(`private PostgreSQL on port ${port}`, ready, 60_000, child, logFile);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, url, query, stop };
}
