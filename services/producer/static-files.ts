import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../common/logger.js';
import { bundle } from './web-bundles.js';

const publicDirectory = fileURLToPath(new URL('./public/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};
/** Page routes and the file each serves. */
const PAGES: Record<string, string> = { '/': 'lobby.html', '/dashboard': 'dashboard.html' };
/** Files of npm packages the pages use, served from node_modules (uPlot's stylesheet). */
const VENDOR: Record<string, string> = { 'uplot.css': createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css') };

/**
 * Serves the lobby, the dashboard and their assets, all local (no CDN): the pages and their
 * stylesheets from public/, their scripts as bundles of web/ (web-bundles.ts), built on first use.
 */
export function serveStatic(req: IncomingMessage, res: ServerResponse, logger?: Logger): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = (req.url ?? '/').split('?')[0]!;
  // Own keys only: a request target such as `toString` names no page.
  const page = Object.hasOwn(PAGES, path) ? PAGES[path] : undefined;
  const asset = path.startsWith('/assets/') ? normalize(path.slice('/assets/'.length)) : undefined;
  if (!page && (!asset || asset.startsWith('..'))) return false;
  const name = (page ?? asset)!;
  const send = (content: Uint8Array) => {
    res.writeHead(200, { 'content-type': TYPES[extname(name)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : content);
  };
  const notFound = () => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  };
  if (name.endsWith('.js') || name.endsWith('.js.map')) {
    bundle(name).then(
      (found) => (found ? send(found.contents) : notFound()),
      (error: Error) => {
        logger?.error({ err: error.message, asset: name }, 'building the web pages failed');
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`building ${name} failed: ${error.message}`);
      },
    );
    return true;
  }
  readFile((Object.hasOwn(VENDOR, name) ? VENDOR[name] : undefined) ?? join(publicDirectory, name)).then(send, notFound);
  return true;
}
