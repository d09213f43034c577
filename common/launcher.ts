import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { nodeArgsFor, repoRoot } from './layout.js';

const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
/** A child that ran this long is considered healthy again: its next crash restarts at once. */
const STABLE_AFTER_MS = 60_000;

export type ServiceKind = 'producer' | 'matcher' | 'notifier' | 'recorder' | 'allocator';

/**
 * One process to run: a script of this repository, the way the launcher itself runs (its build
 * under plain node when the launcher is built, as under `npm start`; else the TypeScript under tsx).
 */
export interface ServiceSpec {
  /** Unique within its launcher: how the caller names it, and the prefix of its log lines. */
  name: string;
  /** Its TypeScript source, relative to the repository root (`services/matcher/main.ts`). */
  script: string;
  /** Over the launcher's env. */
  env?: NodeJS.ProcessEnv;
  /** Node flags before the script (`--cpu-prof`, …). */
  nodeArgs?: string[];
  /** The HTTP port its `/readyz` answers on, when it has one. */
  port?: number;
}

/**
 * A matchq service on a port of its own: the gateway's PORT (and GATEWAY_ID), else METRICS_PORT
 * (and MATCHER_ID for a matcher); `id` is that id, the name by default.
 */
export function serviceSpec(
  kind: ServiceKind,
  name: string,
  port: number,
  options: { id?: string; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {},
): ServiceSpec {
  const id = options.id ?? name;
  const portEnv =
    kind === 'producer' ? { PORT: String(port), GATEWAY_ID: id } : { METRICS_PORT: String(port), ...(kind === 'matcher' ? { MATCHER_ID: id } : {}) };
  return { name, script: `services/${kind}/main.ts`, port, env: { ...options.env, ...portEnv }, nodeArgs: options.nodeArgs };
}

export interface LauncherOptions {
  /** What every child starts from (a spec's env goes over it); process.env when unset. */
  env?: NodeJS.ProcessEnv;
  /** Children's stdout and stderr appended to this file, each line prefixed with the child's name; else they share ours. */
  logFile?: string;
  /**
   * `on-exit`: a child that exits unasked is started again, with backoff (a supervisor).
   * `never` (default): it stays down until the caller restarts it (chaos kills on purpose).
   */
  restart?: 'on-exit' | 'never';
  /** Hears each restart, and why. */
  say?: (line: string) => void;
  /** How long a stop waits for a graceful shutdown (SIGTERM) before SIGKILL. */
  stopGraceMs?: number;
}

/**
 * The one way matchq's processes are started and stopped: `npm start`'s supervisor, the chaos
 * run, the benches' own stacks and the tests that need real processes all go through it.
 */
export class Launcher {
  /** Every child ever started, by name: restart(name) starts the same spec again. */
  readonly specs = new Map<string, ServiceSpec>();
  /** The children running now. */
  readonly children = new Map<string, ChildProcess>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly log?: WriteStream;
  private readonly backoff = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Children told to stop: their exit is not a crash. */
  private readonly stopped = new WeakSet<ChildProcess>();
  /** Each piped child's output, until its last line is written. */
  private readonly drains = new Set<Promise<void>>();
  private stopping = false;

  constructor(private readonly options: LauncherOptions = {}) {
    this.env = options.env ?? process.env;
    if (options.logFile) this.log = createWriteStream(options.logFile, { flags: 'a' });
  }

  start(spec: ServiceSpec): ChildProcess {
    this.specs.set(spec.name, spec);
    return this.spawn(spec);
  }

  /** Starts a known child again (after kill or stop), with the spec it was started with. */
  restart(name: string): ChildProcess {
    const spec = this.specs.get(name);
    if (!spec) throw new Error(`no process named ${name}`);
    return this.spawn(spec);
  }

  /** kill -9 by default: no shutdown, no acks, no goodbyes. Under `on-exit` it counts as a crash. */
  kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): void {
    this.children.get(name)?.kill(signal);
  }

  /** SIGTERM, waiting for the graceful shutdown (SIGKILL after the grace); not restarted. */
  stop(name: string): Promise<void> {
    const child = this.children.get(name);
    if (!child) return Promise.resolve();
    this.stopped.add(child);
    return new Promise<void>((resolve) => {
      const force = setTimeout(() => child.kill('SIGKILL'), this.options.stopGraceMs ?? 10_000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Stops every child (none is restarted after this, not even one whose restart was pending), then closes the log. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.children.keys()].map((name) => this.stop(name)));
    await Promise.all(this.drains);
    if (this.log) await new Promise<void>((resolve) => this.log!.end(resolve));
  }

  /** The pids of the running children whose name starts with `prefix`. */
  pids(prefix = ''): number[] {
    return [...this.children].flatMap(([name, child]) => (name.startsWith(prefix) && child.pid ? [child.pid] : []));
  }

  /** Whether its `/readyz` answers 200 now. */
  async ready(name: string): Promise<boolean> {
    const port = this.specs.get(name)?.port;
    if (port === undefined) throw new Error(`${name} has no port to ask /readyz on`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
      return response.status === 200;
    } catch {
      // Not listening yet, or busy: not ready, which is what the caller waits on.
      return false;
    }
  }

  async allReady(): Promise<boolean> {
    const states = await Promise.all([...this.specs.keys()].map((name) => this.ready(name)));
    return states.every(Boolean);
  }

  /** Waits until its `/readyz` answers 200; fails at once if it exits meanwhile, or after `timeoutMs`. */
  async waitReady(name: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const child = this.children.get(name);
      if (!child) throw new Error(`${name} exited before it was ready${this.seeLog()}`);
      if (await this.ready(name)) return;
      if (Date.now() > deadline) throw new Error(`${name} not ready after ${timeoutMs} ms${this.seeLog()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private seeLog(): string {
    return this.options.logFile ? `; see ${this.options.logFile}` : '';
  }

  private spawn(spec: ServiceSpec): ChildProcess {
    const startedAt = Date.now();
    const child = spawn(process.execPath, [...(spec.nodeArgs ?? []), ...nodeArgsFor(spec.script)], {
      // The repository, built or not: a relative MATCH_CONFIG means the same file to every child.
      cwd: repoRoot,
      env: { ...this.env, ...spec.env },
      stdio: ['ignore', this.log ? 'pipe' : 'inherit', this.log ? 'pipe' : 'inherit'],
    });
    this.children.set(spec.name, child);
    if (this.log) {
      const lines = (stream: Readable) =>
        new Promise<void>((resolve) =>
          createInterface({ input: stream, crlfDelay: Infinity })
            .on('line', (line) => this.log!.write(`${spec.name} | ${line}\n`))
            .on('close', resolve),
        );
      const drained = Promise.all([lines(child.stdout!), lines(child.stderr!)]).then(() => undefined);
      this.drains.add(drained);
      void drained.then(() => this.drains.delete(drained));
    }
    child.on('exit', (code, signal) => {
      // A restart may already have replaced it under the same name.
      if (this.children.get(spec.name) === child) this.children.delete(spec.name);
      if (this.stopping || this.stopped.has(child) || this.options.restart !== 'on-exit') return;
      const backoffMs = this.backoff.get(spec.name) ?? FIRST_BACKOFF_MS;
      const healthy = Date.now() - startedAt > STABLE_AFTER_MS;
      const delay = healthy ? 0 : backoffMs;
      this.backoff.set(spec.name, healthy ? FIRST_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, backoffMs * 2));
      this.options.say?.(`${spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.spawn(spec);
      }, delay);
      this.timers.add(timer);
    });
    return child;
  }
}
