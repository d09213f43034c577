import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { PortInUse } from './backing.js';
import { DEFAULT_METRICS_PORTS } from './config.js';
import type { Logger } from './logger.js';

/** What `/readyz` reports: each dependency and whether it is usable right now. */
export type Readiness = () => Record<string, boolean>;

const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Read-only routes answer GET and HEAD only; anything else gets 405 (true: answered). */
export function refuseUnlessRead(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return false;
  res.writeHead(405, { 'content-type': 'application/json', allow: 'GET, HEAD' });
  res.end(JSON.stringify({ error: `method ${req.method} not allowed; use GET or HEAD` }));
  return true;
}

/**
 * Answers the operator's three routes (GET or HEAD, else 405); returns false for any other path so a service
 * (the gateway) can serve its own routes on the same port.
 */
export function handleOpsRoute(req: IncomingMessage, res: ServerResponse, registry: Registry, readiness: Readiness): boolean {
  const path = (req.url ?? '/').split('?')[0]!;
  if (!OPS_PATHS.has(path)) return false;
  if (refuseUnlessRead(req, res)) return true;
  if (path === '/healthz') {
    sendJson(res, 200, { ok: true });
    return true;
  }
  if (path === '/readyz') {
    const checks = readiness();
    const ready = Object.values(checks).every(Boolean);
    sendJson(res, ready ? 200 : 503, { ready, checks });
    return true;
  }
  if (path === '/metrics') {
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      },
      (error: Error) => sendJson(res, 500, { error: error.message }),
    );
    return true;
  }
  return false;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Where a non-gateway service's ops server listens, and what it serves and logs with. */
export interface OpsServerOptions {
  service: keyof typeof DEFAULT_METRICS_PORTS;
  /** METRICS_PORT: unset, the service's default (or any free port when that one is taken); 0, any free port. */
  port: number | undefined;
  registry: Registry;
  logger: Logger;
}

/**
 * The ops server of a non-gateway service; port 0 picks a free one. A default port already
 * taken (a second matcher on one host) falls back to a free one; an explicit port does not.
 */
export async function startOpsServer(
  { service, port, registry, logger }: OpsServerOptions,
  readiness: Readiness,
  extra?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (handleOpsRoute(req, res, registry, readiness)) return;
    if (extra?.(req, res)) return;
    sendJson(res, 404, { error: 'not found' });
  });
  if (port !== undefined) await listen(server, port, '0.0.0.0', 'set METRICS_PORT (0 picks a free port)');
  // The default port taken (another service of a local stack): any free one, said below.
  else await listen(server, DEFAULT_METRICS_PORTS[service]).catch(() => listen(server, 0));
  // Said by every service: with METRICS_PORT=0 (or its default taken) this line is how to find it.
  logger.info({ port: (server.address() as AddressInfo).port }, 'ops endpoints listening (/healthz, /readyz, /metrics)');
  return server;
}

/** Listens; a port already taken is a PortInUse naming it and `fix` (what the operator can set). */
export function listen(server: Server, port: number, host = '0.0.0.0', fix = 'stop it or set PORT'): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUse(port, fix) : error);
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Throws PortInUse unless `port` can be listened on now (checked before a supervisor starts children on it). */
export async function assertPortFree(port: number, fix: string): Promise<void> {
  const probe = createServer();
  await listen(probe, port, '0.0.0.0', fix);
  await new Promise((resolve) => probe.close(resolve));
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}
