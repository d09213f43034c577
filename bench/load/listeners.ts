import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Which processes are the backing service a URL names. A shared machine runs more than one
 * RabbitMQ, Redis or PostgreSQL (the tests and the chaos run start private nodes), so a process
 * name says too little: the bench meters the process listening on the URL's port, and every
 * process under it (PostgreSQL's backends, RabbitMQ's helpers).
 */

const DEFAULT_PORTS: Record<string, number> = { 'amqp:': 5672, 'amqps:': 5671, 'redis:': 6379, 'rediss:': 6379, 'postgres:': 5432, 'postgresql:': 5432 };

/** The TCP port a backing service URL points at, when the host is this machine; undefined for another host. */
export function localPort(url: string): number | undefined {
  const parsed = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(parsed.hostname)) return undefined;
  return parsed.port ? Number(parsed.port) : DEFAULT_PORTS[parsed.protocol];
}

/** Socket inodes listening on `port` (IPv4 and IPv6), from /proc/net: state 0A is LISTEN. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue; // no IPv6 on this machine
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A' && parseInt(fields[1]?.split(':')[1] ?? '', 16) === port) inodes.add(fields[9]!);
    }
  }
  return inodes;
}

const numbered = () => readdirSync('/proc').filter((name) => /^\d+$/.test(name));

/** The processes holding a socket that listens on `port` (several for a forking server). */
export function pidsListeningOn(port: number): number[] {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return [];
  return numbered()
    .filter((pid) => {
      try {
        return readdirSync(`/proc/${pid}/fd`).some((fd) => {
          try {
            return inodes.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '');
          } catch {
            return false; // closed meanwhile
          }
        });
      } catch {
        return false; // exited, or not ours to read
      }
    })
    .map(Number);
}

/** `roots` and every process below them, now. */
export function withDescendants(roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const pid of numbered()) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(pid)]);
    } catch {
      // exited meanwhile
    }
  }
  const found = new Set<number>();
  const visit = (pid: number) => {
    if (found.has(pid)) return;
    found.add(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  roots.forEach(visit);
  return [...found];
}
