import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What `/readyz` reports: each dependency and whether it is usable right now. */
export type Readiness = () => Record<string, boolean>;

/**
 * Answers the operator's three routes; returns false for any other path so a service
 * (the gateway) can serve its own routes on the same port.
 */
export function handleOpsRoute(req: IncomingMessage, res: ServerResponse, registry: Registry, readiness: Readiness): boolean {
  const path = (req.url ?? '/').split('?')[0];
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
      (text) => { res.writeHead(200, { 'content-type': registry.contentType }); res.end(text); },
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

/**
 * The ops server of a non-gateway service; port 0 picks a free one. A default port already
 * taken (a second matcher on one host) falls back to a free one; an explicit port does not.
 */
export async function startOpsServer(port: number | { fallback: number }, registry: Registry, readiness: Readiness, extra?: (req: IncomingMessage, res: ServerResponse) => boolean): Promise<Server> {
  const server = createServer((req, res) => {
    if (handleOpsRoute(req, res, registry, readiness)) return;
    if (extra?.(req, res)) return;
    sendJson(res, 404, { error: 'not found' });
  });
  if (typeof port === 'number') await listen(server, port);
  else await listen(server, port.fallback).catch(() => listen(server, 0));
  return server;
}

export function listen(server: Server, port: number, host = '0.0.0.0'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}
