import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '../common/free-port.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export type ServiceKind = 'producer' | 'matcher' | 'notifier' | 'recorder';

export interface Member {
  name: string;
  kind: ServiceKind;
  /** The port its /readyz answers on (the gateway's PORT, or METRICS_PORT). */
  port: number;
  process?: ChildProcess;
}

/**
 * matchq's services as real child processes, in one namespace, so faults are real:
 * kill -9 a member, and start it again as an operator's supervisor would.
 */
export class Cluster {
  readonly members = new Map<string, Member>();
  private readonly log: WriteStream;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    logFile: string,
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
  }

  async add(name: string, kind: ServiceKind, extraEnv: NodeJS.ProcessEnv = {}): Promise<Member> {
    const member: Member = { name, kind, port: await freePort() };
    this.members.set(name, member);
    this.start(member, extraEnv);
    return member;
  }

  private start(member: Member, extraEnv: NodeJS.ProcessEnv = {}): void {
    const portVariable = member.kind === 'producer' ? { PORT: String(member.port), GATEWAY_ID: member.name } : { METRICS_PORT: String(member.port) };
    const idVariable = member.kind === 'matcher' ? { MATCHER_ID: member.name } : {};
    const child = spawn(process.execPath, ['--import', 'tsx', `services/${member.kind}/main.ts`], {
      cwd: root,
      env: { ...this.env, ...portVariable, ...idVariable, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(this.log, { end: false });
    child.stderr.pipe(this.log, { end: false });
    member.process = child;
  }

  /** kill -9: no shutdown, no acks, no goodbyes. */
  kill(name: string): void {
    this.members.get(name)?.process?.kill('SIGKILL');
  }

  restart(name: string): void {
    const member = this.members.get(name)!;
    this.start(member);
  }

  async ready(name: string): Promise<boolean> {
    const member = this.members.get(name)!;
    try {
      const response = await fetch(`http://127.0.0.1:${member.port}/readyz`, { signal: AbortSignal.timeout(1000) });
      return response.status === 200;
    } catch {
      return false;
    }
  }

  async allReady(): Promise<boolean> {
    const states = await Promise.all([...this.members.keys()].map((name) => this.ready(name)));
    return states.every(Boolean);
  }

  gatewayUrls(): string[] {
    return [...this.members.values()].filter((member) => member.kind === 'producer').map((member) => `ws://127.0.0.1:${member.port}/ws`);
  }

  /** SIGTERM to one member, waiting for its graceful shutdown (SIGKILL after 10 s). */
  stop1(name: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const child = this.members.get(name)?.process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.members.keys()].map((name) => this.stop1(name)));
    this.log.end();
  }
}
