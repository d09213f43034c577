import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';

const publicDirectory = fileURLToPath(new URL('./public/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json',
};
/** Page routes and the file each serves; everything else under /assets/ is a file of public/. */
const PAGES: Record<string, string> = { '/': 'lobby.html', '/dashboard': 'dashboard.html' };

/** Serves the lobby, the dashboard and their assets from public/, all local (no CDN). */
export function serveStatic(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = (req.url ?? '/').split('?')[0]!;
  const file = PAGES[path] ?? (path.startsWith('/assets/') ? normalize(path.slice('/assets/'.length)) : undefined);
  if (!file || file.startsWith('..')) return false;
  readFile(join(publicDirectory, file)).then(
    (content) => {
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : content);
    },
    () => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    },
  );
  return true;
}
