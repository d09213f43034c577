/**
 * A handler taking at least `E`: checked both ways (as methods are), so the browser's and
 * ws's handlers, which take their own richer event types, both fit.
 */
type Handler<E> = { handle(event: E): void }['handle'] | null;

/**
 * The part of a WebSocket the client uses: what the browser's WebSocket and `ws`'s have in
 * common, so either can be passed in.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: Handler<unknown>;
  onmessage: Handler<{ data: unknown }>;
  onclose: Handler<{ code: number; reason: string }>;
  onerror: Handler<unknown>;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

const OPEN = 1;
export const isOpen = (socket: WebSocketLike | undefined): boolean => socket?.readyState === OPEN;

/**
 * The WebSocket to use: the one given, else the global one (browsers, Node 22+), else the
 * `ws` package, loaded only then (its name in a variable, so that browser bundlers leave it out).
 */
export async function findWebSocket(given?: WebSocketConstructor): Promise<WebSocketConstructor> {
  if (given) return given;
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return global;
  const name = 'ws';
  try {
    const module = (await import(name)) as { WebSocket?: WebSocketConstructor; default?: WebSocketConstructor };
    const found = module.WebSocket ?? module.default;
    if (found) return found;
  } catch (error) {
    throw new Error(`@matchq/client: no WebSocket here; install "ws" (npm install ws) or pass { WebSocket } (${(error as Error).message})`);
  }
  throw new Error('@matchq/client: the "ws" package has no WebSocket export; pass { WebSocket }');
}

/**
 * `ws` tells the HTTP status of a refused upgrade (401 for a wrong token) through its own
 * `unexpected-response` event; a browser never does. Calls `onStatus` with it where it can.
 */
export function watchUpgradeStatus(socket: WebSocketLike, onStatus: (status: number) => void): void {
  const node = socket as unknown as { on?: (event: string, listener: (req: unknown, res: { statusCode?: number }) => void) => void; terminate?: () => void };
  if (typeof node.on !== 'function') return;
  node.on('unexpected-response', (_req, res) => {
    onStatus(res.statusCode ?? 0);
    // With a listener, ws leaves the refused handshake to us: end it, which closes the socket.
    node.terminate?.();
  });
}
